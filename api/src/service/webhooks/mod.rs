//! Signed webhooks: partners and staff register endpoints, and every change they may
//! hear of is POSTed to them, signed, in commit order, at least once.
//!
//! - [`outbox`]: the events, written in each change's own transaction (`webhook_events`);
//! - [`endpoints`]: who manages which endpoint, and the rules of their settings;
//! - [`deliveries`]: each event's delivery to each endpoint, as the sender
//!   ([`crate::webhooks`]) claims, attempts and records them, and as their owners list
//!   and redeliver them;
//! - [`targets`]: where webhooks may not go (server-side request forgery).

pub mod deliveries;
pub mod endpoints;
pub mod outbox;
pub mod targets;

use entity::enums::NominationEventKind;
use entity::{api_token, webhook_endpoint};
use sea_orm::{ColumnTrait, Condition};

use crate::auth::{Scope, Viewer};
use crate::error::{ServiceError, ServiceResult};

/// What a webhook reports, named as receivers see it in the body's `type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventType {
    /// A nomination was submitted.
    NominationSubmitted,
    /// Someone endorsed a nomination.
    NominationEndorsed,
    /// Staff started reviewing a nomination.
    NominationReviewStarted,
    /// Staff accepted a nomination (a `fellow.admitted` follows).
    NominationAccepted,
    /// Staff declined a nomination.
    NominationDeclined,
    /// The nominator withdrew a nomination.
    NominationWithdrawn,
    /// A nominee became a fellow.
    FellowAdmitted,
    /// An organization's membership of a foundation was recorded.
    MembershipRecorded,
    /// A foundation membership ended.
    MembershipEnded,
    /// A representative was appointed to a governing board's seat.
    BoardSeatAppointed,
}

impl EventType {
    /// Every type, in the order they are documented.
    pub const ALL: [EventType; 10] = [
        EventType::NominationSubmitted,
        EventType::NominationEndorsed,
        EventType::NominationReviewStarted,
        EventType::NominationAccepted,
        EventType::NominationDeclined,
        EventType::NominationWithdrawn,
        EventType::FellowAdmitted,
        EventType::MembershipRecorded,
        EventType::MembershipEnded,
        EventType::BoardSeatAppointed,
    ];

    /// The name receivers and `createWebhookEndpoint(input: { events })` use.
    pub fn name(self) -> &'static str {
        match self {
            EventType::NominationSubmitted => "nomination.submitted",
            EventType::NominationEndorsed => "nomination.endorsed",
            EventType::NominationReviewStarted => "nomination.review_started",
            EventType::NominationAccepted => "nomination.accepted",
            EventType::NominationDeclined => "nomination.declined",
            EventType::NominationWithdrawn => "nomination.withdrawn",
            EventType::FellowAdmitted => "fellow.admitted",
            EventType::MembershipRecorded => "membership.recorded",
            EventType::MembershipEnded => "membership.ended",
            EventType::BoardSeatAppointed => "board_seat.appointed",
        }
    }

    /// The type with this name, if any.
    pub fn parse(name: &str) -> Option<EventType> {
        EventType::ALL.into_iter().find(|t| t.name() == name)
    }

    /// The webhook of a nomination's change.
    pub fn of_nomination(kind: NominationEventKind) -> EventType {
        match kind {
            NominationEventKind::Submitted => EventType::NominationSubmitted,
            NominationEventKind::Endorsed => EventType::NominationEndorsed,
            NominationEventKind::ReviewStarted => EventType::NominationReviewStarted,
            NominationEventKind::Accepted => EventType::NominationAccepted,
            NominationEventKind::Declined => EventType::NominationDeclined,
            NominationEventKind::Withdrawn => EventType::NominationWithdrawn,
        }
    }

    /// The scope a partner needs to receive it: nominations are private, the rest
    /// (fellows, memberships, board seats) is public record.
    pub fn scope_needed(self) -> Option<Scope> {
        match self {
            EventType::NominationSubmitted
            | EventType::NominationEndorsed
            | EventType::NominationReviewStarted
            | EventType::NominationAccepted
            | EventType::NominationDeclined
            | EventType::NominationWithdrawn => Some(Scope::NominationsRead),
            EventType::FellowAdmitted
            | EventType::MembershipRecorded
            | EventType::MembershipEnded
            | EventType::BoardSeatAppointed => None,
        }
    }
}

/// Who manages an endpoint, and so what it may receive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WebhookOwner {
    /// Staff: every endpoint; a staff endpoint receives every event.
    Staff {
        /// The staff member, when their token names a known person.
        person_id: Option<i64>,
    },
    /// A partner token with `webhooks:manage`: its own endpoints, which receive what its
    /// scopes may read.
    Partner {
        /// The token (`api_tokens.id`) that owns its endpoints.
        token_id: i64,
        /// What the token may read.
        scopes: Vec<Scope>,
    },
}

impl WebhookOwner {
    /// The owner a viewer acts as, or why they may not manage webhooks at all.
    pub fn of(viewer: &Viewer) -> ServiceResult<WebhookOwner> {
        match viewer {
            Viewer::Staff(_) => Ok(WebhookOwner::Staff {
                person_id: viewer.person_id(),
            }),
            Viewer::Partner(partner) if viewer.has_scope(Scope::WebhooksManage) => {
                Ok(WebhookOwner::Partner {
                    token_id: partner.token_id,
                    scopes: partner.scopes.clone(),
                })
            }
            _ => Err(ServiceError::Forbidden(
                "Webhook endpoints are managed by staff, and by partner tokens with the \
                 scope `webhooks:manage` (their own endpoints only)."
                    .into(),
            )),
        }
    }

    /// The endpoints this owner may see and change.
    fn condition(&self) -> Condition {
        match self {
            WebhookOwner::Staff { .. } => Condition::all(),
            WebhookOwner::Partner { token_id, .. } => {
                Condition::all().add(webhook_endpoint::Column::OwnerApiTokenId.eq(*token_id))
            }
        }
    }

    /// Whether this owner's endpoints may receive `event`.
    pub fn may_receive(&self, event: EventType) -> bool {
        match self {
            WebhookOwner::Staff { .. } => true,
            WebhookOwner::Partner { scopes, .. } => event
                .scope_needed()
                .is_none_or(|needed| scopes.contains(&needed)),
        }
    }
}

/// Who an endpoint's deliveries are for, as the sender finds it when it delivers: its
/// owner's token as it is now (so a revoked token stops its endpoints at once).
pub enum Recipient {
    /// A staff endpoint: it receives everything it subscribed to.
    Staff,
    /// A partner's endpoint, whose token still works, with what it may read.
    Partner(WebhookOwner),
    /// A partner's endpoint whose token was revoked or has expired: nothing is sent,
    /// and the endpoint is disabled with this reason.
    Gone(String),
}

impl Recipient {
    /// The recipient of a partner's endpoint owned by `token`, as the token is `now`.
    pub fn of(token: &api_token::Model, now: chrono::DateTime<chrono::Utc>) -> Recipient {
        if token.revoked_at.is_some() {
            return Recipient::Gone("The API token that owns this endpoint was revoked.".into());
        }
        if token.expires_at.is_some_and(|at| at <= now) {
            return Recipient::Gone("The API token that owns this endpoint has expired.".into());
        }
        let scopes = token
            .scopes
            .as_array()
            .map(|all| {
                all.iter()
                    .filter_map(|s| s.as_str().and_then(Scope::parse))
                    .collect()
            })
            .unwrap_or_default();
        Recipient::Partner(WebhookOwner::Partner {
            token_id: token.id,
            scopes,
        })
    }

    /// Whether an event of this type goes to this recipient.
    pub fn receives(&self, event: EventType) -> bool {
        match self {
            Recipient::Staff => true,
            Recipient::Partner(owner) => owner.may_receive(event),
            Recipient::Gone(_) => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_type_has_one_name() {
        for event in EventType::ALL {
            assert_eq!(EventType::parse(event.name()), Some(event));
        }
        assert_eq!(EventType::parse("nomination.created"), None);
    }

    #[test]
    fn partners_receive_nominations_only_with_their_scope() {
        let public_only = WebhookOwner::Partner {
            token_id: 1,
            scopes: vec![Scope::WebhooksManage],
        };
        let reader = WebhookOwner::Partner {
            token_id: 1,
            scopes: vec![Scope::WebhooksManage, Scope::NominationsRead],
        };
        assert!(public_only.may_receive(EventType::MembershipRecorded));
        assert!(!public_only.may_receive(EventType::NominationSubmitted));
        assert!(reader.may_receive(EventType::NominationSubmitted));
        assert!(WebhookOwner::Staff { person_id: None }.may_receive(EventType::NominationDeclined));
    }
}

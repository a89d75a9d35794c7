//! Webhook endpoints: created, changed, rotated and deleted by staff, or by a partner
//! token with `webhooks:manage` for its own. Every change is audited (without the
//! secret, which the entity never serializes).

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use chrono::{Duration, Utc};
use entity::enums::WebhookDeliveryStatus;
use entity::{api_token, webhook_delivery, webhook_endpoint};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, DatabaseConnection, EntityTrait, PaginatorTrait,
    QueryFilter, Set, TransactionTrait,
};
use serde_json::Value;

use super::{outbox, targets, EventType, Recipient, WebhookOwner};
use crate::auth::Viewer;
use crate::domain::Note;
use crate::error::{ServiceError, ServiceResult};
use crate::service::audit::{self, snapshot, Change};
use crate::service::page::{self, Cursor, KeysetOrder, Page, PageArgs};

/// Most endpoints one owner (a partner token, or staff together) may have.
pub const MAX_ENDPOINTS_PER_OWNER: u64 = 25;

/// How long a rotated-out secret still signs deliveries, beside the new one, so that
/// a receiver can switch to the new secret without refusing a delivery meanwhile.
pub const PREVIOUS_SECRET_LASTS: Duration = Duration::hours(24);

/// What the endpoint rules depend on in the configuration.
#[derive(Debug, Clone, Copy, Default)]
pub struct EndpointRules {
    /// `WEBHOOK_ALLOW_PRIVATE_TARGETS`: accept private, loopback and link-local targets
    /// (and plain http).
    pub allow_private_targets: bool,
}

/// A new endpoint as its creator describes it.
#[derive(Debug, Clone)]
pub struct NewEndpoint {
    /// Where to POST.
    pub url: String,
    /// Event type names (`nomination.accepted`), at least one.
    pub events: Vec<String>,
    /// What it is for.
    pub description: Option<String>,
}

/// A change of an endpoint: each `None` leaves that setting as it is.
#[derive(Debug, Clone, Default)]
pub struct EndpointChange {
    /// A new URL.
    pub url: Option<String>,
    /// A new list of event types.
    pub events: Option<Vec<String>>,
    /// A new description; `Some(None)` clears it.
    pub description: Option<Option<String>>,
    /// Turn deliveries on (which also forgets a past failure) or off.
    pub enabled: Option<bool>,
}

/// An endpoint with its signing secret, shown once.
pub struct WithSecret {
    /// The endpoint.
    pub endpoint: webhook_endpoint::Model,
    /// `whsec_` + base64 of 32 random bytes.
    pub secret: String,
}

/// A fresh signing secret in the Standard Webhooks form.
fn new_secret() -> ServiceResult<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)
        .map_err(|err| ServiceError::Internal(anyhow::anyhow!("no random source: {err}")))?;
    Ok(format!("whsec_{}", STANDARD.encode(bytes)))
}

/// The event types of `names`, deduplicated, checked against what `manager` may
/// receive.
fn event_types(manager: &WebhookOwner, names: &[String]) -> ServiceResult<Value> {
    const FIELD: &str = "input.events";
    if names.is_empty() {
        return Err(ServiceError::invalid(
            FIELD,
            "Name at least one event type, such as `nomination.accepted`.",
        ));
    }
    if names.len() > 2 * EventType::ALL.len() {
        return Err(ServiceError::invalid(
            FIELD,
            format!("Name at most {} event types.", EventType::ALL.len()),
        ));
    }
    let mut chosen: Vec<EventType> = Vec::new();
    for name in names {
        let event = EventType::parse(name.trim()).ok_or_else(|| {
            let known: Vec<&str> = EventType::ALL.iter().map(|t| t.name()).collect();
            ServiceError::invalid(
                FIELD,
                format!(
                    "`{}` is not an event type; the types are {}.",
                    name.chars().take(60).collect::<String>(),
                    known.join(", ")
                ),
            )
        })?;
        if !manager.may_receive(event) {
            return Err(ServiceError::not_permitted(
                Some(FIELD),
                format!(
                    "`{}` needs a token with the scope `{}`.",
                    event.name(),
                    event.scope_needed().map_or("", |s| s.as_str())
                ),
            ));
        }
        if !chosen.contains(&event) {
            chosen.push(event);
        }
    }
    // Kept in the documented order, whatever order they came in.
    chosen.sort_by_key(|e| EventType::ALL.iter().position(|t| t == e));
    Ok(Value::Array(
        chosen
            .into_iter()
            .map(|e| Value::String(e.name().to_owned()))
            .collect(),
    ))
}

fn description(text: Option<&str>) -> ServiceResult<Option<String>> {
    match text.map(str::trim) {
        None | Some("") => Ok(None),
        Some(text) => Ok(Some(Note::parse("input.description", text)?.into())),
    }
}

/// Creates an endpoint that receives the events committed from now on. Staff, or a
/// partner token with `webhooks:manage` (`Forbidden` otherwise); the endpoint of a
/// partner belongs to its token. A URL that is not https, or that points at a private,
/// loopback or link-local address, is `InvalidInput` on `input.url`; an unknown event
/// type `InvalidInput` on `input.events`, and one the token's scopes may not read
/// `NotPermitted` there; more than [`MAX_ENDPOINTS_PER_OWNER`] endpoints `Conflict`
/// (counted per partner token, and for staff's own endpoints together).
pub async fn create(
    db: &DatabaseConnection,
    viewer: &Viewer,
    rules: EndpointRules,
    new: NewEndpoint,
) -> ServiceResult<WithSecret> {
    let manager = WebhookOwner::of(viewer)?;
    let url = targets::endpoint_url("input.url", &new.url, rules.allow_private_targets)?;
    let events = event_types(&manager, &new.events)?;
    let description = description(new.description.as_deref())?;
    let owned = webhook_endpoint::Entity::find()
        .filter(match &manager {
            WebhookOwner::Staff { .. } => webhook_endpoint::Column::OwnerApiTokenId.is_null(),
            WebhookOwner::Partner { token_id, .. } => {
                webhook_endpoint::Column::OwnerApiTokenId.eq(*token_id)
            }
        })
        .count(db)
        .await?;
    if owned >= MAX_ENDPOINTS_PER_OWNER {
        return Err(ServiceError::Conflict(format!(
            "At most {MAX_ENDPOINTS_PER_OWNER} webhook endpoints are kept per owner; delete one first."
        )));
    }
    let secret = new_secret()?;
    let (owner_api_token_id, created_by_person_id) = match &manager {
        WebhookOwner::Staff { person_id } => (None, *person_id),
        WebhookOwner::Partner { token_id, .. } => (Some(*token_id), None),
    };
    // Events already committed are not this endpoint's news. Read before the
    // transaction, whose first statement must be its write (SQLite's lock order).
    let after_event_id = outbox::newest_id(db).await?;
    let txn = db.begin().await?;
    let endpoint = webhook_endpoint::ActiveModel {
        url: Set(url.to_string()),
        description: Set(description),
        event_types: Set(events),
        secret: Set(secret.clone()),
        previous_secret: Set(None),
        previous_secret_expires_at: Set(None),
        owner_api_token_id: Set(owner_api_token_id),
        created_by_person_id: Set(created_by_person_id),
        enabled: Set(true),
        disabled_at: Set(None),
        disabled_reason: Set(None),
        after_event_id: Set(after_event_id),
        failing_since: Set(None),
        next_attempt_at: Set(None),
        lease_until: Set(None),
        lease_holder: Set(None),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        viewer,
        Change {
            action: "webhookEndpoint.create",
            object_type: "WebhookEndpoint",
            object_id: endpoint.id,
            before: None,
            after: Some(snapshot(&endpoint)),
        },
    )
    .await?;
    crate::db::commit(txn).await?;
    Ok(WithSecret { endpoint, secret })
}

/// The endpoint `id`, if `viewer` manages it; someone else's endpoint and one that does
/// not exist are both `Missing` on `field`.
pub async fn find(
    db: &DatabaseConnection,
    viewer: &Viewer,
    id: i64,
    field: &str,
) -> ServiceResult<webhook_endpoint::Model> {
    let manager = WebhookOwner::of(viewer)?;
    webhook_endpoint::Entity::find_by_id(id)
        .filter(manager.condition())
        .one(db)
        .await?
        .ok_or_else(|| ServiceError::missing(field, "No webhook endpoint of yours has this ID."))
}

/// The endpoint `id` if `viewer` manages it, for `node(id:)`; `None` otherwise.
pub async fn visible(
    db: &DatabaseConnection,
    viewer: &Viewer,
    id: i64,
) -> ServiceResult<Option<webhook_endpoint::Model>> {
    let Ok(manager) = WebhookOwner::of(viewer) else {
        return Ok(None);
    };
    Ok(webhook_endpoint::Entity::find_by_id(id)
        .filter(manager.condition())
        .one(db)
        .await?)
}

/// Changes an endpoint's URL, event types, description or state, under the rules of
/// [`create`]. Turning it on again forgets its past failures and resumes its pending
/// deliveries where they stopped.
pub async fn update(
    db: &DatabaseConnection,
    viewer: &Viewer,
    rules: EndpointRules,
    id: i64,
    change: EndpointChange,
) -> ServiceResult<webhook_endpoint::Model> {
    let manager = WebhookOwner::of(viewer)?;
    let current = find(db, viewer, id, "input.endpointId").await?;
    let mut row: webhook_endpoint::ActiveModel = current.clone().into();
    if let Some(url) = &change.url {
        let url = targets::endpoint_url("input.url", url, rules.allow_private_targets)?;
        row.url = Set(url.to_string());
    }
    if let Some(events) = &change.events {
        // What the endpoint may receive is its owner's to say, whoever edits it.
        let owner = match current.owner_api_token_id {
            Some(token_id) => match api_token::Entity::find_by_id(token_id).one(db).await? {
                Some(token) => match Recipient::of(&token, Utc::now()) {
                    Recipient::Partner(owner) => owner,
                    _ => WebhookOwner::Partner {
                        token_id,
                        scopes: Vec::new(),
                    },
                },
                None => WebhookOwner::Partner {
                    token_id,
                    scopes: Vec::new(),
                },
            },
            None => manager.clone(),
        };
        row.event_types = Set(event_types(&owner, events)?);
    }
    if let Some(text) = &change.description {
        row.description = Set(description(text.as_deref())?);
    }
    match change.enabled {
        Some(true) if !current.enabled => {
            row.enabled = Set(true);
            row.disabled_at = Set(None);
            row.disabled_reason = Set(None);
            row.failing_since = Set(None);
            row.next_attempt_at = Set(Some(Utc::now()));
        }
        Some(false) if current.enabled => {
            row.enabled = Set(false);
            row.disabled_at = Set(Some(Utc::now()));
            row.disabled_reason = Set(Some("Disabled by its owner.".into()));
        }
        _ => {}
    }
    row.version = Set(current.version + 1);
    row.updated_at = Set(Utc::now());
    let txn = db.begin().await?;
    let updated = row.update(&txn).await?;
    if updated.enabled && !current.enabled {
        // Pending deliveries resume now, not at the end of a backoff begun long ago.
        webhook_delivery::Entity::update_many()
            .col_expr(
                webhook_delivery::Column::NextAttemptAt,
                Expr::val(Utc::now()),
            )
            .filter(webhook_delivery::Column::EndpointId.eq(id))
            .filter(webhook_delivery::Column::Status.eq(WebhookDeliveryStatus::Pending))
            .exec(&txn)
            .await?;
    }
    audit::record(
        &txn,
        viewer,
        Change {
            action: "webhookEndpoint.update",
            object_type: "WebhookEndpoint",
            object_id: id,
            before: Some(snapshot(&current)),
            after: Some(snapshot(&updated)),
        },
    )
    .await?;
    crate::db::commit(txn).await?;
    Ok(updated)
}

/// Replaces an endpoint's signing secret. For [`PREVIOUS_SECRET_LASTS`] deliveries
/// carry a signature by each, so the receiver may switch whenever it likes within it.
pub async fn rotate_secret(
    db: &DatabaseConnection,
    viewer: &Viewer,
    id: i64,
) -> ServiceResult<WithSecret> {
    let current = find(db, viewer, id, "input.endpointId").await?;
    let secret = new_secret()?;
    let mut row: webhook_endpoint::ActiveModel = current.clone().into();
    row.previous_secret = Set(Some(current.secret.clone()));
    row.previous_secret_expires_at = Set(Some(Utc::now() + PREVIOUS_SECRET_LASTS));
    row.secret = Set(secret.clone());
    row.version = Set(current.version + 1);
    row.updated_at = Set(Utc::now());
    let txn = db.begin().await?;
    let endpoint = row.update(&txn).await?;
    audit::record(
        &txn,
        viewer,
        Change {
            action: "webhookEndpoint.rotateSecret",
            object_type: "WebhookEndpoint",
            object_id: id,
            before: Some(snapshot(&current)),
            after: Some(snapshot(&endpoint)),
        },
    )
    .await?;
    crate::db::commit(txn).await?;
    Ok(WithSecret { endpoint, secret })
}

/// Deletes an endpoint and its deliveries; nothing more is sent to it, even by a
/// sender in the middle of an attempt (its result finds no row to record).
pub async fn delete(db: &DatabaseConnection, viewer: &Viewer, id: i64) -> ServiceResult<i64> {
    let current = find(db, viewer, id, "input.endpointId").await?;
    let txn = db.begin().await?;
    // The endpoint first, its deliveries by the cascade: the same lock order as a
    // sender recording an attempt (endpoint, then delivery), so the two cannot deadlock.
    webhook_endpoint::Entity::delete_by_id(id)
        .exec(&txn)
        .await?;
    audit::record(
        &txn,
        viewer,
        Change {
            action: "webhookEndpoint.delete",
            object_type: "WebhookEndpoint",
            object_id: id,
            before: Some(snapshot(&current)),
            after: None,
        },
    )
    .await?;
    crate::db::commit(txn).await?;
    Ok(id)
}

/// The endpoints `viewer` manages, newest first.
pub async fn list(
    db: &DatabaseConnection,
    viewer: &Viewer,
    args: &PageArgs,
) -> ServiceResult<Page<webhook_endpoint::Model>> {
    const SCOPE: &str = "webhookEndpoints/id";
    let manager = WebhookOwner::of(viewer)?;
    let window = args.window(SCOPE)?;
    let keyset = KeysetOrder {
        key: None,
        id: Expr::col((webhook_endpoint::Entity, webhook_endpoint::Column::Id)),
        descending: true,
    };
    page::of_table::<webhook_endpoint::Entity>(
        db,
        Condition::all().add(manager.condition()),
        &keyset,
        &window,
        SCOPE,
        |row| Cursor::by_id(row.id),
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::Scope;

    #[test]
    fn event_types_are_checked_deduplicated_and_ordered() {
        let staff = WebhookOwner::Staff { person_id: Some(1) };
        let names = |list: &[&str]| list.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert_eq!(
            event_types(
                &staff,
                &names(&[
                    "membership.ended",
                    "nomination.submitted",
                    "membership.ended"
                ])
            )
            .unwrap(),
            serde_json::json!(["nomination.submitted", "membership.ended"])
        );
        assert!(event_types(&staff, &[]).is_err());
        assert!(event_types(&staff, &names(&["nomination.created"])).is_err());
        let partner = WebhookOwner::Partner {
            token_id: 1,
            scopes: vec![Scope::WebhooksManage],
        };
        assert!(matches!(
            event_types(&partner, &names(&["nomination.accepted"])),
            Err(ServiceError::NotPermitted { .. })
        ));
        assert!(event_types(&partner, &names(&["fellow.admitted"])).is_ok());
    }

    #[test]
    fn secrets_are_standard_webhooks_secrets() {
        let secret = new_secret().unwrap();
        let bytes = STANDARD
            .decode(secret.strip_prefix("whsec_").unwrap())
            .unwrap();
        assert_eq!(bytes.len(), 32);
        assert_ne!(secret, new_secret().unwrap());
    }
}

//! Governing-board seats: a tier carries a fixed number of seats ([`seats_for`]);
//! appointing a representative to a full tier replaces the current holder and closes
//! their term. Staff only.

use chrono::{NaiveDate, Utc};
use entity::enums::MembershipTier;
use entity::{board_seat, foundation_membership, person};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, Set,
    TransactionTrait,
};

use super::memberships::membership;
use crate::auth::Viewer;
use crate::domain::{Handle, Line};
use crate::error::{ServiceError, ServiceResult};
use crate::service::access;
use crate::service::audit::{self, Change};
use crate::service::search;
use crate::service::versioned;
use crate::service::webhooks;

/// How many governing-board seats a tier carries.
pub fn seats_for(tier: MembershipTier) -> usize {
    match tier {
        MembershipTier::Premier => 1,
        MembershipTier::General | MembershipTier::Associate => 0,
    }
}

/// Who is appointed: a person the records know, or a new one.
pub enum Representative {
    /// A person the records know, by ID.
    Existing(i64),
    /// A person to add to the records. When a person already has the handle given (case
    /// ignored), that person is appointed and the name given is not used.
    New {
        /// Their name: one line, 1 to 200 characters.
        name: String,
        /// Their hub handle; `None` or blank when they have none.
        handle: Option<String>,
    },
}

/// An appointment to a membership's board seat, as sent.
pub struct Appointment {
    /// The membership whose seat is filled: open, at a tier that carries a seat.
    pub membership_id: i64,
    /// Who takes the seat.
    pub representative: Representative,
    /// The board's name, one line; `None` for "Governing Board" (a blank name is refused).
    pub board: Option<String>,
    /// The representative's title, one line; `None` or blank for none.
    pub title: Option<String>,
    /// When the term begins: not before the membership began, nor before the current
    /// holder's term began; `None` for today (UTC). A date in the future is not refused.
    pub since: Option<NaiveDate>,
}

/// Appoints a representative to a membership's board seat. Staff only (`Forbidden`
/// otherwise). An unknown membership is `Missing` on `input.membershipId` and an
/// unknown person `Missing` on `input.representativeId`; an ended membership is
/// `Conflict` (checked again inside the transaction); a tier that carries no seat is
/// `NotPermitted`; a board, title or name that does not parse, a handle that is not
/// hub-shaped, and a term that begins before the membership or before the current
/// holder's term, are `InvalidInput`.
///
/// When the tier's seats are all held, the longest-serving holder's term ends on the
/// day the new one begins. Writes, in one transaction: a bump of the membership's
/// version (so that concurrent appointments take turns), the new person if one is
/// added, the closed term, the new seat, and a `boardSeat.appoint` audit record whose
/// `before` is the first current holder's seat as it was.
pub async fn appoint_representative(
    db: &DatabaseConnection,
    viewer: &Viewer,
    appointment: Appointment,
) -> ServiceResult<board_seat::Model> {
    access::require_staff(viewer, "appoint board representatives")?;
    let current = membership(db, appointment.membership_id).await?;
    if current.ended_on.is_some() {
        return Err(ServiceError::Conflict(
            "This membership has ended; it holds no seat.".into(),
        ));
    }
    if seats_for(current.tier) == 0 {
        return Err(ServiceError::not_permitted(
            Some("input.membershipId"),
            format!(
                "A {} membership carries no board seat.",
                current.tier.as_str()
            ),
        ));
    }
    let board = Line::parse(
        "input.board",
        appointment.board.as_deref().unwrap_or("Governing Board"),
    )?;
    let title = Line::optional("input.title", appointment.title.as_deref())?;
    let since = appointment.since.unwrap_or_else(|| Utc::now().date_naive());
    if current.joined_on.is_some_and(|joined| since < joined) {
        return Err(ServiceError::invalid(
            "input.since",
            "A term cannot begin before the membership.",
        ));
    }
    let (existing_person, new_person) = match appointment.representative {
        Representative::Existing(id) => {
            let person = person::Entity::find_by_id(id)
                .one(db)
                .await?
                .ok_or_else(|| {
                    ServiceError::missing("input.representativeId", "No person has this ID.")
                })?;
            (Some(person), None)
        }
        Representative::New { name, handle } => {
            let name = Line::parse("input.representativeName", &name)?;
            let handle = Handle::optional("input.representativeHandle", handle.as_deref())?;
            let known = match &handle {
                Some(handle) => {
                    person::Entity::find()
                        .filter(search::equals_ignoring_case(
                            Expr::col(person::Column::HandleFolded),
                            handle,
                        ))
                        .one(db)
                        .await?
                }
                None => None,
            };
            match known {
                Some(person) => (Some(person), None),
                None => (None, Some((name, handle))),
            }
        }
    };
    let now = Utc::now();
    let txn = db.begin().await?;
    // The membership's version guards the seat: concurrent appointments queue here.
    let bumped = versioned::bump::<foundation_membership::Entity>(current.id, None)
        .filter(foundation_membership::Column::EndedOn.is_null())
        .exec(&txn)
        .await?;
    if bumped.rows_affected == 0 {
        txn.rollback().await?;
        return Err(ServiceError::Conflict(
            "This membership has ended; it holds no seat.".into(),
        ));
    }
    let representative = match (existing_person, new_person) {
        (Some(person), _) => person,
        (None, Some((name, handle))) => {
            person::ActiveModel {
                name: Set(name.into()),
                handle: Set(handle.map(Into::into)),
                ..Default::default()
            }
            .insert(&txn)
            .await?
        }
        (None, None) => return Err(ServiceError::Internal(anyhow::anyhow!("no representative"))),
    };
    let holders = board_seat::Entity::find()
        .filter(board_seat::Column::MembershipId.eq(current.id))
        .filter(board_seat::Column::Until.is_null())
        .order_by_asc(board_seat::Column::Id)
        .all(&txn)
        .await?;
    if holders
        .iter()
        .any(|seat| seat.since.is_some_and(|s| s > since))
    {
        txn.rollback().await?;
        return Err(ServiceError::invalid(
            "input.since",
            "The new term cannot begin before the current holder's.",
        ));
    }
    // The tier is full: the longest-serving holder's term closes as the new one begins.
    if holders.len() >= seats_for(current.tier) {
        let replaced = &holders[0];
        board_seat::Entity::update_many()
            .col_expr(board_seat::Column::Until, Expr::val(since))
            // A bulk update skips `before_save`, so it stamps `updated_at` itself.
            .col_expr(board_seat::Column::UpdatedAt, Expr::val(now))
            .filter(board_seat::Column::Id.eq(replaced.id))
            .exec(&txn)
            .await?;
    }
    let seat = board_seat::ActiveModel {
        membership_id: Set(current.id),
        board: Set(board.into()),
        representative_person_id: Set(representative.id),
        title: Set(title.map(Into::into)),
        since: Set(Some(since)),
        until: Set(None),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        viewer,
        Change {
            action: "boardSeat.appoint",
            object_type: "BoardSeat",
            object_id: seat.id,
            before: holders.first().map(audit::snapshot),
            after: Some(audit::snapshot(&seat)),
        },
    )
    .await?;
    webhooks::outbox::record(
        &txn,
        webhooks::EventType::BoardSeatAppointed,
        serde_json::json!({
            "board_seat": audit::snapshot(&seat),
            "representative": audit::snapshot(&representative),
        }),
    )
    .await?;
    crate::db::commit(txn).await?;
    Ok(seat)
}

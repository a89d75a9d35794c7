//! Foundation memberships: staff record that an organization joined a foundation (an
//! organization of kind `FOUNDATION`) at a tier, and end it. An organization holds at
//! most one open membership of a foundation (the database's partial unique index
//! settles races). Ending a membership closes its open seats.

use chrono::{NaiveDate, Utc};
use entity::enums::{MembershipTier, OrganizationKind};
use entity::{board_seat, foundation_membership, organization};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, DatabaseTransaction, EntityTrait,
    QueryFilter, QuerySelect, Set, TransactionTrait,
};
use serde_json::json;

use super::register::organization;
use crate::auth::Viewer;
use crate::domain::HttpUrl;
use crate::error::{ServiceError, ServiceResult};
use crate::service::access;
use crate::service::audit::{self, Change};
use crate::service::idempotency::{self, Claim};
use crate::service::versioned;
use crate::service::webhooks;

/// A foundation membership to record, as sent. It is serialized only to fingerprint
/// the request for an idempotent retry.
#[derive(serde::Serialize)]
pub struct NewMembership {
    /// The organization that joined; not the foundation itself.
    pub member_id: i64,
    /// The foundation joined: an organization of kind `FOUNDATION`.
    pub foundation_id: i64,
    /// The tier joined at; [`super::board_seats::seats_for`] says how many board seats it
    /// carries (appointed apart).
    pub tier: MembershipTier,
    /// When the organization joined: today (UTC) or earlier; `None` when not known.
    pub joined_on: Option<NaiveDate>,
    /// Where the membership was announced: an http(s) URL; `None` or blank for none.
    pub announcement_url: Option<String>,
}

pub(super) async fn membership(
    db: &impl sea_orm::ConnectionTrait,
    id: i64,
) -> ServiceResult<foundation_membership::Model> {
    foundation_membership::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| {
            ServiceError::missing(
                "input.membershipId",
                "No foundation membership has this ID.",
            )
        })
}

async fn replay_membership(
    db: &DatabaseConnection,
    claim: Option<&Claim>,
) -> ServiceResult<Option<foundation_membership::Model>> {
    let Some(claim) = claim else { return Ok(None) };
    match idempotency::recall(db, claim).await? {
        Some(response) => Ok(Some(
            membership(db, idempotency::remembered_id(&response)?).await?,
        )),
        None => Ok(None),
    }
}

/// Records that an organization joined a foundation at a tier. Staff only
/// (`Forbidden` otherwise). With an idempotency `claim`, a retry with the same key and
/// input returns the membership the first request recorded, also when it lost a race;
/// the same key with other input is `Conflict`.
///
/// An unknown member or foundation is `Missing` on `input.memberId` or
/// `input.foundationId`. A foundation that is not of kind `FOUNDATION` (checked again
/// under a row lock after the insert, against a concurrent change of its kind), a
/// foundation named as its own member, a `joined_on` after today (UTC) and an
/// announcement URL that is not http(s) are `InvalidInput`. A member that already
/// holds an open membership of the foundation is `Conflict`. Writes the membership, a
/// `membership.record` audit record and the idempotency record in one transaction.
pub async fn record_membership(
    db: &DatabaseConnection,
    viewer: &Viewer,
    new: NewMembership,
    claim: Option<Claim>,
) -> ServiceResult<foundation_membership::Model> {
    access::require_staff(viewer, "record foundation memberships")?;
    if let Some(first) = replay_membership(db, claim.as_ref()).await? {
        return Ok(first);
    }
    organization(db, new.member_id, "input.memberId").await?;
    let foundation = organization(db, new.foundation_id, "input.foundationId").await?;
    if foundation.kind != OrganizationKind::Foundation {
        return Err(ServiceError::invalid(
            "input.foundationId",
            "Memberships are of foundations only.",
        ));
    }
    if new.member_id == new.foundation_id {
        return Err(ServiceError::invalid(
            "input.memberId",
            "A foundation is not its own member.",
        ));
    }
    if new.joined_on.is_some_and(|d| d > Utc::now().date_naive()) {
        return Err(ServiceError::invalid(
            "input.joinedOn",
            "A membership cannot begin in the future.",
        ));
    }
    let announcement_url =
        HttpUrl::optional("input.announcementUrl", new.announcement_url.as_deref())?;
    let txn = db.begin().await?;
    let inserted = foundation_membership::ActiveModel {
        member_id: Set(new.member_id),
        foundation_id: Set(new.foundation_id),
        tier: Set(new.tier),
        joined_on: Set(new.joined_on),
        ended_on: Set(None),
        announcement_url: Set(announcement_url.map(Into::into)),
        ..Default::default()
    }
    .insert(&txn)
    .await;
    let row = match inserted {
        Ok(row) => row,
        Err(err) if ServiceError::is_unique_violation(&err) => {
            txn.rollback().await?;
            if let Some(first) = replay_membership(db, claim.as_ref()).await? {
                return Ok(first);
            }
            return Err(ServiceError::Conflict(
                "This organization already holds an open membership of this foundation.".into(),
            ));
        }
        Err(err) => return Err(err.into()),
    };
    // The foundation is read again under a shared row lock, after the write: a change
    // of its kind either committed before (and is seen here) or waits for this commit
    // (and then sees this membership; see `check_hierarchy`).
    let still_foundation = organization::Entity::find_by_id(new.foundation_id)
        .lock_shared()
        .one(&txn)
        .await?
        .is_some_and(|org| org.kind == OrganizationKind::Foundation);
    if !still_foundation {
        txn.rollback().await?;
        return Err(ServiceError::invalid(
            "input.foundationId",
            "Memberships are of foundations only.",
        ));
    }
    audit::record(
        &txn,
        viewer,
        Change {
            action: "membership.record",
            object_type: "FoundationMembership",
            object_id: row.id,
            before: None,
            after: Some(audit::snapshot(&row)),
        },
    )
    .await?;
    if let Some(claim) = &claim {
        if let Err(err) = idempotency::remember(&txn, claim, json!({ "id": row.id })).await {
            txn.rollback().await?;
            if ServiceError::is_unique_violation(&err) {
                if let Some(first) = replay_membership(db, Some(claim)).await? {
                    return Ok(first);
                }
            }
            return Err(err.into());
        }
    }
    membership_event(&txn, webhooks::EventType::MembershipRecorded, &row).await?;
    crate::db::commit(txn).await?;
    Ok(row)
}

/// The webhook of a membership's change, with both organizations as they are now.
async fn membership_event(
    txn: &DatabaseTransaction,
    event_type: webhooks::EventType,
    row: &foundation_membership::Model,
) -> ServiceResult<()> {
    let member = organization(txn, row.member_id, "membership.memberId").await?;
    let foundation = organization(txn, row.foundation_id, "membership.foundationId").await?;
    webhooks::outbox::record(
        txn,
        event_type,
        json!({
            "membership": audit::snapshot(row),
            "member": audit::snapshot(&member),
            "foundation": audit::snapshot(&foundation),
        }),
    )
    .await
}

/// Closes the open seats of a membership on `on`.
pub(super) async fn close_seats(
    txn: &DatabaseTransaction,
    membership_id: i64,
    on: NaiveDate,
) -> ServiceResult<()> {
    board_seat::Entity::update_many()
        .col_expr(board_seat::Column::Until, Expr::val(on))
        // A bulk update skips `before_save`, so it stamps `updated_at` itself.
        .col_expr(board_seat::Column::UpdatedAt, Expr::val(Utc::now()))
        .filter(board_seat::Column::MembershipId.eq(membership_id))
        .filter(board_seat::Column::Until.is_null())
        .exec(txn)
        .await?;
    Ok(())
}

/// Ends a membership on `ended_on`. Staff only (`Forbidden` otherwise). An unknown
/// membership is `Missing` on `input.membershipId`; a date before the membership began
/// is `InvalidInput` on `input.endedOn` (a date in the future is not refused); a
/// membership already ended is `Conflict`, as is one no longer at `expected_version`
/// (the stale-version answer). Closes the membership's open board seats on `ended_on`
/// (a seat whose term began after that date ends on the day it began), bumps the
/// version and writes a `membership.end` audit record, in one transaction.
pub async fn end_membership(
    db: &DatabaseConnection,
    viewer: &Viewer,
    id: i64,
    ended_on: NaiveDate,
    expected_version: i32,
) -> ServiceResult<foundation_membership::Model> {
    access::require_staff(viewer, "end foundation memberships")?;
    let current = membership(db, id).await?;
    if current.joined_on.is_some_and(|joined| ended_on < joined) {
        return Err(ServiceError::invalid(
            "input.endedOn",
            "A membership cannot end before it began.",
        ));
    }
    let txn = db.begin().await?;
    let result = versioned::bump::<foundation_membership::Entity>(id, expected_version)
        .col_expr(foundation_membership::Column::EndedOn, Expr::val(ended_on))
        .filter(foundation_membership::Column::EndedOn.is_null())
        .exec(&txn)
        .await?;
    if result.rows_affected == 0 {
        txn.rollback().await?;
        let now = membership(db, id).await?;
        return Err(if now.ended_on.is_some() {
            ServiceError::Conflict("This membership has already ended.".into())
        } else {
            versioned::stale::<foundation_membership::Entity>(expected_version, now.version)
        });
    }
    // Seats end with the membership; a seat that began after `ended_on` ends when it began.
    board_seat::Entity::update_many()
        .col_expr(
            board_seat::Column::Until,
            Expr::col(board_seat::Column::Since),
        )
        .filter(board_seat::Column::MembershipId.eq(id))
        .filter(board_seat::Column::Until.is_null())
        .filter(board_seat::Column::Since.gt(ended_on))
        .exec(&txn)
        .await?;
    close_seats(&txn, id, ended_on).await?;
    let updated = membership(&txn, id).await?;
    audit::record(
        &txn,
        viewer,
        Change {
            action: "membership.end",
            object_type: "FoundationMembership",
            object_id: id,
            before: Some(audit::snapshot(&current)),
            after: Some(audit::snapshot(&updated)),
        },
    )
    .await?;
    membership_event(&txn, webhooks::EventType::MembershipEnded, &updated).await?;
    crate::db::commit(txn).await?;
    Ok(updated)
}

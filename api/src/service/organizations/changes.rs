//! Changes to organizations, foundation memberships and board seats. Staff only.
//!
//! - An organization may sit under an umbrella, never under itself or its own
//!   descendants.
//! - A membership joins a foundation (an organization of kind `FOUNDATION`) at a tier;
//!   an organization holds at most one open membership of a foundation (the database's
//!   partial unique index settles races). Ending a membership closes its open seats.
//! - A tier carries a fixed number of board seats ([`seats_for`]); appointing a
//!   representative to a full tier replaces the current holder and closes their term.

use chrono::{NaiveDate, Utc};
use entity::enums::{MembershipTier, OrganizationKind};
use entity::{board_seat, foundation_membership, organization, person};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, DatabaseTransaction, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set, TransactionTrait,
};
use serde_json::{json, Value};

use crate::auth::Viewer;
use crate::domain;
use crate::error::{ServiceError, ServiceResult};
use crate::service::access;
use crate::service::audit::{self, Change};
use crate::service::idempotency::{self, Claim};
use crate::service::search;
use crate::service::versioned;

/// How many governing-board seats a tier carries.
pub fn seats_for(tier: MembershipTier) -> usize {
    match tier {
        MembershipTier::Premier => 1,
        MembershipTier::General | MembershipTier::Associate => 0,
    }
}

fn snapshot<T: serde::Serialize>(row: &T) -> Value {
    serde_json::to_value(row).unwrap_or(Value::Null)
}

async fn organization(
    db: &impl sea_orm::ConnectionTrait,
    id: i64,
    field: &str,
) -> ServiceResult<organization::Model> {
    organization::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| ServiceError::missing(field, "No organization has this ID."))
}

#[derive(serde::Serialize)]
pub struct NewOrganization {
    pub slug: String,
    pub name: String,
    pub kind: OrganizationKind,
    pub parent_id: Option<i64>,
    pub description: Option<String>,
    pub website_url: Option<String>,
}

fn optional_url(field: &str, url: Option<&str>) -> ServiceResult<Option<String>> {
    url.filter(|u| !u.trim().is_empty())
        .map(|u| domain::http_url(field, u))
        .transpose()
}

pub async fn create_organization(
    db: &DatabaseConnection,
    viewer: &Viewer,
    new: NewOrganization,
) -> ServiceResult<organization::Model> {
    access::require_staff(viewer, "create organizations")?;
    let slug = domain::slug("input.slug", &new.slug)?;
    let name = domain::text("input.name", &new.name, 1, 200)?;
    let description = domain::optional_text("input.description", new.description.as_deref(), 5000)?;
    let website_url = optional_url("input.websiteUrl", new.website_url.as_deref())?;
    if let Some(parent) = new.parent_id {
        organization(db, parent, "input.parentId").await?;
    }
    let now = Utc::now();
    let txn = db.begin().await?;
    let inserted = organization::ActiveModel {
        slug: Set(slug.clone()),
        name: Set(name),
        kind: Set(new.kind),
        parent_id: Set(new.parent_id),
        description: Set(description),
        website_url: Set(website_url),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await;
    let org = match inserted {
        Ok(org) => org,
        Err(err) if ServiceError::is_unique_violation(&err) => {
            return Err(ServiceError::Conflict(format!(
                "An organization already has the slug `{slug}`."
            )));
        }
        Err(err) => return Err(err.into()),
    };
    audit::record(
        &txn,
        viewer,
        Change {
            action: "organization.create",
            object_type: "Organization",
            object_id: org.id,
            before: None,
            after: Some(snapshot(&org)),
        },
    )
    .await?;
    crate::db::commit(txn).await?;
    Ok(org)
}

/// What an update changes; absent fields stay as they are.
pub struct OrganizationEdit {
    pub name: Option<String>,
    pub kind: Option<OrganizationKind>,
    /// `Some(None)` removes the parent.
    pub parent_id: Option<Option<i64>>,
    pub description: Option<String>,
    pub website_url: Option<String>,
    pub expected_version: i32,
}

pub async fn update_organization(
    db: &DatabaseConnection,
    viewer: &Viewer,
    id: i64,
    edit: OrganizationEdit,
) -> ServiceResult<organization::Model> {
    access::require_staff(viewer, "update organizations")?;
    let current = organization(db, id, "input.organizationId").await?;
    let name = edit
        .name
        .as_deref()
        .map(|n| domain::text("input.name", n, 1, 200))
        .transpose()?;
    let description = edit
        .description
        .as_deref()
        .map(|d| domain::optional_text("input.description", Some(d), 5000))
        .transpose()?;
    let website_url = edit
        .website_url
        .as_deref()
        .map(|u| optional_url("input.websiteUrl", Some(u)))
        .transpose()?;
    if let Some(Some(parent)) = edit.parent_id {
        organization(db, parent, "input.parentId").await?;
    }
    let txn = db.begin().await?;
    let mut update = versioned::bump::<organization::Entity>(id, edit.expected_version);
    if let Some(name) = name {
        // A bulk update skips `before_save`: the folded copy is written here.
        update = update.col_expr(
            organization::Column::NameFolded,
            Expr::val(search::fold(&name)),
        );
        update = update.col_expr(organization::Column::Name, Expr::val(name));
    }
    if let Some(kind) = edit.kind {
        update = update.col_expr(organization::Column::Kind, Expr::val(kind.as_str()));
    }
    if let Some(parent) = edit.parent_id {
        update = update.col_expr(organization::Column::ParentId, Expr::val(parent));
    }
    if let Some(description) = description {
        update = update.col_expr(organization::Column::Description, Expr::val(description));
    }
    if let Some(url) = website_url {
        update = update.col_expr(organization::Column::WebsiteUrl, Expr::val(url));
    }
    if edit.parent_id.is_some() {
        // Parent changes take turns from here to commit: two that each look fine alone
        // (A under B, B under A) must not both pass the walk below.
        crate::db::serialise(&txn, PARENT_CHANGES).await?;
    }
    let Some(updated) = versioned::apply(update, &txn).await? else {
        txn.rollback().await?;
        let now = organization(db, id, "input.organizationId").await?;
        return Err(versioned::stale::<organization::Entity>(
            edit.expected_version,
            now.version,
        ));
    };
    // Checked after the write, inside its transaction: the rows read are those the
    // commit will stand on (the write holds this row, and on SQLite the write lock).
    if let Err(refusal) = check_hierarchy(&txn, &updated, edit.parent_id.is_some()).await {
        txn.rollback().await?;
        return Err(refusal);
    }
    audit::record(
        &txn,
        viewer,
        Change {
            action: "organization.update",
            object_type: "Organization",
            object_id: id,
            before: Some(snapshot(&current)),
            after: Some(snapshot(&updated)),
        },
    )
    .await?;
    crate::db::commit(txn).await?;
    Ok(updated)
}

/// The lock key under which parent changes take turns (see [`crate::db::serialise`]).
const PARENT_CHANGES: &str = "organizations:parents";

/// How far up a parent chain is walked; deeper chains are refused rather than walked on.
const MAX_DEPTH: usize = 64;

/// The rules an organization's new state must meet against the rows around it:
/// - it does not sit under itself or one of its own descendants;
/// - it stays a foundation while memberships name it as their foundation (else they
///   would be memberships of something that is not a foundation).
async fn check_hierarchy(
    txn: &DatabaseTransaction,
    after: &organization::Model,
    parent_changed: bool,
) -> ServiceResult<()> {
    if parent_changed {
        let mut cursor = after.parent_id;
        let mut steps = 0;
        while let Some(at) = cursor {
            if at == after.id {
                return Err(ServiceError::invalid(
                    "input.parentId",
                    "An organization cannot sit under itself or under one of its own members.",
                ));
            }
            steps += 1;
            if steps > MAX_DEPTH {
                return Err(ServiceError::invalid(
                    "input.parentId",
                    "This parent sits too deep in the hierarchy.",
                ));
            }
            cursor = organization(txn, at, "input.parentId").await?.parent_id;
        }
    }
    // Only a foundation can have come to hold memberships (see `record_membership`).
    if after.kind != OrganizationKind::Foundation {
        let memberships = foundation_membership::Entity::find()
            .filter(foundation_membership::Column::FoundationId.eq(after.id))
            .count(txn)
            .await?;
        if memberships > 0 {
            return Err(ServiceError::Conflict(format!(
                "This foundation has {memberships} membership records; it stays a foundation while they name it."
            )));
        }
    }
    Ok(())
}

#[derive(serde::Serialize)]
pub struct NewMembership {
    pub member_id: i64,
    pub foundation_id: i64,
    pub tier: MembershipTier,
    pub joined_on: Option<NaiveDate>,
    pub announcement_url: Option<String>,
}

async fn membership(
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
    let announcement_url = optional_url("input.announcementUrl", new.announcement_url.as_deref())?;
    let now = Utc::now();
    let txn = db.begin().await?;
    let inserted = foundation_membership::ActiveModel {
        member_id: Set(new.member_id),
        foundation_id: Set(new.foundation_id),
        tier: Set(new.tier),
        joined_on: Set(new.joined_on),
        ended_on: Set(None),
        announcement_url: Set(announcement_url),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
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
            after: Some(snapshot(&row)),
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
    crate::db::commit(txn).await?;
    Ok(row)
}

/// Closes the open seats of a membership on `on`.
async fn close_seats(
    txn: &DatabaseTransaction,
    membership_id: i64,
    on: NaiveDate,
) -> ServiceResult<()> {
    board_seat::Entity::update_many()
        .col_expr(board_seat::Column::Until, Expr::val(on))
        .col_expr(board_seat::Column::UpdatedAt, Expr::val(Utc::now()))
        .filter(board_seat::Column::MembershipId.eq(membership_id))
        .filter(board_seat::Column::Until.is_null())
        .exec(txn)
        .await?;
    Ok(())
}

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
            before: Some(snapshot(&current)),
            after: Some(snapshot(&updated)),
        },
    )
    .await?;
    crate::db::commit(txn).await?;
    Ok(updated)
}

/// Who is appointed: a person the records know, or a new one.
pub enum Representative {
    Existing(i64),
    New {
        name: String,
        handle: Option<String>,
    },
}

pub struct Appointment {
    pub membership_id: i64,
    pub representative: Representative,
    pub board: Option<String>,
    pub title: Option<String>,
    pub since: Option<NaiveDate>,
}

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
    let board = domain::text(
        "input.board",
        appointment.board.as_deref().unwrap_or("Governing Board"),
        1,
        200,
    )?;
    let title = domain::optional_text("input.title", appointment.title.as_deref(), 200)?;
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
            let name = domain::text("input.representativeName", &name, 1, 200)?;
            let handle = handle
                .as_deref()
                .filter(|h| !h.trim().is_empty())
                .map(|h| domain::handle("input.representativeHandle", h))
                .transpose()?;
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
    let bumped = foundation_membership::Entity::update_many()
        .col_expr(
            foundation_membership::Column::Version,
            Expr::col(foundation_membership::Column::Version).add(1),
        )
        .col_expr(foundation_membership::Column::UpdatedAt, Expr::val(now))
        .filter(foundation_membership::Column::Id.eq(current.id))
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
                name: Set(name),
                handle: Set(handle),
                created_at: Set(now),
                updated_at: Set(now),
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
            .col_expr(board_seat::Column::UpdatedAt, Expr::val(now))
            .filter(board_seat::Column::Id.eq(replaced.id))
            .exec(&txn)
            .await?;
    }
    let seat = board_seat::ActiveModel {
        membership_id: Set(current.id),
        board: Set(board),
        representative_person_id: Set(representative.id),
        title: Set(title),
        since: Set(Some(since)),
        until: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
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
            before: holders.first().map(snapshot),
            after: Some(snapshot(&seat)),
        },
    )
    .await?;
    crate::db::commit(txn).await?;
    Ok(seat)
}

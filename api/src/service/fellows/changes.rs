//! Changes to fellows: profile edits (the fellow or staff), contributions (the fellow or
//! staff), status and benefits (staff). Each change is one transaction with its audit
//! record; changes to the fellow record itself carry `expectedVersion`.

use chrono::{NaiveDate, Utc};
use entity::enums::{BenefitKind, ContributionKind, FellowStatus};
use entity::{benefit_grant, contribution, fellow, person};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set,
    TransactionTrait,
};
use serde_json::Value;

use crate::auth::Viewer;
use crate::domain::{self, LinkInput};
use crate::error::{ServiceError, ServiceResult};
use crate::service::access;
use crate::service::audit::{self, Change};
use crate::service::search;
use crate::service::versioned;

fn snapshot<T: serde::Serialize>(row: &T) -> Value {
    serde_json::to_value(row).unwrap_or(Value::Null)
}

/// A profile as its audit record keeps it: the fellow's row and the person's name, which
/// lives on the person but is edited through the profile.
fn profile_snapshot(fellow: &fellow::Model, person: &person::Model) -> Value {
    let mut profile = snapshot(fellow);
    if let Value::Object(fields) = &mut profile {
        fields.insert("name".to_owned(), Value::String(person.name.clone()));
    }
    profile
}

async fn find_fellow(
    db: &DatabaseConnection,
    id: i64,
    field: &str,
) -> ServiceResult<fellow::Model> {
    fellow::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| ServiceError::missing(field, "No fellow has this ID."))
}

/// The fellow themselves, or staff.
fn require_self_or_staff(viewer: &Viewer, fellow: &fellow::Model, what: &str) -> ServiceResult<()> {
    if viewer.is_staff()
        || (matches!(viewer, Viewer::Fellow(_)) && viewer.person_id() == Some(fellow.person_id))
    {
        Ok(())
    } else {
        Err(ServiceError::Forbidden(format!(
            "Only the fellow and staff may {what}."
        )))
    }
}

pub struct ProfileEdit {
    pub name: Option<String>,
    /// `Some("")` clears it.
    pub headline: Option<String>,
    /// `Some("")` clears it.
    pub bio: Option<String>,
    pub links: Option<Vec<LinkInput>>,
    pub expected_version: i32,
}

pub async fn update_profile(
    db: &DatabaseConnection,
    viewer: &Viewer,
    fellow_id: i64,
    edit: ProfileEdit,
) -> ServiceResult<(fellow::Model, person::Model)> {
    // The person comes along in the same statement: the answer shows the name.
    let (current, person) = fellow::Entity::find_by_id(fellow_id)
        .find_also_related(person::Entity)
        .one(db)
        .await?
        .ok_or_else(|| ServiceError::missing("input.fellowId", "No fellow has this ID."))?;
    let person = person
        .ok_or_else(|| ServiceError::Internal(anyhow::anyhow!("a fellow without a person")))?;
    require_self_or_staff(viewer, &current, "edit a fellow's profile")?;
    let name = edit
        .name
        .as_deref()
        .map(|n| domain::text("input.name", n, 1, 200))
        .transpose()?;
    let headline = edit
        .headline
        .as_deref()
        .map(|h| domain::optional_text("input.headline", Some(h), 200))
        .transpose()?;
    let bio = edit
        .bio
        .as_deref()
        .map(|b| domain::optional_text("input.bio", Some(b), 5000))
        .transpose()?;
    let links = edit
        .links
        .as_deref()
        .map(|l| domain::links("input.links", l))
        .transpose()?;

    let txn = db.begin().await?;
    let mut update = versioned::bump::<fellow::Entity>(fellow_id, edit.expected_version);
    if let Some(headline) = headline {
        // A bulk update skips `before_save`: the folded copy is written here.
        update = update.col_expr(
            fellow::Column::HeadlineFolded,
            Expr::val(headline.as_deref().map(search::fold)),
        );
        update = update.col_expr(fellow::Column::Headline, Expr::val(headline));
    }
    if let Some(bio) = bio {
        update = update.col_expr(fellow::Column::Bio, Expr::val(bio));
    }
    if let Some(links) = links {
        update = update.col_expr(fellow::Column::Links, Expr::val(links));
    }
    let Some(updated) = versioned::apply(update, &txn).await? else {
        txn.rollback().await?;
        let now = find_fellow(db, fellow_id, "input.fellowId").await?;
        return Err(versioned::stale::<fellow::Entity>(
            edit.expected_version,
            now.version,
        ));
    };
    let before = profile_snapshot(&current, &person);
    let person = match name {
        None => person,
        Some(name) => person::Entity::update_many()
            .col_expr(person::Column::NameFolded, Expr::val(search::fold(&name)))
            .col_expr(person::Column::Name, Expr::val(name))
            .col_expr(person::Column::UpdatedAt, Expr::val(Utc::now()))
            .filter(person::Column::Id.eq(current.person_id))
            .exec_with_returning(&txn)
            .await?
            .pop()
            .ok_or_else(|| ServiceError::Internal(anyhow::anyhow!("a fellow without a person")))?,
    };
    audit::record(
        &txn,
        viewer,
        Change {
            action: "fellow.updateProfile",
            object_type: "Fellow",
            object_id: fellow_id,
            before: Some(before),
            after: Some(profile_snapshot(&updated, &person)),
        },
    )
    .await?;
    crate::db::commit(txn).await?;
    Ok((updated, person))
}

pub struct NewContribution {
    pub kind: ContributionKind,
    pub title: String,
    pub description: Option<String>,
    pub url: Option<String>,
    pub metric: Option<String>,
    pub occurred_on: Option<NaiveDate>,
}

pub async fn add_contribution(
    db: &DatabaseConnection,
    viewer: &Viewer,
    fellow_id: i64,
    new: NewContribution,
) -> ServiceResult<contribution::Model> {
    let fellow = find_fellow(db, fellow_id, "input.fellowId").await?;
    require_self_or_staff(viewer, &fellow, "add contributions")?;
    let title = domain::text("input.title", &new.title, 1, 200)?;
    let description = domain::optional_text("input.description", new.description.as_deref(), 5000)?;
    let url = new
        .url
        .as_deref()
        .filter(|u| !u.trim().is_empty())
        .map(|u| domain::http_url("input.url", u))
        .transpose()?;
    let metric = domain::optional_text("input.metric", new.metric.as_deref(), 100)?;
    if new.occurred_on.is_some_and(|d| d > Utc::now().date_naive()) {
        return Err(ServiceError::invalid(
            "input.occurredOn",
            "A contribution cannot be in the future.",
        ));
    }
    let txn = db.begin().await?;
    let row = contribution::ActiveModel {
        fellow_id: Set(fellow_id),
        kind: Set(new.kind),
        title: Set(title),
        description: Set(description),
        url: Set(url),
        metric: Set(metric),
        occurred_on: Set(new.occurred_on),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        viewer,
        Change {
            action: "contribution.add",
            object_type: "Contribution",
            object_id: row.id,
            before: None,
            after: Some(snapshot(&row)),
        },
    )
    .await?;
    crate::db::commit(txn).await?;
    Ok(row)
}

/// Removes a contribution; returns it as it was.
pub async fn remove_contribution(
    db: &DatabaseConnection,
    viewer: &Viewer,
    contribution_id: i64,
) -> ServiceResult<contribution::Model> {
    let row = contribution::Entity::find_by_id(contribution_id)
        .one(db)
        .await?
        .ok_or_else(|| {
            ServiceError::missing("input.contributionId", "No contribution has this ID.")
        })?;
    let fellow = find_fellow(db, row.fellow_id, "input.contributionId").await?;
    require_self_or_staff(viewer, &fellow, "remove contributions")?;
    let txn = db.begin().await?;
    let deleted = contribution::Entity::delete_by_id(contribution_id)
        .exec(&txn)
        .await?;
    if deleted.rows_affected == 0 {
        txn.rollback().await?;
        return Err(ServiceError::missing(
            "input.contributionId",
            "No contribution has this ID.",
        ));
    }
    audit::record(
        &txn,
        viewer,
        Change {
            action: "contribution.remove",
            object_type: "Contribution",
            object_id: row.id,
            before: Some(snapshot(&row)),
            after: None,
        },
    )
    .await?;
    crate::db::commit(txn).await?;
    Ok(row)
}

pub async fn set_status(
    db: &DatabaseConnection,
    viewer: &Viewer,
    fellow_id: i64,
    status: FellowStatus,
    expected_version: i32,
) -> ServiceResult<fellow::Model> {
    access::require_staff(viewer, "change a fellow's status")?;
    let current = find_fellow(db, fellow_id, "input.fellowId").await?;
    let txn = db.begin().await?;
    let changed = versioned::bump::<fellow::Entity>(fellow_id, expected_version)
        .col_expr(fellow::Column::Status, Expr::val(status.as_str()))
        .exec(&txn)
        .await?;
    if changed.rows_affected == 0 {
        txn.rollback().await?;
        let now = find_fellow(db, fellow_id, "input.fellowId").await?;
        return Err(versioned::stale::<fellow::Entity>(
            expected_version,
            now.version,
        ));
    }
    let updated = fellow::Entity::find_by_id(fellow_id)
        .one(&txn)
        .await?
        .ok_or_else(|| ServiceError::Internal(anyhow::anyhow!("fellow vanished")))?;
    audit::record(
        &txn,
        viewer,
        Change {
            action: "fellow.setStatus",
            object_type: "Fellow",
            object_id: fellow_id,
            before: Some(snapshot(&current)),
            after: Some(snapshot(&updated)),
        },
    )
    .await?;
    crate::db::commit(txn).await?;
    Ok(updated)
}

pub async fn grant_benefit(
    db: &DatabaseConnection,
    viewer: &Viewer,
    fellow_id: i64,
    kind: BenefitKind,
    description: Option<String>,
    granted_on: Option<NaiveDate>,
) -> ServiceResult<benefit_grant::Model> {
    access::require_staff(viewer, "grant benefits")?;
    let fellow = find_fellow(db, fellow_id, "input.fellowId").await?;
    if fellow.status != FellowStatus::Active {
        return Err(ServiceError::Conflict(
            "Benefits are granted to active fellows only.".into(),
        ));
    }
    let description = domain::optional_text("input.description", description.as_deref(), 2000)?;
    let txn = db.begin().await?;
    let grant = benefit_grant::ActiveModel {
        fellow_id: Set(fellow_id),
        kind: Set(kind),
        description: Set(description),
        granted_on: Set(granted_on.unwrap_or_else(|| Utc::now().date_naive())),
        granted_by_person_id: Set(viewer.person_id()),
        revoked_at: Set(None),
        revoked_by_person_id: Set(None),
        revocation_note: Set(None),
        version: Set(1),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        viewer,
        Change {
            action: "benefit.grant",
            object_type: "BenefitGrant",
            object_id: grant.id,
            before: None,
            after: Some(snapshot(&grant)),
        },
    )
    .await?;
    crate::db::commit(txn).await?;
    Ok(grant)
}

pub async fn revoke_benefit(
    db: &DatabaseConnection,
    viewer: &Viewer,
    grant_id: i64,
    note: &str,
) -> ServiceResult<benefit_grant::Model> {
    access::require_staff(viewer, "revoke benefits")?;
    let note = domain::text("input.note", note, 1, 2000)?;
    let current = benefit_grant::Entity::find_by_id(grant_id)
        .one(db)
        .await?
        .ok_or_else(|| {
            ServiceError::missing("input.benefitGrantId", "No benefit grant has this ID.")
        })?;
    let txn = db.begin().await?;
    let result = benefit_grant::Entity::update_many()
        .col_expr(
            benefit_grant::Column::Version,
            Expr::col(benefit_grant::Column::Version).add(1),
        )
        .col_expr(benefit_grant::Column::RevokedAt, Expr::val(Utc::now()))
        .col_expr(
            benefit_grant::Column::RevokedByPersonId,
            Expr::val(viewer.person_id()),
        )
        .col_expr(benefit_grant::Column::RevocationNote, Expr::val(note))
        .filter(benefit_grant::Column::Id.eq(grant_id))
        .filter(benefit_grant::Column::RevokedAt.is_null())
        .exec(&txn)
        .await?;
    if result.rows_affected == 0 {
        txn.rollback().await?;
        return Err(ServiceError::Conflict(
            "This benefit grant is already revoked.".into(),
        ));
    }
    let updated = benefit_grant::Entity::find_by_id(grant_id)
        .one(&txn)
        .await?
        .ok_or_else(|| ServiceError::Internal(anyhow::anyhow!("benefit grant vanished")))?;
    audit::record(
        &txn,
        viewer,
        Change {
            action: "benefit.revoke",
            object_type: "BenefitGrant",
            object_id: grant_id,
            before: Some(snapshot(&current)),
            after: Some(snapshot(&updated)),
        },
    )
    .await?;
    crate::db::commit(txn).await?;
    Ok(updated)
}

//! Benefit grants: private to the fellow, staff, and partners with `benefits:read`;
//! granted to active fellows and revoked (with a note) by staff, audited.

use std::collections::HashMap;

use sea_orm::QueryOrder;

use chrono::{NaiveDate, Utc};
use entity::benefit_grant;
use entity::enums::{BenefitKind, FellowStatus};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set,
    TransactionTrait,
};

use crate::auth::Viewer;
use crate::domain::Note;
use crate::error::{ServiceError, ServiceResult};
use crate::service::access;
use crate::service::audit::{self, Change};
use crate::service::fellows::find_fellow;

/// Grants of each fellow, current and revoked, oldest first. Callers check
/// `access::can_read_benefits` for each fellow before showing them.
pub async fn grants_of(
    db: &DatabaseConnection,
    fellow_ids: &[i64],
) -> ServiceResult<HashMap<i64, Vec<benefit_grant::Model>>> {
    let rows = benefit_grant::Entity::find()
        .filter(benefit_grant::Column::FellowId.is_in(fellow_ids.iter().copied()))
        .order_by_asc(benefit_grant::Column::FellowId)
        .order_by_asc(benefit_grant::Column::Id)
        .all(db)
        .await?;
    let mut grouped: HashMap<i64, Vec<benefit_grant::Model>> = HashMap::new();
    for row in rows {
        grouped.entry(row.fellow_id).or_default().push(row);
    }
    Ok(grouped)
}

/// Grants a benefit to a fellow. Staff only (`Forbidden` otherwise). An unknown fellow
/// is `Missing` on `input.fellowId`; a fellow who is not `ACTIVE` is `Conflict`; a
/// description over 2,000 characters is `InvalidInput` (a blank one is none). The grant
/// is dated `granted_on`, or today (UTC) when `None`, and names the granting person.
/// Writes the grant and a `benefit.grant` audit record in one transaction.
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
    let description = Note::optional("input.description", description.as_deref())?;
    let txn = db.begin().await?;
    let grant = benefit_grant::ActiveModel {
        fellow_id: Set(fellow_id),
        kind: Set(kind),
        description: Set(description.map(Into::into)),
        granted_on: Set(granted_on.unwrap_or_else(|| Utc::now().date_naive())),
        granted_by_person_id: Set(viewer.person_id()),
        revoked_at: Set(None),
        revoked_by_person_id: Set(None),
        revocation_note: Set(None),
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
            after: Some(audit::snapshot(&grant)),
        },
    )
    .await?;
    crate::db::commit(txn).await?;
    Ok(grant)
}

/// Revokes a benefit grant, with a note saying why. Staff only (`Forbidden`
/// otherwise). A blank note, or one over 2,000 characters, is `InvalidInput` on
/// `input.note`; an unknown grant is `Missing` on `input.benefitGrantId`; a grant
/// already revoked is `Conflict`. Stamps the revocation, the revoking person and the
/// note and bumps the grant's version, with a `benefit.revoke` audit record, in one
/// transaction. The grant stays readable, as revoked.
pub async fn revoke_benefit(
    db: &DatabaseConnection,
    viewer: &Viewer,
    grant_id: i64,
    note: &str,
) -> ServiceResult<benefit_grant::Model> {
    access::require_staff(viewer, "revoke benefits")?;
    let note = Note::parse("input.note", note)?;
    let current = benefit_grant::Entity::find_by_id(grant_id)
        .one(db)
        .await?
        .ok_or_else(|| {
            ServiceError::missing("input.benefitGrantId", "No benefit grant has this ID.")
        })?;
    let txn = db.begin().await?;
    // Not `versioned::bump`: a grant has no `updated_at`, and its revocation is
    // guarded by `revoked_at IS NULL` rather than by the version the caller read.
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
        .col_expr(
            benefit_grant::Column::RevocationNote,
            Expr::val(note.as_str()),
        )
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
            before: Some(audit::snapshot(&current)),
            after: Some(audit::snapshot(&updated)),
        },
    )
    .await?;
    crate::db::commit(txn).await?;
    Ok(updated)
}

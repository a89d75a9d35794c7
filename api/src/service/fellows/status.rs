//! A fellow's status in the program (`ACTIVE`, `ALUMNI`): set by staff, versioned and
//! audited.

use entity::enums::FellowStatus;
use entity::fellow;
use sea_orm::sea_query::Expr;
use sea_orm::{DatabaseConnection, EntityTrait, TransactionTrait};

use super::find_fellow;
use crate::auth::Viewer;
use crate::error::{ServiceError, ServiceResult};
use crate::service::access;
use crate::service::audit::{self, Change};
use crate::service::versioned;

/// Sets a fellow's status (`ACTIVE` or `ALUMNI`). Staff only (`Forbidden` otherwise).
/// An unknown fellow is `Missing` on `input.fellowId`; a fellow no longer at
/// `expected_version` is a stale-version `Conflict`. Bumps the version and writes a
/// `fellow.setStatus` audit record in one transaction, even when the status does not
/// change.
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
            before: Some(audit::snapshot(&current)),
            after: Some(audit::snapshot(&updated)),
        },
    )
    .await?;
    crate::db::commit(txn).await?;
    Ok(updated)
}

//! Benefit grants: private to the fellow, staff, and partners with `benefits:read`.

use std::collections::HashMap;

use entity::benefit_grant;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};

use crate::error::ServiceResult;

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

//! `benefit_grants`: a benefit granted to a fellow. Revocation keeps the row.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use crate::enums::BenefitKind;

/// One row of `benefit_grants`: staff granted a fellow one benefit. Private: only the
/// fellow, staff and partners with `benefits:read` may read it.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "benefit_grants")]
pub struct Model {
    /// Primary key, assigned by the database.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The fellow who received the benefit; the grant goes when the fellow row does
    /// (`ON DELETE CASCADE`).
    pub fellow_id: i64,
    /// Which benefit (compute, peer network, workshops, ...).
    pub kind: BenefitKind,
    /// What exactly was granted, in staff's words (at most 2,000 characters).
    pub description: Option<String>,
    /// The day the benefit was granted (today unless staff gave another date).
    pub granted_on: Date,
    /// The staff member who granted it, when known.
    pub granted_by_person_id: Option<i64>,
    /// When the grant was revoked; `None` while it is current. A grant is revoked at
    /// most once.
    pub revoked_at: Option<DateTimeUtc>,
    /// The staff member who revoked it, if it is revoked.
    pub revoked_by_person_id: Option<i64>,
    /// Why it was revoked (required when revoking; at most 2,000 characters).
    pub revocation_note: Option<String>,
    /// Change counter: 1 at creation, bumped when the grant is revoked. Revocation is
    /// guarded by `revoked_at IS NULL`, not by this version.
    pub version: i32,
    /// When the row was written. The table has no `updated_at`.
    pub created_at: DateTimeUtc,
}

/// The relations of `benefit_grants` to other tables.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// The fellow who received the benefit (`fellow_id`).
    #[sea_orm(
        belongs_to = "super::fellow::Entity",
        from = "Column::FellowId",
        to = "super::fellow::Column::Id",
        on_delete = "Cascade"
    )]
    Fellow,
    /// The staff member who granted it (`granted_by_person_id`).
    #[sea_orm(
        belongs_to = "super::person::Entity",
        from = "Column::GrantedByPersonId",
        to = "super::person::Column::Id",
        on_delete = "Restrict"
    )]
    GrantedBy,
    /// The staff member who revoked it (`revoked_by_person_id`).
    #[sea_orm(
        belongs_to = "super::person::Entity",
        from = "Column::RevokedByPersonId",
        to = "super::person::Column::Id",
        on_delete = "Restrict"
    )]
    RevokedBy,
}

impl Related<super::fellow::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Fellow.def()
    }
}

crate::stamped!(created_at, version);

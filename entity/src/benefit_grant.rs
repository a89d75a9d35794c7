//! `benefit_grants`: a benefit granted to a fellow. Revocation keeps the row.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use crate::enums::BenefitKind;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "benefit_grants")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub fellow_id: i64,
    pub kind: BenefitKind,
    pub description: Option<String>,
    pub granted_on: Date,
    pub granted_by_person_id: Option<i64>,
    pub revoked_at: Option<DateTimeUtc>,
    pub revoked_by_person_id: Option<i64>,
    pub revocation_note: Option<String>,
    pub version: i32,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::fellow::Entity",
        from = "Column::FellowId",
        to = "super::fellow::Column::Id",
        on_delete = "Cascade"
    )]
    Fellow,
    #[sea_orm(
        belongs_to = "super::person::Entity",
        from = "Column::GrantedByPersonId",
        to = "super::person::Column::Id",
        on_delete = "Restrict"
    )]
    GrantedBy,
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

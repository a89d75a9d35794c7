//! `board_seats`: a seat on a foundation's board held through a membership.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "board_seats")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// At most one open (`until IS NULL`) seat per membership.
    pub membership_id: i64,
    pub board: String,
    pub representative_person_id: i64,
    pub title: Option<String>,
    pub since: Option<Date>,
    /// `until >= since` when both are set (CHECK).
    pub until: Option<Date>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::foundation_membership::Entity",
        from = "Column::MembershipId",
        to = "super::foundation_membership::Column::Id",
        on_delete = "Cascade"
    )]
    Membership,
    #[sea_orm(
        belongs_to = "super::person::Entity",
        from = "Column::RepresentativePersonId",
        to = "super::person::Column::Id",
        on_delete = "Restrict"
    )]
    Representative,
}

impl Related<super::foundation_membership::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Membership.def()
    }
}

impl Related<super::person::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Representative.def()
    }
}

crate::stamped!(created_at, updated_at);

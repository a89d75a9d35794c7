//! `foundation_memberships`: an organization's membership of a foundation at a tier.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use crate::enums::MembershipTier;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "foundation_memberships")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The member organization; never the foundation itself (CHECK).
    pub member_id: i64,
    pub foundation_id: i64,
    pub tier: MembershipTier,
    pub joined_on: Option<Date>,
    /// `ended_on >= joined_on` when both are set (CHECK); at most one open
    /// (`ended_on IS NULL`) membership per (member, foundation).
    pub ended_on: Option<Date>,
    pub announcement_url: Option<String>,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::organization::Entity",
        from = "Column::MemberId",
        to = "super::organization::Column::Id",
        on_delete = "Restrict"
    )]
    Member,
    #[sea_orm(
        belongs_to = "super::organization::Entity",
        from = "Column::FoundationId",
        to = "super::organization::Column::Id",
        on_delete = "Restrict"
    )]
    Foundation,
    #[sea_orm(has_many = "super::board_seat::Entity")]
    BoardSeat,
}

impl Related<super::board_seat::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::BoardSeat.def()
    }
}

/// `membership -> member organization`, for `find_also_linked`.
pub struct MemberLink;

impl Linked for MemberLink {
    type FromEntity = Entity;
    type ToEntity = super::organization::Entity;

    fn link(&self) -> Vec<RelationDef> {
        vec![Relation::Member.def()]
    }
}

/// `membership -> foundation organization`, for `find_also_linked`.
pub struct FoundationLink;

impl Linked for FoundationLink {
    type FromEntity = Entity;
    type ToEntity = super::organization::Entity;

    fn link(&self) -> Vec<RelationDef> {
        vec![Relation::Foundation.def()]
    }
}

crate::stamped!(created_at, updated_at, version);

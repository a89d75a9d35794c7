//! `foundation_memberships`: an organization's membership of a foundation at a tier.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use crate::enums::MembershipTier;

/// One row of `foundation_memberships`: an organization joined a foundation at a tier
/// (Hugging Face joined the PyTorch Foundation as a premier member). Ending a
/// membership keeps the row and closes its board seats.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "foundation_memberships")]
pub struct Model {
    /// Primary key, assigned by the database.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The member organization; never the foundation itself (CHECK).
    pub member_id: i64,
    /// The foundation joined: an organization of kind `FOUNDATION`.
    pub foundation_id: i64,
    /// The membership level; it decides how many board seats the membership carries
    /// (one for `PREMIER`, none otherwise).
    pub tier: MembershipTier,
    /// The day the organization joined, when known (the demo's announcement gives
    /// none); never in the future.
    pub joined_on: Option<Date>,
    /// The day the membership ended; `None` while it lasts.
    /// `ended_on >= joined_on` when both are set (CHECK); at most one open
    /// (`ended_on IS NULL`) membership per (member, foundation).
    pub ended_on: Option<Date>,
    /// An http(s) link to where the membership was announced.
    pub announcement_url: Option<String>,
    /// Optimistic-concurrency counter (starts at 1); clients send it back as
    /// `expectedVersion` to end the membership. Appointing a board representative
    /// bumps it too, so that concurrent appointments queue.
    pub version: i32,
    /// When the row was written.
    pub created_at: DateTimeUtc,
    /// When the row last changed.
    pub updated_at: DateTimeUtc,
}

/// The relations of `foundation_memberships` to other tables. Both organization
/// relations reach `organizations`, so there is no `Related` impl for it: use
/// [`MemberLink`] or [`FoundationLink`].
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// The member organization (`member_id`).
    #[sea_orm(
        belongs_to = "super::organization::Entity",
        from = "Column::MemberId",
        to = "super::organization::Column::Id",
        on_delete = "Restrict"
    )]
    Member,
    /// The foundation (`foundation_id`).
    #[sea_orm(
        belongs_to = "super::organization::Entity",
        from = "Column::FoundationId",
        to = "super::organization::Column::Id",
        on_delete = "Restrict"
    )]
    Foundation,
    /// The board seats the membership carries, past and current.
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

//! `board_seats`: a seat on a foundation's board held through a membership.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// One row of `board_seats`: one term of a representative in the seat a membership
/// carries on the foundation's board (a `PREMIER` membership carries one). Appointing
/// a new representative closes the current term (`until`) and opens a new row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "board_seats")]
pub struct Model {
    /// Primary key, assigned by the database.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The membership that carries the seat; seats go with it (`ON DELETE CASCADE`).
    /// At most one open (`until IS NULL`) seat per membership.
    pub membership_id: i64,
    /// Which board, such as "Governing Board" (the default when appointing).
    pub board: String,
    /// The person who holds the seat for the member organization.
    pub representative_person_id: i64,
    /// The representative's title at the member, such as "Head of Open Source".
    pub title: Option<String>,
    /// The day the term began, when known (the API sets it: today unless given).
    pub since: Option<Date>,
    /// The day the term ended; `None` while it lasts. Set when a successor is
    /// appointed or the membership ends.
    /// `until >= since` when both are set (CHECK).
    pub until: Option<Date>,
    /// When the row was written.
    pub created_at: DateTimeUtc,
    /// When the row last changed (for instance when the term was closed).
    pub updated_at: DateTimeUtc,
}

/// The relations of `board_seats` to other tables.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// The foundation membership that carries the seat (`membership_id`).
    #[sea_orm(
        belongs_to = "super::foundation_membership::Entity",
        from = "Column::MembershipId",
        to = "super::foundation_membership::Column::Id",
        on_delete = "Cascade"
    )]
    Membership,
    /// The person who holds the seat (`representative_person_id`).
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

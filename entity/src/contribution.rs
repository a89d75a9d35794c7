//! `contributions`: something a fellow did for open-source ML.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use crate::enums::ContributionKind;

/// One row of `contributions`: one item of a fellow's public record, added by the
/// fellow or staff. Removing a contribution deletes the row (the audit log keeps it).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "contributions")]
pub struct Model {
    /// Primary key, assigned by the database.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The fellow who made it; contributions go with the fellow row
    /// (`ON DELETE CASCADE`).
    pub fellow_id: i64,
    /// What sort of contribution it was (community building, model publishing, ...).
    pub kind: ContributionKind,
    /// One line saying what was done, such as "Founded SomosNLP" (at most 200
    /// characters).
    pub title: String,
    /// More about it (at most 5,000 characters).
    pub description: Option<String>,
    /// An http(s) link to the work.
    pub url: Option<String>,
    /// A free-text measure of its reach, such as "300 models" (at most 100 characters).
    pub metric: Option<String>,
    /// The day it happened, when known; never in the future.
    pub occurred_on: Option<Date>,
    /// When the row was written.
    pub created_at: DateTimeUtc,
}

/// The relations of `contributions` to other tables.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// The fellow who made the contribution (`fellow_id`).
    #[sea_orm(
        belongs_to = "super::fellow::Entity",
        from = "Column::FellowId",
        to = "super::fellow::Column::Id",
        on_delete = "Cascade"
    )]
    Fellow,
}

impl Related<super::fellow::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Fellow.def()
    }
}

crate::stamped!(created_at);

//! `people`: a human the records mention (fellow, staff, nominator, board representative).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "people")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub name: String,
    /// Unique case-insensitively (`ux_people_handle` on `lower(handle)`).
    pub handle: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// The account of this person (at most one).
    #[sea_orm(has_one = "super::account::Entity")]
    Account,
    /// The fellow record of this person (at most one), via `fellows.person_id`.
    #[sea_orm(has_one = "super::fellow::Entity")]
    Fellow,
}

impl Related<super::account::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Account.def()
    }
}

impl Related<super::fellow::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Fellow.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}

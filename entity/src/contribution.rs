//! `contributions`: something a fellow did for open-source ML.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use crate::enums::ContributionKind;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "contributions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub fellow_id: i64,
    pub kind: ContributionKind,
    pub title: String,
    pub description: Option<String>,
    pub url: Option<String>,
    pub metric: Option<String>,
    pub occurred_on: Option<Date>,
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
}

impl Related<super::fellow::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Fellow.def()
    }
}

crate::stamped!(created_at);

//! `fellow_strategic_areas`: areas a fellow works in (junction table).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "fellow_strategic_areas")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub fellow_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub strategic_area_id: i64,
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
        belongs_to = "super::strategic_area::Entity",
        from = "Column::StrategicAreaId",
        to = "super::strategic_area::Column::Id",
        on_delete = "Restrict"
    )]
    StrategicArea,
}

impl Related<super::fellow::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Fellow.def()
    }
}

impl Related<super::strategic_area::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::StrategicArea.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}

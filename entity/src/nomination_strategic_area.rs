//! `nomination_strategic_areas`: areas a nomination concerns (junction table).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "nomination_strategic_areas")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub nomination_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub strategic_area_id: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::nomination::Entity",
        from = "Column::NominationId",
        to = "super::nomination::Column::Id",
        on_delete = "Cascade"
    )]
    Nomination,
    #[sea_orm(
        belongs_to = "super::strategic_area::Entity",
        from = "Column::StrategicAreaId",
        to = "super::strategic_area::Column::Id",
        on_delete = "Restrict"
    )]
    StrategicArea,
}

impl Related<super::nomination::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Nomination.def()
    }
}

impl Related<super::strategic_area::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::StrategicArea.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}

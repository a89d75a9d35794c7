//! `fellow_strategic_areas`: areas a fellow works in (junction table).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// One row of `fellow_strategic_areas`: a fellow works in a strategic area. The
/// primary key is the pair; accepting a nomination links the fellow to its areas.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "fellow_strategic_areas")]
pub struct Model {
    /// The fellow; the link goes with the fellow row (`ON DELETE CASCADE`).
    #[sea_orm(primary_key, auto_increment = false)]
    pub fellow_id: i64,
    /// The strategic area; an area that fellows link to cannot be deleted (archive it
    /// instead).
    #[sea_orm(primary_key, auto_increment = false)]
    pub strategic_area_id: i64,
}

/// The relations of `fellow_strategic_areas` to the two tables it joins.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// The fellow (`fellow_id`).
    #[sea_orm(
        belongs_to = "super::fellow::Entity",
        from = "Column::FellowId",
        to = "super::fellow::Column::Id",
        on_delete = "Cascade"
    )]
    Fellow,
    /// The strategic area (`strategic_area_id`).
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

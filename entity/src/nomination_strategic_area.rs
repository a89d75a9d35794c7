//! `nomination_strategic_areas`: areas a nomination concerns (junction table).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// One row of `nomination_strategic_areas`: a nomination concerns a strategic area
/// (named by slug at submission; archived areas are refused). The primary key is the
/// pair.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "nomination_strategic_areas")]
pub struct Model {
    /// The nomination; the link goes with it (`ON DELETE CASCADE`).
    #[sea_orm(primary_key, auto_increment = false)]
    pub nomination_id: i64,
    /// The strategic area; an area that nominations link to cannot be deleted (archive
    /// it instead).
    #[sea_orm(primary_key, auto_increment = false)]
    pub strategic_area_id: i64,
}

/// The relations of `nomination_strategic_areas` to the two tables it joins.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// The nomination (`nomination_id`).
    #[sea_orm(
        belongs_to = "super::nomination::Entity",
        from = "Column::NominationId",
        to = "super::nomination::Column::Id",
        on_delete = "Cascade"
    )]
    Nomination,
    /// The strategic area (`strategic_area_id`).
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

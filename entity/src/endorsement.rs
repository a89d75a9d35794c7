//! `endorsements`: a person backing a nomination.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "endorsements")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Unique together with `endorser_person_id`.
    pub nomination_id: i64,
    pub endorser_person_id: i64,
    pub comment: Option<String>,
    pub created_at: DateTimeUtc,
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
        belongs_to = "super::person::Entity",
        from = "Column::EndorserPersonId",
        to = "super::person::Column::Id",
        on_delete = "Restrict"
    )]
    Endorser,
}

impl Related<super::nomination::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Nomination.def()
    }
}

impl Related<super::person::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Endorser.def()
    }
}

crate::stamped!(created_at);

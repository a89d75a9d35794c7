//! `nomination_events`: the outbox of nomination changes, in id order.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use crate::enums::NominationEventKind;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "nomination_events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub nomination_id: i64,
    pub kind: NominationEventKind,
    pub actor_person_id: Option<i64>,
    pub occurred_at: DateTimeUtc,
    #[sea_orm(column_type = "JsonBinary", nullable)]
    pub payload: Option<Json>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::nomination::Entity",
        from = "Column::NominationId",
        to = "super::nomination::Column::Id",
        on_delete = "Restrict"
    )]
    Nomination,
    #[sea_orm(
        belongs_to = "super::person::Entity",
        from = "Column::ActorPersonId",
        to = "super::person::Column::Id",
        on_delete = "Restrict"
    )]
    Actor,
}

impl Related<super::nomination::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Nomination.def()
    }
}

impl Related<super::person::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Actor.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}

//! `audit_events`: who changed what, when, with before/after snapshots
//! (append-only).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "audit_events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub occurred_at: DateTimeUtc,
    pub actor_person_id: Option<i64>,
    pub actor_api_token_id: Option<i64>,
    pub action: String,
    pub object_type: String,
    pub object_id: Option<i64>,
    /// Snapshot before the change. (`before`/`after` are SQLite keywords:
    /// quote them in hand-written SQL.)
    #[sea_orm(column_type = "JsonBinary", nullable)]
    pub before: Option<Json>,
    /// Snapshot after the change.
    #[sea_orm(column_type = "JsonBinary", nullable)]
    pub after: Option<Json>,
    pub request_id: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::person::Entity",
        from = "Column::ActorPersonId",
        to = "super::person::Column::Id",
        on_delete = "Restrict"
    )]
    ActorPerson,
    #[sea_orm(
        belongs_to = "super::api_token::Entity",
        from = "Column::ActorApiTokenId",
        to = "super::api_token::Column::Id",
        on_delete = "Restrict"
    )]
    ActorApiToken,
}

impl Related<super::person::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::ActorPerson.def()
    }
}

impl Related<super::api_token::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::ActorApiToken.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}

//! `audit_events`: who changed what, when, with before/after snapshots
//! (append-only).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// One row of `audit_events`: one change, written in the transaction of the change it
/// records, so that the two commit or vanish together. Rows are never updated.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "audit_events")]
pub struct Model {
    /// Primary key, assigned by the database; the log is listed newest first by it.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// When the change was made.
    pub occurred_at: DateTimeUtc,
    /// The person who made the change, when a signed-in user did; `None` for a
    /// partner token (see `actor_api_token_id`) and for an operator's command such as
    /// `api account create`.
    pub actor_person_id: Option<i64>,
    /// The partner token that made the change, when one did; `None` otherwise.
    pub actor_api_token_id: Option<i64>,
    /// What was done, as `<object>.<verb>` in camelCase, such as `nomination.decide`
    /// or `apiToken.revoke`.
    pub action: String,
    /// The GraphQL type of the changed object, such as `Nomination` or `BenefitGrant`.
    pub object_type: String,
    /// The changed row's primary key in the table of `object_type` (the API always
    /// sets it).
    pub object_id: Option<i64>,
    /// The object before the change, as JSON; `None` when the change created it. Mostly
    /// the row's serde form; nominations, API tokens and new accounts get a camelCase
    /// summary instead, without the nominee's e-mail or the token's hash.
    /// (`before`/`after` are SQLite keywords: quote them in hand-written SQL.)
    #[sea_orm(column_type = "JsonBinary", nullable)]
    pub before: Option<Json>,
    /// The object after the change, in the same form as `before`.
    #[sea_orm(column_type = "JsonBinary", nullable)]
    pub after: Option<Json>,
    /// The `X-Request-Id` the request that made the change was answered with, linking
    /// the record to the request's log lines; `None` outside a request.
    pub request_id: Option<String>,
}

/// The relations of `audit_events` to other tables.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// The person who acted (`actor_person_id`).
    #[sea_orm(
        belongs_to = "super::person::Entity",
        from = "Column::ActorPersonId",
        to = "super::person::Column::Id",
        on_delete = "Restrict"
    )]
    ActorPerson,
    /// The partner token that acted (`actor_api_token_id`).
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

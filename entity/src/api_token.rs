//! `api_tokens`: a partner integration's token. Only `jti` and a hash of the
//! secret are kept.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "api_tokens")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub name: String,
    /// Unique token id (the JWT `jti`).
    #[sea_orm(unique)]
    pub jti: String,
    pub secret_hash: String,
    /// JSON list of scope strings (defaults to `[]`).
    #[sea_orm(column_type = "JsonBinary")]
    pub scopes: Json,
    pub created_by_person_id: i64,
    pub created_at: DateTimeUtc,
    pub expires_at: Option<DateTimeUtc>,
    pub last_used_at: Option<DateTimeUtc>,
    pub revoked_at: Option<DateTimeUtc>,
    pub revoked_by_person_id: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::person::Entity",
        from = "Column::CreatedByPersonId",
        to = "super::person::Column::Id",
        on_delete = "Restrict"
    )]
    CreatedBy,
    #[sea_orm(
        belongs_to = "super::person::Entity",
        from = "Column::RevokedByPersonId",
        to = "super::person::Column::Id",
        on_delete = "Restrict"
    )]
    RevokedBy,
    #[sea_orm(has_many = "super::audit_event::Entity")]
    AuditEvent,
}

/// The main person of a token is its creator; use `Relation::RevokedBy`
/// explicitly for the revoker.
impl Related<super::person::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::CreatedBy.def()
    }
}

impl Related<super::audit_event::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::AuditEvent.def()
    }
}

crate::stamped!(created_at);

//! `api_tokens`: a partner integration's token. Only `jti` and a hash of the
//! secret are kept.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// One row of `api_tokens`: a bearer token minted by staff for a partner integration
/// (role `PARTNER`). The token itself is shown once, at creation; a request carrying it
/// is honoured only while its `jti` is known here, its hash matches, and it is neither
/// revoked nor expired.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "api_tokens")]
pub struct Model {
    /// Primary key, assigned by the database.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// What the token is for, in its creator's words (such as "CRM sync"); 1 to 100
    /// characters. Also the token's subject, as `partner:<name>`.
    pub name: String,
    /// Unique token id (the JWT `jti`).
    #[sea_orm(unique)]
    pub jti: String,
    /// SHA-256 of the whole bearer token, as lower-case hex; a presented token must
    /// hash to it. The token itself is never stored.
    pub secret_hash: String,
    /// JSON list of scope strings (defaults to `[]`), such as `"benefits:read"` and
    /// `"nominations:read"`. Read from here on every request, not from the token's claims.
    #[sea_orm(column_type = "JsonBinary")]
    pub scopes: Json,
    /// The staff member who minted the token.
    pub created_by_person_id: i64,
    /// When the token was minted; also its `iat` and `nbf`.
    pub created_at: DateTimeUtc,
    /// When the token stops being accepted (its JWT `exp`). The API always sets it: 90
    /// days after minting unless the creator chose otherwise, at most 366.
    pub expires_at: Option<DateTimeUtc>,
    /// When a request last carried the token, refreshed at most once a minute; `None`
    /// if it was never used.
    pub last_used_at: Option<DateTimeUtc>,
    /// When staff revoked the token; from then on it is refused. `None` while in force.
    pub revoked_at: Option<DateTimeUtc>,
    /// The staff member who revoked the token, if it is revoked.
    pub revoked_by_person_id: Option<i64>,
}

/// The relations of `api_tokens` to other tables.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// The person who minted the token (`created_by_person_id`).
    #[sea_orm(
        belongs_to = "super::person::Entity",
        from = "Column::CreatedByPersonId",
        to = "super::person::Column::Id",
        on_delete = "Restrict"
    )]
    CreatedBy,
    /// The person who revoked the token (`revoked_by_person_id`).
    #[sea_orm(
        belongs_to = "super::person::Entity",
        from = "Column::RevokedByPersonId",
        to = "super::person::Column::Id",
        on_delete = "Restrict"
    )]
    RevokedBy,
    /// The audit records of changes made with this token (`audit_events.actor_api_token_id`).
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

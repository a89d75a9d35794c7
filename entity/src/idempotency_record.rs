//! `idempotency_records`: the first result of a retried write, per caller and key.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// One row of `idempotency_records`: a successful write sent with an
/// `Idempotency-Key` header, written in the write's own transaction. A retry with the
/// same key and input gets `response` back without writing again; the same key with
/// other input is refused with `CONFLICT`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "idempotency_records")]
pub struct Model {
    /// Primary key, assigned by the database.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Who sent the write: `token:<api token id>`, `person:<person id>`, or
    /// `handle:<folded handle>` for a user the records do not know.
    /// Unique together with `idempotency_key`.
    pub caller: String,
    /// The `Idempotency-Key` header as sent: 1 to 255 printable ASCII characters.
    pub idempotency_key: String,
    /// The mutation it protected, such as `submitNomination`.
    pub operation: String,
    /// SHA-256, as lower-case hex, of the operation, a NUL byte and the input as JSON;
    /// tells a true retry from another request under the same key.
    pub request_hash: String,
    /// What the first write produced, as `{"id": <row id>}`; a retry reads that row
    /// again.
    #[sea_orm(column_type = "JsonBinary")]
    pub response: Json,
    /// When the write was made.
    pub created_at: DateTimeUtc,
    /// When the key is forgotten: 24 hours after `created_at`. Expired rows are ignored
    /// and deleted as the caller writes again.
    pub expires_at: DateTimeUtc,
}

/// `idempotency_records` refers to no other table.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

crate::stamped!(created_at);

//! Safe retries: a write sent with an `Idempotency-Key` header is done once per caller
//! and key. A retry with the same key and the same input gets the first result back
//! without writing again; the same key with other input is refused with `CONFLICT`.
//! Records live 24 hours.
//!
//! The record is written in the transaction of the write it protects, so a write and
//! its record commit together. Two racing requests with one key are settled by the
//! unique index on (caller, key): the loser rolls back and replays the winner's result.
//! Only successful writes are remembered; a refused one wrote nothing and may simply be
//! sent again.

use chrono::{Duration, Utc};
use entity::idempotency_record;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::auth::Viewer;
use crate::error::{ServiceError, ServiceResult};

/// How long a key is remembered.
pub const RETENTION: Duration = Duration::hours(24);
/// Longest key accepted.
pub const MAX_KEY_LEN: usize = 255;

/// A key as the client sent it, checked at the HTTP edge.
#[derive(Debug, Clone)]
pub struct IdempotencyKey(pub String);

impl IdempotencyKey {
    /// Printable ASCII, 1 to 255 characters (a UUID is the usual choice).
    pub fn parse(text: &str) -> Option<IdempotencyKey> {
        let valid = !text.is_empty()
            && text.len() <= MAX_KEY_LEN
            && text.bytes().all(|b| b.is_ascii_graphic());
        valid.then(|| IdempotencyKey(text.to_owned()))
    }
}

/// One protected write: who, which key, which operation, and what input.
#[derive(Debug, Clone)]
pub struct Claim {
    caller: String,
    key: String,
    operation: &'static str,
    request_hash: String,
}

impl Claim {
    /// `None` when the request carried no key (the write is then not protected).
    pub fn new(
        viewer: &Viewer,
        key: Option<&IdempotencyKey>,
        operation: &'static str,
        input: &impl Serialize,
    ) -> Option<Claim> {
        let key = key?;
        let caller = match viewer {
            Viewer::Partner(partner) => format!("token:{}", partner.token_id),
            Viewer::Staff(user) | Viewer::Fellow(user) => match user.person_id {
                Some(id) => format!("person:{id}"),
                None => format!("handle:{}", entity::folding::fold(&user.handle)),
            },
            Viewer::Anonymous => return None,
        };
        let body = serde_json::to_vec(input).unwrap_or_default();
        let digest = Sha256::digest([operation.as_bytes(), b"\0", &body].concat());
        Some(Claim {
            caller,
            key: key.0.clone(),
            operation,
            request_hash: digest.iter().map(|b| format!("{b:02x}")).collect(),
        })
    }
}

/// What an earlier request with the same key did, if anything.
pub async fn recall(db: &impl ConnectionTrait, claim: &Claim) -> ServiceResult<Option<Value>> {
    let record = idempotency_record::Entity::find()
        .filter(idempotency_record::Column::Caller.eq(claim.caller.as_str()))
        .filter(idempotency_record::Column::IdempotencyKey.eq(claim.key.as_str()))
        .filter(idempotency_record::Column::ExpiresAt.gt(Utc::now()))
        .one(db)
        .await?;
    match record {
        None => Ok(None),
        Some(r) if r.operation == claim.operation && r.request_hash == claim.request_hash => {
            Ok(Some(r.response))
        }
        Some(_) => Err(ServiceError::Conflict(
            "This Idempotency-Key was already used with another request; use a new key for a new request."
                .into(),
        )),
    }
}

/// Remembers a write's result inside its transaction, and forgets the caller's expired
/// keys while at it.
pub async fn remember(
    txn: &impl ConnectionTrait,
    claim: &Claim,
    response: Value,
) -> Result<(), sea_orm::DbErr> {
    let now = Utc::now();
    idempotency_record::Entity::delete_many()
        .filter(idempotency_record::Column::Caller.eq(claim.caller.as_str()))
        .filter(idempotency_record::Column::ExpiresAt.lte(now))
        .exec(txn)
        .await?;
    idempotency_record::ActiveModel {
        caller: Set(claim.caller.clone()),
        idempotency_key: Set(claim.key.clone()),
        operation: Set(claim.operation.to_owned()),
        request_hash: Set(claim.request_hash.clone()),
        response: Set(response),
        // Set here rather than by `before_save`: the retention is measured from it.
        created_at: Set(now),
        expires_at: Set(now + RETENTION),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    Ok(())
}

/// The id a remembered result names (`{"id": 42}`).
pub fn remembered_id(response: &Value) -> ServiceResult<i64> {
    response["id"]
        .as_i64()
        .ok_or_else(|| ServiceError::Internal(anyhow::anyhow!("malformed idempotency record")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_printable_ascii_of_bounded_length() {
        assert!(IdempotencyKey::parse("3f1c9a5e-8d7b-4c2a-9e61-0b5d2f7a8c44").is_some());
        assert!(IdempotencyKey::parse("").is_none());
        assert!(IdempotencyKey::parse("has space").is_none());
        assert!(IdempotencyKey::parse(&"k".repeat(256)).is_none());
    }
}

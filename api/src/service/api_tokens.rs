//! Partner API tokens: minted by staff, shown once, kept only as a `jti` and a hash.

use chrono::{DateTime, Duration, Utc};
use entity::api_token;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, Condition, DatabaseConnection, EntityTrait, IntoActiveModel, Set,
    TransactionTrait,
};
use serde_json::json;

use super::access;
use super::audit::{self, Change};
use super::idempotency::{self, Claim};
use super::page::{self, Cursor, KeysetOrder, Page, PageArgs};
use crate::auth::{token_hash, KeyRing, NewClaims, Role, Scope, Viewer};
use crate::domain::Text;
use crate::error::{ServiceError, ServiceResult};

/// How long a token lives when its creator does not say.
pub const DEFAULT_LIFETIME: Duration = Duration::days(90);
/// The longest a token may live: tokens that never expire are tokens nobody rotates.
pub const MAX_LIFETIME: Duration = Duration::days(366);
/// What a token is for, in its creator's words ("CRM sync"): at most 100 characters.
pub type TokenName = Text<100>;

/// A staff member's request for a partner token, as sent. It is serialized only to
/// fingerprint the request for an idempotent retry.
#[derive(serde::Serialize)]
pub struct NewApiToken {
    /// What the token is for; trimmed, 1 to 100 characters.
    pub name: String,
    /// Scope names as sent (`benefits:read`, `nominations:read`); repeats count once, and
    /// at least one is needed.
    pub scopes: Vec<String>,
    /// When the token stops working: in the future and at most 366 days away; `None` for
    /// 90 days from now.
    pub expires_at: Option<DateTime<Utc>>,
}

/// A token just minted: its row, and the secret its creator sees this once.
pub struct CreatedApiToken {
    /// The stored row: name, scopes, `jti`, the secret's hash and the expiry.
    pub token: api_token::Model,
    /// The bearer token itself; returned once, never stored.
    pub secret: String,
}

fn snapshot(token: &api_token::Model) -> serde_json::Value {
    json!({
        "name": token.name,
        "scopes": token.scopes,
        "expiresAt": token.expires_at,
        "revokedAt": token.revoked_at,
    })
}

/// The claims of a partner token, made from its row alone, so that signing them again
/// gives the very same token (HS256 is deterministic): a retried creation can hand back
/// the secret it first showed without the database ever holding it.
fn partner_claims(keys: &KeyRing, token: &api_token::Model) -> NewClaims {
    let expires_at = token
        .expires_at
        .unwrap_or(token.created_at + DEFAULT_LIFETIME);
    let mut claims = NewClaims::new(
        keys,
        Role::Partner,
        &format!("partner:{}", token.name),
        expires_at,
    );
    claims.iat = token.created_at.timestamp();
    claims.nbf = token.created_at.timestamp();
    claims.jti = token.jti.clone();
    claims.scopes = token
        .scopes
        .as_array()
        .map(|s| {
            s.iter()
                .filter_map(|v| v.as_str().and_then(Scope::parse))
                .map(Scope::as_str)
                .collect()
        })
        .unwrap_or_default();
    claims
}

/// The token an earlier request with the same idempotency key created, with its secret.
async fn replay(
    db: &DatabaseConnection,
    keys: &KeyRing,
    claim: Option<&Claim>,
) -> ServiceResult<Option<CreatedApiToken>> {
    let Some(claim) = claim else {
        return Ok(None);
    };
    let Some(response) = idempotency::recall(db, claim).await? else {
        return Ok(None);
    };
    let token = api_token::Entity::find_by_id(idempotency::remembered_id(&response)?)
        .one(db)
        .await?
        .ok_or_else(|| ServiceError::Internal(anyhow::anyhow!("remembered token vanished")))?;
    let secret = keys
        .sign(&partner_claims(keys, &token))
        .map_err(ServiceError::Internal)?;
    if token_hash(&secret) != token.secret_hash {
        // Signed again, it is another token: `JWT_SECRET` was rotated since the first
        // request. The token made then works, but its secret cannot be shown again.
        return Err(ServiceError::Conflict(
            "This request already created its token before the signing key was rotated; \
             its secret cannot be shown again. Revoke that token and create another."
                .into(),
        ));
    }
    Ok(Some(CreatedApiToken { token, secret }))
}

/// Mints a partner API token. Staff only: anyone else gets `Forbidden`, and so does a
/// staff token that names no known person (the row records its creator).
///
/// Refuses with `InvalidInput` a name that is blank or over 100 characters
/// (`input.name`), a scope that is not one of [`Scope::ALL`] (`input.scopes.N`), an
/// empty scope list (`input.scopes`), and an expiry that is not in the future or is
/// more than [`MAX_LIFETIME`] away (`input.expiresAt`); with no expiry the token
/// lives [`DEFAULT_LIFETIME`]. A server without a signing key answers `Misconfigured`.
///
/// Writes, in one transaction, the token row (its `jti` and the secret's hash, never
/// the secret), an `apiToken.create` audit record and, with an idempotency `claim`,
/// the idempotency record. A retry with the same key and input returns the first
/// token with the same secret (signed again from the row, which gives the same
/// bytes), also when it lost a race on the key; the same key with other input is
/// `Conflict`.
pub async fn create(
    db: &DatabaseConnection,
    keys: &KeyRing,
    viewer: &Viewer,
    input: NewApiToken,
    claim: Option<Claim>,
) -> ServiceResult<CreatedApiToken> {
    access::require_staff(viewer, "create API tokens")?;
    if let Some(first) = replay(db, keys, claim.as_ref()).await? {
        return Ok(first);
    }
    let Some(creator) = viewer.person_id() else {
        return Err(ServiceError::Forbidden(
            "Your token names no person known to this service.".into(),
        ));
    };
    let name = TokenName::parse("input.name", &input.name)?;
    let mut scopes: Vec<Scope> = Vec::new();
    for (i, text) in input.scopes.iter().enumerate() {
        let scope = Scope::parse(text).ok_or_else(|| {
            let known: Vec<&str> = Scope::ALL.iter().map(|s| s.as_str()).collect();
            ServiceError::invalid(
                format!("input.scopes.{i}"),
                format!(
                    "`{text}` is not a scope; the scopes are {}.",
                    known.join(", ")
                ),
            )
        })?;
        if !scopes.contains(&scope) {
            scopes.push(scope);
        }
    }
    if scopes.is_empty() {
        // Such a token could do nothing an anonymous caller cannot; it is always a
        // mistake, and the authentication refuses it anyway.
        return Err(ServiceError::invalid(
            "input.scopes",
            "A token needs at least one scope.",
        ));
    }
    let now = Utc::now();
    let expires_at = input.expires_at.unwrap_or(now + DEFAULT_LIFETIME);
    if expires_at <= now {
        return Err(ServiceError::invalid(
            "input.expiresAt",
            "The expiry must be in the future.",
        ));
    }
    if expires_at > now + MAX_LIFETIME {
        return Err(ServiceError::invalid(
            "input.expiresAt",
            "A token lives at most 366 days.",
        ));
    }
    if !keys.can_sign() {
        return Err(ServiceError::Misconfigured(
            "This server has no JWT_SECRET, so it cannot sign partner tokens.".into(),
        ));
    }

    let mut row = api_token::Model {
        id: 0,
        name: name.into(),
        jti: uuid::Uuid::new_v4().to_string(),
        secret_hash: String::new(),
        scopes: json!(scopes.iter().map(|s| s.as_str()).collect::<Vec<_>>()),
        created_by_person_id: creator,
        created_at: now,
        expires_at: Some(expires_at),
        last_used_at: None,
        revoked_at: None,
        revoked_by_person_id: None,
    };
    let secret = keys
        .sign(&partner_claims(keys, &row))
        .map_err(ServiceError::Internal)?;
    row.secret_hash = token_hash(&secret);

    let txn = db.begin().await?;
    let mut active: api_token::ActiveModel = row.into();
    active.id = sea_orm::ActiveValue::NotSet;
    let token = active.insert(&txn).await?;
    audit::record(
        &txn,
        viewer,
        Change {
            action: "apiToken.create",
            object_type: "ApiToken",
            object_id: token.id,
            before: None,
            after: Some(snapshot(&token)),
        },
    )
    .await?;
    if let Some(claim) = &claim {
        if let Err(err) = idempotency::remember(&txn, claim, json!({ "id": token.id })).await {
            txn.rollback().await?;
            if ServiceError::is_unique_violation(&err) {
                if let Some(first) = replay(db, keys, Some(claim)).await? {
                    return Ok(first);
                }
            }
            return Err(err.into());
        }
    }
    crate::db::commit(txn).await?;
    Ok(CreatedApiToken { token, secret })
}

/// Revokes a token; the very next request that carries it is refused. Staff only
/// (`Forbidden` otherwise); an unknown ID is `NotFound`. Stamps the revocation and the
/// revoking person and writes an `apiToken.revoke` audit record, in one transaction.
/// Revoking a revoked token changes nothing and records nothing.
pub async fn revoke(
    db: &DatabaseConnection,
    viewer: &Viewer,
    id: i64,
) -> ServiceResult<api_token::Model> {
    access::require_staff(viewer, "revoke API tokens")?;
    let txn = db.begin().await?;
    let token = api_token::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or_else(|| ServiceError::NotFound("No API token has this ID.".into()))?;
    if token.revoked_at.is_some() {
        return Ok(token);
    }
    let before = snapshot(&token);
    let mut active = token.into_active_model();
    active.revoked_at = Set(Some(Utc::now()));
    active.revoked_by_person_id = Set(viewer.person_id());
    let token = active.update(&txn).await?;
    audit::record(
        &txn,
        viewer,
        Change {
            action: "apiToken.revoke",
            object_type: "ApiToken",
            object_id: token.id,
            before: Some(before),
            after: Some(snapshot(&token)),
        },
    )
    .await?;
    crate::db::commit(txn).await?;
    Ok(token)
}

/// Every token, revoked and expired ones included, newest first. Staff only
/// (`Forbidden` otherwise).
pub async fn list(
    db: &DatabaseConnection,
    viewer: &Viewer,
    args: &PageArgs,
) -> ServiceResult<Page<api_token::Model>> {
    const SCOPE: &str = "apiTokens/id";
    access::require_staff(viewer, "list API tokens")?;
    let window = args.window(SCOPE)?;
    let keyset = KeysetOrder {
        key: None,
        id: Expr::col((api_token::Entity, api_token::Column::Id)),
        descending: true,
    };
    page::of_table::<api_token::Entity>(db, Condition::all(), &keyset, &window, SCOPE, |row| {
        Cursor::by_id(row.id)
    })
    .await
}

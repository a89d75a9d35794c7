//! Identity: who is calling, decided once per request before anything runs.
//!
//! - No `Authorization` header: the caller is anonymous. Two of them: refused (401).
//! - `Authorization: Bearer <JWT>` of a user (`role` `STAFF` or `FELLOW`): the token
//!   must verify with one of the live keys (see [`keys`]); a token that does not is
//!   refused with HTTP 401 and `UNAUTHENTICATED`, never treated as anonymous. Users are
//!   named by `sub`, their hub handle, which must name a person with an enabled account
//!   of that role.
//! - A partner's API token (`role` `PARTNER`): its `jti` must name a live row of
//!   `api_tokens` holding the token's hash, so a revoked token stops working at once,
//!   and whose scopes are not empty. The hash, not a signature, is the proof, so that
//!   rotating the user-token keys never breaks a partner integration.
//!
//! What each caller may do is decided by the domain services (`service::access`).

pub mod claims;
pub mod keys;
pub mod provider;

use actix_web::http::header::{HeaderMap, AUTHORIZATION};
use chrono::{DateTime, Duration, Utc};
use entity::{account, api_token, person};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, IntoActiveModel, QueryFilter,
    Set,
};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub use keys::{KeyRing, Rejection};

use crate::error::ServiceError;
use crate::service::search;

/// A scope a partner token may carry; anything not granted is denied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    /// Read every fellow's benefit grants.
    BenefitsRead,
    /// Read nominations (without the nominee's contact e-mail).
    NominationsRead,
    /// Manage the token's own webhook endpoints (`createWebhookEndpoint` and the rest).
    WebhooksManage,
}

impl Scope {
    /// Every scope there is, in the order they are listed to clients.
    pub const ALL: [Scope; 3] = [
        Scope::BenefitsRead,
        Scope::NominationsRead,
        Scope::WebhooksManage,
    ];

    /// The scope as tokens and `createApiToken` write it (`benefits:read`).
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::BenefitsRead => "benefits:read",
            Scope::NominationsRead => "nominations:read",
            Scope::WebhooksManage => "webhooks:manage",
        }
    }

    /// The scope this text names exactly, if any.
    pub fn parse(text: &str) -> Option<Scope> {
        Scope::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

/// The role a token claims.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Program staff: may do everything except decide a nomination they took part in.
    Staff,
    /// A fellow of the program: nominates, endorses, edits their own profile.
    Fellow,
    /// A partner integration, with an API token's scopes.
    Partner,
}

impl Role {
    /// The role as a token's `role` claim writes it (`STAFF`).
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Staff => "STAFF",
            Role::Fellow => "FELLOW",
            Role::Partner => "PARTNER",
        }
    }

    /// The role this claim names exactly, if any.
    pub fn parse(text: &str) -> Option<Role> {
        [Role::Staff, Role::Fellow, Role::Partner]
            .into_iter()
            .find(|r| r.as_str() == text)
    }
}

/// A signed-in person.
#[derive(Debug, Clone)]
pub struct User {
    /// The hub handle the token's subject gave, as written in the token.
    pub handle: String,
    /// The person the handle names, when the records know them.
    pub person_id: Option<i64>,
}

/// A partner integration calling with an API token.
#[derive(Debug, Clone)]
pub struct Partner {
    /// The row of `api_tokens` the token was checked against.
    pub token_id: i64,
    /// The name staff gave the token (`"CRM sync"`), for logs and rate-limit keys.
    pub name: String,
    /// What the token may read; never empty.
    pub scopes: Vec<Scope>,
}

/// Who is calling.
#[derive(Debug, Clone)]
pub enum Viewer {
    /// No `Authorization` header: public data only.
    Anonymous,
    /// A staff member with an enabled staff account.
    Staff(User),
    /// A fellow with an enabled fellow account.
    Fellow(User),
    /// A partner integration with a live API token.
    Partner(Partner),
}

impl Viewer {
    /// Whether the caller is staff; the one staff check, used by `service::access`.
    pub fn is_staff(&self) -> bool {
        matches!(self, Viewer::Staff(_))
    }

    /// The person behind a user token, if known.
    pub fn person_id(&self) -> Option<i64> {
        match self {
            Viewer::Staff(user) | Viewer::Fellow(user) => user.person_id,
            _ => None,
        }
    }

    /// Whether the caller is a partner whose token carries `scope`.
    pub fn has_scope(&self, scope: Scope) -> bool {
        matches!(self, Viewer::Partner(p) if p.scopes.contains(&scope))
    }

    /// The caller's role; `None` for an anonymous caller.
    pub fn role(&self) -> Option<Role> {
        match self {
            Viewer::Anonymous => None,
            Viewer::Staff(_) => Some(Role::Staff),
            Viewer::Fellow(_) => Some(Role::Fellow),
            Viewer::Partner(_) => Some(Role::Partner),
        }
    }
}

/// The claims of a token this service mints.
#[derive(Debug, Serialize)]
pub struct NewClaims {
    /// A user's hub handle, or `partner:<token name>`.
    pub sub: String,
    /// [`Role::as_str`].
    pub role: &'static str,
    /// This server's issuer (`JWT_ISSUER`).
    pub iss: String,
    /// This server's audience (`JWT_AUDIENCE`).
    pub aud: String,
    /// Issued at, in Unix seconds.
    pub iat: i64,
    /// Not before, in Unix seconds: the same as `iat`.
    pub nbf: i64,
    /// Expiry, in Unix seconds.
    pub exp: i64,
    /// A unique id: a partner token's row is found by it.
    pub jti: String,
    /// A partner token's scopes ([`Scope::as_str`]); left out of user tokens.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub scopes: Vec<&'static str>,
}

impl NewClaims {
    /// Claims for `sub` in `role`, valid from now until `expires_at`, with a fresh `jti`.
    pub fn new(keys: &KeyRing, role: Role, sub: &str, expires_at: DateTime<Utc>) -> Self {
        let now = Utc::now().timestamp();
        NewClaims {
            sub: sub.to_owned(),
            role: role.as_str(),
            iss: keys.issuer().to_owned(),
            aud: keys.audience().to_owned(),
            iat: now,
            nbf: now,
            exp: expires_at.timestamp(),
            jti: uuid::Uuid::new_v4().to_string(),
            scopes: Vec::new(),
        }
    }
}

/// Mints a user token, for `api token` and local use.
pub fn mint_user_token(
    keys: &KeyRing,
    role: Role,
    handle: &str,
    ttl: Duration,
) -> anyhow::Result<String> {
    if role == Role::Partner {
        anyhow::bail!("partner tokens are created by staff with the createApiToken mutation");
    }
    let claims = NewClaims::new(keys, role, handle, Utc::now() + ttl);
    let serde_json::Value::Object(mut claims) = serde_json::to_value(claims)? else {
        anyhow::bail!("claims that are not an object");
    };
    // Where this server reads them back (`JWT_ROLE_CLAIM`, `JWT_HANDLE_CLAIM`).
    claims.remove("role");
    keys.claim_rules().write(&mut claims, role, handle);
    keys.sign(&claims)
}

/// The hash of a token kept in `api_tokens.secret_hash`.
pub fn token_hash(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Why a request has no viewer.
#[derive(Debug)]
pub enum AuthError {
    /// The credentials are not acceptable: HTTP 401.
    Rejected(Rejection),
    /// We could not check them (the database did not answer).
    Service(ServiceError),
}

impl From<Rejection> for AuthError {
    fn from(rejection: Rejection) -> Self {
        AuthError::Rejected(rejection)
    }
}

impl From<sea_orm::DbErr> for AuthError {
    fn from(err: sea_orm::DbErr) -> Self {
        AuthError::Service(err.into())
    }
}

/// How stale `last_used_at` may get before a request refreshes it; refreshing on every
/// request would turn every read into a write.
const LAST_USED_RESOLUTION: Duration = Duration::minutes(1);

/// The value of a request's `Authorization` header, if it has one.
///
/// A request with two is refused rather than read by its first: a proxy or a framework
/// on the way may read another one than we do, so the request names no caller for
/// sure. The refusal is a [`Rejection`], answered 401 `UNAUTHENTICATED` (a WebSocket
/// upgrade too, before it switches protocols) rather than 400 `BAD_USER_INPUT`: the
/// credentials are what we cannot accept, and a client handles that answer as it does
/// any other refused token. A value that is not visible ASCII is refused likewise.
pub fn authorization(headers: &HeaderMap) -> Result<Option<&str>, Rejection> {
    let mut values = headers.get_all(AUTHORIZATION);
    let Some(value) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err(Rejection(
            "the request carries more than one Authorization header".into(),
        ));
    }
    value
        .to_str()
        .map(Some)
        .map_err(|_| Rejection("the Authorization header is not printable ASCII".into()))
}

/// Decides who is calling from a request's headers; see [`authorization`].
pub async fn authenticate_request(
    db: &DatabaseConnection,
    keys: &KeyRing,
    headers: &HeaderMap,
) -> Result<Viewer, AuthError> {
    authenticate(db, keys, authorization(headers)?).await
}

/// Decides who is calling from the `Authorization` header's value.
pub async fn authenticate(
    db: &DatabaseConnection,
    keys: &KeyRing,
    authorization: Option<&str>,
) -> Result<Viewer, AuthError> {
    Ok(authenticate_until(db, keys, authorization).await?.0)
}

/// Like [`authenticate`], with the moment the token stops being valid (none for an
/// anonymous caller): a long-lived connection must end there.
pub async fn authenticate_until(
    db: &DatabaseConnection,
    keys: &KeyRing,
    authorization: Option<&str>,
) -> Result<(Viewer, Option<DateTime<Utc>>), AuthError> {
    let Some(value) = authorization else {
        return Ok((Viewer::Anonymous, None));
    };
    let token = match value.split_once(' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => token.trim(),
        _ => {
            return Err(Rejection("use `Authorization: Bearer <token>`".into()).into());
        }
    };
    if token.is_empty() {
        return Err(Rejection("the bearer token is empty".into()).into());
    }
    if let Some(jti) = partner_token_id(token) {
        let (partner, expires_at) = partner_of(db, token, jti).await?;
        return Ok((Viewer::Partner(partner), expires_at));
    }
    let claims: serde_json::Value = keys.verify(token).await?;
    // The moment verification starts refusing it, leeway included (`exp` is a number:
    // verification checked it).
    let exp = claims["exp"].as_f64().unwrap_or_default() as i64;
    let expires_at = DateTime::from_timestamp(exp.saturating_add(keys::LEEWAY_SECONDS as i64), 0);
    let handle = keys.claim_rules().handle(&claims)?;
    let roles = keys.claim_rules().roles(&claims)?;
    Ok((viewer_of(db, handle, &roles).await?, expires_at))
}

/// The `jti` of a token that says it is a partner's, read without checking anything.
///
/// A partner token is proved by the records, not by a signature: `api_tokens` keeps the
/// SHA-256 of the whole token, which only its holder knows. Checking it by hash alone
/// is what lets partner integrations keep working across any rotation of the keys that
/// verify user tokens (`JWT_SECRET`, a key file, an identity provider's keys), where a
/// signature check would retire every partner token with the key that signed it. What
/// this reads decides only which check runs; a forged claim meets the hash and fails.
fn partner_token_id(token: &str) -> Option<String> {
    #[derive(Deserialize)]
    struct Peek {
        role: Option<String>,
        jti: Option<String>,
    }
    let peek = jsonwebtoken::dangerous::insecure_decode::<Peek>(token)
        .ok()?
        .claims;
    if peek.role.as_deref() != Some(Role::Partner.as_str()) {
        return None;
    }
    Some(peek.jti.unwrap_or_default())
}

/// The caller a verified token names, as the records have them now.
async fn viewer_of(
    db: &DatabaseConnection,
    handle: String,
    roles: &[Role],
) -> Result<Viewer, AuthError> {
    // One query for the person and their account: the records have the last word, so
    // a disabled account, or one whose role the token does not claim, is refused
    // although the token itself is sound.
    let found = person::Entity::find()
        .find_also_related(account::Entity)
        .filter(search::equals_ignoring_case(
            sea_orm::sea_query::Expr::col((person::Entity, person::Column::HandleFolded)),
            &handle,
        ))
        .one(db)
        .await?;
    // A sound token for someone without an account names nobody who may sign in here:
    // honouring its role would let any holder of the key (or any identity provider's
    // user) act as staff.
    let Some((person, Some(account))) = found else {
        return Err(Rejection("the token's person has no account here".into()).into());
    };
    if account.disabled_at.is_some() {
        return Err(Rejection("the account is disabled".into()).into());
    }
    // A token may claim both roles (a provider's groups); the account says which one
    // its holder acts in.
    let Some(role) = roles
        .iter()
        .copied()
        .find(|role| role.as_str() == account.role.as_str())
    else {
        return Err(Rejection("the token's role is not the account's role".into()).into());
    };
    let user = User {
        handle,
        person_id: Some(person.id),
    };
    Ok(if role == Role::Staff {
        Viewer::Staff(user)
    } else {
        Viewer::Fellow(user)
    })
}

/// The partner a token names, and when it stops being valid: the row of `api_tokens`
/// with this `jti` must hold the token's hash, be neither revoked nor expired, and
/// carry scopes; see [`partner_token_id`] for why no signature is checked.
async fn partner_of(
    db: &DatabaseConnection,
    token: &str,
    jti: String,
) -> Result<(Partner, Option<DateTime<Utc>>), AuthError> {
    if jti.is_empty() {
        return Err(Rejection("a partner token needs a `jti` claim".into()).into());
    }
    let row = api_token::Entity::find()
        .filter(api_token::Column::Jti.eq(jti))
        .one(db)
        .await?
        .ok_or_else(|| Rejection("the partner token is not known to this server".into()))?;
    if row.secret_hash != token_hash(token) {
        return Err(Rejection("the partner token is not known to this server".into()).into());
    }
    if row.revoked_at.is_some() {
        return Err(Rejection("the partner token has been revoked".into()).into());
    }
    let now = Utc::now();
    if row.expires_at.is_some_and(|at| at <= now) {
        return Err(Rejection("the partner token has expired".into()).into());
    }
    let scopes: Vec<Scope> = row
        .scopes
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|s| s.as_str().and_then(Scope::parse))
                .collect()
        })
        .unwrap_or_default();
    // A token that may do nothing is a mistake, not a credential: refusing it
    // says so at once instead of answering every private field FORBIDDEN.
    if scopes.is_empty() {
        return Err(Rejection("the partner token carries no scopes".into()).into());
    }
    let partner = Partner {
        token_id: row.id,
        name: row.name.clone(),
        scopes,
    };
    let expires_at = row.expires_at;
    if row
        .last_used_at
        .is_none_or(|at| now - at > LAST_USED_RESOLUTION)
    {
        let mut active = row.into_active_model();
        active.last_used_at = Set(Some(now));
        active.update(db).await?;
    }
    Ok((partner, expires_at))
}

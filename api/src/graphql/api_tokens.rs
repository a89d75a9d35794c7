//! Partner API tokens: staff create, list and revoke them.

use async_graphql::{Context, InputObject, Object, Result, SimpleObject, ID};
use chrono::{DateTime, Utc};
use entity::api_token;

use super::connection::{connection, page_args};
use super::ids::{self, NodeType};
use super::loaders::{loaders, required};
use super::payload::{user_errors, UserError};
use super::people::Person;
use super::{db, idempotency_key, keys, viewer};
use crate::service;
use crate::service::idempotency::Claim;

/// A partner integration's token. The secret itself is shown once, when created.
#[derive(Clone)]
pub struct ApiToken(pub api_token::Model);

/// A partner integration's bearer token and the scopes it grants. Staff only. The
/// secret itself is in `createApiToken`'s answer, once, and never again.
// Private: never kept by a shared cache (see `http/graphql.rs`, `cache_headers`).
#[Object(cache_control(private))]
impl ApiToken {
    /// An opaque global ID; pass it as `apiTokenId` to revoke the token.
    pub async fn id(&self) -> ID {
        ids::encode(NodeType::ApiToken, self.0.id)
    }

    /// What the token is for, such as the partner's name.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// What the token may do: `benefits:read`, `nominations:read`.
    async fn scopes(&self) -> Vec<String> {
        self.0
            .scopes
            .as_array()
            .map(|s| {
                s.iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The staff member who created the token.
    async fn created_by(&self, ctx: &Context<'_>) -> Result<Person> {
        Ok(Person(required(
            loaders(ctx)
                .people
                .load_one(self.0.created_by_person_id)
                .await?,
            "creator",
        )?))
    }

    /// When the token was created.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// When the token stops working.
    async fn expires_at(&self) -> Option<DateTime<Utc>> {
        self.0.expires_at
    }

    /// When a request last carried it (to the minute).
    async fn last_used_at(&self) -> Option<DateTime<Utc>> {
        self.0.last_used_at
    }

    /// When staff revoked the token; `null` while it is not revoked.
    async fn revoked_at(&self) -> Option<DateTime<Utc>> {
        self.0.revoked_at
    }

    /// The staff member who revoked the token, when the record names one.
    async fn revoked_by(&self, ctx: &Context<'_>) -> Result<Option<Person>> {
        Person::named_by(ctx, self.0.revoked_by_person_id, "person").await
    }

    /// Whether the token is accepted now: neither revoked nor expired.
    async fn active(&self) -> bool {
        self.0.revoked_at.is_none() && self.0.expires_at.is_none_or(|at| at > Utc::now())
    }
}

connection!(ApiTokenConnection, ApiTokenEdge, ApiToken, "API tokens");

/// The `apiTokens` query, merged into [`super::Query`].
#[derive(Default)]
pub struct ApiTokenQuery;

#[Object]
impl ApiTokenQuery {
    /// Every partner token, newest first. Staff only.
    #[graphql(cache_control(private))]
    async fn api_tokens(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Option<ApiTokenConnection>> {
        let page = service::api_tokens::list(
            db(ctx),
            viewer(ctx),
            &page_args(ctx, first, after, last, before),
        )
        .await?;
        Ok(Some(ApiTokenConnection(page.map(ApiToken))))
    }
}

/// A new partner token: what it is for, what it may do, and until when.
#[derive(InputObject)]
pub struct CreateApiTokenInput {
    /// What the token is for, such as the partner's name (1 to 100 characters).
    pub name: String,
    /// What it may do: `benefits:read`, `nominations:read`; at least one.
    pub scopes: Vec<String>,
    /// When it stops working; at most 366 days ahead, 90 days when absent.
    pub expires_at: Option<DateTime<Utc>>,
}

/// The token created, with its secret, or why it was refused.
#[derive(SimpleObject)]
pub struct CreateApiTokenPayload {
    /// The token created; `null` when it was refused (see `userErrors`).
    pub api_token: Option<ApiToken>,
    /// The bearer token to hand to the partner. Shown this once; it cannot be read again.
    pub token: Option<String>,
    /// Why the mutation was refused; empty when it succeeded. A caller who may not make
    /// this change at all gets a `FORBIDDEN` error instead.
    pub user_errors: Vec<UserError>,
}

/// Which partner token to revoke.
#[derive(InputObject)]
pub struct RevokeApiTokenInput {
    /// The token's global ID (`ApiToken.id`).
    pub api_token_id: ID,
}

/// The token after its revocation, or why it was refused.
#[derive(SimpleObject)]
pub struct RevokeApiTokenPayload {
    /// The token, revoked (revoking a revoked token changes nothing); `null` when the
    /// revocation was refused (see `userErrors`).
    pub api_token: Option<ApiToken>,
    /// Why the mutation was refused; empty when it succeeded. A caller who may not make
    /// this change at all gets a `FORBIDDEN` error instead.
    pub user_errors: Vec<UserError>,
}

/// Mutations of partner API tokens, merged into [`super::Mutation`].
#[derive(Default)]
pub struct ApiTokenMutation;

#[Object]
impl ApiTokenMutation {
    /// Mints a partner token with the given scopes. Staff only.
    async fn create_api_token(
        &self,
        ctx: &Context<'_>,
        input: CreateApiTokenInput,
    ) -> Result<CreateApiTokenPayload> {
        let new = service::api_tokens::NewApiToken {
            name: input.name,
            scopes: input.scopes,
            expires_at: input.expires_at,
        };
        let claim = Claim::new(viewer(ctx), idempotency_key(ctx), "createApiToken", &new);
        match service::api_tokens::create(db(ctx), keys(ctx), viewer(ctx), new, claim).await {
            Ok(created) => Ok(CreateApiTokenPayload {
                api_token: Some(ApiToken(created.token)),
                token: Some(created.secret),
                user_errors: Vec::new(),
            }),
            Err(err) => Ok(CreateApiTokenPayload {
                api_token: None,
                token: None,
                user_errors: user_errors(err)?,
            }),
        }
    }

    /// Revokes a partner token; the next request that carries it is refused. Staff only.
    async fn revoke_api_token(
        &self,
        ctx: &Context<'_>,
        input: RevokeApiTokenInput,
    ) -> Result<RevokeApiTokenPayload> {
        let result = async {
            let id = ids::decode_as(&input.api_token_id, NodeType::ApiToken, "input.apiTokenId")?;
            service::api_tokens::revoke(db(ctx), viewer(ctx), id).await
        }
        .await;
        match result {
            Ok(token) => Ok(RevokeApiTokenPayload {
                api_token: Some(ApiToken(token)),
                user_errors: Vec::new(),
            }),
            Err(err) => Ok(RevokeApiTokenPayload {
                api_token: None,
                user_errors: user_errors(err)?,
            }),
        }
    }
}

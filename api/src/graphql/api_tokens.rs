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

#[Object]
impl ApiToken {
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

    async fn created_by(&self, ctx: &Context<'_>) -> Result<Person> {
        Ok(Person(required(
            loaders(ctx)
                .people
                .load_one(self.0.created_by_person_id)
                .await?,
            "creator",
        )?))
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    async fn expires_at(&self) -> Option<DateTime<Utc>> {
        self.0.expires_at
    }

    /// When a request last carried it (to the minute).
    async fn last_used_at(&self) -> Option<DateTime<Utc>> {
        self.0.last_used_at
    }

    async fn revoked_at(&self) -> Option<DateTime<Utc>> {
        self.0.revoked_at
    }

    async fn revoked_by(&self, ctx: &Context<'_>) -> Result<Option<Person>> {
        let Some(id) = self.0.revoked_by_person_id else {
            return Ok(None);
        };
        Ok(Some(Person(required(
            loaders(ctx).people.load_one(id).await?,
            "person",
        )?)))
    }

    /// Whether the token is accepted now: neither revoked nor expired.
    async fn active(&self) -> bool {
        self.0.revoked_at.is_none() && self.0.expires_at.is_none_or(|at| at > Utc::now())
    }
}

connection!(ApiTokenConnection, ApiTokenEdge, ApiToken, "API tokens");

#[derive(Default)]
pub struct ApiTokenQuery;

#[Object]
impl ApiTokenQuery {
    /// Every partner token, newest first. Staff only.
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

#[derive(InputObject)]
pub struct CreateApiTokenInput {
    /// What the token is for, such as the partner's name (1 to 100 characters).
    pub name: String,
    /// What it may do: `benefits:read`, `nominations:read`; at least one.
    pub scopes: Vec<String>,
    /// When it stops working; at most 366 days ahead, 90 days when absent.
    pub expires_at: Option<DateTime<Utc>>,
}

#[derive(SimpleObject)]
pub struct CreateApiTokenPayload {
    pub api_token: Option<ApiToken>,
    /// The bearer token to hand to the partner. Shown this once; it cannot be read again.
    pub token: Option<String>,
    pub user_errors: Vec<UserError>,
}

#[derive(InputObject)]
pub struct RevokeApiTokenInput {
    pub api_token_id: ID,
}

#[derive(SimpleObject)]
pub struct RevokeApiTokenPayload {
    pub api_token: Option<ApiToken>,
    pub user_errors: Vec<UserError>,
}

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

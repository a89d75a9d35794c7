//! `viewer`: who the caller is, as this service understands them.

use async_graphql::{Context, Enum, Object, Result};

use super::fellows::Fellow;
use super::loaders::loaders;
use super::people::Person;
use crate::auth::{self, Viewer};

/// The kind of caller.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum ViewerRole {
    /// No token.
    Anonymous,
    /// A staff member of the program, with a user token of role `STAFF`.
    Staff,
    /// A fellow, with a user token of role `FELLOW`.
    Fellow,
    /// A partner integration with an API token.
    Partner,
}

/// The caller of this request.
pub struct ViewerInfo(pub Viewer);

/// The caller of this request, as this service understands them.
#[Object(name = "Viewer", cache_control(private))]
impl ViewerInfo {
    /// What kind of caller this is.
    async fn role(&self) -> ViewerRole {
        match self.0.role() {
            None => ViewerRole::Anonymous,
            Some(auth::Role::Staff) => ViewerRole::Staff,
            Some(auth::Role::Fellow) => ViewerRole::Fellow,
            Some(auth::Role::Partner) => ViewerRole::Partner,
        }
    }

    /// The hub handle a user token names.
    async fn handle(&self) -> Option<&str> {
        match &self.0 {
            Viewer::Staff(user) | Viewer::Fellow(user) => Some(&user.handle),
            _ => None,
        }
    }

    /// The person a user token names, when the records know them.
    async fn person(&self, ctx: &Context<'_>) -> Result<Option<Person>> {
        let Some(id) = self.0.person_id() else {
            return Ok(None);
        };
        Ok(loaders(ctx).people.load_one(id).await?.map(Person))
    }

    /// The caller's fellowship, if they are a fellow.
    async fn fellow(&self, ctx: &Context<'_>) -> Result<Option<Fellow>> {
        let Some(id) = self.0.person_id() else {
            return Ok(None);
        };
        Ok(loaders(ctx)
            .fellow_by_person
            .load_one(id)
            .await?
            .flatten()
            .map(Fellow))
    }

    /// What a partner token may do; empty for everyone else.
    async fn scopes(&self) -> Vec<&'static str> {
        match &self.0 {
            Viewer::Partner(partner) => partner.scopes.iter().map(|s| s.as_str()).collect(),
            _ => Vec::new(),
        }
    }

    /// The name of the partner token in use.
    async fn api_token_name(&self) -> Option<&str> {
        match &self.0 {
            Viewer::Partner(partner) => Some(&partner.name),
            _ => None,
        }
    }
}

/// The `viewer` query, merged into [`super::Query`].
#[derive(Default)]
pub struct ViewerQuery;

#[Object]
impl ViewerQuery {
    /// Who is calling.
    #[graphql(cache_control(private))]
    async fn viewer(&self, ctx: &Context<'_>) -> ViewerInfo {
        ViewerInfo(super::viewer(ctx).clone())
    }
}

//! The GraphQL schema: one module per area of the domain, merged into one `Query`
//! and one `Mutation`.
//!
//! [`schema_builder`] is the only place the schema is assembled, used both by the
//! server and by `api schema`, so the printed SDL is the served one.

pub mod api_tokens;
pub mod audit;
pub mod benefits;
pub mod connection;
pub mod document_guard;
pub mod fellows;
pub mod ids;
pub mod limits;
pub mod loaders;
pub mod node;
pub mod nomination_events;
pub mod nominations;
pub mod nullable;
pub mod organizations;
pub mod payload;
pub mod rate_limit;
pub mod records;
pub mod scalars;
pub mod strategic_areas;
pub mod viewer;

use std::sync::Arc;

use async_graphql::{Context, Enum, MergedObject, Schema, SchemaBuilder};
use sea_orm::DatabaseConnection;

use crate::auth::{KeyRing, Viewer};
use crate::service::nomination_events::feed::EventFeed;
use crate::service::page::CursorKeys;
use nomination_events::Subscription;

/// Which way a list is ordered.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum OrderDirection {
    /// Smallest first (A to Z, oldest first).
    Asc,
    /// Largest first (Z to A, newest first).
    Desc,
}

/// Every query of the API.
#[derive(MergedObject, Default)]
pub struct Query(
    node::NodeQuery,
    viewer::ViewerQuery,
    rate_limit::RateLimitQuery,
    fellows::FellowQuery,
    strategic_areas::StrategicAreaQuery,
    organizations::OrganizationQuery,
    nominations::NominationQuery,
    nomination_events::NominationEventQuery,
    api_tokens::ApiTokenQuery,
    audit::AuditQuery,
);

/// Every mutation of the API.
#[derive(MergedObject, Default)]
pub struct Mutation(
    nominations::NominationMutation,
    records::RecordMutation,
    api_tokens::ApiTokenMutation,
);

pub type FellowshipSchema = Schema<Query, Mutation, Subscription>;

pub fn schema_builder() -> SchemaBuilder<Query, Mutation, Subscription> {
    Schema::build(Query::default(), Mutation::default(), Subscription)
        .extension(nullable::NullOnFieldError)
        // Suggestions ("did you mean ...") leak the schema to those who may not introspect.
        .disable_suggestions()
}

pub fn build_schema(
    db: DatabaseConnection,
    keys: Arc<KeyRing>,
    feed: EventFeed,
    cursors: CursorKeys,
    introspection: bool,
) -> FellowshipSchema {
    let builder = schema_builder()
        .data(db)
        .data(keys)
        .data(feed)
        .data(cursors);
    if introspection {
        builder.finish()
    } else {
        builder.disable_introspection().finish()
    }
}

/// The SDL that `schema.graphql` holds.
pub fn sdl() -> String {
    schema_builder().finish().sdl()
}

/// The database connection of the running server.
pub fn db<'a>(ctx: &Context<'a>) -> &'a DatabaseConnection {
    ctx.data_unchecked::<DatabaseConnection>()
}

/// This process's feed of committed nomination events.
pub fn feed<'a>(ctx: &Context<'a>) -> &'a EventFeed {
    ctx.data_unchecked::<EventFeed>()
}

/// The key ring that verifies and signs tokens.
pub fn keys<'a>(ctx: &Context<'a>) -> &'a KeyRing {
    ctx.data_unchecked::<Arc<KeyRing>>()
}

/// Who is calling; every request carries one (anonymous at least).
pub fn viewer<'a>(ctx: &Context<'a>) -> &'a Viewer {
    ctx.data_unchecked::<Viewer>()
}

/// The request's `Idempotency-Key`, when it sent one.
pub fn idempotency_key<'a>(
    ctx: &Context<'a>,
) -> Option<&'a crate::service::idempotency::IdempotencyKey> {
    ctx.data_opt::<crate::service::idempotency::IdempotencyKey>()
}

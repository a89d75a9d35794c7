//! The GraphQL schema: one module per area of the domain, merged into one `Query`
//! and one `Mutation`.
//!
//! [`schema_builder`] is the only place the schema is assembled, used both by the
//! server and by `api schema`, so the printed SDL is the served one.

pub mod accounts;
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
pub mod people;
pub mod rate_limit;
pub mod scalars;
pub mod slow_resolvers;
pub mod strategic_areas;
pub mod trusted_documents;
pub mod viewer;
pub mod webhooks;

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
    accounts::AccountQuery,
    webhooks::WebhookQuery,
);

/// Every mutation of the API.
#[derive(MergedObject, Default)]
pub struct Mutation(
    nominations::NominationMutation,
    fellows::mutations::FellowMutation,
    benefits::mutations::BenefitMutation,
    strategic_areas::mutations::StrategicAreaMutation,
    organizations::mutations::OrganizationMutation,
    api_tokens::ApiTokenMutation,
    accounts::AccountMutation,
    webhooks::WebhookMutation,
);

/// The schema as this server runs it: every query, mutation and subscription.
pub type FellowshipSchema = Schema<Query, Mutation, Subscription>;

/// The schema with no data attached yet, and the settings every build of it shares (no
/// "did you mean" suggestions): [`build_schema`] adds the server's data, [`sdl`] prints
/// it as it is.
pub fn schema_builder() -> SchemaBuilder<Query, Mutation, Subscription> {
    scalars::describe(Schema::build(
        Query::default(),
        Mutation::default(),
        Subscription,
    ))
    // Suggestions ("did you mean ...") leak the schema to those who may not introspect.
    .disable_suggestions()
}

/// The schema, built twice over the same resolvers and data.
///
/// `exact` answers a failed nullable field with `null` and its error, as the GraphQL
/// specification has it ([`nullable`]); that takes an extension, and with any extension
/// the executor sends every field of every response through a slower path (a registry
/// lookup and a boxed hook per field), a fifth of the CPU of a list. `lean` has no
/// extension: it answers exactly like `exact` as long as no field fails. So a query runs
/// on `lean` first and, only when one of its fields failed, once more on `exact`, with
/// the rows the first run loaded still in the request's loaders. A read may run twice;
/// a mutation, which must not, and a subscription always run on `exact`.
#[derive(Clone)]
pub struct Schemas {
    /// With [`nullable::NullOnFieldError`]: runs mutations, subscriptions, and a query
    /// again when a field of it failed on `lean`.
    pub exact: FellowshipSchema,
    /// Without any extension: the fast path every query tries first.
    pub lean: FellowshipSchema,
}

/// Both [`Schemas`] over the same data: the database, the key ring, the event feed,
/// the cursor keys and the webhook endpoint rules. Without `introspection`, both refuse
/// `__schema` and `__type`.
pub fn build_schema(
    db: DatabaseConnection,
    keys: Arc<KeyRing>,
    feed: EventFeed,
    cursors: CursorKeys,
    webhooks: crate::service::webhooks::endpoints::EndpointRules,
    introspection: bool,
) -> Schemas {
    let build = |builder: SchemaBuilder<Query, Mutation, Subscription>| {
        let builder = builder
            .data(db.clone())
            .data(keys.clone())
            .data(feed.clone())
            .data(cursors.clone())
            .data(webhooks);
        if introspection {
            builder.finish()
        } else {
            builder.disable_introspection().finish()
        }
    };
    // While traces are sent, slow resolvers get spans: on both schemas, which then both
    // take the extensions' path (see `slow_resolvers`).
    let timed = |builder: SchemaBuilder<Query, Mutation, Subscription>| {
        match crate::telemetry::slow_resolver_threshold() {
            Some(threshold) => builder.extension(slow_resolvers::SlowResolvers { threshold }),
            None => builder,
        }
    };
    Schemas {
        exact: build(timed(
            schema_builder().extension(nullable::NullOnFieldError),
        )),
        lean: build(timed(schema_builder())),
    }
}

/// Whether a response from the `lean` schema must be answered by the `exact` one: a
/// field failed (its error has a path), so the lean executor dropped the field's key
/// where the specification wants `null`. A database that did not answer is not asked
/// twice: that answer is a 503 either way.
pub fn needs_exact_nulls(response: &async_graphql::Response) -> bool {
    response.errors.iter().any(|error| {
        !error.path.is_empty()
            && error
                .extensions
                .as_ref()
                .is_none_or(|x| x.get("unavailable").is_none())
    })
}

/// The SDL that `schema.graphql` holds.
pub fn sdl() -> String {
    // With each custom scalar's `@specifiedBy`, which introspection serves as
    // `specifiedByURL` and async-graphql leaves out of its SDL unless asked.
    schema_builder()
        .finish()
        .sdl_with_options(async_graphql::SDLExportOptions::new().include_specified_by())
}

/// What one request's resolvers read besides the schema's data: who is calling, what
/// the rate limit left them, and the request's own loaders. Both transports attach it here, and only here.
///
/// Not an async-graphql extension: with any extension the executor sends every field
/// of the response through its slower path, which is what the `lean` schema (see
/// [`Schemas`]) exists to avoid.
pub fn for_caller(
    request: async_graphql::Request,
    viewer: Viewer,
    usage: crate::service::rate_limits::Usage,
    loaders: Arc<loaders::Loaders>,
) -> async_graphql::Request {
    request.data(viewer).data(usage).data(loaders)
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

//! The GraphQL schema: one module per area of the domain, merged into one `Query`.
//!
//! [`schema_builder`] is the only place the schema is assembled, used both by the
//! server and by `api schema`, so the printed SDL is the served one.

pub mod connection;
pub mod fellows;
pub mod ids;
pub mod loaders;
pub mod node;
pub mod organizations;
pub mod scalars;
pub mod strategic_areas;

use async_graphql::{
    Context, EmptyMutation, EmptySubscription, Enum, MergedObject, Schema, SchemaBuilder,
};
use sea_orm::DatabaseConnection;

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
    fellows::FellowQuery,
    strategic_areas::StrategicAreaQuery,
    organizations::OrganizationQuery,
);

pub type FellowshipSchema = Schema<Query, EmptyMutation, EmptySubscription>;

pub fn schema_builder() -> SchemaBuilder<Query, EmptyMutation, EmptySubscription> {
    Schema::build(Query::default(), EmptyMutation, EmptySubscription)
        // Suggestions ("did you mean ...") leak the schema to those who may not introspect.
        .disable_suggestions()
}

pub fn build_schema(db: DatabaseConnection) -> FellowshipSchema {
    schema_builder().data(db).finish()
}

/// The SDL that `schema.graphql` holds.
pub fn sdl() -> String {
    schema_builder().finish().sdl()
}

/// The database connection of the running server.
pub fn db<'a>(ctx: &Context<'a>) -> &'a DatabaseConnection {
    ctx.data_unchecked::<DatabaseConnection>()
}

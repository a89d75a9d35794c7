//! `webhook_events`: the outbox of changes partners may subscribe to, in id order.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// One row of `webhook_events`: one committed change a webhook endpoint may hear of
/// (`nomination.submitted`, `membership.recorded`, ...), written in the change's own
/// transaction. Id order is commit order (on PostgreSQL the outbox's advisory lock
/// ensures it, as for `nomination_events`), so each endpoint keeps its place as an id.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "webhook_events")]
pub struct Model {
    /// Primary key, assigned by the database.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The event's type as receivers see it, such as `nomination.accepted`.
    pub event_type: String,
    /// When the change was made.
    pub occurred_at: DateTimeUtc,
    /// The changed rows right after the change, in the entities' serde form (never a
    /// nominee's e-mail); rendered for receivers when a delivery is made of it.
    #[sea_orm(column_type = "JsonBinary")]
    pub payload: Json,
}

/// `webhook_events` refers to no other table: an event outlives nothing it names.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

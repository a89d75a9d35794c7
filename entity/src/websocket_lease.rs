//! `websocket_leases`: one row per WebSocket open on any replica, so that the cap on
//! connections per caller holds across replicas. A row outlives its last renewal only
//! briefly, so a replica that dies leaves leases that simply expire.

use sea_orm::entity::prelude::*;

/// One row of `websocket_leases`: one open subscription WebSocket, taken when a
/// signed-in caller's connection is initialised and deleted when it closes.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "websocket_leases")]
pub struct Model {
    /// A random UUID per connection, made by the API (not by the database).
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// Whose connection it is, as the rate limiter keys callers (such as
    /// `person:<id>`); the cap counts the live leases per caller.
    pub caller: String,
    /// When the lease lapses unless renewed, in Unix seconds. Renewed at every
    /// keep-alive; expired rows are deleted whenever a connection asks for a lease.
    pub expires_at: i64,
}

/// `websocket_leases` refers to no other table.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

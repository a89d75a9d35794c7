//! The domain's rules, one module per area. Resolvers call these with a connection,
//! the viewer and validated arguments; nothing here knows about GraphQL or HTTP.

pub mod access;
pub mod accounts;
pub mod api_tokens;
pub mod audit;
pub mod benefits;
pub mod fellows;
pub mod idempotency;
pub mod nomination_events;
pub mod nominations;
pub mod organizations;
pub mod page;
pub mod rate_limits;
pub mod search;
pub mod strategic_areas;
pub mod versioned;
pub mod webhooks;
pub mod websocket_leases;

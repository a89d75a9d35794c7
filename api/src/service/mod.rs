//! The domain's rules, one module per area. Resolvers call these with a connection and
//! validated arguments; nothing here knows about GraphQL or HTTP.

pub mod fellows;
pub mod organizations;
pub mod page;
pub mod search;
pub mod strategic_areas;

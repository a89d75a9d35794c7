//! People: the humans the records mention (fellows, staff, nominators, board
//! representatives). Public: a name and a hub handle, and the fellowship if they hold
//! one; contact details are never part of a person.

use async_graphql::{Context, Object, Result, ID};
use entity::person;

use super::fellows::Fellow;
use super::ids::{self, NodeType};
use super::loaders::loaders;

/// A human the records mention: a fellow, a staff member, a nominator or a board
/// representative.
#[derive(Clone)]
pub struct Person(pub person::Model);

/// A human the records mention: a fellow, a staff member, a nominator or a board
/// representative. Public: a name, a hub handle and the fellowship if they hold one;
/// contact details are never part of a person.
#[Object]
impl Person {
    /// An opaque global ID of the person (a fellowship has its own, `Fellow.id`); pass it
    /// as `representativeId` to appoint them to a board.
    pub async fn id(&self) -> ID {
        ids::encode(NodeType::Person, self.0.id)
    }

    /// Full name.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// Hub handle, when known.
    async fn handle(&self) -> Option<&str> {
        self.0.handle.as_deref()
    }

    /// The person's fellowship, if they are or were a fellow.
    async fn fellow(&self, ctx: &Context<'_>) -> Result<Option<Fellow>> {
        Ok(loaders(ctx)
            .fellow_by_person
            .load_one(self.0.id)
            .await?
            .flatten()
            .map(Fellow))
    }
}

//! People: the humans the records mention (fellows, staff, nominators, board
//! representatives). Public: a name and a hub handle, and the fellowship if they hold
//! one; contact details are never part of a person.

use async_graphql::{Context, Object, Result, ID};
use entity::person;

use super::fellows::Fellow;
use super::ids::{self, NodeType};
use super::loaders::{loaders, required};

/// A human the records mention: a fellow, a staff member, a nominator or a board
/// representative.
#[derive(Clone)]
pub struct Person(pub person::Model);

impl Person {
    /// The person a record's optional reference names (who granted, revoked, disabled,
    /// nominated, acted), through the request's loader; `None` when it names nobody.
    /// A reference to a person who is not there is an internal error, saying `what`.
    pub(crate) async fn named_by(
        ctx: &Context<'_>,
        id: Option<i64>,
        what: &str,
    ) -> Result<Option<Person>> {
        let Some(id) = id else {
            return Ok(None);
        };
        Ok(Some(Person(required(
            loaders(ctx).people.load_one(id).await?,
            what,
        )?)))
    }
}

/// A human the records mention: a fellow, a staff member, a nominator or a board
/// representative. Public: a name, a hub handle and the fellowship if they hold one;
/// contact details are never part of a person.
// Public records: shared caches may keep them a minute (see `http/graphql.rs`).
#[Object(cache_control(max_age = 60))]
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

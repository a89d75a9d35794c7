//! Live nomination events, over WebSocket (`graphql-transport-ws`).

use std::sync::Arc;

use async_graphql::{Context, Enum, InputObject, Object, Result, Subscription, ID};
use chrono::{DateTime, Utc};
use futures::{Stream, StreamExt};

use super::connection::cursor_keys;
use super::ids::{self, NodeType};
use super::loaders::Loaders;
use super::nominations::Nomination;
use super::people::Person;
use super::{db, feed, viewer};
use crate::service::nomination_events::follow::{follow, Start};
use crate::service::nomination_events::{self as events, Audience, EventFilter};

/// What happened to a nomination.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "entity::enums::NominationEventKind")]
pub enum NominationEventKind {
    /// The nomination was submitted.
    Submitted,
    /// Someone endorsed it.
    Endorsed,
    /// Staff started reviewing it.
    ReviewStarted,
    /// Staff accepted it, which admitted the nominee as a fellow.
    Accepted,
    /// Staff declined it.
    Declined,
    /// The nominator withdrew it.
    Withdrawn,
}

/// Which events to receive.
#[derive(InputObject, Default)]
pub struct NominationEventFilter {
    /// Resume after the event with this cursor: every later event is sent first, in
    /// order, then the live ones. Without it, only events from now on. Events are kept
    /// for a limited time (7 days by default); an older cursor is refused.
    pub after: Option<String>,
    /// Only the events of this nomination; one whose events the caller may not follow
    /// is refused with `NOT_FOUND`.
    pub nomination_id: Option<ID>,
    /// Only events of these kinds.
    pub kinds: Option<Vec<NominationEventKind>>,
}

/// One change of a nomination, with the nomination as it was right after it.
pub struct NominationEvent(Arc<events::NominationEvent>);

/// One change of a nomination, with the nomination as it was right after it.
// Private: never kept by a shared cache (see `http/graphql.rs`, `cache_headers`).
#[Object(cache_control(private))]
impl NominationEvent {
    /// Pass it as `filter.after` when reconnecting, to miss nothing.
    async fn cursor(&self, ctx: &Context<'_>) -> String {
        self.0.cursor(cursor_keys(ctx))
    }

    /// What happened.
    async fn kind(&self) -> NominationEventKind {
        self.0.kind.into()
    }

    /// When the change was made.
    async fn occurred_at(&self) -> DateTime<Utc> {
        self.0.occurred_at
    }

    /// Who made the change.
    async fn actor(&self, ctx: &Context<'_>) -> Result<Option<Person>> {
        Person::named_by(ctx, self.0.actor_person_id, "actor").await
    }

    /// The nomination as it was right after the change: its own fields (status,
    /// version, decision, ...) as of this event; what hangs off it (endorsements,
    /// strategic areas, the fellow it created, the people it names) as it is now.
    async fn nomination(&self) -> Nomination {
        Nomination(self.0.nomination.clone())
    }
}

/// The `nominationEventsCursor` query, merged into [`super::Query`].
#[derive(Default)]
pub struct NominationEventQuery;

#[Object]
impl NominationEventQuery {
    /// Where the nomination events stand now, for those who may follow them. To keep a
    /// list of nominations live with no change missed: read this first, then load the
    /// nominations, then subscribe to `nominationEvents(filter: { after: })` with it.
    /// Every change committed after this point arrives, some perhaps already in the
    /// list (compare `version`).
    #[graphql(cache_control(private))]
    async fn nomination_events_cursor(&self, ctx: &Context<'_>) -> Result<Option<String>> {
        let audience = Audience::of(viewer(ctx))?;
        Ok(Some(
            events::current_cursor(db(ctx), cursor_keys(ctx), audience).await?,
        ))
    }
}

/// The subscription root: live nomination events, over the WebSocket.
#[derive(Default)]
pub struct Subscription;

/// Every subscription of the API, over the WebSocket on `/graphql` (protocol
/// `graphql-transport-ws`). The bearer token travels as `Authorization` in the
/// `connection_init` payload, or in the upgrade request's header.
#[Subscription]
impl Subscription {
    /// Every change of a nomination, in the order the changes committed: staff receive
    /// every nomination's events, a nominator those of their own nominations.
    async fn nomination_events(
        &self,
        ctx: &Context<'_>,
        filter: Option<NominationEventFilter>,
    ) -> Result<impl Stream<Item = Result<NominationEvent>>> {
        let audience = Audience::of(viewer(ctx))?;
        let feed = feed(ctx);
        let filter = filter.unwrap_or_default();
        let start = match &filter.after {
            Some(cursor) => Start::After(
                events::resume_point(db(ctx), cursor_keys(ctx), cursor, feed.retention()).await?,
            ),
            None => Start::Now,
        };
        let nomination_id = filter
            .nomination_id
            .map(|id| ids::decode_as(&id, NodeType::Nomination, "filter.nominationId"))
            .transpose()?;
        let filter = EventFilter {
            nomination_id,
            kinds: filter
                .kinds
                .unwrap_or_default()
                .into_iter()
                .map(Into::into)
                .collect(),
        };
        filter.check(db(ctx), audience).await?;
        let loaders = ctx.data_unchecked::<Arc<Loaders>>().clone();
        Ok(
            follow(db(ctx).clone(), feed, audience, filter, start).map(move |event| {
                loaders.forget();
                event.map(NominationEvent).map_err(Into::into)
            }),
        )
    }
}

//! One subscriber's stream of events: first what it missed, from the database, then
//! what the feed brings, with no gap and nothing twice.
//!
//! The subscriber joins the feed before it reads anything, so an event committed
//! after that is in the feed, and one committed before is in the database when the
//! catch-up reads it. Events arrive in id order from both, so remembering the last id
//! delivered is enough to drop the overlap. A subscriber that falls so far behind that
//! the feed drops events for it reads them from the database again instead: a slow
//! reader costs queries, never lost events.

use std::collections::VecDeque;
use std::sync::Arc;

use futures::Stream;
use sea_orm::DatabaseConnection;
use tokio::sync::broadcast::{self, error::RecvError};

use super::feed::EventFeed;
use super::{latest_id, read_after, Audience, EventFilter, NominationEvent};
use crate::error::{ServiceError, ServiceResult};

/// Events read from the database per query while catching up.
const CATCH_UP_BATCH: u64 = 200;

/// Where a subscription starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Start {
    /// Only events committed from now on.
    Now,
    /// Every event after this id (from a cursor), then the live ones.
    After(i64),
}

struct Follower {
    db: DatabaseConnection,
    feed: broadcast::Receiver<Arc<NominationEvent>>,
    audience: Audience,
    filter: EventFilter,
    start: Start,
    /// The id of the newest event accounted for (delivered or filtered out); `None`
    /// until the start point is known.
    last: Option<i64>,
    catching_up: bool,
    ready: VecDeque<Arc<NominationEvent>>,
    failed: bool,
}

/// The events `audience` may see that match `filter`, from `start` on, in commit
/// order. The stream ends after an error (the database did not answer); the client
/// resumes from the last cursor it saw.
pub fn follow(
    db: DatabaseConnection,
    feed: &EventFeed,
    audience: Audience,
    filter: EventFilter,
    start: Start,
) -> impl Stream<Item = ServiceResult<Arc<NominationEvent>>> + Send + 'static {
    let follower = Follower {
        db,
        // Joined before anything is read: see the module's comment.
        feed: feed.subscribe(),
        audience,
        filter,
        start,
        last: None,
        catching_up: matches!(start, Start::After(_)),
        ready: VecDeque::new(),
        failed: false,
    };
    futures::stream::unfold(follower, |mut follower| async move {
        let next = follower.next().await?;
        Some((next, follower))
    })
}

impl Follower {
    async fn next(&mut self) -> Option<ServiceResult<Arc<NominationEvent>>> {
        loop {
            if let Some(event) = self.ready.pop_front() {
                return Some(Ok(event));
            }
            if self.failed {
                return None;
            }
            let last = match self.last {
                Some(last) => last,
                None => match self.start {
                    Start::After(id) => *self.last.insert(id),
                    Start::Now => match latest_id(&self.db).await {
                        Ok(id) => *self.last.insert(id),
                        Err(err) => return Some(Err(self.fail(err))),
                    },
                },
            };
            if self.catching_up {
                let batch =
                    match read_after(&self.db, last, self.audience, &self.filter, CATCH_UP_BATCH)
                        .await
                    {
                        Ok(batch) => batch,
                        Err(err) => return Some(Err(self.fail(err))),
                    };
                self.catching_up = batch.len() as u64 == CATCH_UP_BATCH;
                for event in batch {
                    self.last = Some(event.id);
                    self.ready.push_back(Arc::new(event));
                }
                continue;
            }
            match self.feed.recv().await {
                Ok(event) if event.id <= last => {}
                Ok(event) => {
                    self.last = Some(event.id);
                    if self.audience.sees(&event) && self.filter.matches(&event) {
                        return Some(Ok(event));
                    }
                }
                Err(RecvError::Lagged(missed)) => {
                    tracing::debug!(missed, "subscriber fell behind the feed; catching up");
                    self.catching_up = true;
                }
                // The feed is gone: the server is stopping.
                Err(RecvError::Closed) => return None,
            }
        }
    }

    fn fail(&mut self, err: ServiceError) -> ServiceError {
        self.failed = true;
        err
    }
}

//! One subscriber's stream of events: first what it missed, from the database, then
//! what the feed brings, with no gap and nothing twice.
//!
//! The subscriber joins the feed before it reads anything, so an event committed
//! after that is in the feed, and one committed before is in the database when the
//! catch-up reads it. Events arrive in id order from both, so remembering the last id
//! delivered is enough to drop the overlap. A subscriber that falls so far behind that
//! the feed drops events for it reads them from the database again instead: a slow
//! reader costs queries, never lost events. When the database does not answer, the
//! subscriber waits and reads again from where it was: a dashboard keeps its stream
//! through a database restart. Any other failure ends the stream with its error.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use futures::Stream;
use sea_orm::DatabaseConnection;
use tokio::sync::broadcast::{self, error::RecvError};

use super::feed::EventFeed;
use super::{read_after, Audience, EventFilter, NominationEvent};
use crate::error::{ServiceError, ServiceResult};

/// Events read from the database per query while catching up.
const CATCH_UP_BATCH: u64 = 200;
/// The first and the longest wait before reading again after a database error.
const RETRY_FIRST: Duration = Duration::from_millis(100);
const RETRY_MOST: Duration = Duration::from_secs(5);

/// Where a subscription starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Start {
    /// Only events the feed brings from now on.
    Now,
    /// Every event after this id (from a cursor), then the live ones.
    After(i64),
}

struct Follower {
    db: DatabaseConnection,
    feed: broadcast::Receiver<Arc<NominationEvent>>,
    audience: Audience,
    filter: EventFilter,
    /// The id of the newest event accounted for (delivered or filtered out).
    last: i64,
    catching_up: bool,
    ready: VecDeque<Arc<NominationEvent>>,
    retry_in: Duration,
    /// Why the stream ends, once it must.
    failed: Option<ServiceError>,
    ended: bool,
}

/// The events `audience` may see that match `filter`, from `start` on, in commit
/// order. The stream ends when the feed does (the server is stopping), or after an
/// error that waiting would not mend.
pub fn follow(
    db: DatabaseConnection,
    feed: &EventFeed,
    audience: Audience,
    filter: EventFilter,
    start: Start,
) -> impl Stream<Item = ServiceResult<Arc<NominationEvent>>> + Send + 'static {
    // Joined before anything is read: see the module's comment.
    let (feed, position) = feed.join();
    let follower = Follower {
        db,
        feed,
        audience,
        filter,
        last: match start {
            Start::Now => position,
            Start::After(id) => id,
        },
        catching_up: matches!(start, Start::After(_)),
        ready: VecDeque::new(),
        retry_in: RETRY_FIRST,
        failed: None,
        ended: false,
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
            if self.ended {
                return None;
            }
            if let Some(err) = self.failed.take() {
                self.ended = true;
                return Some(Err(err));
            }
            if self.catching_up {
                self.catch_up().await;
                continue;
            }
            match self.feed.recv().await {
                Ok(event) if event.id <= self.last => {}
                Ok(event) => {
                    self.last = event.id;
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

    /// Reads the next batch after `last` from the database; when the database does not
    /// answer, waits (longer each time) and leaves the next call to try again.
    async fn catch_up(&mut self) {
        match read_after(
            &self.db,
            self.last,
            self.audience,
            &self.filter,
            CATCH_UP_BATCH,
        )
        .await
        {
            Ok(batch) => {
                self.retry_in = RETRY_FIRST;
                self.catching_up = batch.len() as u64 == CATCH_UP_BATCH;
                for event in batch {
                    self.last = event.id;
                    self.ready.push_back(Arc::new(event));
                }
            }
            Err(err @ ServiceError::Unavailable(_)) => {
                tracing::warn!(
                    error = %err.public_message(),
                    retry_in_ms = self.retry_in.as_millis() as u64,
                    "a subscriber could not read the outbox; trying again"
                );
                tokio::time::sleep(self.retry_in).await;
                self.retry_in = (self.retry_in * 2).min(RETRY_MOST);
            }
            Err(err) => self.failed = Some(err),
        }
    }
}

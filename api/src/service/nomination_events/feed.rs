//! The event feed of one process: reads committed outbox rows in id order and hands
//! each to every subscriber of this process.
//!
//! One relay task per process does the reading, so a thousand subscribers cost one
//! query per batch of events, not a thousand. It reads when told that something
//! committed (PostgreSQL `NOTIFY` from any replica, or a change made in this process)
//! and, as a safety net, every poll interval: a lost notification, a listener
//! reconnecting, or another process writing the same SQLite file only delays an event,
//! never loses it, since the relay always reads everything after the last row it saw.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use sea_orm::{DatabaseBackend, DatabaseConnection};
use sqlx::postgres::PgListener;
use tokio::sync::{broadcast, Notify};

use super::{latest_id, prune, read_after, Audience, EventFilter, NominationEvent, CHANNEL};
use crate::config::SubscriptionSettings;
use crate::error::ServiceResult;

/// Events a subscriber may fall behind by before it re-reads from the database.
const FANOUT_CAPACITY: usize = 1024;
/// Rows the relay reads per query.
const BATCH: u64 = 500;
/// How often old events are pruned.
const PRUNE_EVERY: Duration = Duration::from_secs(3600);
/// How soon to try `LISTEN` again after it failed (the database is away).
const LISTEN_RETRY: Duration = Duration::from_secs(1);

/// A handle on this process's feed; cheap to clone.
#[derive(Clone)]
pub struct EventFeed {
    shared: Arc<Shared>,
}

struct Shared {
    fanout: broadcast::Sender<Arc<NominationEvent>>,
    /// The id of the newest event fanned out; every later one is still to come.
    position: AtomicI64,
    committed: Notify,
    retention: Duration,
}

impl EventFeed {
    /// Reads where the outbox stands and prunes it, then starts the relay, which runs
    /// until the last handle is dropped. The relay only reads when woken, so a server
    /// at rest sends no statements but the polls.
    pub async fn start(
        db: DatabaseConnection,
        settings: &SubscriptionSettings,
    ) -> ServiceResult<EventFeed> {
        let last = latest_id(&db, Audience::Everything).await?;
        prune_past_retention(&db, settings.event_retention).await;
        let (fanout, _) = broadcast::channel(FANOUT_CAPACITY);
        let shared = Arc::new(Shared {
            fanout,
            position: AtomicI64::new(last),
            committed: Notify::new(),
            retention: settings.event_retention,
        });
        tokio::spawn(relay(
            db,
            Arc::downgrade(&shared),
            last,
            settings.event_poll_interval,
            settings.event_retention,
        ));
        Ok(EventFeed { shared })
    }

    /// Joins the feed: every event after the returned id will come through the
    /// receiver, in id order (or, for a receiver that lags, stay readable from the
    /// database after that id).
    pub fn join(&self) -> (broadcast::Receiver<Arc<NominationEvent>>, i64) {
        // Receiver first, position second: the relay moves the position before it
        // sends, so an event past the position read here cannot have been sent before
        // the receiver existed.
        let receiver = self.shared.fanout.subscribe();
        (receiver, self.shared.position.load(Ordering::Acquire))
    }

    /// How long events are kept, and so how old a cursor may be.
    pub fn retention(&self) -> Duration {
        self.shared.retention
    }

    /// A change committed in this process: read the outbox now rather than at the next
    /// poll (on PostgreSQL the notification would come anyway; on SQLite this is it).
    pub fn committed(&self) {
        self.shared.committed.notify_one();
    }
}

async fn relay(
    db: DatabaseConnection,
    shared: Weak<Shared>,
    mut last: i64,
    poll: Duration,
    retention: Duration,
) {
    let postgres = db.get_database_backend() == DatabaseBackend::Postgres;
    let mut listener: Option<PgListener> = None;
    // When to try LISTEN next while there is no listener; and since when the current
    // one listens, so that one dropped at once (a proxy, an idle-session limit) is not
    // replaced in a tight loop.
    let mut relisten_at = Instant::now();
    let mut listening_since = Instant::now();
    let mut next_prune = Instant::now() + PRUNE_EVERY;
    loop {
        let Some(shared) = shared.upgrade() else {
            return;
        };
        let mut read_now = false;
        if postgres && listener.is_none() && Instant::now() >= relisten_at {
            listener = listen(&db).await;
            listening_since = Instant::now();
            relisten_at = Instant::now() + LISTEN_RETRY;
            // Events that committed while nobody listened are read at once, now that
            // the next commit is sure to be heard.
            read_now = listener.is_some();
        }
        if !read_now {
            let relisten = postgres && listener.is_none();
            tokio::select! {
                _ = shared.committed.notified() => {}
                _ = tokio::time::sleep(poll) => {}
                heard = notification(&mut listener) => if !heard {
                    tracing::warn!("lost the event notification connection; listening again");
                    listener = None;
                    relisten_at = listening_since + LISTEN_RETRY;
                    continue;
                },
                _ = tokio::time::sleep_until(relisten_at.into()), if relisten => continue,
            }
        }
        if let Err(err) = deliver(&db, &shared, &mut last).await {
            tracing::warn!(error = %err.public_message(), "event feed could not read the outbox");
        }
        if Instant::now() >= next_prune {
            next_prune = Instant::now() + PRUNE_EVERY;
            prune_past_retention(&db, retention).await;
        }
    }
}

async fn prune_past_retention(db: &DatabaseConnection, retention: Duration) {
    match prune(db, retention).await {
        Ok(0) => {}
        Ok(pruned) => tracing::info!(pruned, "pruned nomination events past retention"),
        Err(err) => tracing::warn!(error = %err.public_message(), "could not prune events"),
    }
}

/// Reads every event after `last` and fans it out.
async fn deliver(db: &DatabaseConnection, shared: &Shared, last: &mut i64) -> ServiceResult<()> {
    loop {
        let batch = read_after(
            db,
            *last,
            Audience::Everything,
            &EventFilter::default(),
            BATCH,
        )
        .await?;
        let complete = (batch.len() as u64) < BATCH;
        for event in batch {
            *last = event.id;
            shared.position.store(event.id, Ordering::Release);
            // No receivers is fine: nobody is subscribed on this replica right now.
            let _ = shared.fanout.send(Arc::new(event));
        }
        if complete {
            return Ok(());
        }
    }
}

async fn listen(db: &DatabaseConnection) -> Option<PgListener> {
    let pool = db.get_postgres_connection_pool();
    let connected = async {
        let mut listener = PgListener::connect_with(pool).await?;
        // A lost connection is reported, not quietly replaced: the relay must read
        // the outbox once the new one listens (see `relay`).
        listener.eager_reconnect(false);
        listener.listen(CHANNEL).await?;
        Ok::<_, sqlx::Error>(listener)
    };
    match connected.await {
        Ok(listener) => Some(listener),
        Err(err) => {
            tracing::warn!(error = %err, "cannot LISTEN for events; polling until it can");
            None
        }
    }
}

/// Waits for the next notification; false when the connection was lost. `try_recv`,
/// not `recv`: `recv` reconnects by itself, and the notifications sent meanwhile would
/// be lost without the relay knowing to read.
async fn notification(listener: &mut Option<PgListener>) -> bool {
    match listener {
        Some(listener) => matches!(listener.try_recv().await, Ok(Some(_))),
        None => std::future::pending().await,
    }
}

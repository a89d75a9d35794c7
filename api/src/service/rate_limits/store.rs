//! The shared stores of rate-limit totals: every replica adds its callers' spending in
//! one batch and reads back the totals, so that a budget holds whichever replica
//! answers. Redis (`INCRBY` and `EXPIRE` per caller and window, pipelined) when
//! `REDIS_URL` is set, else the database's `rate_limit_windows` (one multi-row upsert,
//! old windows pruned).

use std::collections::HashMap;
use std::fmt::Write;
use std::time::Duration;

use anyhow::Context;
use async_trait::async_trait;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement, Value};

/// One caller's spending to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Pending {
    pub(super) caller: String,
    /// The caller's local `charged` this batch brings the store up to.
    pub(super) through: u64,
    /// What the store lacks (zero: only read the total).
    pub(super) delta: u64,
}

#[async_trait]
pub(super) trait SharedStore: Send + Sync {
    /// What the logs call it.
    fn name(&self) -> &'static str;

    /// Adds each caller's delta to their total in the window starting at `window`
    /// (lasting `window_seconds`) and returns the new totals, in the batch's order.
    async fn add(
        &self,
        window: i64,
        window_seconds: i64,
        batch: &[Pending],
    ) -> anyhow::Result<Vec<u64>>;

    /// Forgets the windows that started before `before`, where the store does not
    /// expire them itself.
    async fn prune(&self, _before: i64) -> anyhow::Result<()> {
        Ok(())
    }
}

/// The totals in the database, in `rate_limit_windows`.
pub(super) struct DatabaseStore {
    db: DatabaseConnection,
}

/// Rows per statement: far below SQLite's and PostgreSQL's limits on bound values.
const ROWS_PER_STATEMENT: usize = 500;

impl DatabaseStore {
    /// `db` shares the request's pool; its statements are left out of the request
    /// statement count, since they serve no request in particular.
    pub(super) fn new(db: &DatabaseConnection) -> Self {
        let mut db = db.clone();
        db.set_metric_callback(|_| {});
        DatabaseStore { db }
    }
}

#[async_trait]
impl SharedStore for DatabaseStore {
    fn name(&self) -> &'static str {
        "database"
    }

    async fn add(
        &self,
        window: i64,
        _window_seconds: i64,
        batch: &[Pending],
    ) -> anyhow::Result<Vec<u64>> {
        let backend = self.db.get_database_backend();
        // Every replica locks its rows in the same order, so that two batches never
        // wait on each other's rows in a circle (a PostgreSQL deadlock).
        let mut order: Vec<usize> = (0..batch.len()).collect();
        order.sort_unstable_by(|&a, &b| batch[a].caller.cmp(&batch[b].caller));
        let mut totals = vec![0; batch.len()];
        for chunk in order.chunks(ROWS_PER_STATEMENT) {
            let mut sql =
                String::from("INSERT INTO rate_limit_windows (caller, window_start, used) VALUES ");
            let mut values: Vec<Value> = Vec::with_capacity(chunk.len() * 3);
            for (row, &index) in chunk.iter().enumerate() {
                if row > 0 {
                    sql.push_str(", ");
                }
                match backend {
                    DbBackend::Postgres => {
                        let _ = write!(
                            sql,
                            "(${}, ${}, ${})",
                            3 * row + 1,
                            3 * row + 2,
                            3 * row + 3
                        );
                    }
                    _ => sql.push_str("(?, ?, ?)"),
                }
                let pending = &batch[index];
                values.push(pending.caller.clone().into());
                values.push(window.into());
                values.push(i64::try_from(pending.delta).unwrap_or(i64::MAX).into());
            }
            sql.push_str(
                " ON CONFLICT (caller, window_start) DO UPDATE \
                 SET used = rate_limit_windows.used + excluded.used RETURNING caller, used",
            );
            let rows = self
                .db
                .query_all_raw(Statement::from_sql_and_values(backend, sql, values))
                .await
                .context("could not add rate-limit spending to the database")?;
            let mut returned = HashMap::with_capacity(rows.len());
            for row in rows {
                let caller: String = row.try_get_by_index(0)?;
                let used: i64 = row.try_get_by_index(1)?;
                returned.insert(caller, u64::try_from(used).unwrap_or(0));
            }
            for &index in chunk {
                totals[index] = *returned
                    .get(&batch[index].caller)
                    .context("the rate-limit upsert left a caller out")?;
            }
        }
        Ok(totals)
    }

    async fn prune(&self, before: i64) -> anyhow::Result<()> {
        let backend = self.db.get_database_backend();
        let sql = match backend {
            DbBackend::Postgres => "DELETE FROM rate_limit_windows WHERE window_start < $1",
            _ => "DELETE FROM rate_limit_windows WHERE window_start < ?",
        };
        self.db
            .execute_raw(Statement::from_sql_and_values(
                backend,
                sql,
                [before.into()],
            ))
            .await
            .context("could not prune old rate-limit windows")?;
        Ok(())
    }
}

/// The totals in Redis: one counter per caller and window, expiring after the window.
pub(super) struct RedisStore {
    connection: redis::aio::ConnectionManager,
    prefix: String,
}

impl RedisStore {
    /// Connects lazily: a Redis that is down at start only makes the first syncs fail,
    /// like one that goes down later. `timeout` bounds each attempt to connect or to
    /// answer.
    pub(super) fn new(url: &str, prefix: &str, timeout: Duration) -> anyhow::Result<Self> {
        let client = redis::Client::open(url).context("REDIS_URL is not a Redis URL")?;
        let config = redis::aio::ConnectionManagerConfig::new()
            .set_connection_timeout(Some(timeout))
            .set_response_timeout(Some(timeout))
            // The next sync retries anyway; retrying inside one only makes it late.
            .set_number_of_retries(1)
            .set_max_delay(Duration::from_millis(100));
        let connection = redis::aio::ConnectionManager::new_lazy_with_config(client, config)
            .context("could not set up the Redis connection")?;
        Ok(RedisStore {
            connection,
            prefix: prefix.to_owned(),
        })
    }
}

#[async_trait]
impl SharedStore for RedisStore {
    fn name(&self) -> &'static str {
        "Redis"
    }

    async fn add(
        &self,
        window: i64,
        window_seconds: i64,
        batch: &[Pending],
    ) -> anyhow::Result<Vec<u64>> {
        // A window's counter outlives the window by one more, for clocks a little apart.
        let ttl = window_seconds.saturating_mul(2).max(2);
        let mut pipe = redis::pipe();
        for pending in batch {
            let key = format!("{}{}:{window}", self.prefix, pending.caller);
            pipe.cmd("INCRBY")
                .arg(&key)
                .arg(i64::try_from(pending.delta).unwrap_or(i64::MAX))
                .cmd("EXPIRE")
                .arg(&key)
                .arg(ttl)
                .ignore();
        }
        let mut connection = self.connection.clone();
        let totals: Vec<i64> = pipe
            .query_async(&mut connection)
            .await
            .context("could not add rate-limit spending to Redis")?;
        anyhow::ensure!(
            totals.len() == batch.len(),
            "Redis answered {} totals for {} callers",
            totals.len(),
            batch.len()
        );
        Ok(totals
            .into_iter()
            .map(|total| u64::try_from(total).unwrap_or(0))
            .collect())
    }
}

/// A store in memory, standing for the shared one in unit tests of several replicas.
#[cfg(test)]
#[derive(Default)]
pub(super) struct MemoryStore {
    totals: std::sync::Mutex<HashMap<(String, i64), u64>>,
    pub(super) down: std::sync::atomic::AtomicBool,
}

#[cfg(test)]
#[async_trait]
impl SharedStore for MemoryStore {
    fn name(&self) -> &'static str {
        "memory"
    }

    async fn add(
        &self,
        window: i64,
        _window_seconds: i64,
        batch: &[Pending],
    ) -> anyhow::Result<Vec<u64>> {
        anyhow::ensure!(
            !self.down.load(std::sync::atomic::Ordering::SeqCst),
            "the store is down"
        );
        let mut totals = self.totals.lock().unwrap();
        Ok(batch
            .iter()
            .map(|pending| {
                let total = totals.entry((pending.caller.clone(), window)).or_default();
                *total += pending.delta;
                *total
            })
            .collect())
    }
}

//! The database pool: one per process, shared by HTTP handlers and services; and the
//! three policies that make the database's answers and ours agree.
//!
//! SQLite runs in WAL mode with a busy timeout so that readers never wait on the single
//! writer and concurrent writers queue instead of failing. Every statement is counted
//! (see [`crate::metrics::Metrics`]) so operators and tests can see how many statements
//! a request costs, and, while traces are sent, is a span of the request that sent it
//! (see [`crate::telemetry::statement`]).
//!
//! - **Commits and deadlines.** A request past its deadline is answered 503, which tells
//!   the client that nothing was written and a retry is safe. So every service
//!   transaction commits through [`commit`], which consults the request's
//!   [`CommitGate`]: once the deadline has passed, no commit starts (the transaction
//!   rolls back); once a commit has started, the deadline no longer cuts the request
//!   short, and the answer is what the commit did. A COMMIT handed to the database
//!   cannot be taken back by dropping its future, so the gate, not the timer, decides.
//! - **Migrations** run one process at a time (several replicas start together): in
//!   one transaction that first takes a PostgreSQL advisory lock, or SQLite's exclusive
//!   lock; whoever comes second finds nothing left to apply. Migrations the database
//!   records that this binary does not know (a later release's) are logged and left
//!   alone, so that a rollback or a rolling restart can start the older binary.
//! - **Readiness** comes from a [`Probe`] that pings in the background, so that
//!   `/readyz` answers at once whatever the database does.

use std::future::Future;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use anyhow::Context;
use migration::{ledger, Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbBackend,
    DbErr, SqliteTransactionMode, TransactionOptions, TransactionTrait,
};
use tokio::time::Instant;

use crate::config::DatabaseSettings;
use crate::error::{Outage, ServiceError, ServiceResult};
use crate::metrics::Metrics;

/// How long a process waits for an SQLite file that another process holds locked.
const CONNECT_WAIT: Duration = Duration::from_secs(30);

/// Opens the pool described by `settings`, counting every statement into `metrics`.
/// SQLite gets WAL mode, a 5-second busy timeout and foreign keys; PostgreSQL gets the
/// statement timeout and, when asked, generic plans. An SQLite file that another
/// process holds locked is waited for (up to 30 seconds) rather than refused.
pub async fn connect(
    settings: &DatabaseSettings,
    metrics: Arc<Metrics>,
) -> anyhow::Result<DatabaseConnection> {
    let mut options = ConnectOptions::new(settings.url.expose().to_owned());
    let generic_plans = settings.generic_plans;
    options
        .max_connections(settings.pool_size())
        .min_connections(0)
        .acquire_timeout(settings.acquire_timeout)
        .connect_timeout(settings.acquire_timeout)
        .idle_timeout(Duration::from_secs(300))
        // A ping on every checkout was a round trip (and a wake-up of both processes) per
        // statement. A connection in steady use is known to be alive; one idle for a
        // while may have been cut by the server, a proxy or a restart, and is pinged.
        // One that breaks in use fails its statement (503, `unavailable`) and is closed.
        .test_before_acquire_if_idle_for(Duration::from_secs(10))
        .sqlx_logging(false)
        // PostgreSQL cancels a statement that runs longer (SQLite has no such setting;
        // its writers wait at most the busy timeout below).
        .statement_timeout(settings.statement_timeout)
        .map_sqlx_postgres_opts(move |opts| {
            // PostgreSQL plans a prepared statement anew for every execution as long as
            // its generic plan looks dearer than the custom ones, which a `LIMIT $n`
            // (guessed at a tenth of the table) always makes it: at 50,000 fellows that
            // planning was half of the database's CPU for a page. The statements of
            // this service are keyset pages, lookups by key and batches by foreign key,
            // whose generic plans are the plans they need; the query-plan test checks
            // the generic plan of each hot statement for whole-table scans and sorts.
            if generic_plans {
                opts.options([("plan_cache_mode", "force_generic_plan")])
            } else {
                opts
            }
        })
        .map_sqlx_sqlite_opts(|opts| {
            opts.journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(5))
                .foreign_keys(true)
        });
    // A fresh SQLite file is switched to WAL mode by its first connection, which needs
    // the file's exclusive lock: a replica starting beside another one that is
    // migrating that file is answered "locked" and waits its turn here.
    let started = Instant::now();
    let mut db = loop {
        match Database::connect(options.clone()).await {
            Ok(db) => break db,
            Err(err) if Outage::is_sqlite_busy(&err) && started.elapsed() < CONNECT_WAIT => {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(err) => {
                return Err(err).with_context(|| {
                    format!("could not connect to the database at {}", settings.url)
                })
            }
        }
    };
    // While traces are sent, each statement is a span of the request that sent it too;
    // otherwise the callback stays the counter alone.
    if crate::telemetry::exporting() {
        let backend = db.get_database_backend();
        db.set_metric_callback(move |info| {
            metrics.record_statement(info.failed);
            crate::telemetry::statement(backend, info);
        });
    } else {
        db.set_metric_callback(move |info| metrics.record_statement(info.failed));
    }
    Ok(db)
}

// ---------------------------------------------------------------------------------
// Migrations
// ---------------------------------------------------------------------------------

/// The advisory lock every process takes around migrations ("FELLOWSH" in ASCII).
const MIGRATION_LOCK: i64 = 0x4645_4c4c_4f57_5348;

/// How long a process waits for another one's migrations before giving up.
const MIGRATION_LOCK_WAIT: Duration = Duration::from_secs(120);

/// Applies every pending migration, one process at a time. Migrations the database
/// records that this binary does not know (a later release migrated it: a rolling
/// deploy, a rollback) are logged and left alone rather than refused, because every
/// release only expands the schema (`docs/operations/upgrades.md`).
pub async fn migrate_up(db: &DatabaseConnection) -> anyhow::Result<()> {
    migrate(db, Direction::Up)
        .await
        .context("could not apply the database migrations")
}

/// Rolls back the last `steps` migrations (all of them with `None`), one process at a
/// time. Refused while the database records migrations of a later release: the last
/// applied would be one this binary cannot undo, so that release's binary must.
pub async fn migrate_down(db: &DatabaseConnection, steps: Option<u32>) -> anyhow::Result<()> {
    migrate(db, Direction::Down(steps))
        .await
        .context("could not roll back the database migrations")
}

/// Which of this binary's migrations the database has applied, which are pending, and
/// which it records from a later release.
pub async fn migration_ledger(db: &DatabaseConnection) -> anyhow::Result<ledger::Ledger> {
    ledger::read_only(db)
        .await
        .context("could not read which migrations are applied")
}

#[derive(Clone, Copy)]
enum Direction {
    Up,
    Down(Option<u32>),
}

/// Runs the migrator inside one transaction that holds the migration lock, so that
/// concurrent processes apply migrations one after the other (the second finds them
/// applied) instead of racing on the catalog (PostgreSQL's duplicate `pg_type` keys).
/// The lock goes with the transaction, whatever happens to the process.
async fn migrate(db: &DatabaseConnection, direction: Direction) -> Result<(), DbErr> {
    let txn = begin_migration(db).await?;
    let applied = match direction {
        Direction::Up => ledger::apply_pending(&txn).await.map(|before| {
            if !before.newer.is_empty() {
                tracing::warn!(
                    newer = ?before.newer,
                    "the database has migrations of a later release applied; this binary \
                     does not know them and leaves them as they are (expand-only schema)"
                );
            }
            if !before.pending.is_empty() {
                tracing::info!(applied = ?before.pending, "migrations applied");
            }
        }),
        Direction::Down(steps) => match ledger::read(&txn).await {
            Ok(ledger) if !ledger.newer.is_empty() => Err(DbErr::Custom(format!(
                "the database has migrations of a later release applied ({}); roll those \
                 back with that release's `api migrate down` first",
                ledger.newer.join(", ")
            ))),
            Ok(_) => Migrator::down(&txn, steps).await,
            Err(err) => Err(err),
        },
    };
    match applied {
        Ok(()) => txn.commit().await,
        Err(err) => {
            let _ = txn.rollback().await;
            Err(err)
        }
    }
}

/// A transaction holding the migration lock. PostgreSQL waits on the advisory lock for
/// as long as the other process migrates; SQLite's exclusive lock waits the busy
/// timeout at a time, so it is asked again until [`MIGRATION_LOCK_WAIT`] has passed.
async fn begin_migration(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    match db.get_database_backend() {
        DbBackend::Postgres => {
            let txn = db.begin().await?;
            txn.execute_unprepared(&format!("SELECT pg_advisory_xact_lock({MIGRATION_LOCK})"))
                .await?;
            Ok(txn)
        }
        _ => {
            let give_up = Instant::now() + MIGRATION_LOCK_WAIT;
            loop {
                let exclusive = TransactionOptions {
                    sqlite_transaction_mode: Some(SqliteTransactionMode::Exclusive),
                    ..Default::default()
                };
                match db.begin_with_options(exclusive).await {
                    Ok(txn) => return Ok(txn),
                    Err(err)
                        if Outage::of(&err) == Some(Outage::TimedOut)
                            && Instant::now() < give_up =>
                    {
                        tracing::info!("another process is migrating the database; waiting");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                    Err(err) => return Err(err),
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------
// Commits and deadlines
// ---------------------------------------------------------------------------------

tokio::task_local! {
    /// The gate of the request being executed, if any (the command line and background
    /// tasks have none and commit freely).
    static GATE: CommitGate;
}

/// Where a request stands with respect to its deadline and its commits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum GateState {
    /// Nothing committed yet; the deadline has not passed.
    Open,
    /// A commit is in flight (its count); its outcome is the request's.
    Committing(u32),
    /// Something was committed: the answer must say so, deadline or not.
    Committed,
    /// The deadline passed before any commit: nothing may commit any more.
    Expired,
}

/// The agreement between a request's deadline and its commits: either the deadline
/// wins (no commit ever starts, and the request is answered 503) or a commit does (the
/// request runs on and is answered with what it did).
#[derive(Clone, Debug)]
pub struct CommitGate {
    inner: Arc<GateInner>,
}

#[derive(Debug)]
struct GateInner {
    deadline: Instant,
    state: Mutex<GateState>,
}

/// How a request ran against its deadline.
#[derive(Debug)]
pub enum Outcome<T> {
    /// It finished (perhaps after its deadline, when a commit had started).
    Finished(T),
    /// The deadline passed first and nothing was committed.
    Expired,
}

impl CommitGate {
    /// A gate for a request that must be answered by `deadline`, nothing committed yet.
    pub fn new(deadline: Instant) -> CommitGate {
        CommitGate {
            inner: Arc::new(GateInner {
                deadline,
                state: Mutex::new(GateState::Open),
            }),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, GateState> {
        // The state is a plain value: a panic elsewhere cannot leave it half-written.
        self.inner
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Runs `execution` until it finishes or the deadline passes with nothing committed
    /// or committing; in the latter case `execution` is dropped (rolling back any open
    /// transaction) and no commit can start any more.
    pub async fn run<F: Future>(&self, execution: F) -> Outcome<F::Output> {
        let execution = GATE.scope(self.clone(), execution);
        tokio::pin!(execution);
        tokio::select! {
            biased;
            output = &mut execution => return self.finished(output),
            () = tokio::time::sleep_until(self.inner.deadline) => {}
        }
        if self.expire() {
            return Outcome::Expired;
        }
        tracing::info!("request deadline passed during a commit; answering what it did");
        let output = execution.await;
        self.finished(output)
    }

    /// An execution that finished may still have been refused its commit at the
    /// deadline; it wrote nothing and is answered as expired.
    fn finished<T>(&self, output: T) -> Outcome<T> {
        match *self.state() {
            GateState::Expired => Outcome::Expired,
            _ => Outcome::Finished(output),
        }
    }

    /// Closes the gate unless a commit is in flight or done; true when it is closed.
    fn expire(&self) -> bool {
        let mut state = self.state();
        match *state {
            GateState::Open | GateState::Expired => {
                *state = GateState::Expired;
                true
            }
            GateState::Committing(_) | GateState::Committed => false,
        }
    }

    /// Whether anything was committed under this gate.
    pub fn wrote(&self) -> bool {
        *self.state() == GateState::Committed
    }

    /// Asks to commit: false (and the gate closes) once the deadline has passed with
    /// nothing committed. The clock is read here too, not only by the timer, so that a
    /// commit reached just after the deadline never starts.
    fn begin_commit(&self) -> bool {
        let mut state = self.state();
        *state = match *state {
            GateState::Expired => return false,
            GateState::Open if Instant::now() >= self.inner.deadline => {
                *state = GateState::Expired;
                return false;
            }
            GateState::Open => GateState::Committing(1),
            GateState::Committing(n) => GateState::Committing(n + 1),
            // Once something is written the request runs to its end, so that its answer
            // tells all it did; later commits are not cut short either.
            GateState::Committed => GateState::Committed,
        };
        true
    }

    fn end_commit(&self, committed: bool) {
        let mut state = self.state();
        *state = match (*state, committed) {
            (GateState::Committing(_), true) => GateState::Committed,
            (GateState::Committing(1), false) => GateState::Open,
            (GateState::Committing(n), false) => GateState::Committing(n - 1),
            (other, _) => other,
        };
    }
}

/// Marks a commit as finished even when its future is dropped halfway: its outcome is
/// then unknown, so the gate counts it as written (the honest answer is not "nothing").
struct CommitInFlight<'a> {
    gate: &'a CommitGate,
    done: bool,
}

impl CommitInFlight<'_> {
    fn finish(mut self, committed: bool) {
        self.done = true;
        self.gate.end_commit(committed);
    }
}

impl Drop for CommitInFlight<'_> {
    fn drop(&mut self) {
        if !self.done {
            self.gate.end_commit(true);
        }
    }
}

/// Makes the transactions that name the same `key` run their checks one after another,
/// from this call to their commit, on every replica: for a rule that reads several rows
/// and then writes one (no cycle among parents; at most so many of a caller's leases),
/// which row locks alone cannot guard. On PostgreSQL this is a transaction-level
/// advisory lock on the key's hash. SQLite has one writer at a time already: there the
/// transaction must write before it reads what it checks, so that it holds the write
/// lock while it checks (callers write first on both databases).
pub async fn serialise(txn: &DatabaseTransaction, key: &str) -> ServiceResult<()> {
    if txn.get_database_backend() == DbBackend::Postgres {
        txn.execute_raw(sea_orm::Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT pg_advisory_xact_lock(hashtext($1))",
            [key.into()],
        ))
        .await?;
    }
    Ok(())
}

/// Commits a service's transaction, unless the request it serves is past its deadline:
/// then it rolls back and answers [`ServiceError::Unavailable`], so that the 503 the
/// client gets is true. Every service transaction commits through here.
pub async fn commit(txn: DatabaseTransaction) -> ServiceResult<()> {
    match GATE.try_with(CommitGate::clone) {
        Ok(gate) => {
            gate.commit(
                txn,
                DatabaseTransaction::commit,
                DatabaseTransaction::rollback,
            )
            .await
        }
        // Not serving a request (the command line, background tasks): no deadline.
        Err(_) => Ok(txn.commit().await?),
    }
}

impl CommitGate {
    /// The gate's side of a commit, apart from the database so that it can be tested
    /// with any commit.
    async fn commit<T, C, R>(
        &self,
        txn: T,
        commit: impl FnOnce(T) -> C,
        rollback: impl FnOnce(T) -> R,
    ) -> ServiceResult<()>
    where
        C: Future<Output = Result<(), DbErr>>,
        R: Future<Output = Result<(), DbErr>>,
    {
        if !self.begin_commit() {
            if let Err(err) = rollback(txn).await {
                // The transaction is gone either way: a failed ROLLBACK ends with its
                // connection, which the pool then discards.
                tracing::warn!(error = %err, "could not roll back past the deadline");
            }
            return Err(ServiceError::Unavailable(DbErr::Custom(
                "the request's deadline passed before its write was committed".to_owned(),
            )));
        }
        let in_flight = CommitInFlight {
            gate: self,
            done: false,
        };
        let result = commit(txn).await;
        in_flight.finish(result.is_ok());
        Ok(result?)
    }
}

// ---------------------------------------------------------------------------------
// Readiness
// ---------------------------------------------------------------------------------

/// How often the probe pings.
pub const PROBE_EVERY: Duration = Duration::from_secs(1);
/// How long one ping may take before the database counts as not answering.
pub const PROBE_TIMEOUT: Duration = Duration::from_millis(500);

/// What the probe last saw, and when.
#[derive(Debug, Clone)]
struct Observation {
    at: Instant,
    /// `None` when the database answered; the reason otherwise.
    problem: Option<&'static str>,
}

/// The database's state as the background probe last saw it. Readiness reads it
/// without touching the database, so it answers at once however slow the database is.
#[derive(Clone, Debug)]
pub struct Probe {
    last: Arc<Mutex<Observation>>,
}

impl Probe {
    /// Pings once (so the state is known from the start), then every [`PROBE_EVERY`]
    /// in a background task that ends when the last handle is dropped.
    pub async fn start(db: DatabaseConnection) -> Probe {
        let probe = Probe {
            last: Arc::new(Mutex::new(ping(&db).await)),
        };
        let last: Weak<Mutex<Observation>> = Arc::downgrade(&probe.last);
        tokio::spawn(async move {
            let mut ticks = tokio::time::interval(PROBE_EVERY);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            ticks.tick().await;
            loop {
                ticks.tick().await;
                let observation = ping(&db).await;
                let Some(last) = last.upgrade() else { return };
                let previous = std::mem::replace(
                    &mut *last
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner),
                    observation.clone(),
                );
                match (previous.problem, observation.problem) {
                    (None, Some(reason)) => {
                        tracing::warn!(reason, "the database became unavailable");
                    }
                    (Some(_), None) => tracing::info!("the database answers again"),
                    _ => {}
                }
            }
        });
        probe
    }

    /// `Ok` when the database answered the last probe; the reason otherwise. A probe
    /// that has not reported for a while (a starved runtime) counts as a failure.
    pub fn readiness(&self) -> Result<(), &'static str> {
        let last = self
            .last
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone();
        if last.at.elapsed() > 3 * PROBE_EVERY + PROBE_TIMEOUT {
            return Err("the database probe has not reported recently");
        }
        match last.problem {
            None => Ok(()),
            Some(reason) => Err(reason),
        }
    }
}

async fn ping(db: &DatabaseConnection) -> Observation {
    let problem = match tokio::time::timeout(PROBE_TIMEOUT, db.ping()).await {
        Ok(Ok(())) => None,
        Ok(Err(err)) => {
            tracing::debug!(error = %err, "readiness probe: the database did not answer");
            Some(Outage::of(&err).map_or("the database answered with an error", Outage::reason))
        }
        Err(_) => Some("the database did not answer within the probe's timeout"),
    };
    Observation {
        at: Instant::now(),
        problem,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gate_after(deadline: Duration) -> CommitGate {
        CommitGate::new(Instant::now() + deadline)
    }

    /// A commit that takes `takes` and records that it ran.
    fn slow_commit(
        takes: Duration,
        ran: Arc<Mutex<bool>>,
    ) -> impl FnOnce(()) -> std::pin::Pin<Box<dyn Future<Output = Result<(), DbErr>> + Send>> {
        move |()| {
            Box::pin(async move {
                tokio::time::sleep(takes).await;
                *ran.lock().unwrap() = true;
                Ok(())
            })
        }
    }

    async fn no_rollback(_: ()) -> Result<(), DbErr> {
        Ok(())
    }

    #[tokio::test]
    async fn a_deadline_before_the_commit_expires_the_request_and_the_commit_never_runs() {
        let gate = gate_after(Duration::from_millis(100));
        let ran = Arc::new(Mutex::new(false));
        let execution = {
            let (gate, ran) = (gate.clone(), ran.clone());
            async move {
                tokio::time::sleep(Duration::from_millis(150)).await;
                gate.commit((), slow_commit(Duration::from_millis(10), ran), no_rollback)
                    .await
            }
        };
        assert!(matches!(gate.run(execution).await, Outcome::Expired));
        tokio::time::sleep(Duration::from_secs(1)).await;
        assert!(!*ran.lock().unwrap());
        assert!(!gate.wrote());
    }

    #[tokio::test]
    async fn a_deadline_during_the_commit_waits_for_it_and_answers_what_it_did() {
        let gate = gate_after(Duration::from_millis(100));
        let ran = Arc::new(Mutex::new(false));
        let execution = {
            let (gate, ran) = (gate.clone(), ran.clone());
            async move {
                tokio::time::sleep(Duration::from_millis(50)).await;
                gate.commit(
                    (),
                    slow_commit(Duration::from_millis(200), ran),
                    no_rollback,
                )
                .await
            }
        };
        let started = Instant::now();
        let outcome = gate.run(execution).await;
        assert!(matches!(outcome, Outcome::Finished(Ok(()))), "{outcome:?}");
        assert!(started.elapsed() >= Duration::from_millis(250));
        assert!(*ran.lock().unwrap());
        assert!(gate.wrote());
    }

    #[tokio::test]
    async fn after_a_commit_the_deadline_no_longer_cuts_the_request_short() {
        let gate = gate_after(Duration::from_millis(100));
        let ran = Arc::new(Mutex::new(false));
        let execution = {
            let (gate, ran) = (gate.clone(), ran.clone());
            async move {
                gate.commit((), slow_commit(Duration::from_millis(10), ran), no_rollback)
                    .await?;
                // Reading the payload back, slowly.
                tokio::time::sleep(Duration::from_millis(300)).await;
                ServiceResult::Ok("payload")
            }
        };
        let outcome = gate.run(execution).await;
        assert!(
            matches!(outcome, Outcome::Finished(Ok("payload"))),
            "{outcome:?}"
        );
    }

    #[tokio::test]
    async fn a_commit_reached_after_the_deadline_is_refused_and_rolled_back_even_before_the_timer_fires(
    ) {
        let gate = gate_after(Duration::ZERO);
        let rolled_back = Arc::new(Mutex::new(false));
        let ran = Arc::new(Mutex::new(false));
        let result = {
            let rolled_back = rolled_back.clone();
            gate.commit(
                (),
                slow_commit(Duration::ZERO, ran.clone()),
                move |()| async move {
                    *rolled_back.lock().unwrap() = true;
                    Ok(())
                },
            )
            .await
        };
        assert!(matches!(result, Err(ServiceError::Unavailable(_))));
        assert!(*rolled_back.lock().unwrap() && !*ran.lock().unwrap());
        // And the request as a whole is answered as expired.
        assert!(matches!(gate.run(async {}).await, Outcome::Expired));
    }

    #[tokio::test]
    async fn outside_a_request_commits_are_not_gated() {
        let db = Database::connect("sqlite::memory:").await.unwrap();
        db.execute_unprepared("CREATE TABLE t (x INTEGER)")
            .await
            .unwrap();
        let txn = db.begin().await.unwrap();
        txn.execute_unprepared("INSERT INTO t VALUES (1)")
            .await
            .unwrap();
        commit(txn)
            .await
            .map_err(ServiceError::into_anyhow)
            .unwrap();
    }
}

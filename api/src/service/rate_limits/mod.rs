//! Rate limits: each caller (a partner token, a user, or an anonymous client address)
//! has a budget of cost points per fixed window, aligned to the epoch. A request is
//! charged the cost it was measured at before it runs, refused requests included (as a
//! shared counter sees them); once the window's spending passes the budget, requests
//! are refused with `RATE_LIMITED` until the window turns.
//!
//! # Charged in memory, shared in batches
//!
//! A request never waits for a write in the common case. Each process keeps, per caller
//! and window, the shared total as it last read it and what it charged since
//! (`ledger`), and decides from those. A background task sends every caller's
//! spending to the shared store in one batch every `RATE_LIMIT_SYNC_INTERVAL` (200 ms)
//! and reads back the totals, which carry the other replicas' spending: one multi-row
//! upsert of `rate_limit_windows` on the database, or one pipeline of `INCRBY` and
//! `EXPIRE` on Redis when `REDIS_URL` is set (`store`). A process at rest sends
//! nothing.
//!
//! A request syncs before it is answered (it wakes the task and waits for its batch)
//! when its caller's total was never read in this window, or when the spending this
//! process has not yet handed to the store would pass the **slack**,
//! `budget × 10 % / RATE_LIMIT_REPLICAS` ([`slack`]). It is then judged where the
//! store counted it: the total the store held when its batch arrived, plus the charges
//! before it in that batch, as one shared counter would. A refusal never waits: what a
//! process knows is at most the truth, so "over budget" here is over budget everywhere.
//!
//! # How far over budget a caller can get
//!
//! What a process accepts without asking the store is at most the slack; all the rest
//! was checked against the store's total. So with at most `RATE_LIMIT_REPLICAS`
//! replicas serving one caller, the others can have accepted at most
//! `(replicas − 1) × slack` that a replica did not see when it accepted the last
//! request: a caller gets at most **10 % over budget** (`budget × 10 % × (N − 1) / N`),
//! and is never refused before the budget is spent (to within one request's
//! cost). Two things widen the bound, both bounded: a single request
//! dearer than the slack may add its own cost per replica, and more replicas than
//! configured add the slack each. A budget smaller than `10 × replicas` points has no
//! slack: every request of such a caller syncs.
//!
//! # When the store is away
//!
//! A store that fails, or answers slower than `RATE_LIMIT_SYNC_TIMEOUT` (100 ms), never
//! takes requests down: requests stop waiting for it, each replica goes on enforcing
//! the budget on its own spending (so with N replicas a caller may get up to N budgets
//! until it is back), a warning is logged once per outage, failed batches are counted
//! in `/metrics` (`fellowship_rate_limit_sync_failures_total`), and the background
//! task keeps trying: the first batch the store takes again carries everything charged
//! meanwhile, and sharing resumes. A batch whose answer is lost may be counted twice;
//! that errs towards refusing, never towards overspending.
//!
//! # Memory
//!
//! Accounts of windows past are dropped at the next batch. A process tracks at most
//! `RATE_LIMIT_MAX_CALLERS` callers (50,000, some 5 MB); when a flood of addresses
//! fills it, a new caller takes the place of one whose spending the store already has
//! (read again when it returns), and when there is none such, the new caller's request
//! is charged straight to the store, one write as before this design
//! (`fellowship_rate_limit_direct_charges_total`), or, with the store away, judged on
//! its own cost alone.
//!
//! On graceful shutdown the process sends what it has not yet sent
//! ([`RateLimiter::flush_before_exit`]).

mod ledger;
mod store;

use secrecy::ExposeSecret;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use sea_orm::DatabaseConnection;
use tokio::sync::{watch, Notify};
use tokio::time::Instant;

use crate::auth::Viewer;
use crate::config::RateLimitSharingSettings;
use crate::metrics::Metrics;

use ledger::{Charged, Ledger};
use store::{DatabaseStore, RedisStore, SharedStore};

/// Budgets per kind of caller, in cost points per window.
#[derive(Debug, Clone, Copy)]
pub struct Budgets {
    /// The window's length in seconds (less than 1 counts as 1); windows are aligned to
    /// the Unix epoch.
    pub window_seconds: i64,
    /// The budget of an anonymous caller, counted per client address.
    pub anonymous: u64,
    /// The budget of a signed-in staff member or fellow, counted per person.
    pub user: u64,
    /// The budget of a partner, counted per API token.
    pub partner: u64,
}

/// Where a caller stands in the current window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Usage {
    /// The caller's budget for the window, in cost points.
    pub limit: u64,
    /// Cost points spent in the window, this request's included, as far as this process
    /// knows (the shared total when it synced, or its own spending while the store is
    /// away).
    pub used: u64,
    /// What this request was charged.
    pub cost: u64,
    /// When the window turns and the spending starts again from zero.
    pub reset_at: DateTime<Utc>,
}

impl Usage {
    /// Cost points left in the window; 0 once spent.
    pub fn remaining(&self) -> u64 {
        self.limit.saturating_sub(self.used)
    }

    /// Whether the spending, this request's included, passed the budget: the request is
    /// refused with `RATE_LIMITED`.
    pub fn exceeded(&self) -> bool {
        self.used > self.limit
    }

    /// Whole seconds until the window turns (at least 1).
    pub fn reset_in_seconds(&self) -> u64 {
        (self.reset_at - Utc::now()).num_seconds().max(1) as u64
    }

    /// What a caller whose budget is spent is told, on every transport.
    pub fn spent_message(&self) -> String {
        format!(
            "The rate limit of {} cost points per window is spent; it resets in {} seconds.",
            self.limit,
            self.reset_in_seconds()
        )
    }
}

/// Who is charged: the partner token, the user, or the client address.
pub fn caller_key(viewer: &Viewer, client_address: &str) -> String {
    match viewer {
        Viewer::Partner(partner) => format!("token:{}", partner.token_id),
        // The person, not the token's spelling of their handle: every spelling that signs
        // in as one person shares one budget.
        Viewer::Staff(user) | Viewer::Fellow(user) => match user.person_id {
            Some(id) => format!("person:{id}"),
            None => format!("user:{}", entity::folding::fold(&user.handle)),
        },
        Viewer::Anonymous => format!("address:{client_address}"),
    }
}

/// The budget that applies to `viewer`: a partner's, a user's (staff and fellows
/// alike) or an anonymous caller's.
pub fn budget_for(budgets: &Budgets, viewer: &Viewer) -> u64 {
    match viewer {
        Viewer::Partner(_) => budgets.partner,
        Viewer::Staff(_) | Viewer::Fellow(_) => budgets.user,
        Viewer::Anonymous => budgets.anonymous,
    }
}

/// The most a single batch may take before it counts as failed (its spending is then
/// sent again with the next one).
const BATCH_DEADLINE: Duration = Duration::from_secs(2);

/// What a caller's requests may spend beyond what the shared store has confirmed before
/// the process must ask it: `budget × 10 % / replicas`, so that `replicas` processes
/// together overshoot by at most 10 %.
pub fn slack(budget: u64, replicas: u64) -> u64 {
    budget / 10u64.saturating_mul(replicas.max(1))
}

/// The rate limiter of one process: charges in memory, shares through the store.
#[derive(Clone)]
pub struct RateLimiter {
    inner: Arc<Inner>,
}

struct Inner {
    budgets: Budgets,
    ledger: Ledger,
    store: Box<dyn SharedStore>,
    replicas: u64,
    sync_interval: Duration,
    sync_timeout: Duration,
    /// Wakes the background task for a batch now.
    wake: Notify,
    /// Batches begun, and (below) finished; the n-th batch begun is the n-th finished.
    begun: AtomicU64,
    finished: watch::Sender<u64>,
    /// One batch at a time, so that `begun` and `finished` agree and no spending is in
    /// two batches.
    batching: tokio::sync::Mutex<()>,
    /// Whether the store answered the last batch in time; while not, requests do not
    /// wait for it.
    store_up: AtomicBool,
    pruned_before: AtomicI64,
    metrics: Arc<Metrics>,
}

impl RateLimiter {
    /// A limiter sharing through Redis when `settings` name one, else through `db`. Its
    /// background task runs once [`RateLimiter::start`] is called.
    pub fn new(
        budgets: Budgets,
        settings: &RateLimitSharingSettings,
        db: &DatabaseConnection,
        metrics: Arc<Metrics>,
    ) -> anyhow::Result<Self> {
        let store: Box<dyn SharedStore> = match &settings.redis_url {
            Some(url) => Box::new(RedisStore::new(
                url.expose_secret(),
                &settings.key_prefix,
                BATCH_DEADLINE / 2,
            )?),
            None => Box::new(DatabaseStore::new(db)),
        };
        tracing::info!(
            store = store.name(),
            replicas = settings.replicas,
            "rate-limit budgets are charged in memory and shared in batches"
        );
        Ok(Self::with_store(budgets, settings, store, metrics))
    }

    fn with_store(
        budgets: Budgets,
        settings: &RateLimitSharingSettings,
        store: Box<dyn SharedStore>,
        metrics: Arc<Metrics>,
    ) -> Self {
        RateLimiter {
            inner: Arc::new(Inner {
                budgets,
                ledger: Ledger::new(settings.max_callers),
                store,
                replicas: settings.replicas.max(1),
                sync_interval: settings.sync_interval,
                sync_timeout: settings.sync_timeout,
                wake: Notify::new(),
                begun: AtomicU64::new(0),
                finished: watch::Sender::new(0),
                batching: tokio::sync::Mutex::new(()),
                store_up: AtomicBool::new(true),
                pruned_before: AtomicI64::new(0),
                metrics,
            }),
        }
    }

    /// The budgets this limiter charges against.
    pub fn budgets(&self) -> &Budgets {
        &self.inner.budgets
    }

    /// Starts the background task that sends batches, for as long as the runtime runs.
    pub fn start(&self) {
        let inner = self.inner.clone();
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    () = tokio::time::sleep(inner.sync_interval) => {}
                    () = inner.wake.notified() => {}
                }
                inner.send_batch().await;
            }
        });
    }

    /// Sends what this process has not yet sent; for a graceful shutdown.
    pub async fn flush_before_exit(&self) {
        self.inner.send_batch().await;
    }

    /// Charges a request of `viewer`'s (counted as `caller`, see [`caller_key`]) its
    /// `cost` under the viewer's budget: `Err` with where the caller stands once the
    /// window's budget is spent. HTTP and the WebSocket both charge through here.
    pub async fn charge_request(
        &self,
        viewer: &Viewer,
        caller: &str,
        cost: u64,
    ) -> Result<Usage, Usage> {
        let usage = self
            .charge(caller, budget_for(self.budgets(), viewer), cost)
            .await;
        if usage.exceeded() {
            Err(usage)
        } else {
            Ok(usage)
        }
    }

    /// Charges `cost` to `caller` in the current window and says where it stands.
    pub async fn charge(&self, caller: &str, limit: u64, cost: u64) -> Usage {
        let inner = &self.inner;
        let window_seconds = inner.budgets.window_seconds.max(1);
        let now = Utc::now().timestamp();
        let window = now - now.rem_euclid(window_seconds);
        let slack = slack(limit, inner.replicas);
        let used = match inner.ledger.charge(caller, window, cost, slack) {
            Charged::Tracked {
                through,
                used,
                needs_sync,
            } => {
                // A refusal needs no sync: the store can only hold more.
                if needs_sync && used <= limit && inner.sync().await {
                    inner
                        .ledger
                        .used_through(caller, window, through)
                        .unwrap_or(used)
                } else {
                    used
                }
            }
            Charged::Untracked => inner.charge_directly(caller, window, cost).await,
        };
        Usage {
            limit,
            used,
            cost,
            reset_at: Utc
                .timestamp_opt(window + window_seconds, 0)
                .single()
                .unwrap_or_else(Utc::now),
        }
    }
}

impl Inner {
    /// Has the background task send a batch now, and waits (at most the sync timeout)
    /// for one begun after this call; false when the store is away or too slow.
    async fn sync(&self) -> bool {
        if !self.store_up.load(Ordering::SeqCst) {
            return false;
        }
        // Whatever was charged before this load is in the next batch begun.
        let target = self.begun.load(Ordering::SeqCst) + 1;
        let mut finished = self.finished.subscribe();
        self.wake.notify_one();
        // The watch's guard is dropped within the statement: the task needs it to send.
        let in_time = matches!(
            tokio::time::timeout(self.sync_timeout, finished.wait_for(|done| *done >= target))
                .await,
            Ok(Ok(_))
        );
        if !in_time {
            self.store_away(&"no answer within RATE_LIMIT_SYNC_TIMEOUT");
            return false;
        }
        self.store_up.load(Ordering::SeqCst)
    }

    /// One batch: every caller's unsent spending (and the callers never read) to the
    /// store, and the totals back.
    async fn send_batch(&self) {
        let _one_at_a_time = self.batching.lock().await;
        let number = self.begun.fetch_add(1, Ordering::SeqCst) + 1;
        let window_seconds = self.budgets.window_seconds.max(1);
        let now = Utc::now().timestamp();
        let window = now - now.rem_euclid(window_seconds);
        let batch = self.ledger.pending(window);
        if !batch.is_empty() {
            let started = Instant::now();
            let answer = tokio::time::timeout(
                BATCH_DEADLINE,
                self.store.add(window, window_seconds, &batch),
            )
            .await;
            match answer {
                Ok(Ok(totals)) => {
                    self.ledger.settle(window, &batch, &totals);
                    self.metrics.record_rate_limit_sync(false);
                    if started.elapsed() <= self.sync_timeout {
                        self.store_back();
                    } else {
                        self.store_away(&"slower than RATE_LIMIT_SYNC_TIMEOUT");
                    }
                    self.prune(window, window_seconds).await;
                }
                Ok(Err(err)) => {
                    self.metrics.record_rate_limit_sync(true);
                    self.store_away(&format!("{err:#}"));
                }
                Err(_) => {
                    self.metrics.record_rate_limit_sync(true);
                    self.store_away(&"a batch took longer than 2 s");
                }
            }
        }
        self.finished.send_replace(number);
    }

    /// Once per window turn, forgets the windows before the previous one.
    async fn prune(&self, window: i64, window_seconds: i64) {
        if self.pruned_before.fetch_max(window, Ordering::SeqCst) < window {
            if let Err(err) = self.store.prune(window - window_seconds).await {
                tracing::warn!(error = %format!("{err:#}"), "could not prune old rate-limit windows");
            }
        }
    }

    /// A caller the ledger has no room for: charged in the store at once.
    async fn charge_directly(&self, caller: &str, window: i64, cost: u64) -> u64 {
        self.metrics.record_rate_limit_direct_charge();
        if !self.store_up.load(Ordering::SeqCst) {
            return cost;
        }
        let batch = [store::Pending {
            caller: caller.to_owned(),
            through: cost,
            delta: cost,
        }];
        let window_seconds = self.budgets.window_seconds.max(1);
        match tokio::time::timeout(
            self.sync_timeout,
            self.store.add(window, window_seconds, &batch),
        )
        .await
        {
            Ok(Ok(totals)) => totals.first().copied().unwrap_or(cost),
            _ => cost,
        }
    }

    fn store_away(&self, reason: &dyn std::fmt::Display) {
        if self.store_up.swap(false, Ordering::SeqCst) {
            tracing::warn!(
                store = self.store.name(),
                reason = %reason,
                "the rate-limit store is away: each replica enforces budgets on its own \
                 spending until it is back"
            );
        }
    }

    fn store_back(&self) {
        if !self.store_up.swap(true, Ordering::SeqCst) {
            tracing::info!(
                store = self.store.name(),
                "the rate-limit store answers again: budgets are shared again"
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::store::MemoryStore;
    use super::*;

    /// Lets several limiters share one memory store, as replicas share Redis.
    struct SharedMemory(Arc<MemoryStore>);

    #[async_trait::async_trait]
    impl SharedStore for SharedMemory {
        fn name(&self) -> &'static str {
            "memory"
        }
        async fn add(
            &self,
            window: i64,
            window_seconds: i64,
            batch: &[store::Pending],
        ) -> anyhow::Result<Vec<u64>> {
            self.0.add(window, window_seconds, batch).await
        }
    }

    fn budgets(anonymous: u64) -> Budgets {
        Budgets {
            // One window for the whole test, wherever the epoch stands.
            window_seconds: 1_000_000_000,
            anonymous,
            user: anonymous,
            partner: anonymous,
        }
    }

    fn limiter(store: &Arc<MemoryStore>, budget: u64, replicas: u64) -> RateLimiter {
        let settings = RateLimitSharingSettings {
            sync_interval: Duration::from_millis(5),
            sync_timeout: Duration::from_secs(2),
            replicas,
            ..RateLimitSharingSettings::default()
        };
        RateLimiter::with_store(
            budgets(budget),
            &settings,
            Box::new(SharedMemory(store.clone())),
            Arc::new(Metrics::default()),
        )
    }

    #[test]
    fn the_slack_is_a_tenth_of_the_budget_split_over_the_replicas() {
        assert_eq!(slack(50_000, 3), 1_666);
        assert_eq!(slack(200_000, 1), 20_000);
        assert_eq!(slack(300, 3), 10);
        // Too small a budget for any slack: every request syncs.
        assert_eq!(slack(29, 3), 0);
        assert_eq!(slack(100, 0), 10, "zero replicas counts as one");
        assert_eq!(slack(1_000, u64::MAX), 0, "no overflow");
        // N replicas, each holding at most the slack unconfirmed: the others' share of
        // it is what one replica cannot see, and it stays within 10 % of the budget.
        for budget in [30, 100, 300, 1_000, 50_000, 200_000, 1_000_003] {
            for replicas in 1..=10 {
                let unseen = (replicas - 1) * slack(budget, replicas);
                assert!(unseen * 10 <= budget, "{budget} over {replicas}: {unseen}");
            }
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn three_replicas_racing_for_one_budget_accept_it_and_at_most_a_tenth_more() {
        let store = Arc::new(MemoryStore::default());
        let budget = 3_000;
        let replicas: Vec<RateLimiter> = (0..3).map(|_| limiter(&store, budget, 3)).collect();
        for replica in &replicas {
            replica.start();
        }
        let tasks = (0..30).map(|task| {
            let replica = replicas[task % 3].clone();
            tokio::spawn(async move {
                let mut accepted = 0;
                for _ in 0..400 {
                    let usage = replica.charge("address:flood", budget, 1).await;
                    if !usage.exceeded() {
                        accepted += 1;
                    }
                    tokio::task::yield_now().await;
                }
                accepted
            })
        });
        let mut accepted = 0;
        for task in tasks {
            accepted += task.await.unwrap();
        }
        assert!(accepted >= budget, "{accepted} accepted of {budget}");
        assert!(
            accepted * 10 <= budget * 11,
            "{accepted} accepted of {budget}"
        );
    }

    #[tokio::test]
    async fn with_the_store_down_a_replica_enforces_the_budget_on_its_own_spending() {
        let store = Arc::new(MemoryStore::default());
        store.down.store(true, Ordering::SeqCst);
        let replica = limiter(&store, 10, 3);
        replica.start();
        let started = Instant::now();
        for i in 1..=10 {
            let usage = replica.charge("address:alone", 10, 1).await;
            assert_eq!(usage.used, i);
            assert!(!usage.exceeded());
        }
        assert!(replica.charge("address:alone", 10, 1).await.exceeded());
        assert!(started.elapsed() < Duration::from_secs(1));
        // Back: the next batch carries everything charged meanwhile.
        store.down.store(false, Ordering::SeqCst);
        replica.flush_before_exit().await;
        let other = limiter(&store, 10, 3);
        other.start();
        let usage = other.charge("address:alone", 10, 1).await;
        assert_eq!(
            usage.used, 12,
            "the other replica read the spending of the outage"
        );
        assert!(usage.exceeded());
    }
}

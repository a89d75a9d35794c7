//! Process metrics, exposed on `GET /metrics` in the Prometheus text format: GraphQL
//! operations by name and outcome, error codes, latency, limit refusals, SQL statements
//! and the connection pool, and the standard process metrics (`process_start_time_seconds`,
//! CPU, resident memory, open files). The `prometheus` crate keeps the series and
//! renders them; this module decides what is counted and under which labels.
//!
//! Operation names come from clients, and every distinct label is a series the scraper
//! stores for good, so a name becomes a label only when it is a GraphQL name of at most
//! [`MAX_NAME_LEN`] characters (nothing is rewritten into one), first seen on an
//! operation that ran without error (a document the server refused names nothing), and
//! one of the first [`MAX_OPERATION_NAMES`] such names; everything else counts as
//! `other`. Operations without a name count as `anonymous`. Error codes and limits are
//! the server's own words, a fixed set.

use std::collections::HashSet;
use std::sync::Mutex;
use std::time::Duration;

use prometheus::core::Collector;
use prometheus::{
    Encoder, Histogram, HistogramOpts, IntCounter, IntCounterVec, IntGauge, Opts, Registry,
    TextEncoder,
};

/// Most distinct operation names labelled; a client flooding names fills at most these.
pub const MAX_OPERATION_NAMES: usize = 100;
/// Longest operation name labelled.
pub const MAX_NAME_LEN: usize = 64;

/// Upper bounds of the latency histogram, in seconds.
const LATENCY_BUCKETS: [f64; 10] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0];

/// The process's series, shared by the HTTP handlers, the WebSocket connections, the
/// database pool and the rate limiter; [`Metrics::render`] writes them out.
pub struct Metrics {
    registry: Registry,
    db_statements: IntCounter,
    db_statement_failures: IntCounter,
    operations: IntCounterVec,
    /// The operation names admitted as labels.
    operation_names: Mutex<HashSet<String>>,
    error_codes: IntCounterVec,
    refusals: IntCounterVec,
    documents: IntCounterVec,
    latency: Histogram,
    websockets_open: IntGauge,
    websockets_total: IntCounter,
    rate_limit_syncs: IntCounter,
    rate_limit_sync_failures: IntCounter,
    rate_limit_direct_charges: IntCounter,
    identity_provider_fetches: IntCounterVec,
    webhook_attempts: IntCounterVec,
    pool_connections: IntGauge,
    pool_idle_connections: IntGauge,
    pool_max_connections: IntGauge,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

/// The label an operation of this name counts under (see the module's rule).
fn label(names: &mut HashSet<String>, name: Option<&str>, ran_clean: bool) -> String {
    let name = match name {
        None | Some("") => return "anonymous".to_owned(),
        Some(name) => name,
    };
    if names.contains(name) {
        return name.to_owned();
    }
    if ran_clean && is_trusted_name(name) && names.len() < MAX_OPERATION_NAMES {
        names.insert(name.to_owned());
        return name.to_owned();
    }
    "other".to_owned()
}

/// A GraphQL name (`[_A-Za-z][_0-9A-Za-z]*`), short enough to be a label, and not one
/// of the labels this module gives itself.
fn is_trusted_name(name: &str) -> bool {
    let mut chars = name.chars();
    name.len() <= MAX_NAME_LEN
        && chars
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && name != "other"
        && name != "anonymous"
}

/// What the pool looks like right now.
pub struct PoolUsage {
    /// Connections the pool holds, busy or idle.
    pub size: u32,
    /// Of those, the ones idle.
    pub idle: u32,
    /// The most connections the pool opens.
    pub max: u32,
}

// The metrics are built once, at start, from the literal names below: an invalid or
// repeated name is a bug of this file, which the tests below catch, not a condition to
// handle at run time.

/// Adds `metric` to `registry` and hands it back.
fn registered<M: Collector + Clone + 'static>(registry: &Registry, metric: M) -> M {
    registry
        .register(Box::new(metric.clone()))
        .expect("metric names are distinct");
    metric
}

fn counter(registry: &Registry, name: &str, help: &str) -> IntCounter {
    registered(
        registry,
        IntCounter::new(name, help).expect("a valid metric name"),
    )
}

fn gauge(registry: &Registry, name: &str, help: &str) -> IntGauge {
    registered(
        registry,
        IntGauge::new(name, help).expect("a valid metric name"),
    )
}

fn counters_by(registry: &Registry, name: &str, help: &str, labels: &[&str]) -> IntCounterVec {
    let metric = IntCounterVec::new(Opts::new(name, help), labels).expect("valid metric names");
    registered(registry, metric)
}

impl Default for Metrics {
    fn default() -> Self {
        let registry = Registry::new();
        #[cfg(target_os = "linux")]
        registry
            .register(Box::new(
                prometheus::process_collector::ProcessCollector::for_self(),
            ))
            .expect("metric names are distinct");
        let latency = Histogram::with_opts(
            HistogramOpts::new(
                "fellowship_graphql_duration_seconds",
                "Time to answer a GraphQL operation.",
            )
            .buckets(LATENCY_BUCKETS.to_vec()),
        )
        .expect("a valid metric name and buckets");
        Metrics {
            db_statements: counter(&registry, "fellowship_db_statements_total", "SQL statements sent to the database."),
            db_statement_failures: counter(&registry, "fellowship_db_statement_failures_total", "SQL statements that returned an error."),
            operations: counters_by(&registry, "fellowship_graphql_operations_total", "GraphQL operations by name and outcome (ok or the first error code).", &["operation", "outcome"]),
            operation_names: Mutex::new(HashSet::new()),
            error_codes: counters_by(&registry, "fellowship_graphql_errors_total", "Errors returned, by code.", &["code"]),
            refusals: counters_by(&registry, "fellowship_limit_refusals_total", "Requests and sockets refused by a limit before running: a document limit (depth, cost, ...), `rate`, or a WebSocket limit.", &["limit"]),
            documents: counters_by(&registry, "fellowship_documents_total", "Documents by where they came from: `manifest` (trusted), `registered` or `registering` (Apollo's automatic persisted queries), `text` (sent whole, not in the manifest), and ids that were `not_found` or a `bad_id`.", &["source"]),
            latency: registered(&registry, latency),
            websockets_open: gauge(&registry, "fellowship_websockets_open", "WebSocket connections open now."),
            websockets_total: counter(&registry, "fellowship_websockets_total", "WebSocket connections accepted."),
            rate_limit_syncs: counter(&registry, "fellowship_rate_limit_syncs_total", "Batches of rate-limit spending sent to the shared store."),
            rate_limit_sync_failures: counter(&registry, "fellowship_rate_limit_sync_failures_total", "Batches the shared rate-limit store did not take (down, slow or refusing)."),
            rate_limit_direct_charges: counter(&registry, "fellowship_rate_limit_direct_charges_total", "Requests charged straight to the shared store: more callers than a process tracks."),
            identity_provider_fetches: counters_by(&registry, "fellowship_identity_provider_fetches_total", "Fetches of the identity provider's keys, by outcome (ok or failed).", &["outcome"]),
            webhook_attempts: counters_by(&registry, "fellowship_webhook_attempts_total", "Webhook delivery attempts, by outcome (succeeded, failed).", &["outcome"]),
            pool_connections: gauge(&registry, "fellowship_db_pool_connections", "Connections the pool holds now."),
            pool_idle_connections: gauge(&registry, "fellowship_db_pool_idle_connections", "Connections idle in the pool now."),
            pool_max_connections: gauge(&registry, "fellowship_db_pool_max_connections", "Most connections the pool opens."),
            registry,
        }
    }
}

impl Metrics {
    /// One SQL statement sent to the database, and whether it returned an error.
    pub fn record_statement(&self, failed: bool) {
        self.db_statements.inc();
        if failed {
            self.db_statement_failures.inc();
        }
    }

    /// One GraphQL operation: its name, `ok` or the first error code, and how long.
    pub fn record_operation(&self, name: Option<&str>, codes: &[String], elapsed: Duration) {
        let outcome = codes.first().map_or("ok", String::as_str);
        if let Ok(mut names) = self.operation_names.lock() {
            let label = label(&mut names, name, codes.is_empty());
            self.operations
                .with_label_values(&[label.as_str(), outcome])
                .inc();
        }
        for code in codes {
            self.error_codes.with_label_values(&[code.as_str()]).inc();
        }
        self.latency.observe(elapsed.as_secs_f64());
    }

    /// A WebSocket connection accepted: one more open, one more in all.
    pub fn websocket_opened(&self) {
        self.websockets_open.inc();
        self.websockets_total.inc();
    }

    /// A WebSocket connection ended: one fewer open.
    pub fn websocket_closed(&self) {
        self.websockets_open.dec();
    }

    /// A document refused before it ran, by the limit it broke; `rate` for a request
    /// refused because its caller's budget is spent.
    pub fn record_refusal(&self, limit: &str) {
        self.refusals.with_label_values(&[limit]).inc();
    }

    /// One document by where it came from (see `fellowship_documents_total`).
    pub fn record_document(&self, source: &str) {
        self.documents.with_label_values(&[source]).inc();
    }

    /// One batch sent to the shared rate-limit store, and whether it failed.
    pub fn record_rate_limit_sync(&self, failed: bool) {
        self.rate_limit_syncs.inc();
        if failed {
            self.rate_limit_sync_failures.inc();
        }
    }

    /// One fetch of the identity provider's keys, and whether it failed.
    pub fn record_identity_provider_fetch(&self, failed: bool) {
        self.identity_provider_fetches
            .with_label_values(&[if failed { "failed" } else { "ok" }])
            .inc();
    }

    /// One webhook delivery attempt, and whether the receiver took it.
    pub fn record_webhook_attempt(&self, succeeded: bool) {
        self.webhook_attempts
            .with_label_values(&[if succeeded { "succeeded" } else { "failed" }])
            .inc();
    }

    /// A request charged straight to the shared store, its caller not tracked in memory.
    pub fn record_rate_limit_direct_charge(&self) {
        self.rate_limit_direct_charges.inc();
    }

    /// Every series, in the Prometheus text format.
    pub fn render(&self, pool: Option<PoolUsage>) -> String {
        if let Some(pool) = pool {
            self.pool_connections.set(pool.size.into());
            self.pool_idle_connections.set(pool.idle.into());
            self.pool_max_connections.set(pool.max.into());
        }
        let mut out = Vec::new();
        if let Err(err) = TextEncoder::new().encode(&self.registry.gather(), &mut out) {
            tracing::error!(error = %err, "metrics could not be rendered");
        }
        String::from_utf8(out).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The operation labels that have a series.
    fn labels(metrics: &Metrics) -> HashSet<String> {
        metrics
            .render(None)
            .lines()
            .filter_map(|line| {
                line.strip_prefix("fellowship_graphql_operations_total{operation=\"")
            })
            .filter_map(|rest| rest.split('"').next())
            .map(str::to_owned)
            .collect()
    }

    #[test]
    fn only_graphql_names_of_operations_that_ran_become_labels() {
        let metrics = Metrics::default();
        let ok = Vec::new();
        let refused = vec!["BAD_USER_INPUT".to_owned()];
        let at_once = Duration::ZERO;
        metrics.record_operation(Some("FellowsPage"), &ok, at_once);
        metrics.record_operation(Some("FellowsPage"), &refused, at_once);
        metrics.record_operation(Some("Never_ran"), &refused, at_once);
        metrics.record_operation(Some("a-b"), &ok, at_once);
        metrics.record_operation(Some("\u{e9}t\u{e9}"), &ok, at_once);
        metrics.record_operation(Some("1abc"), &ok, at_once);
        metrics.record_operation(Some(&"x".repeat(65)), &ok, at_once);
        metrics.record_operation(None, &ok, at_once);
        let expected: HashSet<String> = ["FellowsPage", "other", "anonymous"]
            .into_iter()
            .map(String::from)
            .collect();
        assert_eq!(labels(&metrics), expected);
    }

    #[test]
    fn past_the_cap_new_names_count_as_other() {
        let metrics = Metrics::default();
        for i in 0..MAX_OPERATION_NAMES + 50 {
            metrics.record_operation(Some(&format!("Op{i}")), &[], Duration::ZERO);
        }
        let seen = labels(&metrics);
        assert_eq!(seen.len(), MAX_OPERATION_NAMES + 1);
        assert!(seen.contains("other") && seen.contains("Op0"));
        assert!(!seen.contains(&format!("Op{MAX_OPERATION_NAMES}")));
    }

    #[test]
    fn the_standard_process_metrics_are_exported() {
        let text = Metrics::default().render(None);
        assert!(text.contains("process_start_time_seconds"), "{text}");
        assert!(text.contains("process_resident_memory_bytes"), "{text}");
        assert!(
            text.contains("# TYPE fellowship_db_statements_total counter"),
            "{text}"
        );
    }
}

//! Process metrics, exposed on `GET /metrics` in the Prometheus text format: GraphQL
//! operations by name and outcome, error codes, latency, limit refusals, SQL statements
//! and the connection pool.
//!
//! Operation names come from clients, and every distinct label is a series the scraper
//! stores for good, so a name becomes a label only when it is a GraphQL name of at most
//! [`MAX_NAME_LEN`] characters (nothing is rewritten into one), first seen on an
//! operation that ran without error (a document the server refused names nothing), and
//! one of the first [`MAX_OPERATION_NAMES`] such names; everything else counts as
//! `other`. Operations without a name count as `anonymous`.

use std::collections::{BTreeMap, HashSet};
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

/// Most distinct operation names labelled; a client flooding names fills at most these.
pub const MAX_OPERATION_NAMES: usize = 100;
/// Longest operation name labelled.
pub const MAX_NAME_LEN: usize = 64;

/// Upper bounds of the latency histogram, in seconds.
const LATENCY_BUCKETS: [f64; 10] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0];

#[derive(Debug, Default)]
pub struct Metrics {
    db_statements: AtomicU64,
    db_statement_failures: AtomicU64,
    operations: Mutex<Operations>,
    error_codes: Mutex<BTreeMap<String, u64>>,
    refusals: Mutex<BTreeMap<String, u64>>,
    latency: Mutex<Histogram>,
    websockets_open: AtomicU64,
    websockets_total: AtomicU64,
    rate_limit_syncs: AtomicU64,
    rate_limit_sync_failures: AtomicU64,
    rate_limit_direct_charges: AtomicU64,
}

/// Operation counts by (label, outcome), and the names admitted as labels.
#[derive(Debug, Default)]
struct Operations {
    counts: BTreeMap<(String, String), u64>,
    names: HashSet<String>,
}

impl Operations {
    /// The label an operation of this name counts under (see the module's rule).
    fn label(&mut self, name: Option<&str>, ran_clean: bool) -> String {
        let name = match name {
            None | Some("") => return "anonymous".to_owned(),
            Some(name) => name,
        };
        if self.names.contains(name) {
            return name.to_owned();
        }
        if ran_clean && is_trusted_name(name) && self.names.len() < MAX_OPERATION_NAMES {
            self.names.insert(name.to_owned());
            return name.to_owned();
        }
        "other".to_owned()
    }
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

#[derive(Debug, Default)]
struct Histogram {
    buckets: [u64; LATENCY_BUCKETS.len()],
    count: u64,
    sum: f64,
}

/// What the pool looks like right now.
pub struct PoolUsage {
    pub size: u32,
    pub idle: u32,
    pub max: u32,
}

impl Metrics {
    pub fn record_statement(&self, failed: bool) {
        self.db_statements.fetch_add(1, Ordering::Relaxed);
        if failed {
            self.db_statement_failures.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// One GraphQL operation: its name, `ok` or the first error code, and how long.
    pub fn record_operation(&self, name: Option<&str>, codes: &[String], elapsed: Duration) {
        let outcome = codes.first().cloned().unwrap_or_else(|| "ok".to_owned());
        if let Ok(mut operations) = self.operations.lock() {
            let label = operations.label(name, codes.is_empty());
            *operations.counts.entry((label, outcome)).or_default() += 1;
        }
        if let Ok(mut counts) = self.error_codes.lock() {
            for code in codes {
                *counts.entry(code.clone()).or_default() += 1;
            }
        }
        if let Ok(mut latency) = self.latency.lock() {
            let seconds = elapsed.as_secs_f64();
            for (i, bound) in LATENCY_BUCKETS.iter().enumerate() {
                if seconds <= *bound {
                    latency.buckets[i] += 1;
                }
            }
            latency.count += 1;
            latency.sum += seconds;
        }
    }

    /// A document refused before it ran, by the limit it broke.
    pub fn websocket_opened(&self) {
        self.websockets_open.fetch_add(1, Ordering::Relaxed);
        self.websockets_total.fetch_add(1, Ordering::Relaxed);
    }

    pub fn websocket_closed(&self) {
        self.websockets_open.fetch_sub(1, Ordering::Relaxed);
    }

    pub fn record_refusal(&self, limit: &str) {
        if let Ok(mut refusals) = self.refusals.lock() {
            *refusals.entry(limit.to_owned()).or_default() += 1;
        }
    }

    /// One batch sent to the shared rate-limit store, and whether it failed.
    pub fn record_rate_limit_sync(&self, failed: bool) {
        self.rate_limit_syncs.fetch_add(1, Ordering::Relaxed);
        if failed {
            self.rate_limit_sync_failures
                .fetch_add(1, Ordering::Relaxed);
        }
    }

    /// A request charged straight to the shared store, its caller not tracked in memory.
    pub fn record_rate_limit_direct_charge(&self) {
        self.rate_limit_direct_charges
            .fetch_add(1, Ordering::Relaxed);
    }

    pub fn render(&self, pool: Option<PoolUsage>) -> String {
        let mut out = String::new();
        let mut counter = |name: &str, help: &str, value: u64| {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {value}"
            );
        };
        counter(
            "fellowship_db_statements_total",
            "SQL statements sent to the database.",
            self.db_statements.load(Ordering::Relaxed),
        );
        counter(
            "fellowship_db_statement_failures_total",
            "SQL statements that returned an error.",
            self.db_statement_failures.load(Ordering::Relaxed),
        );
        counter(
            "fellowship_rate_limit_syncs_total",
            "Batches of rate-limit spending sent to the shared store.",
            self.rate_limit_syncs.load(Ordering::Relaxed),
        );
        counter(
            "fellowship_rate_limit_sync_failures_total",
            "Batches the shared rate-limit store did not take (down, slow or refusing).",
            self.rate_limit_sync_failures.load(Ordering::Relaxed),
        );
        counter(
            "fellowship_rate_limit_direct_charges_total",
            "Requests charged straight to the shared store: more callers than a process tracks.",
            self.rate_limit_direct_charges.load(Ordering::Relaxed),
        );
        counter(
            "fellowship_websockets_total",
            "WebSocket connections accepted.",
            self.websockets_total.load(Ordering::Relaxed),
        );
        let _ = writeln!(
            out,
            "# HELP fellowship_websockets_open WebSocket connections open now.\n# TYPE fellowship_websockets_open gauge\nfellowship_websockets_open {}",
            self.websockets_open.load(Ordering::Relaxed)
        );

        let _ = writeln!(out, "# HELP fellowship_graphql_operations_total GraphQL operations by name and outcome (ok or the first error code).");
        let _ = writeln!(out, "# TYPE fellowship_graphql_operations_total counter");
        if let Ok(operations) = self.operations.lock() {
            for ((name, outcome), count) in &operations.counts {
                let _ = writeln!(out, "fellowship_graphql_operations_total{{operation=\"{name}\",outcome=\"{outcome}\"}} {count}");
            }
        }
        let _ = writeln!(
            out,
            "# HELP fellowship_graphql_errors_total Errors returned, by code."
        );
        let _ = writeln!(out, "# TYPE fellowship_graphql_errors_total counter");
        if let Ok(codes) = self.error_codes.lock() {
            for (code, count) in codes.iter() {
                let _ = writeln!(
                    out,
                    "fellowship_graphql_errors_total{{code=\"{code}\"}} {count}"
                );
            }
        }
        let _ = writeln!(
            out,
            "# HELP fellowship_limit_refusals_total Documents refused before running, by limit."
        );
        let _ = writeln!(out, "# TYPE fellowship_limit_refusals_total counter");
        if let Ok(refusals) = self.refusals.lock() {
            for (limit, count) in refusals.iter() {
                let _ = writeln!(
                    out,
                    "fellowship_limit_refusals_total{{limit=\"{limit}\"}} {count}"
                );
            }
        }
        let _ = writeln!(
            out,
            "# HELP fellowship_graphql_duration_seconds Time to answer a GraphQL operation."
        );
        let _ = writeln!(out, "# TYPE fellowship_graphql_duration_seconds histogram");
        if let Ok(latency) = self.latency.lock() {
            for (i, bound) in LATENCY_BUCKETS.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "fellowship_graphql_duration_seconds_bucket{{le=\"{bound}\"}} {}",
                    latency.buckets[i]
                );
            }
            let _ = writeln!(
                out,
                "fellowship_graphql_duration_seconds_bucket{{le=\"+Inf\"}} {}",
                latency.count
            );
            let _ = writeln!(
                out,
                "fellowship_graphql_duration_seconds_sum {}",
                latency.sum
            );
            let _ = writeln!(
                out,
                "fellowship_graphql_duration_seconds_count {}",
                latency.count
            );
        }
        if let Some(pool) = pool {
            for (name, help, value) in [
                (
                    "fellowship_db_pool_connections",
                    "Connections the pool holds now.",
                    pool.size,
                ),
                (
                    "fellowship_db_pool_idle_connections",
                    "Connections idle in the pool now.",
                    pool.idle,
                ),
                (
                    "fellowship_db_pool_max_connections",
                    "Most connections the pool opens.",
                    pool.max,
                ),
            ] {
                let _ = writeln!(
                    out,
                    "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {value}"
                );
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(metrics: &Metrics) -> HashSet<String> {
        let operations = metrics.operations.lock().unwrap();
        operations
            .counts
            .keys()
            .map(|(name, _)| name.clone())
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
}

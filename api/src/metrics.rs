//! Process counters, exposed on `GET /metrics` in the Prometheus text format.

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Debug, Default)]
pub struct Metrics {
    db_statements: AtomicU64,
    db_statement_failures: AtomicU64,
    graphql_requests: AtomicU64,
    graphql_requests_with_errors: AtomicU64,
}

impl Metrics {
    pub fn record_statement(&self, failed: bool) {
        self.db_statements.fetch_add(1, Ordering::Relaxed);
        if failed {
            self.db_statement_failures.fetch_add(1, Ordering::Relaxed);
        }
    }

    pub fn record_graphql_request(&self, had_errors: bool) {
        self.graphql_requests.fetch_add(1, Ordering::Relaxed);
        if had_errors {
            self.graphql_requests_with_errors
                .fetch_add(1, Ordering::Relaxed);
        }
    }

    pub fn render(&self) -> String {
        let mut out = String::new();
        let counters = [
            (
                "fellowship_db_statements_total",
                "SQL statements sent to the database.",
                &self.db_statements,
            ),
            (
                "fellowship_db_statement_failures_total",
                "SQL statements that returned an error.",
                &self.db_statement_failures,
            ),
            (
                "fellowship_graphql_requests_total",
                "GraphQL operations executed.",
                &self.graphql_requests,
            ),
            (
                "fellowship_graphql_requests_with_errors_total",
                "GraphQL operations whose response carried errors.",
                &self.graphql_requests_with_errors,
            ),
        ];
        for (name, help, value) in counters {
            let _ = writeln!(out, "# HELP {name} {help}");
            let _ = writeln!(out, "# TYPE {name} counter");
            let _ = writeln!(out, "{name} {}", value.load(Ordering::Relaxed));
        }
        out
    }
}

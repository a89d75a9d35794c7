//! The database pool: one per process, shared by HTTP handlers and services.
//!
//! SQLite runs in WAL mode with a busy timeout so that readers never wait on the single
//! writer and concurrent writers queue instead of failing. Every statement is counted
//! (see [`crate::metrics::Metrics`]) so operators and tests can see how many statements
//! a request costs.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use migration::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectOptions, Database, DatabaseConnection};

use crate::config::DatabaseSettings;
use crate::metrics::Metrics;

pub async fn connect(
    settings: &DatabaseSettings,
    metrics: Arc<Metrics>,
) -> anyhow::Result<DatabaseConnection> {
    let mut options = ConnectOptions::new(settings.url.expose().to_owned());
    options
        .max_connections(settings.max_connections)
        .min_connections(0)
        .acquire_timeout(settings.acquire_timeout)
        .connect_timeout(settings.acquire_timeout)
        .idle_timeout(Duration::from_secs(300))
        .sqlx_logging(false)
        // PostgreSQL cancels a statement that runs longer (SQLite has no such setting;
        // its writers wait at most the busy timeout below).
        .statement_timeout(settings.statement_timeout)
        .map_sqlx_sqlite_opts(|opts| {
            opts.journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(5))
                .foreign_keys(true)
        });
    let mut db = Database::connect(options)
        .await
        .with_context(|| format!("could not connect to the database at {}", settings.url))?;
    db.set_metric_callback(move |info| metrics.record_statement(info.failed));
    Ok(db)
}

/// Applies every pending migration.
pub async fn migrate_up(db: &DatabaseConnection) -> anyhow::Result<()> {
    Migrator::up(db, None)
        .await
        .context("could not apply the database migrations")
}

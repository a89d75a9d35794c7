//! Schema migrations of the Fellowship API (see `docs/data-model.md`).
//!
//! Every migration runs on SQLite and PostgreSQL 15. The schema builder is used
//! wherever it renders portably; raw SQL is kept to statements valid as-is on both
//! (the expression and partial indexes, which sea-query cannot render for SQLite).

pub use sea_orm_migration::prelude::*;

mod common;
pub mod ledger;
mod m20261123_000001_create_people_and_accounts;
mod m20261123_000002_create_strategic_areas;
mod m20261123_000003_create_nominations;
mod m20261123_000004_create_fellows;
mod m20261123_000005_create_organizations_and_memberships;
mod m20261123_000006_create_api_tokens_and_audit;
mod m20261123_000007_create_nomination_events;
mod m20261123_000008_create_rate_limit_windows;
mod m20261123_000009_create_websocket_leases;
mod m20261201_000001_fold_case_in_rust;
mod m20261202_000001_index_every_ordering;
mod m20261202_000002_full_event_snapshots;
mod m20261203_000001_record_who_disabled_an_account;
mod m20261204_000001_create_webhooks;

/// Every migration of the schema, oldest first: what `api migrate` (up, down, status)
/// and `api serve` (which migrates up before serving) apply.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261123_000001_create_people_and_accounts::Migration),
            Box::new(m20261123_000002_create_strategic_areas::Migration),
            Box::new(m20261123_000003_create_nominations::Migration),
            Box::new(m20261123_000004_create_fellows::Migration),
            Box::new(m20261123_000005_create_organizations_and_memberships::Migration),
            Box::new(m20261123_000006_create_api_tokens_and_audit::Migration),
            Box::new(m20261123_000007_create_nomination_events::Migration),
            Box::new(m20261123_000008_create_rate_limit_windows::Migration),
            Box::new(m20261123_000009_create_websocket_leases::Migration),
            Box::new(m20261201_000001_fold_case_in_rust::Migration),
            Box::new(m20261202_000001_index_every_ordering::Migration),
            Box::new(m20261202_000002_full_event_snapshots::Migration),
            Box::new(m20261203_000001_record_who_disabled_an_account::Migration),
            Box::new(m20261204_000001_create_webhooks::Migration),
        ]
    }
}

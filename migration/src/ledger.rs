//! What the database says was applied (`seaql_migrations`), set against the migrations
//! this binary carries, and the one way `api` applies what is pending.
//!
//! sea-orm-migration's own `Migrator::up` refuses a database that records a migration
//! it does not know ("Migration file of version … is missing"). That is exactly the
//! state of a rolling deploy or a rollback: a newer release has migrated, and a replica
//! of the previous one restarts. Migrations here only expand the schema (see
//! `docs/operations/upgrades.md`), so the previous release keeps working against the
//! newer schema; refusing to start would turn a harmless restart into an outage. So a
//! migration recorded by a later release is reported as [`Ledger::newer`] and left
//! alone, and only this binary's own pending migrations are applied.

use std::collections::HashSet;

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ActiveValue, EntityName, EntityTrait};
use sea_orm_migration::seaql_migrations;

use crate::Migrator;

/// The migrations of this binary and of the database, compared by name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ledger {
    /// This binary's migrations that the database records as applied, oldest first.
    pub applied: Vec<String>,
    /// This binary's migrations that the database does not record yet, oldest first.
    pub pending: Vec<String>,
    /// Migrations the database records that this binary does not carry: applied by a
    /// later release (or by a branch that was never released), sorted by name, which
    /// starts with their date.
    pub newer: Vec<String>,
}

impl Ledger {
    /// Whether the database has every migration this binary needs.
    pub fn is_up_to_date(&self) -> bool {
        self.pending.is_empty()
    }
}

/// Reads the ledger. Creates the empty bookkeeping table on a database that has none,
/// as sea-orm-migration does, so that a fresh database reads as "everything pending".
pub async fn read<C: ConnectionTrait>(db: &C) -> Result<Ledger, DbErr> {
    let recorded: Vec<String> = Migrator::get_migration_models(db)
        .await?
        .into_iter()
        .map(|model| model.version)
        .collect();
    Ok(compare(&recorded))
}

/// Reads the ledger without writing anything (a database without the bookkeeping
/// table reads as "everything pending"): for `api migrate status`, which a deploy
/// script may run with a read-only role, beside replicas that are migrating.
pub async fn read_only(
    db: &sea_orm_migration::sea_orm::DatabaseConnection,
) -> Result<Ledger, DbErr> {
    if !SchemaManager::new(db)
        .has_table(seaql_migrations::Entity.table_name())
        .await?
    {
        return Ok(compare(&[]));
    }
    let recorded: Vec<String> = seaql_migrations::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|model| model.version)
        .collect();
    Ok(compare(&recorded))
}

fn compare(recorded: &[String]) -> Ledger {
    let recorded_set: HashSet<&str> = recorded.iter().map(String::as_str).collect();
    let mut ledger = Ledger::default();
    let mut known = HashSet::new();
    for migration in Migrator::migrations() {
        let name = migration.name().to_owned();
        known.insert(name.clone());
        if recorded_set.contains(name.as_str()) {
            ledger.applied.push(name);
        } else {
            ledger.pending.push(name);
        }
    }
    ledger.newer = recorded
        .iter()
        .filter(|name| !known.contains(name.as_str()))
        .cloned()
        .collect();
    ledger.newer.sort();
    ledger
}

/// Applies this binary's pending migrations, in order, on `txn` (the caller holds the
/// migration lock and commits), and records each; migrations of a later release are
/// left as they are. Answers the ledger as it stood before.
pub async fn apply_pending(
    txn: &sea_orm_migration::sea_orm::DatabaseTransaction,
) -> Result<Ledger, DbErr> {
    let before = read(txn).await?;
    let pending: HashSet<&str> = before.pending.iter().map(String::as_str).collect();
    let manager = SchemaManager::new(txn);
    for migration in Migrator::migrations() {
        if !pending.contains(migration.name()) {
            continue;
        }
        migration.up(&manager).await?;
        seaql_migrations::Entity::insert(seaql_migrations::ActiveModel {
            version: ActiveValue::Set(migration.name().to_owned()),
            applied_at: ActiveValue::Set(chrono::Utc::now().timestamp()),
        })
        .exec(txn)
        .await?;
    }
    Ok(before)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names() -> Vec<String> {
        Migrator::migrations()
            .iter()
            .map(|m| m.name().to_owned())
            .collect()
    }

    #[test]
    fn a_fresh_database_has_everything_pending() {
        let ledger = compare(&[]);
        assert_eq!(ledger.pending, names());
        assert!(ledger.applied.is_empty() && ledger.newer.is_empty());
        assert!(!ledger.is_up_to_date());
    }

    #[test]
    fn a_later_release_s_migrations_are_newer_not_an_error() {
        let mut recorded = names();
        recorded.push("m20991231_000002_b".to_owned());
        recorded.push("m20991231_000001_a".to_owned());
        let ledger = compare(&recorded);
        assert!(ledger.is_up_to_date());
        assert_eq!(ledger.applied, names());
        assert_eq!(
            ledger.newer,
            [
                "m20991231_000001_a".to_owned(),
                "m20991231_000002_b".to_owned()
            ]
        );
    }
}

//! Indexes that serve every ordering the API pages by, so that a page is an index range
//! scan from its cursor instead of a sort of the whole table.
//!
//! - Fellows by name are ordered by their person's `(name, id)`; `ix_people_name` held
//!   the name alone, so each page sorted all people with the same prefix by id (and a
//!   deep page could not start at its cursor). The two-column index replaces it.
//! - Fellows filtered by status and ordered by join date: `(status, joined_on, id)`
//!   serves that page and, by its prefix, every lookup `ix_fellows_status` served.
//! - The endorsements of a page of nominations, oldest first: `(nomination_id, id)`;
//!   the unique `(nomination_id, endorser_person_id)` found them but left them to sort.

use sea_orm_migration::prelude::*;

use crate::common::exec_portable_sql;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Statements valid as-is on SQLite and PostgreSQL, applied in order.
const UP: &[&str] = &[
    r#"CREATE INDEX "ix_people_name_id" ON "people" ("name", "id")"#,
    r#"DROP INDEX "ix_people_name""#,
    r#"CREATE INDEX "ix_fellows_status_joined_on_id" ON "fellows" ("status", "joined_on", "id")"#,
    r#"DROP INDEX "ix_fellows_status""#,
    r#"CREATE INDEX "ix_endorsements_nomination_id_id" ON "endorsements" ("nomination_id", "id")"#,
];

const DOWN: &[&str] = &[
    r#"DROP INDEX "ix_endorsements_nomination_id_id""#,
    r#"CREATE INDEX "ix_fellows_status" ON "fellows" ("status")"#,
    r#"DROP INDEX "ix_fellows_status_joined_on_id""#,
    r#"CREATE INDEX "ix_people_name" ON "people" ("name")"#,
    r#"DROP INDEX "ix_people_name_id""#,
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for sql in UP {
            exec_portable_sql(manager, sql).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for sql in DOWN {
            exec_portable_sql(manager, sql).await?;
        }
        Ok(())
    }
}

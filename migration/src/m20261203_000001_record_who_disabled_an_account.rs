//! Who disabled an account, and why: `accounts.disabled_by_person_id` and
//! `accounts.disabled_note`, beside the `disabled_at` that has always been there.
//!
//! Staff now disable and re-enable accounts through the API (`disableAccount`,
//! `enableAccount`); the audit log records every such change, and these columns say, on
//! the account itself, what holds now. Both are nullable and empty for every existing
//! row (expand only: an older server neither reads nor writes them). Written as SQL
//! valid as-is on SQLite and PostgreSQL: sea-query renders no foreign key in an
//! `ALTER TABLE` for SQLite, which accepts one on a column added with no default.

use sea_orm_migration::prelude::*;

use crate::common::exec_portable_sql;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Statements valid as-is on SQLite and PostgreSQL, applied in order.
const UP: &[&str] = &[
    r#"ALTER TABLE "accounts" ADD COLUMN "disabled_by_person_id" bigint NULL
       CONSTRAINT "fk_accounts_disabled_by_person_id" REFERENCES "people" ("id") ON DELETE RESTRICT"#,
    r#"ALTER TABLE "accounts" ADD COLUMN "disabled_note" text NULL"#,
];

const DOWN: &[&str] = &[
    r#"ALTER TABLE "accounts" DROP COLUMN "disabled_note""#,
    r#"ALTER TABLE "accounts" DROP COLUMN "disabled_by_person_id""#,
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

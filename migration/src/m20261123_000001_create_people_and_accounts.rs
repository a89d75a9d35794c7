//! `people` and `accounts`.

use sea_orm_migration::{prelude::*, schema::*};

use crate::common::{drop_tables, exec_portable_sql, fk, id, in_check, index, unique_index};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum People {
    Table,
    Id,
    Name,
    Handle,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Accounts {
    Table,
    Id,
    PersonId,
    Role,
    CreatedAt,
    DisabledAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(People::Table)
                    .col(id(People::Id))
                    .col(text(People::Name))
                    .col(text_null(People::Handle))
                    .col(timestamp_with_time_zone(People::CreatedAt))
                    .col(timestamp_with_time_zone(People::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        // Expression index: sea-query cannot render it for SQLite, and this SQL
        // is valid as-is on both SQLite and PostgreSQL.
        exec_portable_sql(
            manager,
            r#"CREATE UNIQUE INDEX "ux_people_handle" ON "people" (lower("handle"))"#,
        )
        .await?;
        manager
            .create_index(index("ix_people_name", People::Table, [People::Name]))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Accounts::Table)
                    .col(id(Accounts::Id))
                    .col(big_integer(Accounts::PersonId))
                    .col(text(Accounts::Role))
                    .col(timestamp_with_time_zone(Accounts::CreatedAt))
                    .col(timestamp_with_time_zone_null(Accounts::DisabledAt))
                    .foreign_key(&mut fk(
                        "fk_accounts_person_id",
                        Accounts::Table,
                        Accounts::PersonId,
                        People::Table,
                        ForeignKeyAction::Restrict,
                    ))
                    .check(in_check(
                        "ck_accounts_role",
                        Accounts::Role,
                        &["STAFF", "FELLOW"],
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(unique_index(
                "ux_accounts_person_id",
                Accounts::Table,
                [Accounts::PersonId],
            ))
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Indexes go with their tables.
        drop_tables(manager, &["accounts", "people"]).await
    }
}

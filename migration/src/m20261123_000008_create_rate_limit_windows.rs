//! `rate_limit_windows`: cost points spent per caller per time window, shared by every
//! replica so that a caller's budget holds whichever replica answers.

use sea_orm_migration::prelude::*;

use crate::common::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum RateLimitWindows {
    Table,
    Caller,
    WindowStart,
    Used,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(RateLimitWindows::Table)
                    .col(ColumnDef::new(RateLimitWindows::Caller).text().not_null())
                    .col(
                        ColumnDef::new(RateLimitWindows::WindowStart)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(RateLimitWindows::Used)
                            .big_integer()
                            .not_null(),
                    )
                    .primary_key(
                        Index::create()
                            .col(RateLimitWindows::Caller)
                            .col(RateLimitWindows::WindowStart),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_rate_limit_windows_window_start",
                RateLimitWindows::Table,
                [RateLimitWindows::WindowStart],
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(RateLimitWindows::Table).to_owned())
            .await
    }
}

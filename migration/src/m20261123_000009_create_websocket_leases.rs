//! `websocket_leases`: the WebSockets open on every replica, one row each, so that the
//! cap on connections per caller holds across replicas. A replica renews its leases
//! while the connection lives; a replica that dies leaves leases that simply expire.

use sea_orm_migration::prelude::*;

use crate::common::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum WebsocketLeases {
    Table,
    Id,
    Caller,
    ExpiresAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(WebsocketLeases::Table)
                    .col(
                        ColumnDef::new(WebsocketLeases::Id)
                            .text()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(WebsocketLeases::Caller).text().not_null())
                    .col(
                        ColumnDef::new(WebsocketLeases::ExpiresAt)
                            .big_integer()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_websocket_leases_caller",
                WebsocketLeases::Table,
                [WebsocketLeases::Caller],
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(WebsocketLeases::Table).to_owned())
            .await
    }
}

//! Signed webhooks: `webhook_events` (the outbox partners subscribe to),
//! `webhook_endpoints` (where to send them, and each endpoint's place in the outbox) and
//! `webhook_deliveries` (each event's delivery to one endpoint, with its attempts).
//!
//! Expand only: new tables that an older server neither reads nor writes.

use sea_orm_migration::{prelude::*, schema::*};

use crate::common::{drop_tables, fk, id, in_check, index, json_list, version};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum People {
    Table,
}

#[derive(DeriveIden)]
enum ApiTokens {
    Table,
}

#[derive(DeriveIden)]
enum WebhookEvents {
    Table,
    Id,
    EventType,
    OccurredAt,
    Payload,
}

#[derive(DeriveIden)]
enum WebhookEndpoints {
    Table,
    Id,
    Url,
    Description,
    EventTypes,
    Secret,
    PreviousSecret,
    PreviousSecretExpiresAt,
    OwnerApiTokenId,
    CreatedByPersonId,
    Enabled,
    DisabledAt,
    DisabledReason,
    AfterEventId,
    FailingSince,
    NextAttemptAt,
    LeaseUntil,
    LeaseHolder,
    Version,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum WebhookDeliveries {
    Table,
    Id,
    EndpointId,
    EventId,
    EventType,
    MessageId,
    Body,
    Status,
    Attempts,
    NextAttemptAt,
    LastAttemptAt,
    ResponseStatus,
    DurationMs,
    LastError,
    RedeliveryOf,
    CreatedAt,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(WebhookEvents::Table)
                    .col(id(WebhookEvents::Id))
                    .col(text(WebhookEvents::EventType))
                    .col(timestamp_with_time_zone(WebhookEvents::OccurredAt))
                    .col(json_binary(WebhookEvents::Payload))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_webhook_events_occurred_at",
                WebhookEvents::Table,
                [WebhookEvents::OccurredAt],
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(WebhookEndpoints::Table)
                    .col(id(WebhookEndpoints::Id))
                    .col(text(WebhookEndpoints::Url))
                    .col(text_null(WebhookEndpoints::Description))
                    .col(json_list(WebhookEndpoints::EventTypes))
                    .col(text(WebhookEndpoints::Secret))
                    .col(text_null(WebhookEndpoints::PreviousSecret))
                    .col(timestamp_with_time_zone_null(
                        WebhookEndpoints::PreviousSecretExpiresAt,
                    ))
                    .col(big_integer_null(WebhookEndpoints::OwnerApiTokenId))
                    .col(big_integer_null(WebhookEndpoints::CreatedByPersonId))
                    .col(boolean(WebhookEndpoints::Enabled).default(true))
                    .col(timestamp_with_time_zone_null(WebhookEndpoints::DisabledAt))
                    .col(text_null(WebhookEndpoints::DisabledReason))
                    .col(big_integer(WebhookEndpoints::AfterEventId).default(0))
                    .col(timestamp_with_time_zone_null(
                        WebhookEndpoints::FailingSince,
                    ))
                    .col(timestamp_with_time_zone_null(
                        WebhookEndpoints::NextAttemptAt,
                    ))
                    .col(big_integer_null(WebhookEndpoints::LeaseUntil))
                    .col(text_null(WebhookEndpoints::LeaseHolder))
                    .col(version(WebhookEndpoints::Version))
                    .col(timestamp_with_time_zone(WebhookEndpoints::CreatedAt))
                    .col(timestamp_with_time_zone(WebhookEndpoints::UpdatedAt))
                    .foreign_key(&mut fk(
                        "fk_webhook_endpoints_owner_api_token_id",
                        WebhookEndpoints::Table,
                        WebhookEndpoints::OwnerApiTokenId,
                        ApiTokens::Table,
                        ForeignKeyAction::Restrict,
                    ))
                    .foreign_key(&mut fk(
                        "fk_webhook_endpoints_created_by_person_id",
                        WebhookEndpoints::Table,
                        WebhookEndpoints::CreatedByPersonId,
                        People::Table,
                        ForeignKeyAction::Restrict,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_webhook_endpoints_created_at_id",
                WebhookEndpoints::Table,
                [WebhookEndpoints::CreatedAt, WebhookEndpoints::Id],
            ))
            .await?;
        manager
            .create_index(index(
                "ix_webhook_endpoints_owner_api_token_id",
                WebhookEndpoints::Table,
                [WebhookEndpoints::OwnerApiTokenId],
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(WebhookDeliveries::Table)
                    .col(id(WebhookDeliveries::Id))
                    .col(big_integer(WebhookDeliveries::EndpointId))
                    .col(big_integer(WebhookDeliveries::EventId))
                    .col(text(WebhookDeliveries::EventType))
                    .col(text(WebhookDeliveries::MessageId))
                    .col(text(WebhookDeliveries::Body))
                    .col(text(WebhookDeliveries::Status))
                    .col(integer(WebhookDeliveries::Attempts).default(0))
                    .col(timestamp_with_time_zone_null(
                        WebhookDeliveries::NextAttemptAt,
                    ))
                    .col(timestamp_with_time_zone_null(
                        WebhookDeliveries::LastAttemptAt,
                    ))
                    .col(integer_null(WebhookDeliveries::ResponseStatus))
                    .col(integer_null(WebhookDeliveries::DurationMs))
                    .col(text_null(WebhookDeliveries::LastError))
                    .col(big_integer_null(WebhookDeliveries::RedeliveryOf))
                    .col(timestamp_with_time_zone(WebhookDeliveries::CreatedAt))
                    .col(timestamp_with_time_zone(WebhookDeliveries::UpdatedAt))
                    .check(in_check(
                        "ck_webhook_deliveries_status",
                        WebhookDeliveries::Status,
                        &["PENDING", "SUCCEEDED", "FAILED"],
                    ))
                    .foreign_key(&mut fk(
                        "fk_webhook_deliveries_endpoint_id",
                        WebhookDeliveries::Table,
                        WebhookDeliveries::EndpointId,
                        WebhookEndpoints::Table,
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        // An endpoint's deliveries newest first (its `deliveries` connection), and its
        // oldest pending one (what its sender tries next).
        manager
            .create_index(index(
                "ix_webhook_deliveries_endpoint_id_id",
                WebhookDeliveries::Table,
                [WebhookDeliveries::EndpointId, WebhookDeliveries::Id],
            ))
            .await?;
        manager
            .create_index(index(
                "ix_webhook_deliveries_endpoint_id_status_id",
                WebhookDeliveries::Table,
                [
                    WebhookDeliveries::EndpointId,
                    WebhookDeliveries::Status,
                    WebhookDeliveries::Id,
                ],
            ))
            .await?;
        // The deliveries due (what senders look for), and the finished ones to prune.
        manager
            .create_index(index(
                "ix_webhook_deliveries_status_next_attempt_at",
                WebhookDeliveries::Table,
                [WebhookDeliveries::Status, WebhookDeliveries::NextAttemptAt],
            ))
            .await?;
        manager
            .create_index(index(
                "ix_webhook_deliveries_status_updated_at",
                WebhookDeliveries::Table,
                [WebhookDeliveries::Status, WebhookDeliveries::UpdatedAt],
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(
            manager,
            &["webhook_deliveries", "webhook_endpoints", "webhook_events"],
        )
        .await
    }
}

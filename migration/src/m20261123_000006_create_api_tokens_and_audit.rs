//! `api_tokens`, `audit_events` and `idempotency_records`.

use sea_orm_migration::{prelude::*, schema::*};

use crate::common::{drop_tables, fk, id, index, json_list, unique_index};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum People {
    Table,
}

#[derive(DeriveIden)]
enum ApiTokens {
    Table,
    Id,
    Name,
    Jti,
    SecretHash,
    Scopes,
    CreatedByPersonId,
    CreatedAt,
    ExpiresAt,
    LastUsedAt,
    RevokedAt,
    RevokedByPersonId,
}

#[derive(DeriveIden)]
enum AuditEvents {
    Table,
    Id,
    OccurredAt,
    ActorPersonId,
    ActorApiTokenId,
    Action,
    ObjectType,
    ObjectId,
    Before,
    After,
    RequestId,
}

#[derive(DeriveIden)]
enum IdempotencyRecords {
    Table,
    Id,
    Caller,
    IdempotencyKey,
    Operation,
    RequestHash,
    Response,
    CreatedAt,
    ExpiresAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ApiTokens::Table)
                    .col(id(ApiTokens::Id))
                    .col(text(ApiTokens::Name))
                    .col(text(ApiTokens::Jti))
                    .col(text(ApiTokens::SecretHash))
                    .col(json_list(ApiTokens::Scopes))
                    .col(big_integer(ApiTokens::CreatedByPersonId))
                    .col(timestamp_with_time_zone(ApiTokens::CreatedAt))
                    .col(timestamp_with_time_zone_null(ApiTokens::ExpiresAt))
                    .col(timestamp_with_time_zone_null(ApiTokens::LastUsedAt))
                    .col(timestamp_with_time_zone_null(ApiTokens::RevokedAt))
                    .col(big_integer_null(ApiTokens::RevokedByPersonId))
                    .foreign_key(&mut fk(
                        "fk_api_tokens_created_by_person_id",
                        ApiTokens::Table,
                        ApiTokens::CreatedByPersonId,
                        People::Table,
                        ForeignKeyAction::Restrict,
                    ))
                    .foreign_key(&mut fk(
                        "fk_api_tokens_revoked_by_person_id",
                        ApiTokens::Table,
                        ApiTokens::RevokedByPersonId,
                        People::Table,
                        ForeignKeyAction::Restrict,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(unique_index(
                "ux_api_tokens_jti",
                ApiTokens::Table,
                [ApiTokens::Jti],
            ))
            .await?;
        manager
            .create_index(index(
                "ix_api_tokens_created_at_id",
                ApiTokens::Table,
                [ApiTokens::CreatedAt, ApiTokens::Id],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(AuditEvents::Table)
                    .col(id(AuditEvents::Id))
                    .col(timestamp_with_time_zone(AuditEvents::OccurredAt))
                    .col(big_integer_null(AuditEvents::ActorPersonId))
                    .col(big_integer_null(AuditEvents::ActorApiTokenId))
                    .col(text(AuditEvents::Action))
                    .col(text(AuditEvents::ObjectType))
                    .col(big_integer_null(AuditEvents::ObjectId))
                    .col(json_binary_null(AuditEvents::Before))
                    .col(json_binary_null(AuditEvents::After))
                    .col(text_null(AuditEvents::RequestId))
                    .foreign_key(&mut fk(
                        "fk_audit_events_actor_person_id",
                        AuditEvents::Table,
                        AuditEvents::ActorPersonId,
                        People::Table,
                        ForeignKeyAction::Restrict,
                    ))
                    .foreign_key(&mut fk(
                        "fk_audit_events_actor_api_token_id",
                        AuditEvents::Table,
                        AuditEvents::ActorApiTokenId,
                        ApiTokens::Table,
                        ForeignKeyAction::Restrict,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_audit_events_object_type_object_id_id",
                AuditEvents::Table,
                [
                    AuditEvents::ObjectType,
                    AuditEvents::ObjectId,
                    AuditEvents::Id,
                ],
            ))
            .await?;
        manager
            .create_index(index(
                "ix_audit_events_actor_person_id_id",
                AuditEvents::Table,
                [AuditEvents::ActorPersonId, AuditEvents::Id],
            ))
            .await?;
        manager
            .create_index(index(
                "ix_audit_events_action_id",
                AuditEvents::Table,
                [AuditEvents::Action, AuditEvents::Id],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(IdempotencyRecords::Table)
                    .col(id(IdempotencyRecords::Id))
                    .col(text(IdempotencyRecords::Caller))
                    .col(text(IdempotencyRecords::IdempotencyKey))
                    .col(text(IdempotencyRecords::Operation))
                    .col(text(IdempotencyRecords::RequestHash))
                    .col(json_binary(IdempotencyRecords::Response))
                    .col(timestamp_with_time_zone(IdempotencyRecords::CreatedAt))
                    .col(timestamp_with_time_zone(IdempotencyRecords::ExpiresAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(unique_index(
                "ux_idempotency_records_caller_idempotency_key",
                IdempotencyRecords::Table,
                [
                    IdempotencyRecords::Caller,
                    IdempotencyRecords::IdempotencyKey,
                ],
            ))
            .await?;
        manager
            .create_index(index(
                "ix_idempotency_records_expires_at",
                IdempotencyRecords::Table,
                [IdempotencyRecords::ExpiresAt],
            ))
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(
            manager,
            &["idempotency_records", "audit_events", "api_tokens"],
        )
        .await
    }
}

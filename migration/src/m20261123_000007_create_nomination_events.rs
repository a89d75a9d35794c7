//! `nomination_events`: the outbox of nomination changes.

use sea_orm_migration::{prelude::*, schema::*};

use crate::common::{drop_tables, fk, id, in_check, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum People {
    Table,
}

#[derive(DeriveIden)]
enum Nominations {
    Table,
}

#[derive(DeriveIden)]
enum NominationEvents {
    Table,
    Id,
    NominationId,
    Kind,
    ActorPersonId,
    OccurredAt,
    Payload,
}

const NOMINATION_EVENT_KINDS: &[&str] = &[
    "SUBMITTED",
    "ENDORSED",
    "REVIEW_STARTED",
    "ACCEPTED",
    "DECLINED",
    "WITHDRAWN",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(NominationEvents::Table)
                    .col(id(NominationEvents::Id))
                    .col(big_integer(NominationEvents::NominationId))
                    .col(text(NominationEvents::Kind))
                    .col(big_integer_null(NominationEvents::ActorPersonId))
                    .col(timestamp_with_time_zone(NominationEvents::OccurredAt))
                    .col(json_binary_null(NominationEvents::Payload))
                    .foreign_key(&mut fk(
                        "fk_nomination_events_nomination_id",
                        NominationEvents::Table,
                        NominationEvents::NominationId,
                        Nominations::Table,
                        ForeignKeyAction::Restrict,
                    ))
                    .foreign_key(&mut fk(
                        "fk_nomination_events_actor_person_id",
                        NominationEvents::Table,
                        NominationEvents::ActorPersonId,
                        People::Table,
                        ForeignKeyAction::Restrict,
                    ))
                    .check(in_check(
                        "ck_nomination_events_kind",
                        NominationEvents::Kind,
                        NOMINATION_EVENT_KINDS,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_nomination_events_nomination_id_id",
                NominationEvents::Table,
                [NominationEvents::NominationId, NominationEvents::Id],
            ))
            .await?;
        manager
            .create_index(index(
                "ix_nomination_events_occurred_at",
                NominationEvents::Table,
                [NominationEvents::OccurredAt],
            ))
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, &["nomination_events"]).await
    }
}

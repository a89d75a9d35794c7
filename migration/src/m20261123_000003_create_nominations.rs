//! `nominations`, `nomination_strategic_areas` and `endorsements`.

use sea_orm_migration::{prelude::*, schema::*};

use crate::common::{
    drop_tables, exec_portable_sql, fk, id, in_check, index, json_list, unique_index, version,
};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum People {
    Table,
}

#[derive(DeriveIden)]
enum StrategicAreas {
    Table,
}

#[derive(DeriveIden)]
enum Nominations {
    Table,
    Id,
    NomineeName,
    NomineeHandle,
    NomineeEmail,
    Rationale,
    SupportRequested,
    Links,
    Status,
    NominatorPersonId,
    ReviewerPersonId,
    ReviewStartedAt,
    DecidedByPersonId,
    DecidedAt,
    DecisionNote,
    WithdrawnAt,
    Version,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum NominationStrategicAreas {
    Table,
    NominationId,
    StrategicAreaId,
}

#[derive(DeriveIden)]
enum Endorsements {
    Table,
    Id,
    NominationId,
    EndorserPersonId,
    Comment,
    CreatedAt,
}

const NOMINATION_STATUSES: &[&str] = &[
    "SUBMITTED",
    "UNDER_REVIEW",
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
                    .table(Nominations::Table)
                    .col(id(Nominations::Id))
                    .col(text(Nominations::NomineeName))
                    .col(text(Nominations::NomineeHandle))
                    .col(text(Nominations::NomineeEmail))
                    .col(text(Nominations::Rationale))
                    .col(text_null(Nominations::SupportRequested))
                    .col(json_list(Nominations::Links))
                    .col(text(Nominations::Status))
                    .col(big_integer(Nominations::NominatorPersonId))
                    .col(big_integer_null(Nominations::ReviewerPersonId))
                    .col(timestamp_with_time_zone_null(Nominations::ReviewStartedAt))
                    .col(big_integer_null(Nominations::DecidedByPersonId))
                    .col(timestamp_with_time_zone_null(Nominations::DecidedAt))
                    .col(text_null(Nominations::DecisionNote))
                    .col(timestamp_with_time_zone_null(Nominations::WithdrawnAt))
                    .col(version(Nominations::Version))
                    .col(timestamp_with_time_zone(Nominations::CreatedAt))
                    .col(timestamp_with_time_zone(Nominations::UpdatedAt))
                    .foreign_key(&mut fk(
                        "fk_nominations_nominator_person_id",
                        Nominations::Table,
                        Nominations::NominatorPersonId,
                        People::Table,
                        ForeignKeyAction::Restrict,
                    ))
                    .foreign_key(&mut fk(
                        "fk_nominations_reviewer_person_id",
                        Nominations::Table,
                        Nominations::ReviewerPersonId,
                        People::Table,
                        ForeignKeyAction::Restrict,
                    ))
                    .foreign_key(&mut fk(
                        "fk_nominations_decided_by_person_id",
                        Nominations::Table,
                        Nominations::DecidedByPersonId,
                        People::Table,
                        ForeignKeyAction::Restrict,
                    ))
                    .check(in_check(
                        "ck_nominations_status",
                        Nominations::Status,
                        NOMINATION_STATUSES,
                    ))
                    .to_owned(),
            )
            .await?;
        // Expression + partial unique index: one open nomination per nominee.
        exec_portable_sql(
            manager,
            r#"CREATE UNIQUE INDEX "ux_nominations_open_nominee" ON "nominations" (lower("nominee_handle")) WHERE "status" IN ('SUBMITTED', 'UNDER_REVIEW')"#,
        )
        .await?;
        manager
            .create_index(index(
                "ix_nominations_status_id",
                Nominations::Table,
                [Nominations::Status, Nominations::Id],
            ))
            .await?;
        manager
            .create_index(index(
                "ix_nominations_nominator_person_id_id",
                Nominations::Table,
                [Nominations::NominatorPersonId, Nominations::Id],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(NominationStrategicAreas::Table)
                    .col(big_integer(NominationStrategicAreas::NominationId))
                    .col(big_integer(NominationStrategicAreas::StrategicAreaId))
                    .primary_key(
                        Index::create()
                            .col(NominationStrategicAreas::NominationId)
                            .col(NominationStrategicAreas::StrategicAreaId),
                    )
                    .foreign_key(&mut fk(
                        "fk_nomination_strategic_areas_nomination_id",
                        NominationStrategicAreas::Table,
                        NominationStrategicAreas::NominationId,
                        Nominations::Table,
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "fk_nomination_strategic_areas_strategic_area_id",
                        NominationStrategicAreas::Table,
                        NominationStrategicAreas::StrategicAreaId,
                        StrategicAreas::Table,
                        ForeignKeyAction::Restrict,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_nomination_strategic_areas_strategic_area_id",
                NominationStrategicAreas::Table,
                [NominationStrategicAreas::StrategicAreaId],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Endorsements::Table)
                    .col(id(Endorsements::Id))
                    .col(big_integer(Endorsements::NominationId))
                    .col(big_integer(Endorsements::EndorserPersonId))
                    .col(text_null(Endorsements::Comment))
                    .col(timestamp_with_time_zone(Endorsements::CreatedAt))
                    .foreign_key(&mut fk(
                        "fk_endorsements_nomination_id",
                        Endorsements::Table,
                        Endorsements::NominationId,
                        Nominations::Table,
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "fk_endorsements_endorser_person_id",
                        Endorsements::Table,
                        Endorsements::EndorserPersonId,
                        People::Table,
                        ForeignKeyAction::Restrict,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(unique_index(
                "ux_endorsements_nomination_id_endorser_person_id",
                Endorsements::Table,
                [Endorsements::NominationId, Endorsements::EndorserPersonId],
            ))
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(
            manager,
            &["endorsements", "nomination_strategic_areas", "nominations"],
        )
        .await
    }
}

//! `fellows`, `contributions`, `fellow_strategic_areas` and `benefit_grants`.

use sea_orm_migration::{prelude::*, schema::*};

use crate::common::{drop_tables, fk, id, in_check, index, json_list, unique_index, version};

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
enum StrategicAreas {
    Table,
}

#[derive(DeriveIden)]
enum Fellows {
    Table,
    Id,
    PersonId,
    Headline,
    Bio,
    Links,
    Status,
    JoinedOn,
    NominatedByPersonId,
    NominationId,
    Version,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Contributions {
    Table,
    Id,
    FellowId,
    Kind,
    Title,
    Description,
    Url,
    Metric,
    OccurredOn,
    CreatedAt,
}

#[derive(DeriveIden)]
enum FellowStrategicAreas {
    Table,
    FellowId,
    StrategicAreaId,
}

#[derive(DeriveIden)]
enum BenefitGrants {
    Table,
    Id,
    FellowId,
    Kind,
    Description,
    GrantedOn,
    GrantedByPersonId,
    RevokedAt,
    RevokedByPersonId,
    RevocationNote,
    Version,
    CreatedAt,
}

const FELLOW_STATUSES: &[&str] = &["ACTIVE", "ALUMNI"];

const CONTRIBUTION_KINDS: &[&str] = &[
    "COMMUNITY_BUILDING",
    "MODEL_PUBLISHING",
    "LIBRARY_CODE",
    "ADVOCACY",
    "WORKING_GROUP",
    "FORUM_SUPPORT",
    "EVENTS",
    "OTHER",
];

const BENEFIT_KINDS: &[&str] = &[
    "COMPUTE",
    "PEER_NETWORK",
    "WORKSHOPS",
    "STAFF_CONTACT",
    "MERCHANDISE",
    "RECOGNITION",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Fellows::Table)
                    .col(id(Fellows::Id))
                    .col(big_integer(Fellows::PersonId))
                    .col(text_null(Fellows::Headline))
                    .col(text_null(Fellows::Bio))
                    .col(json_list(Fellows::Links))
                    .col(text(Fellows::Status))
                    .col(date(Fellows::JoinedOn))
                    .col(big_integer_null(Fellows::NominatedByPersonId))
                    .col(big_integer_null(Fellows::NominationId))
                    .col(version(Fellows::Version))
                    .col(timestamp_with_time_zone(Fellows::CreatedAt))
                    .col(timestamp_with_time_zone(Fellows::UpdatedAt))
                    .foreign_key(&mut fk(
                        "fk_fellows_person_id",
                        Fellows::Table,
                        Fellows::PersonId,
                        People::Table,
                        ForeignKeyAction::Restrict,
                    ))
                    .foreign_key(&mut fk(
                        "fk_fellows_nominated_by_person_id",
                        Fellows::Table,
                        Fellows::NominatedByPersonId,
                        People::Table,
                        ForeignKeyAction::Restrict,
                    ))
                    .foreign_key(&mut fk(
                        "fk_fellows_nomination_id",
                        Fellows::Table,
                        Fellows::NominationId,
                        Nominations::Table,
                        ForeignKeyAction::Restrict,
                    ))
                    .check(in_check(
                        "ck_fellows_status",
                        Fellows::Status,
                        FELLOW_STATUSES,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(unique_index(
                "ux_fellows_person_id",
                Fellows::Table,
                [Fellows::PersonId],
            ))
            .await?;
        manager
            .create_index(unique_index(
                "ux_fellows_nomination_id",
                Fellows::Table,
                [Fellows::NominationId],
            ))
            .await?;
        manager
            .create_index(index(
                "ix_fellows_joined_on_id",
                Fellows::Table,
                [Fellows::JoinedOn, Fellows::Id],
            ))
            .await?;
        manager
            .create_index(index(
                "ix_fellows_status",
                Fellows::Table,
                [Fellows::Status],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Contributions::Table)
                    .col(id(Contributions::Id))
                    .col(big_integer(Contributions::FellowId))
                    .col(text(Contributions::Kind))
                    .col(text(Contributions::Title))
                    .col(text_null(Contributions::Description))
                    .col(text_null(Contributions::Url))
                    .col(text_null(Contributions::Metric))
                    .col(date_null(Contributions::OccurredOn))
                    .col(timestamp_with_time_zone(Contributions::CreatedAt))
                    .foreign_key(&mut fk(
                        "fk_contributions_fellow_id",
                        Contributions::Table,
                        Contributions::FellowId,
                        Fellows::Table,
                        ForeignKeyAction::Cascade,
                    ))
                    .check(in_check(
                        "ck_contributions_kind",
                        Contributions::Kind,
                        CONTRIBUTION_KINDS,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_contributions_fellow_id_id",
                Contributions::Table,
                [Contributions::FellowId, Contributions::Id],
            ))
            .await?;
        manager
            .create_index(index(
                "ix_contributions_kind_fellow_id",
                Contributions::Table,
                [Contributions::Kind, Contributions::FellowId],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(FellowStrategicAreas::Table)
                    .col(big_integer(FellowStrategicAreas::FellowId))
                    .col(big_integer(FellowStrategicAreas::StrategicAreaId))
                    .primary_key(
                        Index::create()
                            .col(FellowStrategicAreas::FellowId)
                            .col(FellowStrategicAreas::StrategicAreaId),
                    )
                    .foreign_key(&mut fk(
                        "fk_fellow_strategic_areas_fellow_id",
                        FellowStrategicAreas::Table,
                        FellowStrategicAreas::FellowId,
                        Fellows::Table,
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "fk_fellow_strategic_areas_strategic_area_id",
                        FellowStrategicAreas::Table,
                        FellowStrategicAreas::StrategicAreaId,
                        StrategicAreas::Table,
                        ForeignKeyAction::Restrict,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_fellow_strategic_areas_strategic_area_id",
                FellowStrategicAreas::Table,
                [FellowStrategicAreas::StrategicAreaId],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(BenefitGrants::Table)
                    .col(id(BenefitGrants::Id))
                    .col(big_integer(BenefitGrants::FellowId))
                    .col(text(BenefitGrants::Kind))
                    .col(text_null(BenefitGrants::Description))
                    .col(date(BenefitGrants::GrantedOn))
                    .col(big_integer_null(BenefitGrants::GrantedByPersonId))
                    .col(timestamp_with_time_zone_null(BenefitGrants::RevokedAt))
                    .col(big_integer_null(BenefitGrants::RevokedByPersonId))
                    .col(text_null(BenefitGrants::RevocationNote))
                    .col(version(BenefitGrants::Version))
                    .col(timestamp_with_time_zone(BenefitGrants::CreatedAt))
                    .foreign_key(&mut fk(
                        "fk_benefit_grants_fellow_id",
                        BenefitGrants::Table,
                        BenefitGrants::FellowId,
                        Fellows::Table,
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "fk_benefit_grants_granted_by_person_id",
                        BenefitGrants::Table,
                        BenefitGrants::GrantedByPersonId,
                        People::Table,
                        ForeignKeyAction::Restrict,
                    ))
                    .foreign_key(&mut fk(
                        "fk_benefit_grants_revoked_by_person_id",
                        BenefitGrants::Table,
                        BenefitGrants::RevokedByPersonId,
                        People::Table,
                        ForeignKeyAction::Restrict,
                    ))
                    .check(in_check(
                        "ck_benefit_grants_kind",
                        BenefitGrants::Kind,
                        BENEFIT_KINDS,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_benefit_grants_fellow_id_id",
                BenefitGrants::Table,
                [BenefitGrants::FellowId, BenefitGrants::Id],
            ))
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(
            manager,
            &[
                "benefit_grants",
                "fellow_strategic_areas",
                "contributions",
                "fellows",
            ],
        )
        .await
    }
}

//! `organizations`, `foundation_memberships` and `board_seats`.

use sea_orm_migration::{prelude::*, schema::*};

use crate::common::{drop_tables, exec_portable_sql, fk, id, in_check, index, version};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum People {
    Table,
}

#[derive(DeriveIden)]
enum Organizations {
    Table,
    Id,
    Slug,
    Name,
    Kind,
    ParentId,
    Description,
    WebsiteUrl,
    Version,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum FoundationMemberships {
    Table,
    Id,
    MemberId,
    FoundationId,
    Tier,
    JoinedOn,
    EndedOn,
    AnnouncementUrl,
    Version,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum BoardSeats {
    Table,
    Id,
    MembershipId,
    Board,
    RepresentativePersonId,
    Title,
    Since,
    Until,
    CreatedAt,
    UpdatedAt,
}

const ORGANIZATION_KINDS: &[&str] = &[
    "COMPANY",
    "FOUNDATION",
    "NONPROFIT",
    "ACADEMIC",
    "GOVERNMENT",
    "OTHER",
];

const MEMBERSHIP_TIERS: &[&str] = &["PREMIER", "GENERAL", "ASSOCIATE"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Organizations::Table)
                    .col(id(Organizations::Id))
                    .col(text(Organizations::Slug))
                    .col(text(Organizations::Name))
                    .col(text(Organizations::Kind))
                    .col(big_integer_null(Organizations::ParentId))
                    .col(text_null(Organizations::Description))
                    .col(text_null(Organizations::WebsiteUrl))
                    .col(version(Organizations::Version))
                    .col(timestamp_with_time_zone(Organizations::CreatedAt))
                    .col(timestamp_with_time_zone(Organizations::UpdatedAt))
                    .foreign_key(&mut fk(
                        "fk_organizations_parent_id",
                        Organizations::Table,
                        Organizations::ParentId,
                        Organizations::Table,
                        ForeignKeyAction::Restrict,
                    ))
                    .check(in_check(
                        "ck_organizations_kind",
                        Organizations::Kind,
                        ORGANIZATION_KINDS,
                    ))
                    .check(Check::named(
                        Alias::new("ck_organizations_parent_not_self"),
                        Expr::col(Organizations::ParentId).ne(Expr::col(Organizations::Id)),
                    ))
                    .to_owned(),
            )
            .await?;
        exec_portable_sql(
            manager,
            r#"CREATE UNIQUE INDEX "ux_organizations_slug" ON "organizations" (lower("slug"))"#,
        )
        .await?;
        manager
            .create_index(index(
                "ix_organizations_name_id",
                Organizations::Table,
                [Organizations::Name, Organizations::Id],
            ))
            .await?;
        manager
            .create_index(index(
                "ix_organizations_parent_id",
                Organizations::Table,
                [Organizations::ParentId],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(FoundationMemberships::Table)
                    .col(id(FoundationMemberships::Id))
                    .col(big_integer(FoundationMemberships::MemberId))
                    .col(big_integer(FoundationMemberships::FoundationId))
                    .col(text(FoundationMemberships::Tier))
                    .col(date_null(FoundationMemberships::JoinedOn))
                    .col(date_null(FoundationMemberships::EndedOn))
                    .col(text_null(FoundationMemberships::AnnouncementUrl))
                    .col(version(FoundationMemberships::Version))
                    .col(timestamp_with_time_zone(FoundationMemberships::CreatedAt))
                    .col(timestamp_with_time_zone(FoundationMemberships::UpdatedAt))
                    .foreign_key(&mut fk(
                        "fk_foundation_memberships_member_id",
                        FoundationMemberships::Table,
                        FoundationMemberships::MemberId,
                        Organizations::Table,
                        ForeignKeyAction::Restrict,
                    ))
                    .foreign_key(&mut fk(
                        "fk_foundation_memberships_foundation_id",
                        FoundationMemberships::Table,
                        FoundationMemberships::FoundationId,
                        Organizations::Table,
                        ForeignKeyAction::Restrict,
                    ))
                    .check(in_check(
                        "ck_foundation_memberships_tier",
                        FoundationMemberships::Tier,
                        MEMBERSHIP_TIERS,
                    ))
                    .check(Check::named(
                        Alias::new("ck_foundation_memberships_member_not_foundation"),
                        Expr::col(FoundationMemberships::MemberId)
                            .ne(Expr::col(FoundationMemberships::FoundationId)),
                    ))
                    .check(Check::named(
                        Alias::new("ck_foundation_memberships_dates"),
                        Expr::col(FoundationMemberships::JoinedOn)
                            .is_null()
                            .or(Expr::col(FoundationMemberships::EndedOn).is_null())
                            .or(Expr::col(FoundationMemberships::EndedOn)
                                .gte(Expr::col(FoundationMemberships::JoinedOn))),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                index(
                    "ux_foundation_memberships_open",
                    FoundationMemberships::Table,
                    [
                        FoundationMemberships::MemberId,
                        FoundationMemberships::FoundationId,
                    ],
                )
                .unique()
                .and_where(Expr::col(FoundationMemberships::EndedOn).is_null())
                .take(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_foundation_memberships_foundation_id_id",
                FoundationMemberships::Table,
                [
                    FoundationMemberships::FoundationId,
                    FoundationMemberships::Id,
                ],
            ))
            .await?;
        manager
            .create_index(index(
                "ix_foundation_memberships_member_id_id",
                FoundationMemberships::Table,
                [FoundationMemberships::MemberId, FoundationMemberships::Id],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(BoardSeats::Table)
                    .col(id(BoardSeats::Id))
                    .col(big_integer(BoardSeats::MembershipId))
                    .col(text(BoardSeats::Board))
                    .col(big_integer(BoardSeats::RepresentativePersonId))
                    .col(text_null(BoardSeats::Title))
                    .col(date_null(BoardSeats::Since))
                    .col(date_null(BoardSeats::Until))
                    .col(timestamp_with_time_zone(BoardSeats::CreatedAt))
                    .col(timestamp_with_time_zone(BoardSeats::UpdatedAt))
                    .foreign_key(&mut fk(
                        "fk_board_seats_membership_id",
                        BoardSeats::Table,
                        BoardSeats::MembershipId,
                        FoundationMemberships::Table,
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "fk_board_seats_representative_person_id",
                        BoardSeats::Table,
                        BoardSeats::RepresentativePersonId,
                        People::Table,
                        ForeignKeyAction::Restrict,
                    ))
                    .check(Check::named(
                        Alias::new("ck_board_seats_dates"),
                        Expr::col(BoardSeats::Since)
                            .is_null()
                            .or(Expr::col(BoardSeats::Until).is_null())
                            .or(Expr::col(BoardSeats::Until).gte(Expr::col(BoardSeats::Since))),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                index(
                    "ux_board_seats_open",
                    BoardSeats::Table,
                    [BoardSeats::MembershipId],
                )
                .unique()
                .and_where(Expr::col(BoardSeats::Until).is_null())
                .take(),
            )
            .await?;
        // Not in the spec's list: lets `membership -> board_seats` lookups (and
        // the ON DELETE CASCADE from memberships) use an index, in id order.
        manager
            .create_index(index(
                "ix_board_seats_membership_id_id",
                BoardSeats::Table,
                [BoardSeats::MembershipId, BoardSeats::Id],
            ))
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, &["board_seats", "foundation_memberships"]).await?;
        // SQLite's DROP TABLE runs an implicit DELETE that checks foreign keys row
        // by row, and the self-referencing `parent_id ... ON DELETE RESTRICT`
        // would reject deleting a parent before its children. Clear the
        // self-references first (a no-op for the schema; the table goes next).
        exec_portable_sql(
            manager,
            r#"UPDATE "organizations" SET "parent_id" = NULL WHERE "parent_id" IS NOT NULL"#,
        )
        .await?;
        drop_tables(manager, &["organizations"]).await
    }
}

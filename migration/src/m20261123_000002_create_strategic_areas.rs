//! `strategic_areas`.

use sea_orm_migration::{prelude::*, schema::*};

use crate::common::{drop_tables, exec_portable_sql, id, index, version};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum StrategicAreas {
    Table,
    Id,
    Slug,
    Name,
    Description,
    ArchivedAt,
    Version,
    CreatedAt,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(StrategicAreas::Table)
                    .col(id(StrategicAreas::Id))
                    .col(text(StrategicAreas::Slug))
                    .col(text(StrategicAreas::Name))
                    .col(text_null(StrategicAreas::Description))
                    .col(timestamp_with_time_zone_null(StrategicAreas::ArchivedAt))
                    .col(version(StrategicAreas::Version))
                    .col(timestamp_with_time_zone(StrategicAreas::CreatedAt))
                    .col(timestamp_with_time_zone(StrategicAreas::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        exec_portable_sql(
            manager,
            r#"CREATE UNIQUE INDEX "ux_strategic_areas_slug" ON "strategic_areas" (lower("slug"))"#,
        )
        .await?;
        manager
            .create_index(index(
                "ix_strategic_areas_name_id",
                StrategicAreas::Table,
                [StrategicAreas::Name, StrategicAreas::Id],
            ))
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, &["strategic_areas"]).await
    }
}

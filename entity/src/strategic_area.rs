//! `strategic_areas`: a field where the program seeks contributions.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use crate::folding::refold;

/// One row of `strategic_areas`: a field where the program seeks contributions, such
/// as speech and audio. Staff create, update and archive them; fellows and nominations
/// link to them.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "strategic_areas")]
pub struct Model {
    /// Primary key, assigned by the database.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// A short, stable, URL-friendly name, such as `speech-and-audio`: lower-case
    /// words joined by hyphens. Nominations name areas by it.
    /// Unique ignoring case (unique index on `slug_folded`).
    pub slug: String,
    /// The area's display name (at most 200 characters).
    pub name: String,
    /// What the program seeks in this area (at most 5,000 characters).
    pub description: Option<String>,
    /// When staff archived the area; `None` while it is current. Archived areas stay
    /// readable, with their links, but new nominations cannot name them.
    pub archived_at: Option<DateTimeUtc>,
    /// Optimistic-concurrency counter (starts at 1, bumped by every change); clients
    /// send it back as `expectedVersion`, and a stale one is refused with `CONFLICT`.
    pub version: i32,
    /// When the row was written.
    pub created_at: DateTimeUtc,
    /// When the row last changed.
    pub updated_at: DateTimeUtc,
    /// `slug` folded for lookup and uniqueness ([`crate::folding`]); written by
    /// `before_save`.
    #[serde(skip)]
    pub slug_folded: String,
    /// `name` folded for search ([`crate::folding`]).
    #[serde(skip)]
    pub name_folded: String,
}

/// The relations of `strategic_areas` to the junction tables that link it.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// The junction rows linking fellows to this area.
    #[sea_orm(has_many = "super::fellow_strategic_area::Entity")]
    FellowStrategicArea,
    /// The junction rows linking nominations to this area.
    #[sea_orm(has_many = "super::nomination_strategic_area::Entity")]
    NominationStrategicArea,
}

impl Related<super::fellow_strategic_area::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::FellowStrategicArea.def()
    }
}

impl Related<super::nomination_strategic_area::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::NominationStrategicArea.def()
    }
}

/// Many-to-many: the fellows working in this area.
impl Related<super::fellow::Entity> for Entity {
    fn to() -> RelationDef {
        super::fellow_strategic_area::Relation::Fellow.def()
    }

    fn via() -> Option<RelationDef> {
        Some(
            super::fellow_strategic_area::Relation::StrategicArea
                .def()
                .rev(),
        )
    }
}

/// Many-to-many: the nominations concerning this area.
impl Related<super::nomination::Entity> for Entity {
    fn to() -> RelationDef {
        super::nomination_strategic_area::Relation::Nomination.def()
    }

    fn via() -> Option<RelationDef> {
        Some(
            super::nomination_strategic_area::Relation::StrategicArea
                .def()
                .rev(),
        )
    }
}

#[async_trait::async_trait]
impl ActiveModelBehavior for ActiveModel {
    /// Keeps the folded copies in step with the texts they fold, and fills the
    /// bookkeeping columns the write left unset ([`crate::stamps`]).
    async fn before_save<C>(mut self, _db: &C, insert: bool) -> Result<Self, DbErr>
    where
        C: ConnectionTrait,
    {
        crate::stamp!(self, insert; created_at, updated_at, version);
        refold(&self.slug, &mut self.slug_folded);
        refold(&self.name, &mut self.name_folded);
        Ok(self)
    }
}

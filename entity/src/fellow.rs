//! `fellows`: a person admitted to the program.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use crate::enums::FellowStatus;
use crate::folding::refold_optional;

/// One row of `fellows`: the public fellowship record of one person (name and handle
/// live on the [`super::person`] row). Fellows are not employees.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "fellows")]
pub struct Model {
    /// Primary key, assigned by the database.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Unique: one fellow per person.
    #[sea_orm(unique)]
    pub person_id: i64,
    /// One line introducing the fellow on their profile (at most 200 characters);
    /// searched ignoring case through `headline_folded`.
    pub headline: Option<String>,
    /// The fellow's story on their profile (at most 5,000 characters).
    pub bio: Option<String>,
    /// JSON list of links (defaults to `[]`): at most 10 objects
    /// `{"label": ..., "url": ...}`, labels of 1 to 50 characters, http(s) URLs.
    #[sea_orm(column_type = "JsonBinary")]
    pub links: Json,
    /// `ACTIVE` while in the program, `ALUMNI` after; changed by staff.
    pub status: FellowStatus,
    /// The day the fellow joined: the day their nomination was accepted (set again when
    /// an alumnus is re-admitted); the demo's first fellows have the announcement day.
    pub joined_on: Date,
    /// Who nominated the fellow (the accepted nomination's nominator); `None` for
    /// fellows recorded without a nomination.
    pub nominated_by_person_id: Option<i64>,
    /// The nomination that admitted this fellow, if any (unique).
    #[sea_orm(unique)]
    pub nomination_id: Option<i64>,
    /// Optimistic-concurrency counter (starts at 1, bumped by every change); clients
    /// send it back as `expectedVersion`, and a stale one is refused with `CONFLICT`.
    pub version: i32,
    /// When the row was written.
    pub created_at: DateTimeUtc,
    /// When the row last changed.
    pub updated_at: DateTimeUtc,
    /// `headline` folded for search ([`crate::folding`]); written by `before_save`.
    #[serde(skip)]
    pub headline_folded: Option<String>,
}

/// The relations of `fellows` to other tables.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// The person who is the fellow (`person_id`).
    #[sea_orm(
        belongs_to = "super::person::Entity",
        from = "Column::PersonId",
        to = "super::person::Column::Id",
        on_delete = "Restrict"
    )]
    Person,
    /// The person who nominated the fellow (`nominated_by_person_id`).
    #[sea_orm(
        belongs_to = "super::person::Entity",
        from = "Column::NominatedByPersonId",
        to = "super::person::Column::Id",
        on_delete = "Restrict"
    )]
    NominatedBy,
    /// The nomination that admitted the fellow (`nomination_id`).
    #[sea_orm(
        belongs_to = "super::nomination::Entity",
        from = "Column::NominationId",
        to = "super::nomination::Column::Id",
        on_delete = "Restrict"
    )]
    Nomination,
    /// The fellow's contributions.
    #[sea_orm(has_many = "super::contribution::Entity")]
    Contribution,
    /// The benefits granted to the fellow, current and revoked.
    #[sea_orm(has_many = "super::benefit_grant::Entity")]
    BenefitGrant,
    /// The junction rows linking the fellow to strategic areas.
    #[sea_orm(has_many = "super::fellow_strategic_area::Entity")]
    FellowStrategicArea,
}

/// The main person of a fellow is the fellow themself (`person_id`); use
/// `Relation::NominatedBy` explicitly for the nominator.
impl Related<super::person::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Person.def()
    }
}

impl Related<super::nomination::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Nomination.def()
    }
}

impl Related<super::contribution::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Contribution.def()
    }
}

impl Related<super::benefit_grant::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::BenefitGrant.def()
    }
}

impl Related<super::fellow_strategic_area::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::FellowStrategicArea.def()
    }
}

/// Many-to-many: the strategic areas this fellow works in.
impl Related<super::strategic_area::Entity> for Entity {
    fn to() -> RelationDef {
        super::fellow_strategic_area::Relation::StrategicArea.def()
    }

    fn via() -> Option<RelationDef> {
        Some(super::fellow_strategic_area::Relation::Fellow.def().rev())
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
        refold_optional(&self.headline, &mut self.headline_folded);
        Ok(self)
    }
}

//! `fellows`: a person admitted to the program.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use crate::enums::FellowStatus;
use crate::folding::refold_optional;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "fellows")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Unique: one fellow per person.
    #[sea_orm(unique)]
    pub person_id: i64,
    pub headline: Option<String>,
    pub bio: Option<String>,
    /// JSON list of links (defaults to `[]`).
    #[sea_orm(column_type = "JsonBinary")]
    pub links: Json,
    pub status: FellowStatus,
    pub joined_on: Date,
    pub nominated_by_person_id: Option<i64>,
    /// The nomination that admitted this fellow, if any (unique).
    #[sea_orm(unique)]
    pub nomination_id: Option<i64>,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// `headline` folded for search ([`crate::folding`]); written by `before_save`.
    #[serde(skip)]
    pub headline_folded: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::person::Entity",
        from = "Column::PersonId",
        to = "super::person::Column::Id",
        on_delete = "Restrict"
    )]
    Person,
    #[sea_orm(
        belongs_to = "super::person::Entity",
        from = "Column::NominatedByPersonId",
        to = "super::person::Column::Id",
        on_delete = "Restrict"
    )]
    NominatedBy,
    #[sea_orm(
        belongs_to = "super::nomination::Entity",
        from = "Column::NominationId",
        to = "super::nomination::Column::Id",
        on_delete = "Restrict"
    )]
    Nomination,
    #[sea_orm(has_many = "super::contribution::Entity")]
    Contribution,
    #[sea_orm(has_many = "super::benefit_grant::Entity")]
    BenefitGrant,
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

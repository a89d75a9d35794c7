//! `nominations`: a proposal to admit a nominee.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use crate::enums::NominationStatus;
use crate::folding::refold;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "nominations")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub nominee_name: String,
    /// At most one open (`SUBMITTED`/`UNDER_REVIEW`) nomination per
    /// `nominee_handle_folded` (partial unique index `ux_nominations_open_nominee`).
    pub nominee_handle: String,
    pub nominee_email: String,
    pub rationale: String,
    pub support_requested: Option<String>,
    /// JSON list of links (defaults to `[]`).
    #[sea_orm(column_type = "JsonBinary")]
    pub links: Json,
    pub status: NominationStatus,
    pub nominator_person_id: i64,
    pub reviewer_person_id: Option<i64>,
    pub review_started_at: Option<DateTimeUtc>,
    pub decided_by_person_id: Option<i64>,
    pub decided_at: Option<DateTimeUtc>,
    pub decision_note: Option<String>,
    pub withdrawn_at: Option<DateTimeUtc>,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// `nominee_handle` folded for lookup and uniqueness ([`crate::folding`]); written
    /// by `before_save`.
    #[serde(skip)]
    pub nominee_handle_folded: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::person::Entity",
        from = "Column::NominatorPersonId",
        to = "super::person::Column::Id",
        on_delete = "Restrict"
    )]
    Nominator,
    #[sea_orm(
        belongs_to = "super::person::Entity",
        from = "Column::ReviewerPersonId",
        to = "super::person::Column::Id",
        on_delete = "Restrict"
    )]
    Reviewer,
    #[sea_orm(
        belongs_to = "super::person::Entity",
        from = "Column::DecidedByPersonId",
        to = "super::person::Column::Id",
        on_delete = "Restrict"
    )]
    DecidedBy,
    #[sea_orm(has_many = "super::endorsement::Entity")]
    Endorsement,
    #[sea_orm(has_many = "super::nomination_strategic_area::Entity")]
    NominationStrategicArea,
    #[sea_orm(has_many = "super::nomination_event::Entity")]
    NominationEvent,
    /// The fellow admitted through this nomination (at most one).
    #[sea_orm(has_one = "super::fellow::Entity")]
    Fellow,
}

/// The main person of a nomination is its nominator; use
/// `Relation::Reviewer` / `Relation::DecidedBy` explicitly for the others.
impl Related<super::person::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Nominator.def()
    }
}

impl Related<super::endorsement::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Endorsement.def()
    }
}

impl Related<super::nomination_strategic_area::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::NominationStrategicArea.def()
    }
}

impl Related<super::nomination_event::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::NominationEvent.def()
    }
}

impl Related<super::fellow::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Fellow.def()
    }
}

/// Many-to-many: the strategic areas this nomination concerns.
impl Related<super::strategic_area::Entity> for Entity {
    fn to() -> RelationDef {
        super::nomination_strategic_area::Relation::StrategicArea.def()
    }

    fn via() -> Option<RelationDef> {
        Some(
            super::nomination_strategic_area::Relation::Nomination
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
        refold(&self.nominee_handle, &mut self.nominee_handle_folded);
        Ok(self)
    }
}

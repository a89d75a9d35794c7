//! `nominations`: a proposal to admit a nominee.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use crate::enums::NominationStatus;
use crate::folding::refold;

/// One row of `nominations`: a staff member or active fellow proposes to admit someone
/// as a fellow, and staff review and decide. See [`NominationStatus`] for the
/// lifecycle.
///
/// Its serde form (these field names) is the snapshot every outbox event keeps
/// (`nomination_events.payload`, without `nominee_email`), and old events are read back
/// into this struct: a new field that is not an `Option` needs a serde default, or a
/// migration that adds it to the stored snapshots.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "nominations")]
pub struct Model {
    /// Primary key, assigned by the database.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The nominee's name (one line, at most 200 characters).
    pub nominee_name: String,
    /// The nominee's hub handle, case kept as given; accepting the nomination finds or
    /// creates the person with this handle.
    /// At most one open (`SUBMITTED`/`UNDER_REVIEW`) nomination per
    /// `nominee_handle_folded` (partial unique index `ux_nominations_open_nominee`).
    pub nominee_handle: String,
    /// The nominee's private contact e-mail: shown only to staff and the nominator,
    /// and kept out of the outbox and audit snapshots.
    pub nominee_email: String,
    /// How the nominee advanced open-source machine learning (at most 5,000
    /// characters).
    pub rationale: String,
    /// What support would make the nominee more impactful (at most 2,000 characters).
    pub support_requested: Option<String>,
    /// JSON list of links (defaults to `[]`): at most 10 objects
    /// `{"label": ..., "url": ...}`; copied to the fellow an acceptance creates.
    #[sea_orm(column_type = "JsonBinary")]
    pub links: Json,
    /// Where the nomination stands in its lifecycle.
    pub status: NominationStatus,
    /// Who submitted it: a staff member or an active fellow. Only they may withdraw
    /// it, and they may not decide it.
    pub nominator_person_id: i64,
    /// The staff member who put it under review; `None` until then.
    pub reviewer_person_id: Option<i64>,
    /// When it was put under review (`SUBMITTED -> UNDER_REVIEW`).
    pub review_started_at: Option<DateTimeUtc>,
    /// The staff member who accepted or declined it; `None` until decided.
    pub decided_by_person_id: Option<i64>,
    /// When it was accepted or declined.
    pub decided_at: Option<DateTimeUtc>,
    /// Why it was accepted or declined: every decision carries one (at most 2,000
    /// characters).
    pub decision_note: Option<String>,
    /// When the nominator withdrew it; `None` unless `WITHDRAWN`.
    pub withdrawn_at: Option<DateTimeUtc>,
    /// Optimistic-concurrency counter (starts at 1, bumped by every change, endorsements
    /// included); clients send it back as `expectedVersion` to withdraw, start the
    /// review or decide, and a stale one is refused with `CONFLICT`.
    pub version: i32,
    /// When it was submitted.
    pub created_at: DateTimeUtc,
    /// When it last changed.
    pub updated_at: DateTimeUtc,
    /// `nominee_handle` folded for lookup and uniqueness ([`crate::folding`]); written
    /// by `before_save`.
    #[serde(skip)]
    pub nominee_handle_folded: String,
}

/// The relations of `nominations` to other tables.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// The person who submitted the nomination (`nominator_person_id`).
    #[sea_orm(
        belongs_to = "super::person::Entity",
        from = "Column::NominatorPersonId",
        to = "super::person::Column::Id",
        on_delete = "Restrict"
    )]
    Nominator,
    /// The staff member who put it under review (`reviewer_person_id`).
    #[sea_orm(
        belongs_to = "super::person::Entity",
        from = "Column::ReviewerPersonId",
        to = "super::person::Column::Id",
        on_delete = "Restrict"
    )]
    Reviewer,
    /// The staff member who decided it (`decided_by_person_id`).
    #[sea_orm(
        belongs_to = "super::person::Entity",
        from = "Column::DecidedByPersonId",
        to = "super::person::Column::Id",
        on_delete = "Restrict"
    )]
    DecidedBy,
    /// The endorsements backing it.
    #[sea_orm(has_many = "super::endorsement::Entity")]
    Endorsement,
    /// The junction rows linking it to strategic areas.
    #[sea_orm(has_many = "super::nomination_strategic_area::Entity")]
    NominationStrategicArea,
    /// Its outbox events, one per change.
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

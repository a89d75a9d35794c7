//! `nomination_events`: the outbox of nomination changes, in id order.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use crate::enums::NominationEventKind;

/// One row of `nomination_events`: one committed change of a nomination, written in
/// the change's own transaction and read by the `nominationEvents` subscription after
/// commit. Rows are pruned after `EVENT_RETENTION` (7 days by default), always as a
/// prefix of ids.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "nomination_events")]
pub struct Model {
    /// Primary key, assigned by the database. Id order is commit order (on PostgreSQL
    /// an advisory lock ensures it), so a reader resumes at `id > last`.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The nomination that changed.
    pub nomination_id: i64,
    /// Which change it was.
    pub kind: NominationEventKind,
    /// The person who made the change (nominator, endorser or staff member).
    pub actor_person_id: Option<i64>,
    /// When the change was made.
    pub occurred_at: DateTimeUtc,
    /// `{"nomination": {...}}`: the nomination right after the change, in
    /// [`super::nomination::Model`]'s serde form without `nominee_email`. Always set
    /// by the API; a payload of any other form is a fault the readers report.
    #[sea_orm(column_type = "JsonBinary", nullable)]
    pub payload: Option<Json>,
}

/// The relations of `nomination_events` to other tables.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// The nomination that changed (`nomination_id`); a nomination with events cannot
    /// be deleted.
    #[sea_orm(
        belongs_to = "super::nomination::Entity",
        from = "Column::NominationId",
        to = "super::nomination::Column::Id",
        on_delete = "Restrict"
    )]
    Nomination,
    /// The person who made the change (`actor_person_id`).
    #[sea_orm(
        belongs_to = "super::person::Entity",
        from = "Column::ActorPersonId",
        to = "super::person::Column::Id",
        on_delete = "Restrict"
    )]
    Actor,
}

impl Related<super::nomination::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Nomination.def()
    }
}

impl Related<super::person::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Actor.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}

//! `endorsements`: a person backing a nomination.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// One row of `endorsements`: a staff member or active fellow, other than the nominee
/// and the nominator, backing an open nomination. Each endorsement also bumps the
/// nomination's `version`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "endorsements")]
pub struct Model {
    /// Primary key, assigned by the database; a nomination's endorsements are listed
    /// oldest first by it.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The nomination endorsed; endorsements go with it (`ON DELETE CASCADE`).
    /// Unique together with `endorser_person_id`.
    pub nomination_id: i64,
    /// The person who endorses. Whoever endorsed a nomination may not decide it.
    pub endorser_person_id: i64,
    /// What the endorser says in support (at most 2,000 characters).
    pub comment: Option<String>,
    /// When the nomination was endorsed.
    pub created_at: DateTimeUtc,
}

/// The relations of `endorsements` to other tables.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// The nomination endorsed (`nomination_id`).
    #[sea_orm(
        belongs_to = "super::nomination::Entity",
        from = "Column::NominationId",
        to = "super::nomination::Column::Id",
        on_delete = "Cascade"
    )]
    Nomination,
    /// The person who endorses (`endorser_person_id`).
    #[sea_orm(
        belongs_to = "super::person::Entity",
        from = "Column::EndorserPersonId",
        to = "super::person::Column::Id",
        on_delete = "Restrict"
    )]
    Endorser,
}

impl Related<super::nomination::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Nomination.def()
    }
}

impl Related<super::person::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Endorser.def()
    }
}

crate::stamped!(created_at);

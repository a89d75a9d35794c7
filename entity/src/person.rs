//! `people`: a human the records mention (fellow, staff, nominator, board representative).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use crate::folding::{refold, refold_optional};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "people")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub name: String,
    /// Unique ignoring case (`ux_people_handle` on `handle_folded`).
    pub handle: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// `name` folded for search ([`crate::folding`]); written by `before_save`.
    #[serde(skip)]
    pub name_folded: String,
    /// `handle` folded for lookup and uniqueness ([`crate::folding`]).
    #[serde(skip)]
    pub handle_folded: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// The account of this person (at most one).
    #[sea_orm(has_one = "super::account::Entity")]
    Account,
    /// The fellow record of this person (at most one), via `fellows.person_id`.
    #[sea_orm(has_one = "super::fellow::Entity")]
    Fellow,
}

impl Related<super::account::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Account.def()
    }
}

impl Related<super::fellow::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Fellow.def()
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
        crate::stamp!(self, insert; created_at, updated_at);
        refold(&self.name, &mut self.name_folded);
        refold_optional(&self.handle, &mut self.handle_folded);
        Ok(self)
    }
}

//! `people`: a human the records mention (fellow, staff, nominator, board representative).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use crate::folding::{refold, refold_optional};

/// One row of `people`: a human the records mention. Who may sign in is in
/// [`super::account`]; who is a fellow, in [`super::fellow`]. The row holds a name and
/// a handle and nothing else about the person.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "people")]
pub struct Model {
    /// Primary key, assigned by the database.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The person's name as shown (one line, at most 200 characters); a fellow's name
    /// is edited through their profile.
    pub name: String,
    /// The person's hub handle, such as `merve`, case kept as given; a user token's
    /// `sub` names a person by it. `None` for someone without a known handle (a board
    /// representative, say).
    /// Unique ignoring case (`ux_people_handle` on `handle_folded`).
    pub handle: Option<String>,
    /// When the row was written.
    pub created_at: DateTimeUtc,
    /// When the row last changed.
    pub updated_at: DateTimeUtc,
    /// `name` folded for search ([`crate::folding`]); written by `before_save`.
    #[serde(skip)]
    pub name_folded: String,
    /// `handle` folded for lookup and uniqueness ([`crate::folding`]).
    #[serde(skip)]
    pub handle_folded: Option<String>,
}

/// The relations of `people` to the rows that hang off a person; the many other
/// columns that name a person declare their relations on their own tables.
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

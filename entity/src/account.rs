//! `accounts`: who signs in: a person with role `STAFF` or `FELLOW`.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use crate::enums::AccountRole;

/// One row of `accounts`: the sign-in of one person. A user token's `sub` (a hub
/// handle) is resolved to the person, and the token is honoured only if this row
/// exists, is not disabled and has the token's role.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "accounts")]
pub struct Model {
    /// Primary key, assigned by the database.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The person who signs in ([`super::person`]). Unique: one account per person.
    #[sea_orm(unique)]
    pub person_id: i64,
    /// What the account may do: `STAFF` runs the program, `FELLOW` is an admitted
    /// fellow. A token whose `role` claim differs is refused.
    pub role: AccountRole,
    /// When the account was opened (accepting a nomination opens a `FELLOW` account
    /// for a nominee who had none).
    pub created_at: DateTimeUtc,
    /// When the account was disabled; while set, every token for this person is
    /// refused. `None` for an account in use.
    pub disabled_at: Option<DateTimeUtc>,
    /// The staff member who disabled the account (`disableAccount`), while it is
    /// disabled; `None` for an account disabled by hand in the database, and once it is
    /// enabled again (the audit log keeps the history).
    pub disabled_by_person_id: Option<i64>,
    /// Why the account was disabled, in the words of whoever did, while it is disabled.
    pub disabled_note: Option<String>,
}

/// The relations of `accounts` to other tables.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// The person who signs in (`person_id`; deleting the person is refused while the
    /// account exists).
    #[sea_orm(
        belongs_to = "super::person::Entity",
        from = "Column::PersonId",
        to = "super::person::Column::Id",
        on_delete = "Restrict"
    )]
    Person,
    /// The staff member who disabled the account (`disabled_by_person_id`).
    #[sea_orm(
        belongs_to = "super::person::Entity",
        from = "Column::DisabledByPersonId",
        to = "super::person::Column::Id",
        on_delete = "Restrict"
    )]
    DisabledBy,
}

/// The main person of an account is its holder; use `Relation::DisabledBy` explicitly
/// for who disabled it.
impl Related<super::person::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Person.def()
    }
}

crate::stamped!(created_at);

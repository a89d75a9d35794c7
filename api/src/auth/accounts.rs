//! Accounts: who may sign in with a user token.
//!
//! A user token is honoured only for a person with an account (see [`super::authenticate`]),
//! so someone has to create the first one. Fellows get theirs when their nomination is
//! accepted, and the demo data brings two staff members; on a fresh database without the
//! demo, an operator creates the first staff account with `api account create`. Creating
//! an account that exists is refused, never merged: running the command twice changes
//! nothing the second time.

use entity::enums::AccountRole;
use entity::{account, person};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, DatabaseConnection, EntityTrait, QueryFilter, Set, TransactionTrait,
};
use serde_json::json;

use super::Viewer;
use crate::domain::{Handle, Line};
use crate::error::{ServiceError, ServiceResult};
use crate::service::audit::{self, Change};
use crate::service::search;

/// An account an operator asks for, from `api account create`.
pub struct NewAccount<'a> {
    /// The person's hub handle, checked as a [`Handle`].
    pub handle: &'a str,
    /// Needed when the records do not know the person yet; ignored when they do.
    pub name: Option<&'a str>,
    /// What the account may do: staff or fellow.
    pub role: AccountRole,
}

/// What [`create`] did.
#[derive(Debug)]
pub struct CreatedAccount {
    /// The new account.
    pub account: account::Model,
    /// The person it belongs to.
    pub person: person::Model,
    /// Whether the person was new to the records (rather than, say, a nominator or a
    /// board representative the records already held).
    pub new_person: bool,
}

/// Creates an account for the person with this hub handle, and the person too when the
/// records do not know them. Refused, with nothing written, when they have an account.
///
/// Only operators call this (from the command line, with the database's credentials),
/// so there is no viewer to check; the audit log records it with no actor.
pub async fn create(db: &DatabaseConnection, new: NewAccount<'_>) -> ServiceResult<CreatedAccount> {
    let handle = Handle::parse("--handle", new.handle)?;
    let name = new
        .name
        .map(|name| Line::parse("--name", name))
        .transpose()?;
    let result = insert(db, &handle, name, new.role).await;
    match result {
        // Two operators at once: the unique indexes on handles and on accounts' people
        // decide, and the loser hears what the winner made.
        Err(ServiceError::Internal(err))
            if err
                .downcast_ref::<sea_orm::DbErr>()
                .is_some_and(ServiceError::is_unique_violation) =>
        {
            Err(duplicate(&handle))
        }
        other => other,
    }
}

fn duplicate(handle: &str) -> ServiceError {
    ServiceError::Conflict(format!(
        "`{handle}` already has an account; nothing was changed."
    ))
}

async fn insert(
    db: &DatabaseConnection,
    handle: &Handle,
    name: Option<Line>,
    role: AccountRole,
) -> ServiceResult<CreatedAccount> {
    let txn = db.begin().await?;
    let found = person::Entity::find()
        .find_also_related(account::Entity)
        .filter(search::equals_ignoring_case(
            Expr::col((person::Entity, person::Column::Handle)),
            handle.as_str(),
        ))
        .one(&txn)
        .await?;
    let (person, new_person) = match found {
        Some((_, Some(existing))) => {
            return Err(ServiceError::Conflict(format!(
                "`{handle}` already has an account ({}); nothing was changed.",
                existing.role
            )));
        }
        Some((person, None)) => (person, false),
        None => {
            let Some(name) = name else {
                return Err(ServiceError::invalid(
                    "--name",
                    format!("No person has the handle `{handle}` yet; give their --name."),
                ));
            };
            let person = person::ActiveModel {
                name: Set(name.into()),
                handle: Set(Some(handle.to_string())),
                ..Default::default()
            }
            .insert(&txn)
            .await?;
            (person, true)
        }
    };
    let account = account::ActiveModel {
        person_id: Set(person.id),
        role: Set(role),
        disabled_at: Set(None),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        &Viewer::Anonymous,
        Change {
            // Accounts are not nodes of the API; the person is, and is what a reader
            // of the log looks up.
            action: "account.create",
            object_type: "Person",
            object_id: person.id,
            before: None,
            after: Some(json!({
                "handle": person.handle,
                "role": account.role.as_str(),
                "newPerson": new_person,
            })),
        },
    )
    .await?;
    crate::db::commit(txn).await?;
    Ok(CreatedAccount {
        account,
        person,
        new_person,
    })
}

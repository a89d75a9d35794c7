//! Accounts: who may sign in with a user token, and the rules for opening, disabling and
//! enabling them. Staff come through here from the API (`inviteStaffMember`,
//! `createFellowAccount`, `disableAccount`, `enableAccount`), and an operator from
//! `api account create`, which makes the first staff account of a fresh database. The
//! one other way an account opens is an accepted nomination, which gives its nominee a
//! `FELLOW` account in the decision's own transaction
//! (`service::nominations::workflow`).
//!
//! - Only staff manage accounts through the API; the command line acts with the
//!   database's credentials and has no viewer (its audit records name no actor).
//! - One account per person, and an account is never merged or changed into another:
//!   opening one for a person who has one is refused (`Conflict`) and changes nothing.
//!   Someone the records do not know yet is added, by hub handle and name.
//! - A disabled account's tokens are refused on the very next request, and its open
//!   WebSocket subscriptions end at the next re-check (`WS_REAUTHENTICATE_EVERY`):
//!   [`crate::auth::authenticate`] reads `disabled_at` every time. Enabling it again
//!   restores access to the tokens still valid.
//! - Staff can never lock themselves out: nobody disables their own account, and the
//!   last enabled staff account cannot be disabled. The second rule spans rows, so
//!   disablings of staff accounts take turns ([`crate::db::serialise`]) and check after
//!   their write, inside its transaction: two staff members disabling each other at once
//!   leave one of them enabled.
//! - Disabling a disabled account, or enabling an enabled one, is a `Conflict` that says
//!   which, and records nothing.
//!
//! Every change writes an audit record (`account.create`, `account.invite`,
//! `account.disable`, `account.enable`, object type `Account`) in the change's own
//! transaction.

use chrono::Utc;
use entity::enums::AccountRole;
use entity::{account, person};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, DatabaseConnection, DatabaseTransaction, EntityTrait,
    PaginatorTrait, QueryFilter, RelationTrait, Set, TransactionTrait,
};
use serde_json::{json, Value};

use super::access;
use super::audit::{self, Change};
use super::fellows::find_fellow;
use super::page::{self, Cursor, KeysetOrder, Page, PageArgs};
use super::search;
use crate::auth::Viewer;
use crate::domain::{Handle, Line, Note};
use crate::error::{ServiceError, ServiceResult};

/// An account an operator asks for, from `api account create`.
pub struct NewAccount<'a> {
    /// The person's hub handle, checked as a [`Handle`].
    pub handle: &'a str,
    /// Needed when the records do not know the person yet; ignored when they do.
    pub name: Option<&'a str>,
    /// What the account may do: staff or fellow.
    pub role: AccountRole,
}

/// An account just opened, by [`create`], [`invite_staff_member`] or
/// [`create_fellow_account`].
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

/// Which accounts a list shows; each `None` field admits all.
#[derive(Debug, Default, Clone)]
pub struct AccountFilter {
    /// Only staff accounts, or only fellows'.
    pub role: Option<AccountRole>,
    /// `Some(true)`: only disabled accounts; `Some(false)`: only enabled ones.
    pub disabled: Option<bool>,
}

impl AccountFilter {
    fn condition(&self) -> Condition {
        let mut condition = Condition::all();
        if let Some(role) = self.role {
            condition = condition.add(account::Column::Role.eq(role));
        }
        match self.disabled {
            Some(true) => condition = condition.add(account::Column::DisabledAt.is_not_null()),
            Some(false) => condition = condition.add(account::Column::DisabledAt.is_null()),
            None => {}
        }
        condition
    }
}

/// Who an account is opened for.
enum Holder<'a> {
    /// The person with this hub handle (case ignored), added with `name` when the
    /// records do not know them; `name_field` is where the name comes from, for the
    /// error that asks for it.
    Handle {
        handle: Handle,
        name: Option<Line>,
        name_field: &'a str,
    },
    /// A person the records hold (a fellow's).
    Person(person::Model),
}

impl Holder<'_> {
    /// How a message names the holder: their handle, or their name when they have none.
    fn named(&self) -> String {
        match self {
            Holder::Handle { handle, .. } => handle.to_string(),
            Holder::Person(person) => person.handle.clone().unwrap_or_else(|| person.name.clone()),
        }
    }
}

/// The account as the audit log keeps it: its columns and the holder's handle.
fn snapshot(account: &account::Model, person: &person::Model) -> Value {
    let mut value = audit::snapshot(account);
    if let Value::Object(fields) = &mut value {
        fields.insert("handle".into(), json!(person.handle));
    }
    value
}

/// Creates an account for the person with this hub handle, and the person too when the
/// records do not know them (a name is then needed, `--name`). Refused with `Conflict`,
/// with nothing written, when they have an account already, whatever its role.
///
/// Only operators call this (from the command line, with the database's credentials),
/// so there is no viewer to check; the `account.create` audit record names no actor.
pub async fn create(db: &DatabaseConnection, new: NewAccount<'_>) -> ServiceResult<CreatedAccount> {
    let handle = Handle::parse("--handle", new.handle)?;
    let name = new
        .name
        .map(|name| Line::parse("--name", name))
        .transpose()?;
    let holder = Holder::Handle {
        handle,
        name,
        name_field: "--name",
    };
    open(db, &Viewer::Anonymous, holder, new.role, "account.create").await
}

/// Invites a staff member: a `STAFF` account for the person with this hub handle, and
/// the person too when the records do not know them. Staff only (`Forbidden`
/// otherwise). A handle or name that does not parse is `InvalidInput` on `input.handle`
/// or `input.name`; a name is needed (`input.name`) for someone the records do not
/// know, and ignored for someone they do. A person with an account of either role is
/// `Conflict`: an account is never merged or turned into another. Writes the person
/// when new, the account and an `account.invite` audit record in one transaction.
pub async fn invite_staff_member(
    db: &DatabaseConnection,
    viewer: &Viewer,
    handle: &str,
    name: Option<&str>,
) -> ServiceResult<CreatedAccount> {
    access::require_staff(viewer, "invite staff members")?;
    let handle = Handle::parse("input.handle", handle)?;
    let name = Line::optional("input.name", name)?;
    let holder = Holder::Handle {
        handle,
        name,
        name_field: "input.name",
    };
    open(db, viewer, holder, AccountRole::Staff, "account.invite").await
}

/// Gives a fellow (an active one or an alumnus) a `FELLOW` account, for a fellow whose
/// person has none (one admitted before accounts existed, or from another record).
/// Staff only (`Forbidden` otherwise). An unknown fellow is `Missing` on
/// `input.fellowId`; a person with an account already, of either role, is `Conflict`.
/// Writes the account and an `account.create` audit record in one transaction.
pub async fn create_fellow_account(
    db: &DatabaseConnection,
    viewer: &Viewer,
    fellow_id: i64,
) -> ServiceResult<CreatedAccount> {
    access::require_staff(viewer, "create fellow accounts")?;
    let fellow = find_fellow(db, fellow_id, "input.fellowId").await?;
    let person = person::Entity::find_by_id(fellow.person_id)
        .one(db)
        .await?
        .ok_or_else(|| ServiceError::Internal(anyhow::anyhow!("a fellow without a person")))?;
    open(
        db,
        viewer,
        Holder::Person(person),
        AccountRole::Fellow,
        "account.create",
    )
    .await
}

/// Opens an account of `role` for `holder`, recorded as `action`: the one way every
/// account but an admitted nominee's is made.
async fn open(
    db: &DatabaseConnection,
    viewer: &Viewer,
    holder: Holder<'_>,
    role: AccountRole,
    action: &str,
) -> ServiceResult<CreatedAccount> {
    let named = holder.named();
    match insert(db, viewer, holder, role, action).await {
        // Two requests at once: the unique indexes on handles and on accounts' people
        // decide, and the loser hears what the winner made.
        Err(ServiceError::Internal(err))
            if err
                .downcast_ref::<sea_orm::DbErr>()
                .is_some_and(ServiceError::is_unique_violation) =>
        {
            Err(ServiceError::Conflict(format!(
                "`{named}` already has an account; nothing was changed."
            )))
        }
        other => other,
    }
}

async fn insert(
    db: &DatabaseConnection,
    viewer: &Viewer,
    holder: Holder<'_>,
    role: AccountRole,
    action: &str,
) -> ServiceResult<CreatedAccount> {
    let named = holder.named();
    let taken = |existing: account::Model| {
        ServiceError::Conflict(format!(
            "`{named}` already has an account ({}); nothing was changed.",
            existing.role
        ))
    };
    let txn = db.begin().await?;
    let (person, new_person) = match holder {
        Holder::Person(person) => {
            let existing = account::Entity::find()
                .filter(account::Column::PersonId.eq(person.id))
                .one(&txn)
                .await?;
            if let Some(existing) = existing {
                return Err(taken(existing));
            }
            (person, false)
        }
        Holder::Handle {
            handle,
            name,
            name_field,
        } => {
            let found = person::Entity::find()
                .find_also_related(account::Entity)
                .filter(search::equals_ignoring_case(
                    Expr::col((person::Entity, person::Column::HandleFolded)),
                    handle.as_str(),
                ))
                .one(&txn)
                .await?;
            match found {
                Some((_, Some(existing))) => return Err(taken(existing)),
                Some((person, None)) => (person, false),
                None => {
                    let Some(name) = name else {
                        return Err(ServiceError::invalid(
                            name_field,
                            format!("No person has the handle `{handle}` yet; give their name."),
                        ));
                    };
                    let person = person::ActiveModel {
                        name: Set(name.into()),
                        handle: Set(Some(handle.into())),
                        ..Default::default()
                    }
                    .insert(&txn)
                    .await?;
                    (person, true)
                }
            }
        }
    };
    let account = account::ActiveModel {
        person_id: Set(person.id),
        role: Set(role),
        disabled_at: Set(None),
        disabled_by_person_id: Set(None),
        disabled_note: Set(None),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let mut after = snapshot(&account, &person);
    after["newPerson"] = json!(new_person);
    audit::record(
        &txn,
        viewer,
        Change {
            action,
            object_type: "Account",
            object_id: account.id,
            before: None,
            after: Some(after),
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

/// The lock key under which disablings of staff accounts take turns (see
/// [`crate::db::serialise`]), so that two of them cannot both leave the other enabled.
const STAFF_DISABLINGS: &str = "accounts:staff-disablings";

/// The account with this ID and its holder; `Missing` on `input.accountId` when none.
async fn find(db: &DatabaseConnection, id: i64) -> ServiceResult<(account::Model, person::Model)> {
    let found = account::Entity::find_by_id(id)
        .find_also_related(person::Entity)
        .one(db)
        .await?;
    match found {
        Some((account, Some(person))) => Ok((account, person)),
        Some((_, None)) => Err(ServiceError::Internal(anyhow::anyhow!(
            "an account without a person"
        ))),
        None => Err(ServiceError::missing(
            "input.accountId",
            "No account has this ID.",
        )),
    }
}

/// Disables an account: from the next request on, every token for its holder is
/// refused, and their open subscriptions end at the next re-check. Staff only
/// (`Forbidden` otherwise). An unknown account is `Missing` on `input.accountId`; a
/// note over 2,000 characters is `InvalidInput` on `input.note` (a blank one is none).
/// Refused as `NotPermitted` on `input.accountId` for the caller's own account, and as
/// `Conflict` for the last enabled staff account or one already disabled. Stamps the
/// time, the disabling person and the note, with an `account.disable` audit record, in
/// one transaction.
pub async fn disable(
    db: &DatabaseConnection,
    viewer: &Viewer,
    id: i64,
    note: Option<&str>,
) -> ServiceResult<account::Model> {
    access::require_staff(viewer, "disable accounts")?;
    let note = Note::optional("input.note", note)?;
    let (current, person) = find(db, id).await?;
    if viewer.person_id() == Some(current.person_id) {
        return Err(ServiceError::not_permitted(
            Some("input.accountId"),
            "You cannot disable your own account; another staff member can.",
        ));
    }
    let txn = db.begin().await?;
    if current.role == AccountRole::Staff {
        crate::db::serialise(&txn, STAFF_DISABLINGS).await?;
    }
    // The write comes first: on SQLite it takes the write lock, so that the count below
    // reads what the commit will stand on.
    let updated = account::Entity::update_many()
        .col_expr(account::Column::DisabledAt, Expr::val(Utc::now()))
        .col_expr(
            account::Column::DisabledByPersonId,
            Expr::val(viewer.person_id()),
        )
        .col_expr(
            account::Column::DisabledNote,
            Expr::val(note.map(String::from)),
        )
        .filter(account::Column::Id.eq(id))
        .filter(account::Column::DisabledAt.is_null())
        .exec_with_returning(&txn)
        .await?
        .pop();
    let Some(updated) = updated else {
        txn.rollback().await?;
        return Err(ServiceError::Conflict(
            "This account is already disabled; enable it with enableAccount.".into(),
        ));
    };
    if updated.role == AccountRole::Staff && enabled_staff(&txn).await? == 0 {
        txn.rollback().await?;
        return Err(ServiceError::Conflict(
            "This is the last enabled staff account; invite or enable another staff member \
             first."
                .into(),
        ));
    }
    audit::record(
        &txn,
        viewer,
        Change {
            action: "account.disable",
            object_type: "Account",
            object_id: id,
            before: Some(snapshot(&current, &person)),
            after: Some(snapshot(&updated, &person)),
        },
    )
    .await?;
    crate::db::commit(txn).await?;
    Ok(updated)
}

/// How many staff accounts are enabled, as `txn` sees them.
async fn enabled_staff(txn: &DatabaseTransaction) -> ServiceResult<u64> {
    Ok(account::Entity::find()
        .filter(
            AccountFilter {
                role: Some(AccountRole::Staff),
                disabled: Some(false),
            }
            .condition(),
        )
        .count(txn)
        .await?)
}

/// Enables a disabled account again: tokens for its holder are honoured from the next
/// request on (those still valid; expired ones stay refused). Staff only (`Forbidden`
/// otherwise). An unknown account is `Missing` on `input.accountId`; one that is not
/// disabled is `Conflict`. Clears the disabling's time, person and note (the audit log
/// keeps them), with an `account.enable` audit record, in one transaction.
pub async fn enable(
    db: &DatabaseConnection,
    viewer: &Viewer,
    id: i64,
) -> ServiceResult<account::Model> {
    access::require_staff(viewer, "enable accounts")?;
    let (current, person) = find(db, id).await?;
    let txn = db.begin().await?;
    let updated = account::Entity::update_many()
        .col_expr(
            account::Column::DisabledAt,
            Expr::val(None::<chrono::DateTime<Utc>>),
        )
        .col_expr(account::Column::DisabledByPersonId, Expr::val(None::<i64>))
        .col_expr(account::Column::DisabledNote, Expr::val(None::<String>))
        .filter(account::Column::Id.eq(id))
        .filter(account::Column::DisabledAt.is_not_null())
        .exec_with_returning(&txn)
        .await?
        .pop();
    let Some(updated) = updated else {
        txn.rollback().await?;
        return Err(ServiceError::Conflict(
            "This account is already enabled; nothing was changed.".into(),
        ));
    };
    audit::record(
        &txn,
        viewer,
        Change {
            action: "account.enable",
            object_type: "Account",
            object_id: id,
            before: Some(snapshot(&current, &person)),
            after: Some(snapshot(&updated, &person)),
        },
    )
    .await?;
    crate::db::commit(txn).await?;
    Ok(updated)
}

/// One page of accounts, oldest first (by ID, which is the order they were opened in),
/// disabled ones included unless the filter says otherwise. Staff only (`Forbidden`
/// otherwise). With `with_holders`, each account's person is read in the same
/// statement and returned beside the page, for the caller to prime its loaders with.
pub async fn list(
    db: &DatabaseConnection,
    viewer: &Viewer,
    filter: &AccountFilter,
    args: &PageArgs,
    with_holders: bool,
) -> ServiceResult<(Page<account::Model>, Vec<person::Model>)> {
    const SCOPE: &str = "accounts/id";
    access::require_staff(viewer, "list accounts")?;
    let window = args.window(SCOPE)?;
    let keyset = KeysetOrder::by_id(Expr::col((account::Entity, account::Column::Id)));
    page::of_table_including::<account::Entity, person::Entity>(
        db,
        filter.condition(),
        &keyset,
        &window,
        SCOPE,
        |row| Cursor::by_id(row.id),
        with_holders.then(|| account::Relation::Person.def()),
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::User;
    use crate::config::{DatabaseSettings, DatabaseUrl};

    /// A migrated SQLite database of its own, in a file that is removed when dropped.
    struct Scratch {
        db: DatabaseConnection,
        file: std::path::PathBuf,
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", self.file.display()));
            }
        }
    }

    async fn scratch() -> Scratch {
        let file = std::env::temp_dir().join(format!(
            "fellowship-accounts-{}.db",
            uuid::Uuid::new_v4().simple()
        ));
        let settings = DatabaseSettings {
            url: DatabaseUrl::new(format!("sqlite://{}?mode=rwc", file.display())),
            max_connections: Some(2),
            acquire_timeout: std::time::Duration::from_secs(5),
            statement_timeout: std::time::Duration::from_secs(5),
            generic_plans: false,
        };
        let db = crate::db::connect(&settings, Default::default())
            .await
            .unwrap();
        crate::db::migrate_up(&db).await.unwrap();
        Scratch { db, file }
    }

    fn staff(person: &person::Model) -> Viewer {
        Viewer::Staff(User {
            handle: person.handle.clone().unwrap_or_default(),
            person_id: Some(person.id),
        })
    }

    async fn opened(db: &DatabaseConnection, handle: &str, role: AccountRole) -> CreatedAccount {
        let new = NewAccount {
            handle,
            name: Some("Someone"),
            role,
        };
        create(db, new)
            .await
            .map_err(ServiceError::into_anyhow)
            .unwrap()
    }

    async fn audit_records(db: &DatabaseConnection) -> u64 {
        entity::audit_event::Entity::find().count(db).await.unwrap()
    }

    #[tokio::test]
    async fn the_last_enabled_staff_account_is_never_disabled() {
        let s = scratch().await;
        let merve = opened(&s.db, "merve", AccountRole::Staff).await;
        let omar = opened(&s.db, "omar", AccountRole::Staff).await;
        disable(&s.db, &staff(&merve.person), omar.account.id, None)
            .await
            .map_err(ServiceError::into_anyhow)
            .unwrap();
        // A request that authenticated as omar before his account was disabled, and
        // runs now: over HTTP this is only a race, here it is a plain call.
        let before = audit_records(&s.db).await;
        let refused = disable(&s.db, &staff(&omar.person), merve.account.id, None).await;
        assert!(
            matches!(&refused, Err(ServiceError::Conflict(m)) if m.contains("last enabled staff")),
            "{refused:?}"
        );
        let merve_now = account::Entity::find_by_id(merve.account.id)
            .one(&s.db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(merve_now.disabled_at, None, "nothing was written");
        assert_eq!(audit_records(&s.db).await, before, "nothing was recorded");
        // A fellow's account is not a staff one: the last staff member may disable it.
        let fellow = opened(&s.db, "maria", AccountRole::Fellow).await;
        assert!(
            disable(&s.db, &staff(&merve.person), fellow.account.id, None)
                .await
                .is_ok()
        );
    }

    #[tokio::test]
    async fn nobody_disables_their_own_account_and_only_staff_change_any() {
        let s = scratch().await;
        let merve = opened(&s.db, "merve", AccountRole::Staff).await;
        let maria = opened(&s.db, "maria", AccountRole::Fellow).await;
        let own = disable(&s.db, &staff(&merve.person), merve.account.id, None).await;
        assert!(
            matches!(&own, Err(ServiceError::NotPermitted { field: Some(f), .. }) if f == "input.accountId"),
            "{own:?}"
        );
        let fellow = Viewer::Fellow(User {
            handle: "maria".into(),
            person_id: Some(maria.person.id),
        });
        for viewer in [&fellow, &Viewer::Anonymous] {
            let refused = [
                disable(&s.db, viewer, maria.account.id, None).await.err(),
                enable(&s.db, viewer, maria.account.id).await.err(),
                invite_staff_member(&s.db, viewer, "someone", Some("Someone"))
                    .await
                    .err(),
            ];
            for err in refused {
                assert!(matches!(err, Some(ServiceError::Forbidden(_))), "{err:?}");
            }
            let listed = list(&s.db, viewer, &AccountFilter::default(), &args(), false).await;
            assert!(matches!(listed, Err(ServiceError::Forbidden(_))));
        }
    }

    fn args() -> PageArgs {
        PageArgs {
            first: None,
            after: None,
            last: None,
            before: None,
            keys: page::CursorKeys::new(b"test", None),
        }
    }

    #[tokio::test]
    async fn an_account_is_opened_once_whichever_way_is_asked() {
        let s = scratch().await;
        let merve = opened(&s.db, "merve", AccountRole::Staff).await;
        assert!(merve.new_person);
        let viewer = staff(&merve.person);
        // The operator's command and the mutation meet the same rule, case ignored.
        let again = create(
            &s.db,
            NewAccount {
                handle: "MERVE",
                name: None,
                role: AccountRole::Fellow,
            },
        )
        .await;
        assert!(
            matches!(&again, Err(ServiceError::Conflict(m)) if m.contains("MERVE")),
            "{again:?}"
        );
        let invited = invite_staff_member(&s.db, &viewer, "Merve", None).await;
        assert!(matches!(invited, Err(ServiceError::Conflict(_))));
        let nameless = invite_staff_member(&s.db, &viewer, "newcomer", None).await;
        assert!(
            matches!(&nameless, Err(ServiceError::InvalidInput { field: Some(f), .. }) if f == "input.name"),
            "{nameless:?}"
        );
        let nameless = create(
            &s.db,
            NewAccount {
                handle: "newcomer",
                name: None,
                role: AccountRole::Staff,
            },
        )
        .await;
        assert!(
            matches!(&nameless, Err(ServiceError::InvalidInput { field: Some(f), .. }) if f == "--name"),
            "{nameless:?}"
        );
        assert_eq!(account::Entity::find().count(&s.db).await.unwrap(), 1);
    }
}

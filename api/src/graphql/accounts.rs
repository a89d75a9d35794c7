//! Accounts: who may sign in with a user token. Staff list them, invite staff members,
//! give fellows accounts, and disable and enable them; the rules are
//! [`crate::service::accounts`]'s.

use async_graphql::{Context, Enum, InputObject, Object, Result, ID};
use chrono::{DateTime, Utc};
use entity::account;

use super::connection::{connection, nodes_select, page_args};
use super::ids::{self, NodeType};
use super::loaders::{loaders, required};
use super::payload::payload;
use super::people::Person;
use super::{db, viewer};
use crate::service;
use crate::service::accounts::CreatedAccount;

/// What an account may do.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "entity::enums::AccountRole")]
pub enum AccountRole {
    /// A member of the team that runs the program: may do everything, except decide a
    /// nomination they submitted or endorsed.
    Staff,
    /// A fellow of the program: nominates, endorses, edits their own profile.
    Fellow,
}

/// A person's account: their sign-in.
#[derive(Clone)]
pub struct Account(pub account::Model);

/// Who may sign in with a user token: a person (named by the token's `sub`, their hub
/// handle) and the role they act in. A token is honoured only while its account is
/// enabled. Staff only.
// Private: never kept by a shared cache (see `http/graphql.rs`, `cache_headers`).
#[Object(cache_control(private))]
impl Account {
    /// An opaque global ID; pass it as `accountId` to disable or enable the account.
    pub async fn id(&self) -> ID {
        ids::encode(NodeType::Account, self.0.id)
    }

    /// What the account may do; a token claiming another role is refused.
    async fn role(&self) -> AccountRole {
        self.0.role.into()
    }

    /// The holder's hub handle: what the `sub` of their tokens names.
    async fn handle(&self, ctx: &Context<'_>) -> Result<Option<String>> {
        Ok(self.holder(ctx).await?.handle)
    }

    /// The person who signs in with this account.
    async fn person(&self, ctx: &Context<'_>) -> Result<Person> {
        Ok(Person(self.holder(ctx).await?))
    }

    /// When the account was opened.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// Whether tokens for this account are honoured now (it is not disabled).
    async fn enabled(&self) -> bool {
        self.0.disabled_at.is_none()
    }

    /// When the account was disabled; `null` while it is enabled.
    async fn disabled_at(&self) -> Option<DateTime<Utc>> {
        self.0.disabled_at
    }

    /// The staff member who disabled the account, while it is disabled and when the
    /// record names one (an account disabled by hand in the database names none).
    async fn disabled_by(&self, ctx: &Context<'_>) -> Result<Option<Person>> {
        Person::named_by(ctx, self.0.disabled_by_person_id, "person").await
    }

    /// Why the account was disabled, in the words of who disabled it, while it is.
    async fn disabled_note(&self) -> Option<&str> {
        self.0.disabled_note.as_deref()
    }
}

impl Account {
    async fn holder(&self, ctx: &Context<'_>) -> Result<entity::person::Model> {
        required(
            loaders(ctx).people.load_one(self.0.person_id).await?,
            "account holder",
        )
    }
}

connection!(AccountConnection, AccountEdge, Account, "accounts");

/// Which accounts to list; every field left out admits all.
#[derive(InputObject, Default)]
pub struct AccountFilter {
    /// Only accounts of this role.
    pub role: Option<AccountRole>,
    /// `true`: only disabled accounts; `false`: only enabled ones.
    pub disabled: Option<bool>,
}

/// The `accounts` query, merged into [`super::Query`].
#[derive(Default)]
pub struct AccountQuery;

#[Object]
impl AccountQuery {
    /// Every account, oldest first, disabled ones included unless filtered out. Staff
    /// only.
    #[graphql(cache_control(private))]
    async fn accounts(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        filter: Option<AccountFilter>,
    ) -> Result<Option<AccountConnection>> {
        let filter = filter.unwrap_or_default();
        let filter = service::accounts::AccountFilter {
            role: filter.role.map(Into::into),
            disabled: filter.disabled,
        };
        let (page, holders) = service::accounts::list(
            db(ctx),
            viewer(ctx),
            &filter,
            &page_args(ctx, first, after, last, before),
            nodes_select(ctx, "person") || nodes_select(ctx, "handle"),
        )
        .await?;
        loaders(ctx)
            .people
            .feed_many(holders.into_iter().map(|p| (p.id, p)))
            .await;
        Ok(Some(AccountConnection(page.map(Account))))
    }
}

payload!(
    AccountPayload,
    account,
    Account,
    "The account after a change, or why not."
);

/// A staff member to invite: a `STAFF` account for the person with this hub handle.
#[derive(InputObject)]
pub struct InviteStaffMemberInput {
    /// Their hub handle: what the `sub` of their tokens will name.
    pub handle: String,
    /// Their name (one line, at most 200 characters); needed when the records do not
    /// know the handle yet, ignored when they do.
    pub name: Option<String>,
}

/// A fellow to give an account to.
#[derive(InputObject)]
pub struct CreateFellowAccountInput {
    /// The fellow's global ID (`Fellow.id`).
    pub fellow_id: ID,
}

/// An account to disable, and why.
#[derive(InputObject)]
pub struct DisableAccountInput {
    /// The account's global ID (`Account.id`).
    pub account_id: ID,
    /// Why, for the record (at most 2,000 characters).
    pub note: Option<String>,
}

/// An account to enable again.
#[derive(InputObject)]
pub struct EnableAccountInput {
    /// The account's global ID (`Account.id`).
    pub account_id: ID,
}

/// Mutations of accounts, merged into [`super::Mutation`].
#[derive(Default)]
pub struct AccountMutation;

#[Object]
impl AccountMutation {
    /// Invites a staff member: a `STAFF` account for the person with this hub handle,
    /// added to the records when new. A handle that has an account already, of either
    /// role, is refused (`CONFLICT`): accounts are never merged. Staff only.
    async fn invite_staff_member(
        &self,
        ctx: &Context<'_>,
        input: InviteStaffMemberInput,
    ) -> Result<AccountPayload> {
        let result = service::accounts::invite_staff_member(
            db(ctx),
            viewer(ctx),
            &input.handle,
            input.name.as_deref(),
        )
        .await;
        AccountPayload::from_result(result, opened)
    }

    /// Gives a fellow a `FELLOW` account, so that they can sign in; one whose person
    /// has an account already is refused (`CONFLICT`). Fellows admitted through a
    /// nomination get theirs on acceptance. Staff only.
    async fn create_fellow_account(
        &self,
        ctx: &Context<'_>,
        input: CreateFellowAccountInput,
    ) -> Result<AccountPayload> {
        let result = async {
            let id = ids::decode_as(&input.fellow_id, NodeType::Fellow, "input.fellowId")?;
            service::accounts::create_fellow_account(db(ctx), viewer(ctx), id).await
        }
        .await;
        AccountPayload::from_result(result, opened)
    }

    /// Disables an account: its holder's tokens are refused from the next request on,
    /// and their open subscriptions end. Nobody disables their own account (`FORBIDDEN`)
    /// or the last enabled staff account (`CONFLICT`). Staff only.
    async fn disable_account(
        &self,
        ctx: &Context<'_>,
        input: DisableAccountInput,
    ) -> Result<AccountPayload> {
        let result = async {
            let id = ids::decode_as(&input.account_id, NodeType::Account, "input.accountId")?;
            service::accounts::disable(db(ctx), viewer(ctx), id, input.note.as_deref()).await
        }
        .await;
        AccountPayload::from_result(result, Account)
    }

    /// Enables a disabled account again: its holder's tokens are honoured from the next
    /// request on. Staff only.
    async fn enable_account(
        &self,
        ctx: &Context<'_>,
        input: EnableAccountInput,
    ) -> Result<AccountPayload> {
        let result = async {
            let id = ids::decode_as(&input.account_id, NodeType::Account, "input.accountId")?;
            service::accounts::enable(db(ctx), viewer(ctx), id).await
        }
        .await;
        AccountPayload::from_result(result, Account)
    }
}

/// The account a creation opened.
fn opened(created: CreatedAccount) -> Account {
    Account(created.account)
}

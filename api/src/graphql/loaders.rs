//! Batched loading of related rows, so that a page of any size costs a fixed number of
//! SQL statements: every relation a resolver follows goes through one of these loaders,
//! which gathers the keys of one execution step into a single `IN (...)` query.
//! Loaders live for one request only, so nothing cached outlives the caller who read it.

use std::collections::HashMap;
use std::marker::PhantomData;
use std::sync::Arc;

use async_graphql::dataloader::{DataLoader, HashMapCache, Loader};
use async_graphql::Context;
use entity::{
    account, api_token, audit_event, benefit_grant, board_seat, contribution, endorsement, fellow,
    foundation_membership, nomination, organization, person, strategic_area,
};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, Iterable, QueryFilter};

use crate::error::ServiceError;
use crate::service;
use crate::service::page::{self, Cursor, Page, TotalCount, Window};

/// Rows of one table by id.
pub struct ById<E> {
    db: DatabaseConnection,
    entity: PhantomData<fn() -> E>,
}

/// Models whose primary key is a single `id`.
pub trait HasId {
    /// The row's primary key.
    fn id(&self) -> i64;
}

macro_rules! has_id {
    ($($model:ty),*) => { $(impl HasId for $model { fn id(&self) -> i64 { self.id } })* };
}

has_id!(
    person::Model,
    fellow::Model,
    contribution::Model,
    strategic_area::Model,
    organization::Model,
    foundation_membership::Model,
    board_seat::Model,
    nomination::Model,
    endorsement::Model,
    benefit_grant::Model,
    api_token::Model,
    audit_event::Model,
    account::Model
);

impl<E> Loader<i64> for ById<E>
where
    E: EntityTrait,
    E::Model: HasId + Clone + Send + Sync,
{
    type Value = E::Model;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, E::Model>, Self::Error> {
        let Some(id) = E::PrimaryKey::iter()
            .next()
            .map(sea_orm::PrimaryKeyToColumn::into_column)
        else {
            return Ok(HashMap::new());
        };
        let rows = E::find()
            .filter(id.is_in(keys.iter().copied()))
            .all(&self.db)
            .await
            .map_err(crate::error::ServiceError::from)?;
        Ok(rows.into_iter().map(|row| (row.id(), row)).collect())
    }
}

/// Declares a loader of the rows grouped under each key, by a service function.
macro_rules! grouped_loader {
    ($name:ident, $key_doc:literal, $value:ty, $load:expr) => {
        #[doc = $key_doc]
        pub struct $name(DatabaseConnection);

        impl Loader<i64> for $name {
            type Value = $value;
            type Error = async_graphql::Error;

            async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, $value>, Self::Error> {
                let mut grouped = $load(&self.0, keys).await?;
                // Every key gets an answer, empty or not, so the request cache knows
                // it was asked and never asks the database again.
                for key in keys {
                    grouped.entry(*key).or_default();
                }
                Ok(grouped)
            }
        }
    };
}

/// The page a nested connection asks of one parent's list: the parent's id and the
/// window.
pub type PageUnder = (i64, Window);

/// Declares a loader of one window of the rows under each parent, for a nested
/// connection: the parents asking for the same window share one statement.
macro_rules! page_loader {
    ($name:ident, $doc:literal, $model:ty, $load:expr) => {
        #[doc = $doc]
        pub struct $name(DatabaseConnection);

        impl Loader<PageUnder> for $name {
            type Value = Vec<$model>;
            type Error = async_graphql::Error;

            async fn load(
                &self,
                keys: &[PageUnder],
            ) -> Result<HashMap<PageUnder, Vec<$model>>, Self::Error> {
                let mut by_window: HashMap<&Window, Vec<i64>> = HashMap::new();
                for (parent, window) in keys {
                    by_window.entry(window).or_default().push(*parent);
                }
                let mut pages = HashMap::with_capacity(keys.len());
                for (window, parents) in by_window {
                    let mut rows = $load(&self.0, &parents, window).await?;
                    // Every key gets an answer, as in `grouped_loader`.
                    for parent in parents {
                        let page = rows.remove(&parent).unwrap_or_default();
                        pages.insert((parent, window.clone()), page);
                    }
                }
                Ok(pages)
            }
        }
    };
}

/// The fellow record of each person, if they have one.
pub struct FellowByPerson(DatabaseConnection);

impl Loader<i64> for FellowByPerson {
    type Value = Option<fellow::Model>;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
        let mut fellows = service::fellows::by_person_ids(&self.0, keys).await?;
        Ok(keys.iter().map(|key| (*key, fellows.remove(key))).collect())
    }
}
page_loader!(
    ContributionsByFellow,
    "A page of the contributions of each fellow.",
    contribution::Model,
    service::fellows::contributions_of
);
grouped_loader!(
    ContributionCounts,
    "How many contributions each fellow has.",
    u64,
    service::fellows::contribution_counts
);
page_loader!(
    StrategicAreasByFellow,
    "A page of the strategic areas of each fellow.",
    strategic_area::Model,
    service::fellows::strategic_areas_of
);
grouped_loader!(
    StrategicAreaCounts,
    "How many strategic areas each fellow works in.",
    u64,
    service::fellows::strategic_area_counts
);
page_loader!(
    ChildrenByOrganization,
    "A page of the organizations directly under each organization.",
    organization::Model,
    service::organizations::children_of
);
grouped_loader!(
    ChildCounts,
    "How many organizations sit directly under each organization.",
    u64,
    service::organizations::child_counts
);
grouped_loader!(
    BoardSeatsByMembership,
    "The board seats of each membership, each with its representative.",
    Vec<(board_seat::Model, person::Model)>,
    service::organizations::board_seats_of
);
page_loader!(
    MembershipsByMember,
    "A page of the memberships each organization holds.",
    foundation_membership::Model,
    |db, keys, window| service::organizations::memberships_by(
        db,
        foundation_membership::Column::MemberId,
        keys,
        window
    )
);
grouped_loader!(
    MembershipCountsByMember,
    "How many memberships each organization holds.",
    u64,
    |db, keys| service::organizations::membership_counts(
        db,
        foundation_membership::Column::MemberId,
        keys
    )
);
page_loader!(
    MembershipsByFoundation,
    "A page of the memberships each foundation has.",
    foundation_membership::Model,
    |db, keys, window| service::organizations::memberships_by(
        db,
        foundation_membership::Column::FoundationId,
        keys,
        window
    )
);
grouped_loader!(
    MembershipCountsByFoundation,
    "How many memberships each foundation has.",
    u64,
    |db, keys| service::organizations::membership_counts(
        db,
        foundation_membership::Column::FoundationId,
        keys
    )
);

/// The fellow an accepted nomination admitted, if any.
pub struct FellowByNomination(DatabaseConnection);

impl Loader<i64> for FellowByNomination {
    type Value = Option<fellow::Model>;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
        let mut fellows = service::fellows::by_nomination_ids(&self.0, keys).await?;
        Ok(keys.iter().map(|key| (*key, fellows.remove(key))).collect())
    }
}

grouped_loader!(
    EndorsementsByNomination,
    "The endorsements of each nomination, each with its endorser.",
    Vec<(endorsement::Model, person::Model)>,
    service::nominations::endorsements_of
);
grouped_loader!(
    StrategicAreasByNomination,
    "The strategic areas each nomination concerns.",
    Vec<strategic_area::Model>,
    service::nominations::strategic_areas_of
);
grouped_loader!(
    BenefitsByFellow,
    "The benefit grants of each fellow.",
    Vec<benefit_grant::Model>,
    service::benefits::grants_of
);

/// A loader that remembers, for one request, what it loaded.
pub type Cached<T> = DataLoader<T, HashMapCache>;

/// Every loader of one request. Each caches what it loaded for the request's
/// lifetime, so a row read twice in one response is read from the database once.
pub struct Loaders {
    /// People by id.
    pub people: Cached<ById<person::Entity>>,
    /// Fellows by id.
    pub fellows: Cached<ById<fellow::Entity>>,
    /// Contributions by id.
    pub contributions: Cached<ById<contribution::Entity>>,
    /// Strategic areas by id, archived or not.
    pub strategic_areas: Cached<ById<strategic_area::Entity>>,
    /// Organizations by id.
    pub organizations: Cached<ById<organization::Entity>>,
    /// Foundation memberships by id.
    pub memberships: Cached<ById<foundation_membership::Entity>>,
    /// Board seats by id.
    pub board_seats: Cached<ById<board_seat::Entity>>,
    /// The fellowship of each person, by person id (`None` for those who hold none).
    pub fellow_by_person: Cached<FellowByPerson>,
    /// One page of each fellow's contributions, by fellow id and window.
    pub contributions_by_fellow: Cached<ContributionsByFellow>,
    /// How many contributions each fellow has, by fellow id.
    pub contribution_counts: Cached<ContributionCounts>,
    /// One page of each fellow's strategic areas, by fellow id and window.
    pub strategic_areas_by_fellow: Cached<StrategicAreasByFellow>,
    /// How many strategic areas each fellow works in, by fellow id.
    pub strategic_area_counts: Cached<StrategicAreaCounts>,
    /// One page of the organizations directly under each organization, by parent id and
    /// window.
    pub children_by_organization: Cached<ChildrenByOrganization>,
    /// How many organizations sit directly under each organization, by parent id.
    pub child_counts: Cached<ChildCounts>,
    /// Every board seat of each membership, current and past, by membership id.
    pub board_seats_by_membership: Cached<BoardSeatsByMembership>,
    /// One page of the memberships each organization holds, by member id and window.
    pub memberships_by_member: Cached<MembershipsByMember>,
    /// How many memberships each organization holds, by member id.
    pub membership_counts_by_member: Cached<MembershipCountsByMember>,
    /// One page of the memberships each foundation has, by foundation id and window.
    pub memberships_by_foundation: Cached<MembershipsByFoundation>,
    /// How many memberships each foundation has, by foundation id.
    pub membership_counts_by_foundation: Cached<MembershipCountsByFoundation>,
    /// Nominations by id; the caller checks who may read each.
    pub nominations: Cached<ById<nomination::Entity>>,
    /// Endorsements by id; the caller checks who may read their nomination.
    pub endorsements: Cached<ById<endorsement::Entity>>,
    /// Benefit grants by id; the caller checks who may read each.
    pub benefit_grants: Cached<ById<benefit_grant::Entity>>,
    /// Partner API tokens by id; the caller checks that staff asked.
    pub api_tokens: Cached<ById<api_token::Entity>>,
    /// Audit events by id; the caller checks that staff asked.
    pub audit_events: Cached<ById<audit_event::Entity>>,
    /// Accounts by id; the caller checks that staff asked.
    pub accounts: Cached<ById<account::Entity>>,
    /// Every endorsement of each nomination, oldest first, by nomination id.
    pub endorsements_by_nomination: Cached<EndorsementsByNomination>,
    /// The strategic areas each nomination concerns, by name, by nomination id.
    pub strategic_areas_by_nomination: Cached<StrategicAreasByNomination>,
    /// Every benefit grant of each fellow, oldest first, by fellow id; the caller checks
    /// who may read them.
    pub benefits_by_fellow: Cached<BenefitsByFellow>,
    /// The fellow each accepted nomination admitted, by nomination id.
    pub fellow_by_nomination: Cached<FellowByNomination>,
}

/// A loader that sends its batch as soon as the request's task yields. The library's
/// default waits a millisecond first (the smallest step of tokio's timer), which only
/// adds latency here: a request runs on its worker's single-threaded runtime, so the
/// batch task cannot start before every sibling field polled in the same pass has added
/// its key, and each level of a response already costs one statement per relation.
fn loader<K, T>(inner: T) -> Cached<T>
where
    K: Send + Sync + std::hash::Hash + Eq + Clone + 'static,
    T: Loader<K>,
{
    // Its batches run in tasks of their own, carrying the request's trace context.
    DataLoader::with_cache(inner, crate::telemetry::spawn, HashMapCache::default())
        .delay(std::time::Duration::ZERO)
}

fn by_id<E>(db: &DatabaseConnection) -> Cached<ById<E>>
where
    E: EntityTrait,
    E::Model: HasId + Clone + Send + Sync,
{
    loader(ById {
        db: db.clone(),
        entity: PhantomData,
    })
}

impl Loaders {
    /// A fresh, empty set of loaders over `db`, for one request (or one subscription).
    pub fn new(db: &DatabaseConnection) -> Self {
        Loaders {
            people: by_id(db),
            fellows: by_id(db),
            contributions: by_id(db),
            strategic_areas: by_id(db),
            organizations: by_id(db),
            memberships: by_id(db),
            board_seats: by_id(db),
            fellow_by_person: loader(FellowByPerson(db.clone())),
            contributions_by_fellow: loader(ContributionsByFellow(db.clone())),
            contribution_counts: loader(ContributionCounts(db.clone())),
            strategic_areas_by_fellow: loader(StrategicAreasByFellow(db.clone())),
            strategic_area_counts: loader(StrategicAreaCounts(db.clone())),
            children_by_organization: loader(ChildrenByOrganization(db.clone())),
            child_counts: loader(ChildCounts(db.clone())),
            board_seats_by_membership: loader(BoardSeatsByMembership(db.clone())),
            memberships_by_member: loader(MembershipsByMember(db.clone())),
            membership_counts_by_member: loader(MembershipCountsByMember(db.clone())),
            memberships_by_foundation: loader(MembershipsByFoundation(db.clone())),
            membership_counts_by_foundation: loader(MembershipCountsByFoundation(db.clone())),
            nominations: by_id(db),
            endorsements: by_id(db),
            benefit_grants: by_id(db),
            api_tokens: by_id(db),
            audit_events: by_id(db),
            accounts: by_id(db),
            endorsements_by_nomination: loader(EndorsementsByNomination(db.clone())),
            strategic_areas_by_nomination: loader(StrategicAreasByNomination(db.clone())),
            benefits_by_fellow: loader(BenefitsByFellow(db.clone())),
            fellow_by_nomination: loader(FellowByNomination(db.clone())),
        }
    }
}

impl Loaders {
    /// Hands the people that came joined to `rows` to the people loader, so that the
    /// resolvers that follow to them ask no statement of their own; returns the rows.
    pub async fn with_people<T>(&self, rows: Vec<(T, person::Model)>) -> Vec<T> {
        let (items, people): (Vec<_>, Vec<_>) = rows.into_iter().unzip();
        self.people
            .feed_many(people.into_iter().map(|p| (p.id, p)))
            .await;
        items
    }

    /// Forgets every row loaded so far. A subscription resolves each event as a request
    /// of its own, so what it shows is read afresh and its cache does not grow with
    /// every event.
    pub fn forget(&self) {
        self.people.clear::<i64>();
        self.fellows.clear::<i64>();
        self.contributions.clear::<i64>();
        self.strategic_areas.clear::<i64>();
        self.organizations.clear::<i64>();
        self.memberships.clear::<i64>();
        self.board_seats.clear::<i64>();
        self.fellow_by_person.clear::<i64>();
        self.contributions_by_fellow.clear::<PageUnder>();
        self.contribution_counts.clear::<i64>();
        self.strategic_areas_by_fellow.clear::<PageUnder>();
        self.strategic_area_counts.clear::<i64>();
        self.children_by_organization.clear::<PageUnder>();
        self.child_counts.clear::<i64>();
        self.board_seats_by_membership.clear::<i64>();
        self.memberships_by_member.clear::<PageUnder>();
        self.membership_counts_by_member.clear::<i64>();
        self.memberships_by_foundation.clear::<PageUnder>();
        self.membership_counts_by_foundation.clear::<i64>();
        self.nominations.clear::<i64>();
        self.endorsements.clear::<i64>();
        self.benefit_grants.clear::<i64>();
        self.api_tokens.clear::<i64>();
        self.audit_events.clear::<i64>();
        self.endorsements_by_nomination.clear::<i64>();
        self.strategic_areas_by_nomination.clear::<i64>();
        self.benefits_by_fellow.clear::<i64>();
        self.fellow_by_nomination.clear::<i64>();
    }
}

/// One page of a nested connection: the rows of `parent`'s list in `window`, read
/// through `pages` with the other parents asking for the same window, and a
/// `totalCount` read, only when asked, through `counts` with the other parents' counts.
pub async fn nested_page<P, C, M>(
    ctx: &Context<'_>,
    pages: fn(&Loaders) -> &Cached<P>,
    counts: fn(&Loaders) -> &Cached<C>,
    parent: i64,
    window: Window,
    scope: &'static str,
    cursor_of: impl Fn(&M) -> Cursor,
) -> async_graphql::Result<Page<M>>
where
    P: Loader<PageUnder, Value = Vec<M>, Error = async_graphql::Error>,
    C: Loader<i64, Value = u64, Error = async_graphql::Error>,
    M: Send + Sync + Clone + 'static,
{
    let shared = ctx.data_unchecked::<Arc<Loaders>>().clone();
    let rows = pages(&shared)
        .load_one((parent, window.clone()))
        .await?
        .unwrap_or_default();
    let total = TotalCount::Deferred(Arc::new(move || {
        let loaders = shared.clone();
        Box::pin(async move {
            let count = counts(&loaders)
                .load_one(parent)
                .await
                .map_err(ServiceError::Mapped)?;
            Ok(count.unwrap_or(0))
        })
    }));
    Ok(page::finish(rows, &window, scope, cursor_of, total))
}

/// The loaders of the request being executed.
pub fn loaders<'a>(ctx: &Context<'a>) -> &'a Loaders {
    ctx.data_unchecked::<Arc<Loaders>>()
}

/// A row that a foreign key guarantees exists; its absence is our bug, not the caller's.
pub fn required<T>(row: Option<T>, what: &str) -> async_graphql::Result<T> {
    row.ok_or_else(|| {
        crate::error::ServiceError::Internal(anyhow::anyhow!("dangling reference to {what}")).into()
    })
}

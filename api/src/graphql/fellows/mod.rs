//! Fellows, the people behind them, and their contributions.

pub mod mutations;

use super::people::Person;

use async_graphql::{Context, Enum, InputObject, Object, Result, SimpleObject, ID};
use chrono::{DateTime, Utc};
use entity::{contribution, fellow, person, strategic_area};

use super::benefits::BenefitGrant;
use super::connection::{connection, nested_windows, nodes_select, nodes_select_within, page_args};
use super::ids::{self, NodeType};
use super::loaders::{loaders, nested_page, required, PageUnder};
use super::scalars::Date;
use super::strategic_areas::{StrategicArea, StrategicAreaConnection};
use super::{db, viewer, OrderDirection};
use crate::error::ServiceError;
use crate::service::fellows::{FellowFilter as ServiceFilter, FellowOrder as ServiceOrder};
use crate::service::page::{Cursor, KeyValue};
use crate::service::{self, access};

const CONTRIBUTIONS_SCOPE: &str = "fellow.contributions/id";
const STRATEGIC_AREAS_SCOPE: &str = "fellow.strategicAreas/name";

/// Whether a fellow is in the program now.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "entity::enums::FellowStatus")]
pub enum FellowStatus {
    /// A current fellow.
    Active,
    /// A former fellow.
    Alumni,
}

/// What kind of thing a contribution was.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "entity::enums::ContributionKind")]
pub enum ContributionKind {
    /// Founding or growing a community (for example a language community).
    CommunityBuilding,
    /// Publishing models on the hub.
    ModelPublishing,
    /// Code in open-source libraries (new architectures, features, fixes).
    LibraryCode,
    /// Speaking for a field or a cause (for example speech and audio).
    Advocacy,
    /// Starting or leading a working group.
    WorkingGroup,
    /// Helping other contributors on the forum, GitHub or chat.
    ForumSupport,
    /// Sprints, hackathons, workshops and paper sessions.
    Events,
    /// Anything else.
    Other,
}

/// A link on a profile or nomination.
#[derive(SimpleObject, Clone, Debug)]
pub struct Link {
    /// What the link points to, such as "GitHub" or "Website".
    pub label: String,
    /// An http or https URL.
    pub url: String,
}

/// Reads a JSON list of `{label, url}`; malformed entries are skipped, not fatal.
pub fn links_from_json(value: &serde_json::Value) -> Vec<Link> {
    value
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|item| {
                    Some(Link {
                        label: item.get("label")?.as_str()?.to_owned(),
                        url: item.get("url")?.as_str()?.to_owned(),
                    })
                })
                .collect()
        })
        .unwrap_or_default()
}

/// A person admitted to the fellowship program for advancing open-source machine
/// learning. Fellows are not employees.
#[derive(Clone)]
pub struct Fellow(pub fellow::Model);

impl Fellow {
    async fn person_model(&self, ctx: &Context<'_>) -> Result<person::Model> {
        required(
            loaders(ctx).people.load_one(self.0.person_id).await?,
            "person",
        )
    }
}

/// A person admitted to the fellowship program for advancing open-source machine
/// learning: their public profile, contributions and strategic areas. Fellows are not
/// employees.
// Public records: shared caches may keep them a minute (see `http/graphql.rs`).
#[Object(cache_control(max_age = 60))]
impl Fellow {
    /// An opaque global ID of the fellowship (the person behind it has their own,
    /// `Person.id`); pass it as `fellowId` to the fellow mutations.
    pub async fn id(&self) -> ID {
        ids::encode(NodeType::Fellow, self.0.id)
    }

    /// Increases with every change; pass it back as `expectedVersion`.
    async fn version(&self) -> i32 {
        self.0.version
    }

    /// The fellow's hub handle.
    async fn handle(&self, ctx: &Context<'_>) -> Result<String> {
        required(self.person_model(ctx).await?.handle, "fellow handle")
    }

    /// Full name.
    async fn name(&self, ctx: &Context<'_>) -> Result<String> {
        Ok(self.person_model(ctx).await?.name)
    }

    /// One line on what the fellow does.
    async fn headline(&self) -> Option<&str> {
        self.0.headline.as_deref()
    }

    /// A longer public biography.
    async fn bio(&self) -> Option<&str> {
        self.0.bio.as_deref()
    }

    /// Public links: profiles, websites, projects.
    async fn links(&self) -> Vec<Link> {
        links_from_json(&self.0.links)
    }

    /// Whether the fellow is in the program now or an alumnus.
    async fn status(&self) -> FellowStatus {
        self.0.status.into()
    }

    /// The day the fellow joined the program.
    async fn joined_on(&self) -> Date {
        self.0.joined_on.into()
    }

    /// The person record behind this fellowship.
    async fn person(&self, ctx: &Context<'_>) -> Result<Person> {
        Ok(Person(self.person_model(ctx).await?))
    }

    /// Who nominated the fellow, when the record names them.
    async fn nominated_by(&self, ctx: &Context<'_>) -> Result<Option<Person>> {
        Person::named_by(ctx, self.0.nominated_by_person_id, "nominator").await
    }

    /// What the fellow did for open-source machine learning, oldest first.
    async fn contributions(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<ContributionConnection> {
        const SCOPE: &str = CONTRIBUTIONS_SCOPE;
        let window = page_args(ctx, first, after, last, before).window(SCOPE)?;
        let page = nested_page(
            ctx,
            |l| &l.contributions_by_fellow,
            |l| &l.contribution_counts,
            self.0.id,
            window,
            SCOPE,
            |c: &contribution::Model| Cursor::by_id(c.id),
        )
        .await?;
        Ok(ContributionConnection(page.map(Contribution)))
    }

    /// The strategic areas the fellow works in, by name.
    async fn strategic_areas(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<StrategicAreaConnection> {
        const SCOPE: &str = STRATEGIC_AREAS_SCOPE;
        let window = page_args(ctx, first, after, last, before).window(SCOPE)?;
        let page = nested_page(
            ctx,
            |l| &l.strategic_areas_by_fellow,
            |l| &l.strategic_area_counts,
            self.0.id,
            window,
            SCOPE,
            |a: &strategic_area::Model| Cursor::new(KeyValue::Text(a.name.clone()), a.id),
        )
        .await?;
        Ok(StrategicAreaConnection(page.map(StrategicArea)))
    }

    /// Benefits granted to the fellow, current and revoked. Private: the fellow, staff
    /// and partners with `benefits:read`; `null` with `FORBIDDEN` for anyone else.
    async fn benefits(&self, ctx: &Context<'_>) -> Result<Option<Vec<BenefitGrant>>> {
        if !access::can_read_benefits(viewer(ctx), &self.0) {
            return Err(access::forbidden("this fellow's benefits").into());
        }
        Ok(Some(
            loaders(ctx)
                .benefits_by_fellow
                .load_one(self.0.id)
                .await?
                .unwrap_or_default()
                .into_iter()
                .map(BenefitGrant)
                .collect(),
        ))
    }

    /// When the record was created.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// When the record last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

/// Something a fellow did for open-source machine learning.
#[derive(Clone)]
pub struct Contribution(pub contribution::Model);

/// Something a fellow did for open-source machine learning: a community built, models
/// published, library code, advocacy, a working group, help on the forum, events.
// Public records: shared caches may keep them a minute (see `http/graphql.rs`).
#[Object(cache_control(max_age = 60))]
impl Contribution {
    /// An opaque global ID; pass it as `contributionId` to remove the contribution.
    pub async fn id(&self) -> ID {
        ids::encode(NodeType::Contribution, self.0.id)
    }

    /// What kind of contribution it was.
    async fn kind(&self) -> ContributionKind {
        self.0.kind.into()
    }

    /// What it was, in one line.
    async fn title(&self) -> &str {
        &self.0.title
    }

    /// More about it.
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }

    /// Where to see it.
    async fn url(&self) -> Option<&str> {
        self.0.url.as_deref()
    }

    /// A figure that says how much, such as "300+ models".
    async fn metric(&self) -> Option<&str> {
        self.0.metric.as_deref()
    }

    /// When it happened, when known.
    async fn occurred_on(&self) -> Option<Date> {
        self.0.occurred_on.map(Date)
    }

    /// The fellow who made it.
    async fn fellow(&self, ctx: &Context<'_>) -> Result<Fellow> {
        Ok(Fellow(required(
            loaders(ctx).fellows.load_one(self.0.fellow_id).await?,
            "fellow",
        )?))
    }
}

connection!(FellowConnection, FellowEdge, Fellow, "fellows");
connection!(
    ContributionConnection,
    ContributionEdge,
    Contribution,
    "contributions"
);

/// Which fellows to list.
#[derive(InputObject, Default)]
pub struct FellowFilter {
    /// Only fellows with this status.
    pub status: Option<FellowStatus>,
    /// The slug of a strategic area the fellow works in.
    pub strategic_area: Option<String>,
    /// Only fellows with a contribution of this kind.
    pub contribution_kind: Option<ContributionKind>,
    /// Text in the name, handle or headline (case-insensitive).
    pub search: Option<String>,
}

/// What fellows can be ordered by.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum FellowOrderField {
    /// By the fellow's name.
    Name,
    /// By the day the fellow joined.
    JoinedOn,
}

/// An order for a list of fellows.
#[derive(InputObject)]
pub struct FellowOrder {
    /// What to order by.
    pub field: FellowOrderField,
    /// Which way; `ASC` when absent.
    #[graphql(default_with = "OrderDirection::Asc")]
    pub direction: OrderDirection,
}

/// Loads, in one statement each, the relations that the selection asks of a page of
/// fellows, and primes the request's loaders with them and with the rows already in
/// hand. Nested resolvers then find everything cached: a page costs the same number of
/// statements whatever its size, independent of how the executor interleaves them.
async fn prefetch_relations(
    ctx: &Context<'_>,
    rows: &[&(fellow::Model, person::Model)],
) -> Result<()> {
    let l = loaders(ctx);
    l.fellows
        .feed_many(rows.iter().map(|(f, _)| (f.id, f.clone())))
        .await;
    l.people
        .feed_many(rows.iter().map(|(_, p)| (p.id, p.clone())))
        .await;
    let wants = |field: &str| nodes_select(ctx, field);
    let fellow_ids: Vec<i64> = rows.iter().map(|(f, _)| f.id).collect();
    let mut nominators: Vec<i64> = rows
        .iter()
        .filter_map(|(f, _)| f.nominated_by_person_id)
        .collect();
    nominators.sort_unstable();
    nominators.dedup();
    let pages_of = |field: &str, scope: &str| -> Vec<PageUnder> {
        nested_windows(ctx, field, scope)
            .into_iter()
            .flat_map(|window| fellow_ids.iter().map(move |id| (*id, window.clone())))
            .collect()
    };
    // A nested connection's totalCount is loaded here too when asked for, so that the
    // counts of the whole page come in one batch however the executor interleaves the
    // fields that ask for them.
    let counted = |field: &str| nodes_select_within(ctx, field, "totalCount");
    let contributions = async {
        let keys = pages_of("contributions", CONTRIBUTIONS_SCOPE);
        if !keys.is_empty() {
            l.contributions_by_fellow.load_many(keys).await?;
        }
        if counted("contributions") {
            l.contribution_counts.load_many(fellow_ids.clone()).await?;
        }
        Ok::<_, async_graphql::Error>(())
    };
    let areas = async {
        let keys = pages_of("strategicAreas", STRATEGIC_AREAS_SCOPE);
        if !keys.is_empty() {
            l.strategic_areas_by_fellow.load_many(keys).await?;
        }
        if counted("strategicAreas") {
            l.strategic_area_counts
                .load_many(fellow_ids.clone())
                .await?;
        }
        Ok::<_, async_graphql::Error>(())
    };
    let nominated_by = async {
        if wants("nominatedBy") && !nominators.is_empty() {
            l.people.load_many(nominators.clone()).await?;
        }
        Ok::<_, async_graphql::Error>(())
    };
    futures::try_join!(contributions, areas, nominated_by)?;
    Ok(())
}

/// The `fellows` and `fellow` queries, merged into [`super::Query`].
#[derive(Default)]
pub struct FellowQuery;

#[Object]
impl FellowQuery {
    /// Fellows of the program; by name unless ordered otherwise.
    #[graphql(cache_control(max_age = 60))]
    async fn fellows(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        filter: Option<FellowFilter>,
        order_by: Option<FellowOrder>,
    ) -> Result<FellowConnection> {
        let filter = filter.unwrap_or_default();
        let filter = ServiceFilter {
            status: filter.status.map(Into::into),
            strategic_area: filter.strategic_area,
            contribution_kind: filter.contribution_kind.map(Into::into),
            search: filter.search,
        };
        let order = order_by
            .map(|o| ServiceOrder {
                field: match o.field {
                    FellowOrderField::Name => service::fellows::FellowOrderField::Name,
                    FellowOrderField::JoinedOn => service::fellows::FellowOrderField::JoinedOn,
                },
                descending: o.direction == OrderDirection::Desc,
            })
            .unwrap_or_default();
        let page = service::fellows::list(
            db(ctx),
            &filter,
            order,
            &page_args(ctx, first, after, last, before),
        )
        .await?;
        let rows: Vec<&(fellow::Model, person::Model)> =
            page.edges.iter().map(|(_, row)| row).collect();
        prefetch_relations(ctx, &rows).await?;
        Ok(FellowConnection(page.map(|(fellow, _)| Fellow(fellow))))
    }

    /// The fellow with this hub handle (case-insensitive).
    #[graphql(cache_control(max_age = 60))]
    async fn fellow(&self, ctx: &Context<'_>, handle: String) -> Result<Option<Fellow>> {
        match service::fellows::by_handle(db(ctx), &handle).await? {
            Some((fellow, person)) => {
                // The person came with the fellow; the name and handle need no query.
                loaders(ctx).people.feed_one(person.id, person).await;
                Ok(Some(Fellow(fellow)))
            }
            None => {
                Err(ServiceError::NotFound(format!("No fellow has the handle `{handle}`.")).into())
            }
        }
    }
}

//! Organizations, foundation memberships and governing-board seats.

pub mod mutations;

use async_graphql::{Context, Enum, InputObject, Object, Result, ID};
use chrono::{DateTime, Utc};
use entity::{board_seat, foundation_membership, organization};

use super::connection::{connection, nodes_select, page_args};
use super::ids::{self, NodeType};
use super::loaders::{loaders, nested_page, required};
use super::people::Person;
use super::scalars::Date;
use super::{db, OrderDirection};
use crate::error::ServiceError;
use crate::service;
use crate::service::page::Cursor;

/// What sort of body an organization is.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "entity::enums::OrganizationKind")]
pub enum OrganizationKind {
    /// A business.
    Company,
    /// An open-source foundation; it may sit under an umbrella foundation.
    Foundation,
    /// A nonprofit body that is not a foundation.
    Nonprofit,
    /// A university, school or research institute.
    Academic,
    /// A government body.
    Government,
    /// Anything else.
    Other,
}

/// The level at which an organization is a member of a foundation.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "entity::enums::MembershipTier")]
pub enum MembershipTier {
    /// The top tier; carries one seat on the foundation's governing board.
    Premier,
    /// A general member; carries no board seat.
    General,
    /// An associate member; carries no board seat.
    Associate,
}

/// A company, foundation or other body.
#[derive(Clone)]
pub struct Organization(pub organization::Model);

/// A company, foundation or other body. An organization may sit under an umbrella
/// (the PyTorch Foundation under the Linux Foundation), and a foundation has members.
// Public records: shared caches may keep them a minute (see `http/graphql.rs`).
#[Object(cache_control(max_age = 60))]
impl Organization {
    /// An opaque global ID; pass it as `organizationId`, `memberId`, `foundationId` or
    /// `parentId`.
    pub async fn id(&self) -> ID {
        ids::encode(NodeType::Organization, self.0.id)
    }

    /// Increases with every change; pass it back as `expectedVersion`.
    async fn version(&self) -> i32 {
        self.0.version
    }

    /// A short, stable, URL-friendly name, such as `pytorch-foundation`.
    async fn slug(&self) -> &str {
        &self.0.slug
    }

    /// The organization's name, such as "PyTorch Foundation".
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// What sort of body it is.
    async fn kind(&self) -> OrganizationKind {
        self.0.kind.into()
    }

    /// What the organization is or does.
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }

    /// The organization's website.
    async fn website_url(&self) -> Option<&str> {
        self.0.website_url.as_deref()
    }

    /// The umbrella organization this one sits under, such as the Linux Foundation.
    async fn parent(&self, ctx: &Context<'_>) -> Result<Option<Organization>> {
        let Some(parent) = self.0.parent_id else {
            return Ok(None);
        };
        Ok(Some(Organization(required(
            loaders(ctx).organizations.load_one(parent).await?,
            "parent organization",
        )?)))
    }

    /// Organizations directly under this one.
    async fn children(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<OrganizationConnection> {
        const SCOPE: &str = "organization.children/id";
        let window = page_args(ctx, first, after, last, before).window(SCOPE)?;
        let page = nested_page(
            ctx,
            |l| &l.children_by_organization,
            |l| &l.child_counts,
            self.0.id,
            window,
            SCOPE,
            |row: &organization::Model| Cursor::by_id(row.id),
        )
        .await?;
        Ok(OrganizationConnection(page.map(Organization)))
    }

    /// Foundations this organization is or was a member of.
    async fn memberships(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<FoundationMembershipConnection> {
        const SCOPE: &str = "organization.memberships/id";
        let window = page_args(ctx, first, after, last, before).window(SCOPE)?;
        let page = nested_page(
            ctx,
            |l| &l.memberships_by_member,
            |l| &l.membership_counts_by_member,
            self.0.id,
            window,
            SCOPE,
            |row: &foundation_membership::Model| Cursor::by_id(row.id),
        )
        .await?;
        Ok(FoundationMembershipConnection(
            page.map(FoundationMembership),
        ))
    }

    /// When this organization is a foundation: the memberships it has.
    async fn members(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<FoundationMembershipConnection> {
        const SCOPE: &str = "organization.members/id";
        let window = page_args(ctx, first, after, last, before).window(SCOPE)?;
        let page = nested_page(
            ctx,
            |l| &l.memberships_by_foundation,
            |l| &l.membership_counts_by_foundation,
            self.0.id,
            window,
            SCOPE,
            |row: &foundation_membership::Model| Cursor::by_id(row.id),
        )
        .await?;
        Ok(FoundationMembershipConnection(
            page.map(FoundationMembership),
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

/// That an organization joined a foundation at a tier.
#[derive(Clone)]
pub struct FoundationMembership(pub foundation_membership::Model);

/// That an organization joined a foundation at a tier, when, and where it was
/// announced. A premier membership carries one seat on the foundation's governing board.
// Public records: shared caches may keep them a minute (see `http/graphql.rs`).
#[Object(cache_control(max_age = 60))]
impl FoundationMembership {
    /// An opaque global ID; pass it as `membershipId` to end the membership or to appoint
    /// its board representative.
    pub async fn id(&self) -> ID {
        ids::encode(NodeType::FoundationMembership, self.0.id)
    }

    /// Increases with every change; pass it back as `expectedVersion`.
    async fn version(&self) -> i32 {
        self.0.version
    }

    /// The organization that joined.
    async fn member(&self, ctx: &Context<'_>) -> Result<Organization> {
        Ok(Organization(required(
            loaders(ctx)
                .organizations
                .load_one(self.0.member_id)
                .await?,
            "member",
        )?))
    }

    /// The foundation joined.
    async fn foundation(&self, ctx: &Context<'_>) -> Result<Organization> {
        Ok(Organization(required(
            loaders(ctx)
                .organizations
                .load_one(self.0.foundation_id)
                .await?,
            "foundation",
        )?))
    }

    /// The level of membership; `PREMIER` carries one board seat.
    async fn tier(&self) -> MembershipTier {
        self.0.tier.into()
    }

    /// When the membership began, when known.
    async fn joined_on(&self) -> Option<Date> {
        self.0.joined_on.map(Date)
    }

    /// When the membership ended; absent while it lasts.
    async fn ended_on(&self) -> Option<Date> {
        self.0.ended_on.map(Date)
    }

    /// Whether the membership lasts.
    async fn active(&self) -> bool {
        self.0.ended_on.is_none()
    }

    /// Where the membership was announced.
    async fn announcement_url(&self) -> Option<&str> {
        self.0.announcement_url.as_deref()
    }

    /// Seats on the foundation's board held through this membership, current and past.
    async fn board_seats(&self, ctx: &Context<'_>) -> Result<Vec<BoardSeat>> {
        let loaders = loaders(ctx);
        let rows = loaders
            .board_seats_by_membership
            .load_one(self.0.id)
            .await?
            .unwrap_or_default();
        let seats = loaders.with_people(rows).await;
        Ok(seats.into_iter().map(BoardSeat).collect())
    }
}

/// A seat on a foundation's board, held by a named representative of the member.
#[derive(Clone)]
pub struct BoardSeat(pub board_seat::Model);

/// A seat on a foundation's board, held through a membership by a named representative
/// of the member, for a term.
// Public records: shared caches may keep them a minute (see `http/graphql.rs`).
#[Object(cache_control(max_age = 60))]
impl BoardSeat {
    /// An opaque global ID.
    pub async fn id(&self) -> ID {
        ids::encode(NodeType::BoardSeat, self.0.id)
    }

    /// Which board, such as "Governing Board".
    async fn board(&self) -> &str {
        &self.0.board
    }

    /// Who holds the seat.
    async fn representative(&self, ctx: &Context<'_>) -> Result<Person> {
        Ok(Person(required(
            loaders(ctx)
                .people
                .load_one(self.0.representative_person_id)
                .await?,
            "representative",
        )?))
    }

    /// The representative's title at the member, such as "Head of Open Source".
    async fn title(&self) -> Option<&str> {
        self.0.title.as_deref()
    }

    /// Start of the representative's term, when known.
    async fn since(&self) -> Option<Date> {
        self.0.since.map(Date)
    }

    /// End of the term; absent while it lasts.
    async fn until(&self) -> Option<Date> {
        self.0.until.map(Date)
    }

    /// The membership the seat belongs to.
    async fn membership(&self, ctx: &Context<'_>) -> Result<FoundationMembership> {
        Ok(FoundationMembership(required(
            loaders(ctx)
                .memberships
                .load_one(self.0.membership_id)
                .await?,
            "membership",
        )?))
    }
}

connection!(
    OrganizationConnection,
    OrganizationEdge,
    Organization,
    "organizations"
);
connection!(
    FoundationMembershipConnection,
    FoundationMembershipEdge,
    FoundationMembership,
    "foundation memberships"
);

/// Which organizations to list.
#[derive(InputObject, Default)]
pub struct OrganizationFilter {
    /// Only organizations of this kind.
    pub kind: Option<OrganizationKind>,
    /// Only organizations directly under the one with this slug.
    pub parent: Option<String>,
    /// Text in the name or slug (case-insensitive).
    pub search: Option<String>,
}

/// Which memberships to list.
#[derive(InputObject, Default)]
pub struct FoundationMembershipFilter {
    /// The slug of the foundation joined.
    pub foundation: Option<String>,
    /// The slug of the member organization.
    pub member: Option<String>,
    /// Only memberships at this tier.
    pub tier: Option<MembershipTier>,
    /// `true`: memberships that last; `false`: ended ones; absent: both.
    pub active: Option<bool>,
}

/// What organizations can be ordered by.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum OrganizationOrderField {
    /// By the organization's name.
    Name,
}

/// An order for a list of organizations.
#[derive(InputObject)]
pub struct OrganizationOrder {
    /// What to order by.
    pub field: OrganizationOrderField,
    /// Which way; `ASC` when absent.
    #[graphql(default_with = "OrderDirection::Asc")]
    pub direction: OrderDirection,
}

/// The `organizations`, `organization` and `foundationMemberships` queries, merged into
/// [`super::Query`].
#[derive(Default)]
pub struct OrganizationQuery;

#[Object]
impl OrganizationQuery {
    /// Organizations by name.
    #[graphql(cache_control(max_age = 60))]
    async fn organizations(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        filter: Option<OrganizationFilter>,
        order_by: Option<OrganizationOrder>,
    ) -> Result<OrganizationConnection> {
        let direction = order_by.map_or(OrderDirection::Asc, |o| o.direction);
        let filter = filter.unwrap_or_default();
        let filter = service::organizations::OrganizationFilter {
            kind: filter.kind.map(Into::into),
            parent: filter.parent,
            search: filter.search,
        };
        let page = service::organizations::list(
            db(ctx),
            &filter,
            direction == OrderDirection::Desc,
            &page_args(ctx, first, after, last, before),
        )
        .await?;
        Ok(OrganizationConnection(page.map(Organization)))
    }

    /// The organization with this slug (case-insensitive).
    #[graphql(cache_control(max_age = 60))]
    async fn organization(&self, ctx: &Context<'_>, slug: String) -> Result<Option<Organization>> {
        match service::organizations::by_slug(db(ctx), &slug).await? {
            Some(org) => Ok(Some(Organization(org))),
            None => Err(
                ServiceError::NotFound(format!("No organization has the slug `{slug}`.")).into(),
            ),
        }
    }

    /// Foundation memberships in the order they were recorded.
    #[graphql(cache_control(max_age = 60))]
    async fn foundation_memberships(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        filter: Option<FoundationMembershipFilter>,
    ) -> Result<FoundationMembershipConnection> {
        let filter = filter.unwrap_or_default();
        let filter = service::organizations::MembershipFilter {
            foundation: filter.foundation,
            member: filter.member,
            tier: filter.tier.map(Into::into),
            active: filter.active,
        };
        let (page, members) = service::organizations::memberships(
            db(ctx),
            &filter,
            &page_args(ctx, first, after, last, before),
            nodes_select(ctx, "member"),
        )
        .await?;
        loaders(ctx)
            .organizations
            .feed_many(members.into_iter().map(|m| (m.id, m)))
            .await;
        Ok(FoundationMembershipConnection(
            page.map(FoundationMembership),
        ))
    }
}

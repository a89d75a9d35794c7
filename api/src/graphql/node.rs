//! The `Node` interface and the `node`/`nodes` lookups by global ID.

use async_graphql::PathSegment;
use async_graphql::{Context, Interface, Object, Result, ID};
use futures::future::join_all;

use super::accounts::Account;
use super::api_tokens::ApiToken;
use super::audit::AuditEvent;
use super::benefits::BenefitGrant;
use super::fellows::{Contribution, Fellow};
use super::ids::{self, NodeType};
use super::loaders::loaders;
use super::nominations::{Endorsement, Nomination};
use super::organizations::{BoardSeat, FoundationMembership, Organization};
use super::people::Person;
use super::strategic_areas::StrategicArea;
use super::viewer;
use super::webhooks::{WebhookDelivery, WebhookEndpoint};
use crate::error::ServiceError;
use crate::service::access::{self, Reach};

/// Most IDs one `nodes` call resolves, as for a page.
const MAX_NODES: usize = 100;

/// An object with a global ID that `node(id:)` resolves.
#[derive(Interface)]
#[graphql(field(name = "id", ty = "ID", desc = "An opaque global ID."))]
pub enum Node {
    /// A fellowship; public.
    Fellow(Fellow),
    /// A person the records mention; public.
    Person(Person),
    /// A fellow's contribution; public.
    Contribution(Contribution),
    /// A strategic area, current or archived; public.
    StrategicArea(StrategicArea),
    /// An organization; public.
    Organization(Organization),
    /// A foundation membership; public.
    FoundationMembership(FoundationMembership),
    /// A seat on a foundation's board; public.
    BoardSeat(BoardSeat),
    /// A nomination; readable as [`access::can_read_nomination`] rules.
    Nomination(Nomination),
    /// An endorsement; readable by those who may read its nomination.
    Endorsement(Endorsement),
    /// A benefit grant; readable as [`access::can_read_benefits`] rules.
    BenefitGrant(BenefitGrant),
    /// A partner API token; staff only.
    ApiToken(ApiToken),
    /// An entry of the audit log; staff only.
    AuditEvent(AuditEvent),
    /// A staff member's or a fellow's account; staff only.
    Account(Account),
    /// A webhook endpoint; staff and the partner token that owns it.
    WebhookEndpoint(WebhookEndpoint),
    /// A webhook delivery; with its endpoint.
    WebhookDelivery(WebhookDelivery),
}

async fn load(ctx: &Context<'_>, id: &str, field: &str) -> Result<Option<Node>> {
    let (node_type, row) = ids::decode(id, field)?;
    let l = loaders(ctx);
    Ok(match node_type {
        NodeType::Fellow => l
            .fellows
            .load_one(row)
            .await?
            .map(|m| Node::Fellow(Fellow(m))),
        NodeType::Person => l
            .people
            .load_one(row)
            .await?
            .map(|m| Node::Person(Person(m))),
        NodeType::Contribution => l
            .contributions
            .load_one(row)
            .await?
            .map(|m| Node::Contribution(Contribution(m))),
        NodeType::StrategicArea => l
            .strategic_areas
            .load_one(row)
            .await?
            .map(|m| Node::StrategicArea(StrategicArea(m))),
        NodeType::Organization => l
            .organizations
            .load_one(row)
            .await?
            .map(|m| Node::Organization(Organization(m))),
        NodeType::FoundationMembership => l
            .memberships
            .load_one(row)
            .await?
            .map(|m| Node::FoundationMembership(FoundationMembership(m))),
        NodeType::BoardSeat => l
            .board_seats
            .load_one(row)
            .await?
            .map(|m| Node::BoardSeat(BoardSeat(m))),
        // Private types: the same rules as every other way of reaching them, and
        // access::Reach's rule for IDs, so that a row the caller may not read answers
        // as a missing one does (or the whole type is FORBIDDEN to them).
        NodeType::Nomination => {
            let viewer = viewer(ctx);
            Reach::of_nominations(viewer).require_some("nominations")?;
            access::visible(l.nominations.load_one(row).await?, |n| {
                access::can_read_nomination(viewer, n)
            })
            .map(|n| Node::Nomination(Nomination(n)))
        }
        NodeType::Endorsement => {
            let viewer = viewer(ctx);
            Reach::of_nominations(viewer).require_some("endorsements")?;
            match l.endorsements.load_one(row).await? {
                Some(e) => {
                    let nomination = l.nominations.load_one(e.nomination_id).await?;
                    access::visible(nomination, |n| access::can_read_nomination(viewer, n))
                        .map(|_| Node::Endorsement(Endorsement(e)))
                }
                None => None,
            }
        }
        NodeType::BenefitGrant => {
            let viewer = viewer(ctx);
            Reach::of_benefit_grants(viewer).require_some("benefit grants")?;
            match l.benefit_grants.load_one(row).await? {
                Some(grant) => {
                    let fellow = l.fellows.load_one(grant.fellow_id).await?;
                    access::visible(fellow, |f| access::can_read_benefits(viewer, f))
                        .map(|_| Node::BenefitGrant(BenefitGrant(grant)))
                }
                None => None,
            }
        }
        NodeType::ApiToken => {
            Reach::of_staff_records(viewer(ctx)).require_some("API tokens")?;
            l.api_tokens
                .load_one(row)
                .await?
                .map(|t| Node::ApiToken(ApiToken(t)))
        }
        NodeType::AuditEvent => {
            Reach::of_staff_records(viewer(ctx)).require_some("the audit log")?;
            l.audit_events
                .load_one(row)
                .await?
                .map(|e| Node::AuditEvent(AuditEvent(e)))
        }
        NodeType::Account => {
            Reach::of_staff_records(viewer(ctx)).require_some("accounts")?;
            l.accounts
                .load_one(row)
                .await?
                .map(|a| Node::Account(Account(a)))
        }
        NodeType::WebhookEndpoint => {
            crate::service::webhooks::WebhookOwner::of(viewer(ctx))?;
            crate::service::webhooks::endpoints::visible(super::db(ctx), viewer(ctx), row)
                .await?
                .map(|e| Node::WebhookEndpoint(WebhookEndpoint(e)))
        }
        NodeType::WebhookDelivery => {
            crate::service::webhooks::WebhookOwner::of(viewer(ctx))?;
            crate::service::webhooks::deliveries::visible(super::db(ctx), viewer(ctx), row)
                .await?
                .map(|d| Node::WebhookDelivery(WebhookDelivery(d)))
        }
    })
}

/// The `node` and `nodes` lookups, merged into [`super::Query`].
#[derive(Default)]
pub struct NodeQuery;

#[Object]
impl NodeQuery {
    /// The object with this global ID. An object of a private type that the caller may
    /// not read answers as one that does not exist (`NOT_FOUND`), or, when the caller
    /// may read none of that type, every ID of it is `FORBIDDEN`.
    async fn node(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Node>> {
        match load(ctx, &id, "id").await? {
            Some(node) => Ok(Some(node)),
            None => Err(ServiceError::NotFound(format!(
                "Could not resolve to a node with the global ID `{}`.",
                id.as_str()
            ))
            .into()),
        }
    }

    /// The objects with these global IDs, in the same order; `null` (with an error at
    /// its index) for an ID that is malformed or of a type the caller may read none of,
    /// and `null` for one that names no object the caller may read. At most 100 IDs.
    async fn nodes(&self, ctx: &Context<'_>, ids: Vec<ID>) -> Result<Vec<Option<Node>>> {
        if ids.len() > MAX_NODES {
            return Err(ServiceError::invalid(
                "ids",
                format!(
                    "Requesting {} nodes exceeds the limit of {MAX_NODES}.",
                    ids.len()
                ),
            )
            .into());
        }
        // One result per ID: a malformed, forbidden or missing one is `null` at its
        // index, with its error, and never costs the others.
        let loaded = join_all(ids.iter().map(|id| load(ctx, id, "ids"))).await;
        Ok(loaded
            .into_iter()
            .enumerate()
            .map(|(index, result)| match result {
                Ok(node) => node,
                Err(err) => {
                    let mut error = ctx.set_error_path(err.into_server_error(ctx.item.pos));
                    error.path.push(PathSegment::Index(index));
                    ctx.add_error(error);
                    None
                }
            })
            .collect())
    }
}

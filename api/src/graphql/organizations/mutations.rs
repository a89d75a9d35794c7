//! Mutations of organizations, foundation memberships and board seats, by staff. Each
//! takes one `input`, calls one service, and answers the changed object and
//! `userErrors`.

use super::{BoardSeat, FoundationMembership, MembershipTier, Organization, OrganizationKind};
use crate::error::ServiceError;
use crate::graphql::ids::{self, NodeType};
use crate::graphql::payload::payload;
use crate::graphql::scalars::Date;
use crate::graphql::{db, idempotency_key, viewer};
use crate::service::idempotency::Claim;
use crate::service::organizations::{board_seats, memberships, register};
use async_graphql::{Context, InputObject, MaybeUndefined, Object, Result, ID};

payload!(
    OrganizationPayload,
    organization,
    Organization,
    "The organization after a change, or why not."
);
payload!(
    FoundationMembershipPayload,
    membership,
    FoundationMembership,
    "The membership after a change, or why not."
);
payload!(
    BoardSeatPayload,
    board_seat,
    BoardSeat,
    "The board seat appointed, or why not."
);

fn id_of(id: &ID, node_type: NodeType, field: &str) -> Result<i64, ServiceError> {
    ids::decode_as(id, node_type, field)
}

/// A new organization.
#[derive(InputObject)]
pub struct CreateOrganizationInput {
    /// Lower-case words joined by hyphens, such as `pytorch-foundation`.
    pub slug: String,
    /// The organization's name (1 to 200 characters).
    pub name: String,
    /// What sort of body it is; only a `FOUNDATION` can have members.
    pub kind: OrganizationKind,
    /// The umbrella organization.
    pub parent_id: Option<ID>,
    /// What it is or does (at most 5,000 characters).
    pub description: Option<String>,
    /// Its website: an http or https URL.
    pub website_url: Option<String>,
}

/// Changes to an organization; a field left out stays as it is.
#[derive(InputObject)]
pub struct UpdateOrganizationInput {
    /// The organization's global ID (`Organization.id`).
    pub organization_id: ID,
    /// The organization's name (1 to 200 characters).
    pub name: Option<String>,
    /// What sort of body it is. A foundation that memberships name stays a `FOUNDATION`:
    /// changing its kind is refused with `CONFLICT`.
    pub kind: Option<OrganizationKind>,
    /// The umbrella organization; `null` removes it, absent leaves it.
    pub parent_id: MaybeUndefined<ID>,
    /// An empty string clears it.
    pub description: Option<String>,
    /// An empty string clears it.
    pub website_url: Option<String>,
    /// The `version` the caller last read; a stale one is refused with `CONFLICT`.
    pub expected_version: i32,
}

/// That an organization joined a foundation at a tier.
#[derive(InputObject)]
pub struct RecordFoundationMembershipInput {
    /// The organization that joined (`Organization.id`).
    pub member_id: ID,
    /// An organization of kind FOUNDATION.
    pub foundation_id: ID,
    /// The tier it joined at.
    pub tier: MembershipTier,
    /// When it joined; not in the future.
    pub joined_on: Option<Date>,
    /// Where the membership was announced: an http or https URL.
    pub announcement_url: Option<String>,
}

/// A membership to end, and when.
#[derive(InputObject)]
pub struct EndFoundationMembershipInput {
    /// The membership's global ID (`FoundationMembership.id`).
    pub membership_id: ID,
    /// The day it ended; not before it began. Its open board seats end with it.
    pub ended_on: Date,
    /// The `version` the caller last read; a stale one is refused with `CONFLICT`.
    pub expected_version: i32,
}

/// A representative of the member to appoint to the foundation's board.
#[derive(InputObject)]
pub struct AppointBoardRepresentativeInput {
    /// The membership the seat comes with (`FoundationMembership.id`): one that lasts, at a
    /// tier that carries a seat.
    pub membership_id: ID,
    /// A person the records know; or give `representativeName` (and a handle, if
    /// known) for someone new.
    pub representative_id: Option<ID>,
    /// The full name of a representative the records do not know yet (1 to 200
    /// characters); ignored when `representativeId` is given.
    pub representative_name: Option<String>,
    /// Their hub handle, if known, to go with `representativeName`. When a person the
    /// records know has this handle, that person is appointed, under their recorded name.
    pub representative_handle: Option<String>,
    /// "Governing Board" when absent.
    pub board: Option<String>,
    /// The representative's title at the member, such as "Head of Open Source".
    pub title: Option<String>,
    /// Today when absent.
    pub since: Option<Date>,
}

/// Mutations of organizations, memberships and board seats, merged into
/// [`crate::graphql::Mutation`].
#[derive(Default)]
pub struct OrganizationMutation;

#[Object]
impl OrganizationMutation {
    /// Adds an organization. Staff only.
    async fn create_organization(
        &self,
        ctx: &Context<'_>,
        input: CreateOrganizationInput,
    ) -> Result<OrganizationPayload> {
        let parent = match &input.parent_id {
            Some(id) => id_of(id, NodeType::Organization, "input.parentId").map(Some),
            None => Ok(None),
        };
        let result = async {
            let parent_id = parent?;
            let new = register::NewOrganization {
                slug: input.slug,
                name: input.name,
                kind: input.kind.into(),
                parent_id,
                description: input.description,
                website_url: input.website_url,
            };
            register::create_organization(db(ctx), viewer(ctx), new).await
        }
        .await;
        OrganizationPayload::from_result(result, Organization)
    }

    /// Edits an organization. Staff only.
    async fn update_organization(
        &self,
        ctx: &Context<'_>,
        input: UpdateOrganizationInput,
    ) -> Result<OrganizationPayload> {
        let parent = match &input.parent_id {
            MaybeUndefined::Undefined => Ok(None),
            MaybeUndefined::Null => Ok(Some(None)),
            MaybeUndefined::Value(id) => {
                id_of(id, NodeType::Organization, "input.parentId").map(|p| Some(Some(p)))
            }
        };
        let result = match (
            id_of(
                &input.organization_id,
                NodeType::Organization,
                "input.organizationId",
            ),
            parent,
        ) {
            (Ok(id), Ok(parent_id)) => {
                let edit = register::OrganizationEdit {
                    name: input.name,
                    kind: input.kind.map(Into::into),
                    parent_id,
                    description: input.description,
                    website_url: input.website_url,
                    expected_version: input.expected_version,
                };
                register::update_organization(db(ctx), viewer(ctx), id, edit).await
            }
            (Err(err), _) | (_, Err(err)) => Err(err),
        };
        OrganizationPayload::from_result(result, Organization)
    }

    /// Records that an organization joined a foundation at a tier. Staff only. Safe to
    /// retry with an `Idempotency-Key` header.
    async fn record_foundation_membership(
        &self,
        ctx: &Context<'_>,
        input: RecordFoundationMembershipInput,
    ) -> Result<FoundationMembershipPayload> {
        let ids = (
            id_of(&input.member_id, NodeType::Organization, "input.memberId"),
            id_of(
                &input.foundation_id,
                NodeType::Organization,
                "input.foundationId",
            ),
        );
        let result = match ids {
            (Ok(member_id), Ok(foundation_id)) => {
                let new = memberships::NewMembership {
                    member_id,
                    foundation_id,
                    tier: input.tier.into(),
                    joined_on: input.joined_on.map(|d| d.0),
                    announcement_url: input.announcement_url,
                };
                let claim = Claim::new(
                    viewer(ctx),
                    idempotency_key(ctx),
                    "recordFoundationMembership",
                    &new,
                );
                memberships::record_membership(db(ctx), viewer(ctx), new, claim).await
            }
            (Err(err), _) | (_, Err(err)) => Err(err),
        };
        FoundationMembershipPayload::from_result(result, FoundationMembership)
    }

    /// Ends a membership; its board seats end with it. Staff only.
    async fn end_foundation_membership(
        &self,
        ctx: &Context<'_>,
        input: EndFoundationMembershipInput,
    ) -> Result<FoundationMembershipPayload> {
        let result = async {
            let id = id_of(
                &input.membership_id,
                NodeType::FoundationMembership,
                "input.membershipId",
            )?;
            memberships::end_membership(
                db(ctx),
                viewer(ctx),
                id,
                input.ended_on.0,
                input.expected_version,
            )
            .await
        }
        .await;
        FoundationMembershipPayload::from_result(result, FoundationMembership)
    }

    /// Appoints the member's representative to the foundation's board. The tier's seat
    /// count holds: appointing to a full tier replaces the current holder and closes
    /// their term. Staff only.
    async fn appoint_board_representative(
        &self,
        ctx: &Context<'_>,
        input: AppointBoardRepresentativeInput,
    ) -> Result<BoardSeatPayload> {
        let representative = match (&input.representative_id, input.representative_name) {
            (Some(id), _) => id_of(id, NodeType::Person, "input.representativeId")
                .map(board_seats::Representative::Existing),
            (None, Some(name)) => Ok(board_seats::Representative::New {
                name,
                handle: input.representative_handle,
            }),
            (None, None) => Err(ServiceError::invalid(
                "input.representativeId",
                "Name the representative: a representativeId, or a representativeName.",
            )),
        };
        let result = match (
            id_of(
                &input.membership_id,
                NodeType::FoundationMembership,
                "input.membershipId",
            ),
            representative,
        ) {
            (Ok(membership_id), Ok(representative)) => {
                let appointment = board_seats::Appointment {
                    membership_id,
                    representative,
                    board: input.board,
                    title: input.title,
                    since: input.since.map(|d| d.0),
                };
                board_seats::appoint_representative(db(ctx), viewer(ctx), appointment).await
            }
            (Err(err), _) | (_, Err(err)) => Err(err),
        };
        BoardSeatPayload::from_result(result, BoardSeat)
    }
}

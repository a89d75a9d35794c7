//! Mutations of the records beside the nomination workflow: fellows' profiles,
//! contributions, status and benefits; strategic areas; organizations, foundation
//! memberships and board representatives. Each takes one `input`, calls one service,
//! and answers the changed object and `userErrors`.

use async_graphql::{Context, InputObject, MaybeUndefined, Object, Result, ID};

use super::benefits::{BenefitGrant, BenefitKind};
use super::fellows::{Contribution, ContributionKind, Fellow, FellowStatus};
use super::ids::{self, NodeType};
use super::loaders::loaders;
use super::nominations::LinkArg;
use super::organizations::{
    BoardSeat, FoundationMembership, MembershipTier, Organization, OrganizationKind,
};
use super::payload::payload;
use super::scalars::Date;
use super::strategic_areas::StrategicArea;
use super::{db, idempotency_key, viewer};
use crate::domain::LinkInput;
use crate::error::ServiceError;
use crate::service::fellows::changes as fellows;
use crate::service::idempotency::Claim;
use crate::service::organizations::changes as organizations;
use crate::service::strategic_areas;

payload!(
    FellowPayload,
    fellow,
    Fellow,
    "The fellow after a change, or why it was refused."
);
payload!(
    ContributionPayload,
    contribution,
    Contribution,
    "The contribution added or removed, or why not."
);
payload!(
    BenefitGrantPayload,
    benefit_grant,
    BenefitGrant,
    "The benefit grant after a change, or why not."
);
payload!(
    StrategicAreaPayload,
    strategic_area,
    StrategicArea,
    "The strategic area after a change, or why not."
);
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

fn links(links: Option<Vec<LinkArg>>) -> Option<Vec<LinkInput>> {
    links.map(|l| {
        l.into_iter()
            .map(|l| LinkInput {
                label: l.label,
                url: l.url,
            })
            .collect()
    })
}

#[derive(InputObject)]
pub struct UpdateFellowProfileInput {
    pub fellow_id: ID,
    pub name: Option<String>,
    /// An empty string clears it.
    pub headline: Option<String>,
    /// An empty string clears it.
    pub bio: Option<String>,
    /// Replaces the links (at most ten).
    pub links: Option<Vec<LinkArg>>,
    pub expected_version: i32,
}

#[derive(InputObject)]
pub struct AddContributionInput {
    pub fellow_id: ID,
    pub kind: ContributionKind,
    pub title: String,
    pub description: Option<String>,
    /// An http or https URL.
    pub url: Option<String>,
    /// A figure that says how much, such as "300+ models".
    pub metric: Option<String>,
    pub occurred_on: Option<Date>,
}

#[derive(InputObject)]
pub struct RemoveContributionInput {
    pub contribution_id: ID,
}

#[derive(InputObject)]
pub struct SetFellowStatusInput {
    pub fellow_id: ID,
    pub status: FellowStatus,
    pub expected_version: i32,
}

#[derive(InputObject)]
pub struct GrantBenefitInput {
    pub fellow_id: ID,
    pub kind: BenefitKind,
    pub description: Option<String>,
    /// Today when absent.
    pub granted_on: Option<Date>,
}

#[derive(InputObject)]
pub struct RevokeBenefitInput {
    pub benefit_grant_id: ID,
    /// Why (required).
    pub note: String,
}

#[derive(InputObject)]
pub struct CreateStrategicAreaInput {
    /// Lower-case words joined by hyphens, such as `speech-and-audio`.
    pub slug: String,
    pub name: String,
    pub description: Option<String>,
}

#[derive(InputObject)]
pub struct UpdateStrategicAreaInput {
    pub strategic_area_id: ID,
    pub name: Option<String>,
    /// An empty string clears it.
    pub description: Option<String>,
    pub expected_version: i32,
}

#[derive(InputObject)]
pub struct ArchiveStrategicAreaInput {
    pub strategic_area_id: ID,
    pub expected_version: i32,
}

#[derive(InputObject)]
pub struct CreateOrganizationInput {
    /// Lower-case words joined by hyphens, such as `pytorch-foundation`.
    pub slug: String,
    pub name: String,
    pub kind: OrganizationKind,
    /// The umbrella organization.
    pub parent_id: Option<ID>,
    pub description: Option<String>,
    pub website_url: Option<String>,
}

#[derive(InputObject)]
pub struct UpdateOrganizationInput {
    pub organization_id: ID,
    pub name: Option<String>,
    pub kind: Option<OrganizationKind>,
    /// The umbrella organization; `null` removes it, absent leaves it.
    pub parent_id: MaybeUndefined<ID>,
    /// An empty string clears it.
    pub description: Option<String>,
    /// An empty string clears it.
    pub website_url: Option<String>,
    pub expected_version: i32,
}

#[derive(InputObject)]
pub struct RecordFoundationMembershipInput {
    pub member_id: ID,
    /// An organization of kind FOUNDATION.
    pub foundation_id: ID,
    pub tier: MembershipTier,
    pub joined_on: Option<Date>,
    pub announcement_url: Option<String>,
}

#[derive(InputObject)]
pub struct EndFoundationMembershipInput {
    pub membership_id: ID,
    pub ended_on: Date,
    pub expected_version: i32,
}

#[derive(InputObject)]
pub struct AppointBoardRepresentativeInput {
    pub membership_id: ID,
    /// A person the records know; or give `representativeName` (and a handle, if
    /// known) for someone new.
    pub representative_id: Option<ID>,
    pub representative_name: Option<String>,
    pub representative_handle: Option<String>,
    /// "Governing Board" when absent.
    pub board: Option<String>,
    /// The representative's title at the member, such as "Head of Open Source".
    pub title: Option<String>,
    /// Today when absent.
    pub since: Option<Date>,
}

#[derive(Default)]
pub struct RecordMutation;

#[Object]
impl RecordMutation {
    /// Edits a fellow's public profile. The fellow or staff.
    async fn update_fellow_profile(
        &self,
        ctx: &Context<'_>,
        input: UpdateFellowProfileInput,
    ) -> Result<FellowPayload> {
        let result = async {
            let id = id_of(&input.fellow_id, NodeType::Fellow, "input.fellowId")?;
            let edit = fellows::ProfileEdit {
                name: input.name,
                headline: input.headline,
                bio: input.bio,
                links: links(input.links),
                expected_version: input.expected_version,
            };
            let (fellow, person) = fellows::update_profile(db(ctx), viewer(ctx), id, edit).await?;
            // The answer's name is read from the person just written, not asked again.
            loaders(ctx).people.feed_one(person.id, person).await;
            Ok(fellow)
        }
        .await;
        FellowPayload::from_result(result, Fellow)
    }

    /// Adds a contribution to a fellow's record. The fellow or staff.
    async fn add_contribution(
        &self,
        ctx: &Context<'_>,
        input: AddContributionInput,
    ) -> Result<ContributionPayload> {
        let result = async {
            let id = id_of(&input.fellow_id, NodeType::Fellow, "input.fellowId")?;
            let new = fellows::NewContribution {
                kind: input.kind.into(),
                title: input.title,
                description: input.description,
                url: input.url,
                metric: input.metric,
                occurred_on: input.occurred_on.map(|d| d.0),
            };
            fellows::add_contribution(db(ctx), viewer(ctx), id, new).await
        }
        .await;
        ContributionPayload::from_result(result, Contribution)
    }

    /// Removes a contribution; answers it as it was. The fellow or staff.
    async fn remove_contribution(
        &self,
        ctx: &Context<'_>,
        input: RemoveContributionInput,
    ) -> Result<ContributionPayload> {
        let result = async {
            let id = id_of(
                &input.contribution_id,
                NodeType::Contribution,
                "input.contributionId",
            )?;
            fellows::remove_contribution(db(ctx), viewer(ctx), id).await
        }
        .await;
        ContributionPayload::from_result(result, Contribution)
    }

    /// Makes a fellow an alumnus, or active again. Staff only.
    async fn set_fellow_status(
        &self,
        ctx: &Context<'_>,
        input: SetFellowStatusInput,
    ) -> Result<FellowPayload> {
        let result = async {
            let id = id_of(&input.fellow_id, NodeType::Fellow, "input.fellowId")?;
            fellows::set_status(
                db(ctx),
                viewer(ctx),
                id,
                input.status.into(),
                input.expected_version,
            )
            .await
        }
        .await;
        FellowPayload::from_result(result, Fellow)
    }

    /// Grants a benefit to an active fellow. Staff only.
    async fn grant_benefit(
        &self,
        ctx: &Context<'_>,
        input: GrantBenefitInput,
    ) -> Result<BenefitGrantPayload> {
        let result = async {
            let id = id_of(&input.fellow_id, NodeType::Fellow, "input.fellowId")?;
            fellows::grant_benefit(
                db(ctx),
                viewer(ctx),
                id,
                input.kind.into(),
                input.description,
                input.granted_on.map(|d| d.0),
            )
            .await
        }
        .await;
        BenefitGrantPayload::from_result(result, BenefitGrant)
    }

    /// Revokes a benefit grant, with a note; the grant stays on record. Staff only.
    async fn revoke_benefit(
        &self,
        ctx: &Context<'_>,
        input: RevokeBenefitInput,
    ) -> Result<BenefitGrantPayload> {
        let result = async {
            let id = id_of(
                &input.benefit_grant_id,
                NodeType::BenefitGrant,
                "input.benefitGrantId",
            )?;
            fellows::revoke_benefit(db(ctx), viewer(ctx), id, &input.note).await
        }
        .await;
        BenefitGrantPayload::from_result(result, BenefitGrant)
    }

    /// Adds a strategic area. Staff only.
    async fn create_strategic_area(
        &self,
        ctx: &Context<'_>,
        input: CreateStrategicAreaInput,
    ) -> Result<StrategicAreaPayload> {
        let result = strategic_areas::create(
            db(ctx),
            viewer(ctx),
            &input.slug,
            &input.name,
            input.description.as_deref(),
        )
        .await;
        StrategicAreaPayload::from_result(result, StrategicArea)
    }

    /// Renames or redescribes a strategic area. Staff only.
    async fn update_strategic_area(
        &self,
        ctx: &Context<'_>,
        input: UpdateStrategicAreaInput,
    ) -> Result<StrategicAreaPayload> {
        let result = async {
            let id = id_of(
                &input.strategic_area_id,
                NodeType::StrategicArea,
                "input.strategicAreaId",
            )?;
            let edit = strategic_areas::AreaEdit {
                name: input.name,
                description: input.description,
                expected_version: input.expected_version,
            };
            strategic_areas::update(db(ctx), viewer(ctx), id, edit).await
        }
        .await;
        StrategicAreaPayload::from_result(result, StrategicArea)
    }

    /// Archives a strategic area: it stays readable with its links, and takes no new
    /// nominations. Staff only.
    async fn archive_strategic_area(
        &self,
        ctx: &Context<'_>,
        input: ArchiveStrategicAreaInput,
    ) -> Result<StrategicAreaPayload> {
        let result = async {
            let id = id_of(
                &input.strategic_area_id,
                NodeType::StrategicArea,
                "input.strategicAreaId",
            )?;
            strategic_areas::archive(db(ctx), viewer(ctx), id, input.expected_version).await
        }
        .await;
        StrategicAreaPayload::from_result(result, StrategicArea)
    }

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
            let new = organizations::NewOrganization {
                slug: input.slug,
                name: input.name,
                kind: input.kind.into(),
                parent_id,
                description: input.description,
                website_url: input.website_url,
            };
            organizations::create_organization(db(ctx), viewer(ctx), new).await
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
                let edit = organizations::OrganizationEdit {
                    name: input.name,
                    kind: input.kind.map(Into::into),
                    parent_id,
                    description: input.description,
                    website_url: input.website_url,
                    expected_version: input.expected_version,
                };
                organizations::update_organization(db(ctx), viewer(ctx), id, edit).await
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
                let new = organizations::NewMembership {
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
                organizations::record_membership(db(ctx), viewer(ctx), new, claim).await
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
            organizations::end_membership(
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
                .map(organizations::Representative::Existing),
            (None, Some(name)) => Ok(organizations::Representative::New {
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
                let appointment = organizations::Appointment {
                    membership_id,
                    representative,
                    board: input.board,
                    title: input.title,
                    since: input.since.map(|d| d.0),
                };
                organizations::appoint_representative(db(ctx), viewer(ctx), appointment).await
            }
            (Err(err), _) | (_, Err(err)) => Err(err),
        };
        BoardSeatPayload::from_result(result, BoardSeat)
    }
}

//! Mutations of fellows' records: their profiles, contributions and status (the
//! fellow or staff; status by staff). Each takes one `input`, calls one service, and
//! answers the changed object and `userErrors`.

use super::{Contribution, ContributionKind, Fellow, FellowStatus};
use crate::domain::LinkInput;
use crate::error::ServiceError;
use crate::graphql::ids::{self, NodeType};
use crate::graphql::loaders::loaders;
use crate::graphql::nominations::LinkArg;
use crate::graphql::payload::payload;
use crate::graphql::scalars::Date;
use crate::graphql::{db, viewer};
use crate::service::fellows::{profile, status};
use async_graphql::{Context, InputObject, Object, Result, ID};

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

/// Changes to a fellow's public profile; a field left out stays as it is.
#[derive(InputObject)]
pub struct UpdateFellowProfileInput {
    /// The fellow's global ID (`Fellow.id`).
    pub fellow_id: ID,
    /// The fellow's full name (1 to 200 characters).
    pub name: Option<String>,
    /// An empty string clears it.
    pub headline: Option<String>,
    /// An empty string clears it.
    pub bio: Option<String>,
    /// Replaces the links (at most ten).
    pub links: Option<Vec<LinkArg>>,
    /// The `version` the caller last read; a stale one is refused with `CONFLICT`.
    pub expected_version: i32,
}

/// A contribution to add to a fellow's record.
#[derive(InputObject)]
pub struct AddContributionInput {
    /// The fellow's global ID (`Fellow.id`).
    pub fellow_id: ID,
    /// What kind of contribution it was.
    pub kind: ContributionKind,
    /// What it was, in one line (1 to 200 characters).
    pub title: String,
    /// More about it (at most 5,000 characters).
    pub description: Option<String>,
    /// An http or https URL.
    pub url: Option<String>,
    /// A figure that says how much, such as "300+ models".
    pub metric: Option<String>,
    /// When it happened; not in the future.
    pub occurred_on: Option<Date>,
}

/// A contribution to remove from a fellow's record.
#[derive(InputObject)]
pub struct RemoveContributionInput {
    /// The contribution's global ID (`Contribution.id`).
    pub contribution_id: ID,
}

/// A fellow's new status in the program.
#[derive(InputObject)]
pub struct SetFellowStatusInput {
    /// The fellow's global ID (`Fellow.id`).
    pub fellow_id: ID,
    /// `ALUMNI` makes the fellow an alumnus; `ACTIVE` makes them active again.
    pub status: FellowStatus,
    /// The `version` the caller last read; a stale one is refused with `CONFLICT`.
    pub expected_version: i32,
}

/// Mutations of fellows' records, merged into [`crate::graphql::Mutation`].
#[derive(Default)]
pub struct FellowMutation;

#[Object]
impl FellowMutation {
    /// Edits a fellow's public profile. The fellow or staff.
    async fn update_fellow_profile(
        &self,
        ctx: &Context<'_>,
        input: UpdateFellowProfileInput,
    ) -> Result<FellowPayload> {
        let result = async {
            let id = id_of(&input.fellow_id, NodeType::Fellow, "input.fellowId")?;
            let edit = profile::ProfileEdit {
                name: input.name,
                headline: input.headline,
                bio: input.bio,
                links: links(input.links),
                expected_version: input.expected_version,
            };
            let (fellow, person) = profile::update_profile(db(ctx), viewer(ctx), id, edit).await?;
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
            let new = profile::NewContribution {
                kind: input.kind.into(),
                title: input.title,
                description: input.description,
                url: input.url,
                metric: input.metric,
                occurred_on: input.occurred_on.map(|d| d.0),
            };
            profile::add_contribution(db(ctx), viewer(ctx), id, new).await
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
            profile::remove_contribution(db(ctx), viewer(ctx), id).await
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
            status::set_status(
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
}

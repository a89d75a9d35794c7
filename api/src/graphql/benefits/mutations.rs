//! Mutations of the benefits granted to fellows, by staff. Each takes one `input`,
//! calls one service, and answers the changed object and `userErrors`.

use super::{BenefitGrant, BenefitKind};
use crate::error::ServiceError;
use crate::graphql::ids::{self, NodeType};
use crate::graphql::payload::payload;
use crate::graphql::scalars::Date;
use crate::graphql::{db, viewer};
use crate::service::benefits;
use async_graphql::{Context, InputObject, Object, Result, ID};

payload!(
    BenefitGrantPayload,
    benefit_grant,
    BenefitGrant,
    "The benefit grant after a change, or why not."
);

fn id_of(id: &ID, node_type: NodeType, field: &str) -> Result<i64, ServiceError> {
    ids::decode_as(id, node_type, field)
}

/// A benefit to grant to an active fellow.
#[derive(InputObject)]
pub struct GrantBenefitInput {
    /// The fellow's global ID (`Fellow.id`).
    pub fellow_id: ID,
    /// What to grant.
    pub kind: BenefitKind,
    /// Details of the grant (at most 2,000 characters).
    pub description: Option<String>,
    /// Today when absent.
    pub granted_on: Option<Date>,
}

/// A benefit grant to revoke, and why.
#[derive(InputObject)]
pub struct RevokeBenefitInput {
    /// The grant's global ID (`BenefitGrant.id`).
    pub benefit_grant_id: ID,
    /// Why (required).
    pub note: String,
}

/// Mutations of benefit grants, merged into [`crate::graphql::Mutation`].
#[derive(Default)]
pub struct BenefitMutation;

#[Object]
impl BenefitMutation {
    /// Grants a benefit to an active fellow. Staff only.
    async fn grant_benefit(
        &self,
        ctx: &Context<'_>,
        input: GrantBenefitInput,
    ) -> Result<BenefitGrantPayload> {
        let result = async {
            let id = id_of(&input.fellow_id, NodeType::Fellow, "input.fellowId")?;
            benefits::grant_benefit(
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
            benefits::revoke_benefit(db(ctx), viewer(ctx), id, &input.note).await
        }
        .await;
        BenefitGrantPayload::from_result(result, BenefitGrant)
    }
}

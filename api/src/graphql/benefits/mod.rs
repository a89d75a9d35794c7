//! Benefit grants, private to the fellow, staff and partners with `benefits:read`.

pub mod mutations;

use async_graphql::{Context, Enum, Object, Result, ID};
use chrono::{DateTime, Utc};
use entity::benefit_grant;

use super::fellows::Fellow;
use super::ids::{self, NodeType};
use super::loaders::{loaders, required};
use super::people::Person;
use super::scalars::Date;

/// What a benefit is; grants depend on each fellow's needs and projects.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "entity::enums::BenefitKind")]
pub enum BenefitKind {
    /// Computing and resources.
    Compute,
    /// A network of expert peers.
    PeerNetwork,
    /// Exclusive workshops and support from the team.
    Workshops,
    /// Direct contact with the team: insight into upcoming projects and features.
    StaffContact,
    /// Exclusive merchandise and assets.
    Merchandise,
    /// Official recognition.
    Recognition,
}

/// A benefit granted to a fellow.
#[derive(Clone)]
pub struct BenefitGrant(pub benefit_grant::Model);

/// A benefit granted to a fellow, current or revoked. Private: the fellow, staff and
/// partners with `benefits:read`.
// Private: never kept by a shared cache (see `http/graphql.rs`, `cache_headers`).
#[Object(cache_control(private))]
impl BenefitGrant {
    /// An opaque global ID; pass it as `benefitGrantId` to revoke the grant.
    pub async fn id(&self) -> ID {
        ids::encode(NodeType::BenefitGrant, self.0.id)
    }

    /// Increases with every change (a revocation), so a client can tell a grant it holds changed.
    async fn version(&self) -> i32 {
        self.0.version
    }

    /// What was granted.
    async fn kind(&self) -> BenefitKind {
        self.0.kind.into()
    }

    /// Details of the grant, in staff's words.
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }

    /// The day the benefit was granted.
    async fn granted_on(&self) -> Date {
        Date(self.0.granted_on)
    }

    /// The staff member who granted it, when the record names one.
    async fn granted_by(&self, ctx: &Context<'_>) -> Result<Option<Person>> {
        Person::named_by(ctx, self.0.granted_by_person_id, "person").await
    }

    /// Whether the grant still holds.
    async fn active(&self) -> bool {
        self.0.revoked_at.is_none()
    }

    /// When staff revoked the grant; `null` while it holds.
    async fn revoked_at(&self) -> Option<DateTime<Utc>> {
        self.0.revoked_at
    }

    /// Why staff revoked the grant.
    async fn revocation_note(&self) -> Option<&str> {
        self.0.revocation_note.as_deref()
    }

    /// The fellow the benefit was granted to.
    async fn fellow(&self, ctx: &Context<'_>) -> Result<Fellow> {
        Ok(Fellow(required(
            loaders(ctx).fellows.load_one(self.0.fellow_id).await?,
            "fellow",
        )?))
    }
}

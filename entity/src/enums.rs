//! String-backed enumerations.
//!
//! Every enum is stored as upper-case text (e.g. `UNDER_REVIEW`) in a text column
//! guarded by a `CHECK` constraint in the migrations, so SQLite and PostgreSQL hold
//! the same values. Keep the variant lists here in sync with the migrations.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// Role of a signed-in account.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AccountRole {
    #[sea_orm(string_value = "STAFF")]
    Staff,
    #[sea_orm(string_value = "FELLOW")]
    Fellow,
}

impl AccountRole {
    /// Every variant, in declaration order.
    pub const ALL: &'static [Self] = &[Self::Staff, Self::Fellow];

    /// The value stored in the database (and used on the wire).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Staff => "STAFF",
            Self::Fellow => "FELLOW",
        }
    }

    /// Parses a stored value; `None` if it is not one of [`Self::ALL`].
    pub fn from_db_str(value: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|v| v.as_str() == value)
    }
}

impl std::fmt::Display for AccountRole {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Lifecycle state of a nomination.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum NominationStatus {
    #[sea_orm(string_value = "SUBMITTED")]
    Submitted,
    #[sea_orm(string_value = "UNDER_REVIEW")]
    UnderReview,
    #[sea_orm(string_value = "ACCEPTED")]
    Accepted,
    #[sea_orm(string_value = "DECLINED")]
    Declined,
    #[sea_orm(string_value = "WITHDRAWN")]
    Withdrawn,
}

impl NominationStatus {
    /// Every variant, in declaration order.
    pub const ALL: &'static [Self] = &[
        Self::Submitted,
        Self::UnderReview,
        Self::Accepted,
        Self::Declined,
        Self::Withdrawn,
    ];

    /// The value stored in the database (and used on the wire).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Submitted => "SUBMITTED",
            Self::UnderReview => "UNDER_REVIEW",
            Self::Accepted => "ACCEPTED",
            Self::Declined => "DECLINED",
            Self::Withdrawn => "WITHDRAWN",
        }
    }

    /// Parses a stored value; `None` if it is not one of [`Self::ALL`].
    pub fn from_db_str(value: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|v| v.as_str() == value)
    }

    /// The statuses of a nomination still in the program's hands: what every fellow may
    /// read, and what a nominee holds at most one of (the partial unique index
    /// `ux_nominations_open_nominee`, whose predicate names the same two values).
    pub const OPEN: [Self; 2] = [Self::Submitted, Self::UnderReview];

    /// Whether the nomination is still open (see [`Self::OPEN`]).
    pub fn is_open(self) -> bool {
        Self::OPEN.contains(&self)
    }
}

impl std::fmt::Display for NominationStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether a fellow is currently in the program.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum FellowStatus {
    #[sea_orm(string_value = "ACTIVE")]
    Active,
    #[sea_orm(string_value = "ALUMNI")]
    Alumni,
}

impl FellowStatus {
    /// Every variant, in declaration order.
    pub const ALL: &'static [Self] = &[Self::Active, Self::Alumni];

    /// The value stored in the database (and used on the wire).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Active => "ACTIVE",
            Self::Alumni => "ALUMNI",
        }
    }

    /// Parses a stored value; `None` if it is not one of [`Self::ALL`].
    pub fn from_db_str(value: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|v| v.as_str() == value)
    }
}

impl std::fmt::Display for FellowStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What kind of contribution a fellow made.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ContributionKind {
    #[sea_orm(string_value = "COMMUNITY_BUILDING")]
    CommunityBuilding,
    #[sea_orm(string_value = "MODEL_PUBLISHING")]
    ModelPublishing,
    #[sea_orm(string_value = "LIBRARY_CODE")]
    LibraryCode,
    #[sea_orm(string_value = "ADVOCACY")]
    Advocacy,
    #[sea_orm(string_value = "WORKING_GROUP")]
    WorkingGroup,
    #[sea_orm(string_value = "FORUM_SUPPORT")]
    ForumSupport,
    #[sea_orm(string_value = "EVENTS")]
    Events,
    #[sea_orm(string_value = "OTHER")]
    Other,
}

impl ContributionKind {
    /// Every variant, in declaration order.
    pub const ALL: &'static [Self] = &[
        Self::CommunityBuilding,
        Self::ModelPublishing,
        Self::LibraryCode,
        Self::Advocacy,
        Self::WorkingGroup,
        Self::ForumSupport,
        Self::Events,
        Self::Other,
    ];

    /// The value stored in the database (and used on the wire).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::CommunityBuilding => "COMMUNITY_BUILDING",
            Self::ModelPublishing => "MODEL_PUBLISHING",
            Self::LibraryCode => "LIBRARY_CODE",
            Self::Advocacy => "ADVOCACY",
            Self::WorkingGroup => "WORKING_GROUP",
            Self::ForumSupport => "FORUM_SUPPORT",
            Self::Events => "EVENTS",
            Self::Other => "OTHER",
        }
    }

    /// Parses a stored value; `None` if it is not one of [`Self::ALL`].
    pub fn from_db_str(value: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|v| v.as_str() == value)
    }
}

impl std::fmt::Display for ContributionKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What kind of benefit was granted to a fellow.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum BenefitKind {
    #[sea_orm(string_value = "COMPUTE")]
    Compute,
    #[sea_orm(string_value = "PEER_NETWORK")]
    PeerNetwork,
    #[sea_orm(string_value = "WORKSHOPS")]
    Workshops,
    #[sea_orm(string_value = "STAFF_CONTACT")]
    StaffContact,
    #[sea_orm(string_value = "MERCHANDISE")]
    Merchandise,
    #[sea_orm(string_value = "RECOGNITION")]
    Recognition,
}

impl BenefitKind {
    /// Every variant, in declaration order.
    pub const ALL: &'static [Self] = &[
        Self::Compute,
        Self::PeerNetwork,
        Self::Workshops,
        Self::StaffContact,
        Self::Merchandise,
        Self::Recognition,
    ];

    /// The value stored in the database (and used on the wire).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Compute => "COMPUTE",
            Self::PeerNetwork => "PEER_NETWORK",
            Self::Workshops => "WORKSHOPS",
            Self::StaffContact => "STAFF_CONTACT",
            Self::Merchandise => "MERCHANDISE",
            Self::Recognition => "RECOGNITION",
        }
    }

    /// Parses a stored value; `None` if it is not one of [`Self::ALL`].
    pub fn from_db_str(value: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|v| v.as_str() == value)
    }
}

impl std::fmt::Display for BenefitKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What kind of body an organization is.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OrganizationKind {
    #[sea_orm(string_value = "COMPANY")]
    Company,
    #[sea_orm(string_value = "FOUNDATION")]
    Foundation,
    #[sea_orm(string_value = "NONPROFIT")]
    Nonprofit,
    #[sea_orm(string_value = "ACADEMIC")]
    Academic,
    #[sea_orm(string_value = "GOVERNMENT")]
    Government,
    #[sea_orm(string_value = "OTHER")]
    Other,
}

impl OrganizationKind {
    /// Every variant, in declaration order.
    pub const ALL: &'static [Self] = &[
        Self::Company,
        Self::Foundation,
        Self::Nonprofit,
        Self::Academic,
        Self::Government,
        Self::Other,
    ];

    /// The value stored in the database (and used on the wire).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Company => "COMPANY",
            Self::Foundation => "FOUNDATION",
            Self::Nonprofit => "NONPROFIT",
            Self::Academic => "ACADEMIC",
            Self::Government => "GOVERNMENT",
            Self::Other => "OTHER",
        }
    }

    /// Parses a stored value; `None` if it is not one of [`Self::ALL`].
    pub fn from_db_str(value: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|v| v.as_str() == value)
    }
}

impl std::fmt::Display for OrganizationKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Tier of an organization's membership of a foundation.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum MembershipTier {
    #[sea_orm(string_value = "PREMIER")]
    Premier,
    #[sea_orm(string_value = "GENERAL")]
    General,
    #[sea_orm(string_value = "ASSOCIATE")]
    Associate,
}

impl MembershipTier {
    /// Every variant, in declaration order.
    pub const ALL: &'static [Self] = &[Self::Premier, Self::General, Self::Associate];

    /// The value stored in the database (and used on the wire).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Premier => "PREMIER",
            Self::General => "GENERAL",
            Self::Associate => "ASSOCIATE",
        }
    }

    /// Parses a stored value; `None` if it is not one of [`Self::ALL`].
    pub fn from_db_str(value: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|v| v.as_str() == value)
    }
}

impl std::fmt::Display for MembershipTier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Kind of a nomination outbox event.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum NominationEventKind {
    #[sea_orm(string_value = "SUBMITTED")]
    Submitted,
    #[sea_orm(string_value = "ENDORSED")]
    Endorsed,
    #[sea_orm(string_value = "REVIEW_STARTED")]
    ReviewStarted,
    #[sea_orm(string_value = "ACCEPTED")]
    Accepted,
    #[sea_orm(string_value = "DECLINED")]
    Declined,
    #[sea_orm(string_value = "WITHDRAWN")]
    Withdrawn,
}

impl NominationEventKind {
    /// Every variant, in declaration order.
    pub const ALL: &'static [Self] = &[
        Self::Submitted,
        Self::Endorsed,
        Self::ReviewStarted,
        Self::Accepted,
        Self::Declined,
        Self::Withdrawn,
    ];

    /// The value stored in the database (and used on the wire).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Submitted => "SUBMITTED",
            Self::Endorsed => "ENDORSED",
            Self::ReviewStarted => "REVIEW_STARTED",
            Self::Accepted => "ACCEPTED",
            Self::Declined => "DECLINED",
            Self::Withdrawn => "WITHDRAWN",
        }
    }

    /// Parses a stored value; `None` if it is not one of [`Self::ALL`].
    pub fn from_db_str(value: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|v| v.as_str() == value)
    }
}

impl std::fmt::Display for NominationEventKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

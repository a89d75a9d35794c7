//! String-backed enumerations.
//!
//! Every enum is stored as upper-case text (e.g. `UNDER_REVIEW`) in a text column
//! guarded by a `CHECK` constraint in the migrations, so SQLite and PostgreSQL hold
//! the same values. Keep the variant lists here in sync with the migrations.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// The text forms every enumeration here shares, from strum's derives (whose
/// `SCREAMING_SNAKE_CASE` is the stored value, as the test below holds for every
/// variant): `ALL` in declaration order, `as_str` (stored and sent), `from_db_str`, and
/// `Display` as the same text.
macro_rules! stored_text {
    ($($enumeration:ident),* $(,)?) => {$(
        impl $enumeration {
            /// Every variant, in declaration order.
            pub const ALL: &'static [Self] = <Self as strum::VariantArray>::VARIANTS;

            /// The value stored in the database (and used on the wire).
            pub fn as_str(self) -> &'static str {
                self.into()
            }

            /// Parses a stored value; `None` if it is not one of [`Self::ALL`].
            pub fn from_db_str(value: &str) -> Option<Self> {
                value.parse().ok()
            }
        }
    )*};
}

stored_text!(
    AccountRole,
    NominationStatus,
    FellowStatus,
    ContributionKind,
    BenefitKind,
    OrganizationKind,
    MembershipTier,
    NominationEventKind
);

/// Role of a signed-in account.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    EnumIter,
    DeriveActiveEnum,
    Serialize,
    Deserialize,
    strum::IntoStaticStr,
    strum::EnumString,
    strum::Display,
    strum::VariantArray,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[strum(serialize_all = "SCREAMING_SNAKE_CASE")]
pub enum AccountRole {
    #[sea_orm(string_value = "STAFF")]
    Staff,
    #[sea_orm(string_value = "FELLOW")]
    Fellow,
}

/// Lifecycle state of a nomination.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    EnumIter,
    DeriveActiveEnum,
    Serialize,
    Deserialize,
    strum::IntoStaticStr,
    strum::EnumString,
    strum::Display,
    strum::VariantArray,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[strum(serialize_all = "SCREAMING_SNAKE_CASE")]
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
    /// The statuses of a nomination still in the program's hands: what every fellow may
    /// read, and what a nominee holds at most one of (the partial unique index
    /// `ux_nominations_open_nominee`, whose predicate names the same two values).
    pub const OPEN: [Self; 2] = [Self::Submitted, Self::UnderReview];

    /// Whether the nomination is still open (see [`Self::OPEN`]).
    pub fn is_open(self) -> bool {
        Self::OPEN.contains(&self)
    }
}

/// Whether a fellow is currently in the program.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    EnumIter,
    DeriveActiveEnum,
    Serialize,
    Deserialize,
    strum::IntoStaticStr,
    strum::EnumString,
    strum::Display,
    strum::VariantArray,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[strum(serialize_all = "SCREAMING_SNAKE_CASE")]
pub enum FellowStatus {
    #[sea_orm(string_value = "ACTIVE")]
    Active,
    #[sea_orm(string_value = "ALUMNI")]
    Alumni,
}

/// What kind of contribution a fellow made.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    EnumIter,
    DeriveActiveEnum,
    Serialize,
    Deserialize,
    strum::IntoStaticStr,
    strum::EnumString,
    strum::Display,
    strum::VariantArray,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[strum(serialize_all = "SCREAMING_SNAKE_CASE")]
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

/// What kind of benefit was granted to a fellow.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    EnumIter,
    DeriveActiveEnum,
    Serialize,
    Deserialize,
    strum::IntoStaticStr,
    strum::EnumString,
    strum::Display,
    strum::VariantArray,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[strum(serialize_all = "SCREAMING_SNAKE_CASE")]
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

/// What kind of body an organization is.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    EnumIter,
    DeriveActiveEnum,
    Serialize,
    Deserialize,
    strum::IntoStaticStr,
    strum::EnumString,
    strum::Display,
    strum::VariantArray,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[strum(serialize_all = "SCREAMING_SNAKE_CASE")]
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

/// Tier of an organization's membership of a foundation.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    EnumIter,
    DeriveActiveEnum,
    Serialize,
    Deserialize,
    strum::IntoStaticStr,
    strum::EnumString,
    strum::Display,
    strum::VariantArray,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[strum(serialize_all = "SCREAMING_SNAKE_CASE")]
pub enum MembershipTier {
    #[sea_orm(string_value = "PREMIER")]
    Premier,
    #[sea_orm(string_value = "GENERAL")]
    General,
    #[sea_orm(string_value = "ASSOCIATE")]
    Associate,
}

/// Kind of a nomination outbox event.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    EnumIter,
    DeriveActiveEnum,
    Serialize,
    Deserialize,
    strum::IntoStaticStr,
    strum::EnumString,
    strum::Display,
    strum::VariantArray,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[strum(serialize_all = "SCREAMING_SNAKE_CASE")]
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

#[cfg(test)]
mod tests {
    use super::*;

    fn every_form_is_the_stored_value<E>(
        all: &[E],
        as_str: fn(E) -> &'static str,
        from: fn(&str) -> Option<E>,
    ) where
        E: ActiveEnum<Value = String>
            + Copy
            + PartialEq
            + std::fmt::Debug
            + std::fmt::Display
            + Serialize,
    {
        assert_eq!(all.len(), E::iter().count(), "ALL lists every variant");
        for &variant in all {
            let stored = variant.to_value();
            assert_eq!(as_str(variant), stored);
            assert_eq!(variant.to_string(), stored);
            assert_eq!(from(&stored), Some(variant));
            assert_eq!(
                serde_json::to_value(variant).unwrap(),
                serde_json::Value::String(stored.clone())
            );
        }
        assert_eq!(from("not a variant"), None);
    }

    #[test]
    fn strum_s_text_is_sea_orm_s_stored_value_and_serde_s_wire_value() {
        every_form_is_the_stored_value(
            AccountRole::ALL,
            AccountRole::as_str,
            AccountRole::from_db_str,
        );
        every_form_is_the_stored_value(
            NominationStatus::ALL,
            NominationStatus::as_str,
            NominationStatus::from_db_str,
        );
        every_form_is_the_stored_value(
            FellowStatus::ALL,
            FellowStatus::as_str,
            FellowStatus::from_db_str,
        );
        every_form_is_the_stored_value(
            ContributionKind::ALL,
            ContributionKind::as_str,
            ContributionKind::from_db_str,
        );
        every_form_is_the_stored_value(
            BenefitKind::ALL,
            BenefitKind::as_str,
            BenefitKind::from_db_str,
        );
        every_form_is_the_stored_value(
            OrganizationKind::ALL,
            OrganizationKind::as_str,
            OrganizationKind::from_db_str,
        );
        every_form_is_the_stored_value(
            MembershipTier::ALL,
            MembershipTier::as_str,
            MembershipTier::from_db_str,
        );
        every_form_is_the_stored_value(
            NominationEventKind::ALL,
            NominationEventKind::as_str,
            NominationEventKind::from_db_str,
        );
    }
}

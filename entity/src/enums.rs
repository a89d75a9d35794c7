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
    NominationEventKind,
    WebhookDeliveryStatus
);

/// Role of a signed-in account (`accounts.role`); a user token's `role` claim must
/// match it. Partner tokens (`PARTNER`) have no account and no value here.
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
    /// A member of the team that runs the program: may do everything, except decide a
    /// nomination they submitted or endorsed.
    #[sea_orm(string_value = "STAFF")]
    Staff,
    /// A fellow: edits their own profile and sees their own benefits, and while
    /// `ACTIVE` nominates and endorses. Opened when a nomination of them is accepted
    /// (or by an operator, `api account create`).
    #[sea_orm(string_value = "FELLOW")]
    Fellow,
}

/// Lifecycle state of a nomination (`nominations.status`):
/// `SUBMITTED -> UNDER_REVIEW -> ACCEPTED | DECLINED`, and
/// `SUBMITTED | UNDER_REVIEW -> WITHDRAWN`; nothing else.
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
    /// Sent in and waiting for staff; open: may be endorsed, withdrawn or put under
    /// review.
    #[sea_orm(string_value = "SUBMITTED")]
    Submitted,
    /// A staff member is reviewing it; still open: may be endorsed, withdrawn or
    /// decided.
    #[sea_orm(string_value = "UNDER_REVIEW")]
    UnderReview,
    /// Staff admitted the nominee, with a note; accepting made them an active fellow.
    /// Final.
    #[sea_orm(string_value = "ACCEPTED")]
    Accepted,
    /// Staff turned the nomination down, with a note. Final.
    #[sea_orm(string_value = "DECLINED")]
    Declined,
    /// The nominator took it back while it was open. Final.
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

/// Whether a fellow is currently in the program (`fellows.status`).
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
    /// A current fellow: may nominate and endorse, may receive benefits, and cannot be
    /// nominated again.
    #[sea_orm(string_value = "ACTIVE")]
    Active,
    /// A former fellow (set by staff). They may be nominated again; accepting that
    /// nomination makes them active again.
    #[sea_orm(string_value = "ALUMNI")]
    Alumni,
}

/// What kind of contribution a fellow made (`contributions.kind`).
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
    /// Founding or growing a community (for example a language community).
    #[sea_orm(string_value = "COMMUNITY_BUILDING")]
    CommunityBuilding,
    /// Publishing models on the hub.
    #[sea_orm(string_value = "MODEL_PUBLISHING")]
    ModelPublishing,
    /// Code in open-source libraries (new architectures, features, fixes).
    #[sea_orm(string_value = "LIBRARY_CODE")]
    LibraryCode,
    /// Speaking for a field or a cause (for example speech and audio).
    #[sea_orm(string_value = "ADVOCACY")]
    Advocacy,
    /// Starting or leading a working group.
    #[sea_orm(string_value = "WORKING_GROUP")]
    WorkingGroup,
    /// Helping other contributors on the forum, GitHub or chat.
    #[sea_orm(string_value = "FORUM_SUPPORT")]
    ForumSupport,
    /// Sprints, hackathons, workshops and paper sessions.
    #[sea_orm(string_value = "EVENTS")]
    Events,
    /// Anything else.
    #[sea_orm(string_value = "OTHER")]
    Other,
}

/// What kind of benefit was granted to a fellow (`benefit_grants.kind`); grants depend
/// on each fellow's needs and projects.
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
    /// Computing and resources.
    #[sea_orm(string_value = "COMPUTE")]
    Compute,
    /// A network of expert peers.
    #[sea_orm(string_value = "PEER_NETWORK")]
    PeerNetwork,
    /// Exclusive workshops and support from the team.
    #[sea_orm(string_value = "WORKSHOPS")]
    Workshops,
    /// Direct contact with the team: insight into upcoming projects and features.
    #[sea_orm(string_value = "STAFF_CONTACT")]
    StaffContact,
    /// Exclusive merchandise and assets.
    #[sea_orm(string_value = "MERCHANDISE")]
    Merchandise,
    /// Official recognition.
    #[sea_orm(string_value = "RECOGNITION")]
    Recognition,
}

/// What kind of body an organization is (`organizations.kind`).
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
    /// A company, such as Hugging Face.
    #[sea_orm(string_value = "COMPANY")]
    Company,
    /// A foundation, such as the PyTorch Foundation: the only kind that memberships may
    /// name as their foundation, and it stays one while any do.
    #[sea_orm(string_value = "FOUNDATION")]
    Foundation,
    /// A non-profit organization.
    #[sea_orm(string_value = "NONPROFIT")]
    Nonprofit,
    /// An academic institution, such as a university.
    #[sea_orm(string_value = "ACADEMIC")]
    Academic,
    /// A government body.
    #[sea_orm(string_value = "GOVERNMENT")]
    Government,
    /// Anything else.
    #[sea_orm(string_value = "OTHER")]
    Other,
}

/// Tier of an organization's membership of a foundation
/// (`foundation_memberships.tier`); the API's `seats_for` says how many governing-board
/// seats each carries.
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
    /// The top tier; carries one seat on the foundation's governing board.
    #[sea_orm(string_value = "PREMIER")]
    Premier,
    /// A general member; carries no board seat.
    #[sea_orm(string_value = "GENERAL")]
    General,
    /// An associate member; carries no board seat.
    #[sea_orm(string_value = "ASSOCIATE")]
    Associate,
}

/// Kind of a nomination outbox event (`nomination_events.kind`): which change of a
/// nomination the event records.
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
    /// The nomination was submitted (status `SUBMITTED`).
    #[sea_orm(string_value = "SUBMITTED")]
    Submitted,
    /// Someone endorsed it; the status is unchanged, the version is bumped.
    #[sea_orm(string_value = "ENDORSED")]
    Endorsed,
    /// A staff member put it under review (`SUBMITTED -> UNDER_REVIEW`).
    #[sea_orm(string_value = "REVIEW_STARTED")]
    ReviewStarted,
    /// Staff accepted it and the nominee became a fellow (`-> ACCEPTED`).
    #[sea_orm(string_value = "ACCEPTED")]
    Accepted,
    /// Staff declined it (`-> DECLINED`).
    #[sea_orm(string_value = "DECLINED")]
    Declined,
    /// The nominator withdrew it (`-> WITHDRAWN`).
    #[sea_orm(string_value = "WITHDRAWN")]
    Withdrawn,
}

/// State of a webhook delivery (`webhook_deliveries.status`).
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
pub enum WebhookDeliveryStatus {
    /// To be attempted (again) at `next_attempt_at`.
    #[sea_orm(string_value = "PENDING")]
    Pending,
    /// The receiver answered an attempt with a 2xx status.
    #[sea_orm(string_value = "SUCCEEDED")]
    Succeeded,
    /// Every attempt of the retry schedule failed; the sender moved on.
    #[sea_orm(string_value = "FAILED")]
    Failed,
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
        every_form_is_the_stored_value(
            WebhookDeliveryStatus::ALL,
            WebhookDeliveryStatus::as_str,
            WebhookDeliveryStatus::from_db_str,
        );
    }
}

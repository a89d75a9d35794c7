//! `webhook_endpoints`: where partners and staff receive signed webhooks.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// One row of `webhook_endpoints`: a receiver's URL, the event types it wants, its
/// signing secret, and its place in the outbox. Owned by a partner's API token, or by
/// staff when `owner_api_token_id` is `None`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "webhook_endpoints")]
pub struct Model {
    /// Primary key, assigned by the database.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Where deliveries are POSTed: an absolute http(s) URL.
    pub url: String,
    /// What the endpoint is for, in its creator's words.
    pub description: Option<String>,
    /// JSON list of the event types the endpoint receives (`"nomination.accepted"`).
    #[sea_orm(column_type = "JsonBinary")]
    pub event_types: Json,
    /// The signing secret, `whsec_` + base64 of its bytes. Shown once, at creation or
    /// rotation; never serialized (so never in an audit record).
    #[serde(skip)]
    pub secret: String,
    /// The secret a rotation replaced: deliveries are signed with both until
    /// `previous_secret_expires_at`, so a receiver can switch without losing any.
    #[serde(skip)]
    pub previous_secret: Option<String>,
    /// When deliveries stop being signed with `previous_secret`.
    pub previous_secret_expires_at: Option<DateTimeUtc>,
    /// The partner API token that owns the endpoint; `None` for staff's endpoints.
    pub owner_api_token_id: Option<i64>,
    /// The staff member who created it, when a staff member did.
    pub created_by_person_id: Option<i64>,
    /// Whether deliveries are made. Turned off by its owner, or by the sender once the
    /// endpoint has failed for `WEBHOOK_DISABLE_AFTER`.
    pub enabled: bool,
    /// When it was last disabled.
    pub disabled_at: Option<DateTimeUtc>,
    /// Why it was disabled, for the people who look after it.
    pub disabled_reason: Option<String>,
    /// Every event up to this id has been turned into this endpoint's deliveries (or
    /// did not concern it); the next come after it.
    pub after_event_id: i64,
    /// When deliveries began to fail, since the last success; `None` while healthy.
    pub failing_since: Option<DateTimeUtc>,
    /// When the oldest pending delivery is due; `None` when none is pending.
    pub next_attempt_at: Option<DateTimeUtc>,
    /// Until when one replica's sender holds the endpoint, in Unix milliseconds (a
    /// number, so that both databases compare it exactly); nobody else sends to it
    /// meanwhile, which keeps its deliveries in order and each attempt single.
    pub lease_until: Option<i64>,
    /// The sender that holds the lease.
    pub lease_holder: Option<String>,
    /// Optimistic-concurrency version, bumped by every change its owner makes.
    pub version: i32,
    /// When it was created.
    pub created_at: DateTimeUtc,
    /// When its owner last changed it.
    pub updated_at: DateTimeUtc,
}

/// The relations of `webhook_endpoints` to other tables.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// The partner token that owns it (`owner_api_token_id`).
    #[sea_orm(
        belongs_to = "super::api_token::Entity",
        from = "Column::OwnerApiTokenId",
        to = "super::api_token::Column::Id",
        on_delete = "Restrict"
    )]
    OwnerApiToken,
    /// Its deliveries (`webhook_deliveries.endpoint_id`), deleted with it.
    #[sea_orm(has_many = "super::webhook_delivery::Entity")]
    Delivery,
}

impl Related<super::webhook_delivery::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Delivery.def()
    }
}

crate::stamped!(created_at, updated_at, version);

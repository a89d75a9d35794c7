//! `webhook_deliveries`: one event's delivery to one endpoint, with its attempts.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use crate::enums::WebhookDeliveryStatus;

/// One row of `webhook_deliveries`. The body is rendered once, when the delivery is
/// made of its event, so every attempt sends the same bytes under the same
/// `webhook-id`; an endpoint's deliveries are attempted in id order, which is the
/// events' commit order.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "webhook_deliveries")]
pub struct Model {
    /// Primary key, assigned by the database.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The endpoint it goes to.
    pub endpoint_id: i64,
    /// The `webhook_events` row it was made of.
    pub event_id: i64,
    /// The event's type, such as `nomination.accepted`.
    pub event_type: String,
    /// The `webhook-id` header: the same on every attempt and on a redelivery, so that
    /// a receiver can drop what it already processed.
    pub message_id: String,
    /// The JSON body, `{"type", "timestamp", "data"}`.
    pub body: String,
    /// Pending (to be attempted), succeeded, or failed for good.
    pub status: WebhookDeliveryStatus,
    /// Attempts made so far.
    pub attempts: i32,
    /// When the next attempt is due, while pending.
    pub next_attempt_at: Option<DateTimeUtc>,
    /// When the last attempt was made.
    pub last_attempt_at: Option<DateTimeUtc>,
    /// The HTTP status the receiver answered the last attempt with, if it answered.
    pub response_status: Option<i32>,
    /// How long the last attempt took, in milliseconds.
    pub duration_ms: Option<i32>,
    /// Why the last attempt failed, in the sender's words (never the receiver's body).
    pub last_error: Option<String>,
    /// The delivery this one repeats, when staff or its owner asked for a redelivery.
    pub redelivery_of: Option<i64>,
    /// When it was made.
    pub created_at: DateTimeUtc,
    /// When it last changed.
    pub updated_at: DateTimeUtc,
}

/// The relations of `webhook_deliveries` to other tables.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// The endpoint it goes to (`endpoint_id`).
    #[sea_orm(
        belongs_to = "super::webhook_endpoint::Entity",
        from = "Column::EndpointId",
        to = "super::webhook_endpoint::Column::Id",
        on_delete = "Cascade"
    )]
    Endpoint,
}

impl Related<super::webhook_endpoint::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Endpoint.def()
    }
}

crate::stamped!(created_at, updated_at);

//! Webhook endpoints and their deliveries: staff manage every endpoint, a partner token
//! with `webhooks:manage` its own. The rules are in [`crate::service::webhooks`].

use async_graphql::{Context, Enum, InputObject, MaybeUndefined, Object, Result, SimpleObject, ID};
use chrono::{DateTime, Utc};
use entity::enums::WebhookDeliveryStatus as StoredStatus;
use entity::{webhook_delivery, webhook_endpoint};

use super::connection::{connection, page_args};
use super::ids::{self, NodeType};
use super::payload::{outcome, payload, UserError};
use super::{db, viewer};
use crate::service::webhooks::endpoints::{self, EndpointChange, EndpointRules, NewEndpoint};
use crate::service::webhooks::{deliveries, EventType};

/// Where signed webhooks are sent, and which events.
#[derive(Clone)]
pub struct WebhookEndpoint(pub webhook_endpoint::Model);

/// An endpoint that receives signed webhooks (Standard Webhooks: `webhook-id`,
/// `webhook-timestamp`, `webhook-signature`). Seen by staff, and by the partner token
/// that owns it. The signing secret is in the answers of `createWebhookEndpoint` and
/// `rotateWebhookSecret`, once each.
#[Object]
impl WebhookEndpoint {
    /// An opaque global ID; pass it as `endpointId`.
    pub async fn id(&self) -> ID {
        ids::encode(NodeType::WebhookEndpoint, self.0.id)
    }

    /// Where deliveries are POSTed.
    async fn url(&self) -> &str {
        &self.0.url
    }

    /// What the endpoint is for.
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }

    /// The event types it receives, such as `nomination.accepted`.
    async fn events(&self) -> Vec<String> {
        self.0
            .event_types
            .as_array()
            .map(|all| {
                all.iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Whether deliveries are made. An endpoint that failed for `WEBHOOK_DISABLE_AFTER`
    /// is disabled by the server; `updateWebhookEndpoint(input: { enabled: true })`
    /// resumes it where it stopped.
    async fn enabled(&self) -> bool {
        self.0.enabled
    }

    /// When it was last disabled.
    async fn disabled_at(&self) -> Option<DateTime<Utc>> {
        self.0.disabled_at
    }

    /// Why it is disabled: its owner's choice, its failures, or its token's end.
    async fn disabled_reason(&self) -> Option<&str> {
        self.0.disabled_reason.as_deref()
    }

    /// Since when every delivery has failed; `null` while deliveries succeed.
    async fn failing_since(&self) -> Option<DateTime<Utc>> {
        self.0.failing_since
    }

    /// Until when the secret that `rotateWebhookSecret` replaced still signs, beside the
    /// new one; `null` when only one secret signs.
    async fn previous_secret_expires_at(&self) -> Option<DateTime<Utc>> {
        self.0
            .previous_secret_expires_at
            .filter(|until| *until > Utc::now())
    }

    /// Whether a partner token owns it (staff's endpoints have none).
    async fn owned_by_partner(&self) -> bool {
        self.0.owner_api_token_id.is_some()
    }

    /// When it was created.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// When its owner last changed it.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }

    /// Its deliveries, newest first.
    async fn deliveries(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<WebhookDeliveryConnection> {
        let page = deliveries::list(
            db(ctx),
            self.0.id,
            &page_args(ctx, first, after, last, before),
        )
        .await?;
        Ok(WebhookDeliveryConnection(page.map(WebhookDelivery)))
    }
}

/// Where a delivery stands.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum WebhookDeliveryStatus {
    /// To be attempted at `nextAttemptAt`.
    Pending,
    /// The receiver answered with a 2xx status.
    Succeeded,
    /// Every attempt of the retry schedule failed.
    Failed,
}

impl From<StoredStatus> for WebhookDeliveryStatus {
    fn from(status: StoredStatus) -> Self {
        match status {
            StoredStatus::Pending => WebhookDeliveryStatus::Pending,
            StoredStatus::Succeeded => WebhookDeliveryStatus::Succeeded,
            StoredStatus::Failed => WebhookDeliveryStatus::Failed,
        }
    }
}

/// One event's delivery to one endpoint.
#[derive(Clone)]
pub struct WebhookDelivery(pub webhook_delivery::Model);

/// One event's delivery to one endpoint, with its latest attempt.
#[Object]
impl WebhookDelivery {
    /// An opaque global ID; pass it as `deliveryId` to redeliver.
    pub async fn id(&self) -> ID {
        ids::encode(NodeType::WebhookDelivery, self.0.id)
    }

    /// The event's type, such as `nomination.accepted`.
    async fn event(&self) -> &str {
        &self.0.event_type
    }

    /// The `webhook-id` header: the same on every attempt and on a redelivery.
    async fn webhook_id(&self) -> &str {
        &self.0.message_id
    }

    /// The body sent (without the signature headers, which change per attempt).
    async fn payload(&self) -> &str {
        &self.0.body
    }

    /// Pending, succeeded or failed.
    async fn status(&self) -> WebhookDeliveryStatus {
        self.0.status.into()
    }

    /// Attempts made so far (0 before the first).
    async fn attempt(&self) -> i32 {
        self.0.attempts
    }

    /// The HTTP status the receiver answered the latest attempt with.
    async fn response_code(&self) -> Option<i32> {
        self.0.response_status
    }

    /// How long the latest attempt took, in milliseconds.
    async fn duration_ms(&self) -> Option<i32> {
        self.0.duration_ms
    }

    /// Why the latest attempt failed.
    async fn error(&self) -> Option<&str> {
        self.0.last_error.as_deref()
    }

    /// When the latest attempt was made.
    async fn attempted_at(&self) -> Option<DateTime<Utc>> {
        self.0.last_attempt_at
    }

    /// When the next attempt is due, while pending.
    async fn next_attempt_at(&self) -> Option<DateTime<Utc>> {
        self.0.next_attempt_at
    }

    /// The delivery this one repeats, for a redelivery.
    async fn redelivery_of(&self) -> Option<ID> {
        self.0
            .redelivery_of
            .map(|id| ids::encode(NodeType::WebhookDelivery, id))
    }

    /// When the delivery was made of its event.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

connection!(
    WebhookEndpointConnection,
    WebhookEndpointEdge,
    WebhookEndpoint,
    "webhook endpoints"
);
connection!(
    WebhookDeliveryConnection,
    WebhookDeliveryEdge,
    WebhookDelivery,
    "webhook deliveries"
);

/// What the endpoint rules read of the configuration.
fn rules(ctx: &Context<'_>) -> EndpointRules {
    *ctx.data_unchecked::<EndpointRules>()
}

/// The `webhookEndpoints` and `webhookEventTypes` queries, merged into [`super::Query`].
#[derive(Default)]
pub struct WebhookQuery;

#[Object]
impl WebhookQuery {
    /// The webhook endpoints the caller manages, newest first: every endpoint for staff,
    /// its own for a partner token with `webhooks:manage`.
    async fn webhook_endpoints(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Option<WebhookEndpointConnection>> {
        let page = endpoints::list(
            db(ctx),
            viewer(ctx),
            &page_args(ctx, first, after, last, before),
        )
        .await?;
        Ok(Some(WebhookEndpointConnection(page.map(WebhookEndpoint))))
    }

    /// Every event type an endpoint may subscribe to, such as `nomination.accepted`.
    async fn webhook_event_types(&self) -> Vec<&'static str> {
        EventType::ALL.iter().map(|t| t.name()).collect()
    }
}

/// A new webhook endpoint.
#[derive(InputObject)]
pub struct CreateWebhookEndpointInput {
    /// Where to POST: an https URL on a public address.
    pub url: String,
    /// The event types to receive (see `webhookEventTypes`); at least one.
    pub events: Vec<String>,
    /// What it is for (at most 2,000 characters).
    pub description: Option<String>,
}

/// The endpoint created, with its signing secret, or why it was refused.
#[derive(SimpleObject)]
pub struct CreateWebhookEndpointPayload {
    /// The endpoint created; `null` when it was refused (see `userErrors`).
    pub webhook_endpoint: Option<WebhookEndpoint>,
    /// The signing secret (`whsec_` + base64), shown this once.
    pub secret: Option<String>,
    /// Why the mutation was refused; empty when it succeeded. A caller who may not make
    /// this change at all gets a `FORBIDDEN` error instead.
    pub user_errors: Vec<UserError>,
}

/// A change of a webhook endpoint; what is left out stays as it is.
#[derive(InputObject)]
pub struct UpdateWebhookEndpointInput {
    /// The endpoint (`WebhookEndpoint.id`).
    pub endpoint_id: ID,
    /// A new URL.
    pub url: Option<String>,
    /// A new list of event types.
    pub events: Option<Vec<String>>,
    /// A new description; `null` clears it.
    pub description: MaybeUndefined<String>,
    /// Turn deliveries off, or on again (resuming where they stopped).
    pub enabled: Option<bool>,
}

/// Which endpoint a mutation acts on.
#[derive(InputObject)]
pub struct WebhookEndpointInput {
    /// The endpoint (`WebhookEndpoint.id`).
    pub endpoint_id: ID,
}

payload!(
    UpdateWebhookEndpointPayload,
    webhook_endpoint,
    WebhookEndpoint,
    "The endpoint after the change, or why it was refused."
);

/// The endpoint with its new secret, or why it was refused.
#[derive(SimpleObject)]
pub struct RotateWebhookSecretPayload {
    /// The endpoint; `null` when the rotation was refused (see `userErrors`).
    pub webhook_endpoint: Option<WebhookEndpoint>,
    /// The new signing secret, shown this once. The old one still signs, beside it,
    /// until `webhookEndpoint.previousSecretExpiresAt`.
    pub secret: Option<String>,
    /// Why the mutation was refused; empty when it succeeded. A caller who may not make
    /// this change at all gets a `FORBIDDEN` error instead.
    pub user_errors: Vec<UserError>,
}

/// Which endpoint was deleted, or why it was not.
#[derive(SimpleObject)]
pub struct DeleteWebhookEndpointPayload {
    /// The ID of the endpoint deleted; `null` when the deletion was refused.
    pub deleted_endpoint_id: Option<ID>,
    /// Why the mutation was refused; empty when it succeeded. A caller who may not make
    /// this change at all gets a `FORBIDDEN` error instead.
    pub user_errors: Vec<UserError>,
}

/// Which delivery to send again.
#[derive(InputObject)]
pub struct RedeliverWebhookInput {
    /// The delivery (`WebhookDelivery.id`).
    pub delivery_id: ID,
}

payload!(
    RedeliverWebhookPayload,
    delivery,
    WebhookDelivery,
    "The new delivery (pending, with the same body and `webhook-id`), or why it was refused."
);

/// An endpoint and its secret, shown once, for a payload; both `None` when refused.
fn with_secret(
    created: Option<endpoints::WithSecret>,
) -> (Option<WebhookEndpoint>, Option<String>) {
    match created {
        Some(created) => (
            Some(WebhookEndpoint(created.endpoint)),
            Some(created.secret),
        ),
        None => (None, None),
    }
}

fn endpoint_id(id: &ID) -> crate::error::ServiceResult<i64> {
    ids::decode_as(id, NodeType::WebhookEndpoint, "input.endpointId")
}

/// Mutations of webhook endpoints, merged into [`super::Mutation`].
#[derive(Default)]
pub struct WebhookMutation;

#[Object]
impl WebhookMutation {
    /// Registers an endpoint for the events committed from now on. Staff, or a partner
    /// token with `webhooks:manage` (which then owns it, and receives only what its
    /// scopes may read).
    async fn create_webhook_endpoint(
        &self,
        ctx: &Context<'_>,
        input: CreateWebhookEndpointInput,
    ) -> Result<CreateWebhookEndpointPayload> {
        let new = NewEndpoint {
            url: input.url,
            events: input.events,
            description: input.description,
        };
        let (created, user_errors) =
            outcome(endpoints::create(db(ctx), viewer(ctx), rules(ctx), new).await)?;
        let (webhook_endpoint, secret) = with_secret(created);
        Ok(CreateWebhookEndpointPayload {
            webhook_endpoint,
            secret,
            user_errors,
        })
    }

    /// Changes an endpoint's URL, events, description, or turns it off or on.
    async fn update_webhook_endpoint(
        &self,
        ctx: &Context<'_>,
        input: UpdateWebhookEndpointInput,
    ) -> Result<UpdateWebhookEndpointPayload> {
        let result = async {
            let id = endpoint_id(&input.endpoint_id)?;
            let change = EndpointChange {
                url: input.url,
                events: input.events,
                description: match input.description {
                    MaybeUndefined::Undefined => None,
                    MaybeUndefined::Null => Some(None),
                    MaybeUndefined::Value(text) => Some(Some(text)),
                },
                enabled: input.enabled,
            };
            endpoints::update(db(ctx), viewer(ctx), rules(ctx), id, change).await
        }
        .await;
        UpdateWebhookEndpointPayload::from_result(result, WebhookEndpoint)
    }

    /// Deletes an endpoint and its deliveries.
    async fn delete_webhook_endpoint(
        &self,
        ctx: &Context<'_>,
        input: WebhookEndpointInput,
    ) -> Result<DeleteWebhookEndpointPayload> {
        let result = async {
            let id = endpoint_id(&input.endpoint_id)?;
            endpoints::delete(db(ctx), viewer(ctx), id).await
        }
        .await;
        let (deleted, user_errors) = outcome(result)?;
        Ok(DeleteWebhookEndpointPayload {
            deleted_endpoint_id: deleted.map(|id| ids::encode(NodeType::WebhookEndpoint, id)),
            user_errors,
        })
    }

    /// Gives an endpoint a new signing secret; the old one signs beside it for 24 hours.
    async fn rotate_webhook_secret(
        &self,
        ctx: &Context<'_>,
        input: WebhookEndpointInput,
    ) -> Result<RotateWebhookSecretPayload> {
        let result = async {
            let id = endpoint_id(&input.endpoint_id)?;
            endpoints::rotate_secret(db(ctx), viewer(ctx), id).await
        }
        .await;
        let (rotated, user_errors) = outcome(result)?;
        let (webhook_endpoint, secret) = with_secret(rotated);
        Ok(RotateWebhookSecretPayload {
            webhook_endpoint,
            secret,
            user_errors,
        })
    }

    /// Sends a finished delivery again (same body, same `webhook-id`), after whatever
    /// its endpoint has pending.
    async fn redeliver_webhook(
        &self,
        ctx: &Context<'_>,
        input: RedeliverWebhookInput,
    ) -> Result<RedeliverWebhookPayload> {
        let result = async {
            let id = ids::decode_as(
                &input.delivery_id,
                NodeType::WebhookDelivery,
                "input.deliveryId",
            )?;
            deliveries::redeliver(db(ctx), viewer(ctx), id).await
        }
        .await;
        RedeliverWebhookPayload::from_result(result, WebhookDelivery)
    }
}

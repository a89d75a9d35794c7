//! Deliveries: each event turned into one POST to one endpoint, attempted until the
//! receiver answers 2xx or the retry schedule is spent.
//!
//! An endpoint's deliveries go out one at a time, oldest first, by whichever replica
//! holds the endpoint's lease: that is what keeps them in commit order and makes each
//! attempt the work of exactly one replica, however many run. A replica that dies
//! holding a lease loses it when it lapses, and another replica repeats the attempt it
//! may have been making: deliveries are at least once, and receivers drop repeats by
//! their `webhook-id`.

use chrono::{DateTime, Duration, Utc};
use entity::enums::WebhookDeliveryStatus;
use entity::{api_token, webhook_delivery, webhook_endpoint, webhook_event};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set, TransactionTrait,
};

use super::{endpoints, outbox, EventType, Recipient};
use crate::auth::Viewer;
use crate::error::{ServiceError, ServiceResult};
use crate::service::audit::{self, snapshot, Change};
use crate::service::page::{self, Cursor, KeysetOrder, Page, PageArgs};

/// Events read from the outbox per turn of one endpoint.
const EVENTS_PER_DISPATCH: u64 = 200;

/// Deliveries whose attempts are over (succeeded or failed) are kept this long.
pub const FINISHED_DELIVERIES_KEPT: Duration = Duration::days(30);

/// The deliveries of the endpoint `endpoint_id`, newest first. The caller has already
/// found the endpoint through [`endpoints::find`] or [`endpoints::list`], which decide
/// who may see it.
pub async fn list(
    db: &DatabaseConnection,
    endpoint_id: i64,
    args: &PageArgs,
) -> ServiceResult<Page<webhook_delivery::Model>> {
    const SCOPE: &str = "webhookDeliveries/id";
    let window = args.window(SCOPE)?;
    let keyset = KeysetOrder {
        key: None,
        id: Expr::col((webhook_delivery::Entity, webhook_delivery::Column::Id)),
        descending: true,
    };
    page::of_table::<webhook_delivery::Entity>(
        db,
        Condition::all().add(webhook_delivery::Column::EndpointId.eq(endpoint_id)),
        &keyset,
        &window,
        SCOPE,
        |row| Cursor::by_id(row.id),
    )
    .await
}

/// The delivery `id`, if `viewer` manages its endpoint; `None` otherwise.
pub async fn visible(
    db: &DatabaseConnection,
    viewer: &Viewer,
    id: i64,
) -> ServiceResult<Option<webhook_delivery::Model>> {
    let Some(delivery) = webhook_delivery::Entity::find_by_id(id).one(db).await? else {
        return Ok(None);
    };
    Ok(endpoints::visible(db, viewer, delivery.endpoint_id)
        .await?
        .map(|_| delivery))
}

/// Sends a delivery again, as a new delivery with the same body and `webhook-id`,
/// after whatever the endpoint has pending. A delivery of an endpoint the viewer does
/// not manage is `Missing` on `input.deliveryId`; one whose message is still pending
/// (itself, or an earlier redelivery) is `Conflict`: it is going to be attempted anyway,
/// and a message is queued at most once.
pub async fn redeliver(
    db: &DatabaseConnection,
    viewer: &Viewer,
    id: i64,
) -> ServiceResult<webhook_delivery::Model> {
    let original = visible(db, viewer, id).await?.ok_or_else(|| {
        ServiceError::missing(
            "input.deliveryId",
            "No webhook delivery of yours has this ID.",
        )
    })?;
    let already_pending = webhook_delivery::Entity::find()
        .filter(webhook_delivery::Column::EndpointId.eq(original.endpoint_id))
        .filter(webhook_delivery::Column::MessageId.eq(original.message_id.as_str()))
        .filter(webhook_delivery::Column::Status.eq(WebhookDeliveryStatus::Pending))
        .one(db)
        .await?;
    if already_pending.is_some() {
        return Err(ServiceError::Conflict(
            "This message is already pending (the delivery itself or a redelivery of it); \
             it will be attempted as scheduled."
                .into(),
        ));
    }
    let now = Utc::now();
    let txn = db.begin().await?;
    let copy = webhook_delivery::ActiveModel {
        endpoint_id: Set(original.endpoint_id),
        event_id: Set(original.event_id),
        event_type: Set(original.event_type.clone()),
        message_id: Set(original.message_id.clone()),
        body: Set(original.body.clone()),
        status: Set(WebhookDeliveryStatus::Pending),
        attempts: Set(0),
        next_attempt_at: Set(Some(now)),
        redelivery_of: Set(Some(original.id)),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    webhook_endpoint::Entity::update_many()
        .col_expr(webhook_endpoint::Column::NextAttemptAt, Expr::val(now))
        .filter(webhook_endpoint::Column::Id.eq(original.endpoint_id))
        .exec(&txn)
        .await?;
    audit::record(
        &txn,
        viewer,
        Change {
            action: "webhookDelivery.redeliver",
            object_type: "WebhookDelivery",
            object_id: copy.id,
            before: None,
            after: Some(snapshot(&copy)),
        },
    )
    .await?;
    crate::db::commit(txn).await?;
    Ok(copy)
}

/// One replica's hold on one endpoint.
pub struct Lease {
    /// The endpoint, as it was when the lease was taken.
    pub endpoint: webhook_endpoint::Model,
    /// Who holds it (the sender's own name).
    pub holder: String,
}

/// Takes the lease of one endpoint with work to do: new events past its place in the
/// outbox, or a pending delivery due. `None` when no endpoint has any (or others hold
/// those that do). The lease lasts `hold`, renewed by [`renew`] before each attempt,
/// and is this claim's alone: `sender` names the process, and each claim adds a token
/// of its own, so that not even a sibling task of the same process can act on it.
pub async fn claim(
    db: &DatabaseConnection,
    sender: &str,
    hold: std::time::Duration,
) -> ServiceResult<Option<Lease>> {
    let now = Utc::now();
    let newest = outbox::newest_id(db).await?;
    let free = Condition::any()
        .add(webhook_endpoint::Column::LeaseUntil.is_null())
        .add(webhook_endpoint::Column::LeaseUntil.lt(now.timestamp_millis()));
    let mut candidates: Vec<i64> = webhook_endpoint::Entity::find()
        .select_only()
        .column(webhook_endpoint::Column::Id)
        .filter(webhook_endpoint::Column::Enabled.eq(true))
        .filter(free.clone())
        .filter(webhook_endpoint::Column::AfterEventId.lt(newest))
        .order_by_asc(webhook_endpoint::Column::Id)
        .limit(8)
        .into_tuple()
        .all(db)
        .await?;
    // Due deliveries are asked of the deliveries themselves, so that nothing written to
    // the endpoint row (or left unwritten by a sender that died) can hide one.
    let due: Vec<i64> = webhook_delivery::Entity::find()
        .select_only()
        .column(webhook_delivery::Column::EndpointId)
        .filter(webhook_delivery::Column::Status.eq(WebhookDeliveryStatus::Pending))
        .filter(webhook_delivery::Column::NextAttemptAt.lte(now))
        .order_by_asc(webhook_delivery::Column::NextAttemptAt)
        .limit(32)
        .into_tuple()
        .all(db)
        .await?;
    for id in due {
        if !candidates.contains(&id) {
            candidates.push(id);
        }
    }
    let until = lease_end(now, hold);
    for id in candidates {
        let holder = format!("{sender}/{}", uuid::Uuid::new_v4().simple());
        // Conditional on the lease still being free: of two senders that chose the same
        // endpoint, the second finds it taken and tries the next.
        let taken = webhook_endpoint::Entity::update_many()
            .col_expr(webhook_endpoint::Column::LeaseUntil, Expr::val(until))
            .col_expr(
                webhook_endpoint::Column::LeaseHolder,
                Expr::val(holder.as_str()),
            )
            .filter(webhook_endpoint::Column::Id.eq(id))
            .filter(webhook_endpoint::Column::Enabled.eq(true))
            .filter(free.clone())
            .exec(db)
            .await?;
        if taken.rows_affected == 1 {
            if let Some(endpoint) = webhook_endpoint::Entity::find_by_id(id).one(db).await? {
                return Ok(Some(Lease { endpoint, holder }));
            }
        }
    }
    Ok(None)
}

/// When a lease taken (or renewed) `now` for `hold` ends, in Unix milliseconds.
fn lease_end(now: DateTime<Utc>, hold: std::time::Duration) -> i64 {
    now.timestamp_millis()
        .saturating_add(i64::try_from(hold.as_millis()).unwrap_or(i64::MAX))
}

/// The condition that `lease` still holds its endpoint.
fn held(lease: &Lease) -> Condition {
    Condition::all()
        .add(webhook_endpoint::Column::Id.eq(lease.endpoint.id))
        .add(webhook_endpoint::Column::LeaseHolder.eq(lease.holder.as_str()))
}

/// Extends the lease by `hold` from now, and answers the endpoint as it is now (its
/// URL and secrets may have changed since the claim); `None` when the lease was lost (it
/// lapsed and another sender took the endpoint, or the endpoint was deleted or
/// disabled).
pub async fn renew(
    db: &DatabaseConnection,
    lease: &Lease,
    hold: std::time::Duration,
) -> ServiceResult<Option<webhook_endpoint::Model>> {
    let until = lease_end(Utc::now(), hold);
    let renewed = webhook_endpoint::Entity::update_many()
        .col_expr(webhook_endpoint::Column::LeaseUntil, Expr::val(until))
        .filter(held(lease))
        .filter(webhook_endpoint::Column::Enabled.eq(true))
        .exec(db)
        .await?;
    if renewed.rows_affected != 1 {
        return Ok(None);
    }
    Ok(webhook_endpoint::Entity::find()
        .filter(held(lease))
        .one(db)
        .await?)
}

/// Gives the endpoint back, due again at its oldest pending delivery's time.
pub async fn release(db: &DatabaseConnection, lease: &Lease) -> ServiceResult<()> {
    let next = next_due(db, lease.endpoint.id).await?;
    webhook_endpoint::Entity::update_many()
        .col_expr(
            webhook_endpoint::Column::LeaseUntil,
            Expr::val(Option::<i64>::None),
        )
        .col_expr(
            webhook_endpoint::Column::LeaseHolder,
            Expr::val(Option::<String>::None),
        )
        .col_expr(webhook_endpoint::Column::NextAttemptAt, Expr::val(next))
        .filter(held(lease))
        .exec(db)
        .await?;
    Ok(())
}

async fn next_due(
    db: &DatabaseConnection,
    endpoint_id: i64,
) -> ServiceResult<Option<DateTime<Utc>>> {
    Ok(head(db, endpoint_id).await?.and_then(|d| d.next_attempt_at))
}

/// The endpoint's oldest pending delivery: the only one that may be attempted now.
pub async fn head(
    db: &DatabaseConnection,
    endpoint_id: i64,
) -> ServiceResult<Option<webhook_delivery::Model>> {
    Ok(webhook_delivery::Entity::find()
        .filter(webhook_delivery::Column::EndpointId.eq(endpoint_id))
        .filter(webhook_delivery::Column::Status.eq(WebhookDeliveryStatus::Pending))
        .order_by_asc(webhook_delivery::Column::Id)
        .limit(1)
        .one(db)
        .await?)
}

/// A delivery's body and `webhook-id`, rendered from its event for its endpoint.
pub struct Rendered {
    /// The `webhook-id`.
    pub message_id: String,
    /// The JSON body.
    pub body: String,
}

/// Turns the events after the endpoint's place in the outbox into its deliveries, and
/// moves its place past them, in one transaction that holds only while the lease does.
/// `render` writes a body (in [`crate::webhooks`], which knows the wire form). An
/// endpoint whose owner's token no longer works is disabled instead. Returns whether
/// the endpoint is still enabled.
pub async fn dispatch(
    db: &DatabaseConnection,
    lease: &Lease,
    render: impl Fn(&webhook_event::Model) -> ServiceResult<Rendered>,
) -> ServiceResult<bool> {
    let endpoint = &lease.endpoint;
    let now = Utc::now();
    let recipient = match endpoint.owner_api_token_id {
        None => Recipient::Staff,
        Some(id) => match api_token::Entity::find_by_id(id).one(db).await? {
            Some(token) => Recipient::of(&token, now),
            None => Recipient::Gone("The API token that owned this endpoint is gone.".into()),
        },
    };
    if let Recipient::Gone(reason) = &recipient {
        disable(db, lease, reason).await?;
        return Ok(false);
    }
    let events = outbox::read_after(db, endpoint.after_event_id, EVENTS_PER_DISPATCH).await?;
    let Some(last) = events.last().map(|e| e.id) else {
        return Ok(true);
    };
    let wanted: Vec<&str> = endpoint
        .event_types
        .as_array()
        .map(|all| all.iter().filter_map(|v| v.as_str()).collect())
        .unwrap_or_default();
    let txn = db.begin().await?;
    let moved = webhook_endpoint::Entity::update_many()
        .col_expr(webhook_endpoint::Column::AfterEventId, Expr::val(last))
        .filter(held(lease))
        .filter(webhook_endpoint::Column::AfterEventId.eq(endpoint.after_event_id))
        .exec(&txn)
        .await?;
    if moved.rows_affected != 1 {
        txn.rollback().await?;
        return Ok(false);
    }
    for event in &events {
        let Some(event_type) = EventType::parse(&event.event_type) else {
            continue;
        };
        if !wanted.contains(&event_type.name()) || !recipient.receives(event_type) {
            continue;
        }
        let rendered = match render(event) {
            Ok(rendered) => rendered,
            Err(err) => {
                // One unreadable event must not hold back every later one.
                tracing::error!(event = event.id, error = ?err, "a webhook event could not be rendered; skipped");
                continue;
            }
        };
        webhook_delivery::ActiveModel {
            endpoint_id: Set(endpoint.id),
            event_id: Set(event.id),
            event_type: Set(event.event_type.clone()),
            message_id: Set(rendered.message_id),
            body: Set(rendered.body),
            status: Set(WebhookDeliveryStatus::Pending),
            attempts: Set(0),
            next_attempt_at: Set(Some(now)),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
    }
    txn.commit().await?;
    Ok(true)
}

/// How one attempt went.
#[derive(Debug, Clone)]
pub struct Attempt {
    /// When it was made.
    pub at: DateTime<Utc>,
    /// The receiver's status code, if it answered.
    pub status: Option<u16>,
    /// How long it took.
    pub duration: std::time::Duration,
    /// Why it failed, when it did (a non-2xx status, a timeout, a refused connection).
    pub error: Option<String>,
}

impl Attempt {
    /// Whether the receiver took the delivery.
    pub fn succeeded(&self) -> bool {
        self.error.is_none() && self.status.is_some_and(|s| (200..300).contains(&s))
    }
}

/// What the retry policy says after a failure.
pub struct Retry {
    /// When to try again; `None` once the schedule is spent.
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// Whether the endpoint has failed long enough to be disabled.
    pub disable: bool,
}

/// Records an attempt of `delivery` and what follows from it: succeeded, due again at
/// `retry`'s time, or failed for good; the endpoint's failing streak; and, once it has
/// failed for long enough, the endpoint disabled with the reason. Recorded only while
/// the lease holds (a deleted endpoint's attempt finds nothing to record); returns
/// whether it was.
pub async fn record(
    db: &DatabaseConnection,
    lease: &Lease,
    delivery: &webhook_delivery::Model,
    attempt: &Attempt,
    retry: impl FnOnce(i32, Option<DateTime<Utc>>) -> Retry,
) -> ServiceResult<bool> {
    let attempts = delivery.attempts + 1;
    let txn = db.begin().await?;
    // A write first, so that on SQLite the transaction takes the write lock at once
    // (waiting its turn) rather than fail upgrading a read lock another writer overtook.
    let still_held = webhook_endpoint::Entity::update_many()
        .col_expr(
            webhook_endpoint::Column::LeaseHolder,
            Expr::val(lease.holder.as_str()),
        )
        .filter(held(lease))
        .exec(&txn)
        .await?;
    let endpoint = match still_held.rows_affected {
        1 => {
            webhook_endpoint::Entity::find_by_id(lease.endpoint.id)
                .one(&txn)
                .await?
        }
        _ => None,
    };
    let Some(endpoint) = endpoint else {
        txn.rollback().await?;
        return Ok(false);
    };
    let mut row: webhook_delivery::ActiveModel = delivery.clone().into();
    row.attempts = Set(attempts);
    row.last_attempt_at = Set(Some(attempt.at));
    row.response_status = Set(attempt.status.map(i32::from));
    row.duration_ms = Set(Some(
        attempt.duration.as_millis().min(i32::MAX as u128) as i32
    ));
    row.last_error = Set(attempt.error.clone());
    row.updated_at = Set(Utc::now());
    let mut endpoint_row: webhook_endpoint::ActiveModel = endpoint.clone().into();
    if attempt.succeeded() {
        row.status = Set(WebhookDeliveryStatus::Succeeded);
        row.next_attempt_at = Set(None);
        endpoint_row.failing_since = Set(None);
    } else {
        let failing_since = endpoint.failing_since.unwrap_or(attempt.at);
        let retry = retry(attempts, Some(failing_since));
        endpoint_row.failing_since = Set(Some(failing_since));
        match retry.next_attempt_at {
            Some(at) => {
                row.next_attempt_at = Set(Some(at));
            }
            None => {
                row.status = Set(WebhookDeliveryStatus::Failed);
                row.next_attempt_at = Set(None);
            }
        }
        if retry.disable {
            endpoint_row.enabled = Set(false);
            endpoint_row.disabled_at = Set(Some(attempt.at));
            endpoint_row.disabled_reason = Set(Some(format!(
                "Every delivery failed since {}; the last attempt: {}.",
                failing_since.format("%Y-%m-%d %H:%M UTC"),
                attempt.error.as_deref().unwrap_or("failed")
            )));
        }
    }
    row.update(&txn).await?;
    endpoint_row.update(&txn).await?;
    txn.commit().await?;
    Ok(true)
}

/// Disables the leased endpoint with `reason`.
async fn disable(db: &DatabaseConnection, lease: &Lease, reason: &str) -> ServiceResult<()> {
    webhook_endpoint::Entity::update_many()
        .col_expr(webhook_endpoint::Column::Enabled, Expr::val(false))
        .col_expr(webhook_endpoint::Column::DisabledAt, Expr::val(Utc::now()))
        .col_expr(webhook_endpoint::Column::DisabledReason, Expr::val(reason))
        .col_expr(
            webhook_endpoint::Column::LeaseUntil,
            Expr::val(Option::<i64>::None),
        )
        .col_expr(
            webhook_endpoint::Column::LeaseHolder,
            Expr::val(Option::<String>::None),
        )
        .filter(held(lease))
        .exec(db)
        .await?;
    Ok(())
}

/// Deletes deliveries finished more than [`FINISHED_DELIVERIES_KEPT`] ago.
pub async fn prune(db: &DatabaseConnection) -> ServiceResult<u64> {
    Ok(webhook_delivery::Entity::delete_many()
        .filter(webhook_delivery::Column::Status.ne(WebhookDeliveryStatus::Pending))
        .filter(webhook_delivery::Column::UpdatedAt.lt(Utc::now() - FINISHED_DELIVERIES_KEPT))
        .exec(db)
        .await?
        .rows_affected)
}

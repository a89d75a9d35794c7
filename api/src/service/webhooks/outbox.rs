//! The webhook outbox: one row per change a webhook may report, written in the change's
//! own transaction, so that a change and its webhook commit together or not at all.
//!
//! Rows are read in id order by each endpoint's sender, so id order must be commit
//! order; on PostgreSQL the same advisory lock as the nomination outbox's
//! ([`crate::service::nomination_events`]) makes it so, taken as the change's last lock
//! and held to commit. SQLite's single writer orders ids by itself.

use chrono::{DateTime, Duration, Utc};
use entity::{webhook_endpoint, webhook_event};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseBackend, DatabaseConnection,
    DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set, Statement,
};
use serde_json::Value;

use super::EventType;
use crate::error::ServiceResult;
use crate::service::nomination_events::OUTBOX_LOCK;

/// Writes the event of a change inside the change's transaction, as its last write.
/// `payload` holds the changed rows in the entities' serde form, never a private
/// field no receiver may see (a nominee's e-mail).
pub async fn record(
    txn: &DatabaseTransaction,
    event_type: EventType,
    payload: Value,
) -> ServiceResult<()> {
    if txn.get_database_backend() == DatabaseBackend::Postgres {
        txn.execute_raw(Statement::from_sql_and_values(
            DatabaseBackend::Postgres,
            "SELECT pg_advisory_xact_lock($1)",
            [OUTBOX_LOCK.into()],
        ))
        .await?;
    }
    webhook_event::ActiveModel {
        event_type: Set(event_type.name().to_owned()),
        occurred_at: Set(Utc::now()),
        payload: Set(payload),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    Ok(())
}

/// The id of the newest event, or 0 when there is none: where a new endpoint starts.
pub async fn newest_id<C: ConnectionTrait>(db: &C) -> ServiceResult<i64> {
    Ok(webhook_event::Entity::find()
        .select_only()
        .column(webhook_event::Column::Id)
        .order_by_desc(webhook_event::Column::Id)
        .limit(1)
        .into_tuple::<i64>()
        .one(db)
        .await?
        .unwrap_or(0))
}

/// Events after `after`, oldest first, at most `limit`.
pub async fn read_after(
    db: &DatabaseConnection,
    after: i64,
    limit: u64,
) -> ServiceResult<Vec<webhook_event::Model>> {
    Ok(webhook_event::Entity::find()
        .filter(webhook_event::Column::Id.gt(after))
        .order_by_asc(webhook_event::Column::Id)
        .limit(limit)
        .all(db)
        .await?)
}

/// Deletes the events older than `retention` that every enabled endpoint has passed;
/// returns how many. An endpoint disabled for longer than the retention misses the
/// events that went meanwhile (its owner is told so in `docs/api.md`).
pub async fn prune(db: &DatabaseConnection, retention: std::time::Duration) -> ServiceResult<u64> {
    let kept_since: DateTime<Utc> = Duration::from_std(retention)
        .ok()
        .and_then(|retention| Utc::now().checked_sub_signed(retention))
        .unwrap_or(DateTime::<Utc>::MIN_UTC);
    let slowest = webhook_endpoint::Entity::find()
        .select_only()
        .column(webhook_endpoint::Column::AfterEventId)
        .filter(webhook_endpoint::Column::Enabled.eq(true))
        .order_by_asc(webhook_endpoint::Column::AfterEventId)
        .limit(1)
        .into_tuple::<i64>()
        .one(db)
        .await?;
    let mut doomed = webhook_event::Entity::delete_many()
        .filter(webhook_event::Column::OccurredAt.lt(kept_since));
    if let Some(slowest) = slowest {
        doomed = doomed.filter(webhook_event::Column::Id.lte(slowest));
    }
    Ok(doomed.exec(db).await?.rows_affected)
}

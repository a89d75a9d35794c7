//! The cap on WebSockets per caller, held across replicas: every open connection has
//! a lease row, renewed while it lives, that expires if its replica dies.

use std::time::Duration;

use chrono::Utc;
use entity::websocket_lease;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    Set, TransactionTrait,
};

use crate::error::ServiceResult;

/// One open connection's lease.
#[derive(Debug, Clone)]
pub struct Lease {
    id: String,
}

fn expiry(ttl: Duration) -> i64 {
    Utc::now().timestamp() + i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX / 2).max(1)
}

/// Takes a lease for `caller` unless they already hold `max` live ones; `None` then.
pub async fn acquire(
    db: &DatabaseConnection,
    caller: &str,
    max: u32,
    ttl: Duration,
) -> ServiceResult<Option<Lease>> {
    // Every caller's expired leases go first, outside the count's transaction (whose
    // lock is the caller's alone), so that those of a replica that died do not pile up.
    let now = Utc::now().timestamp();
    websocket_lease::Entity::delete_many()
        .filter(websocket_lease::Column::ExpiresAt.lt(now))
        .exec(db)
        .await?;
    let txn = db.begin().await?;
    // Two connections of one caller racing on two replicas count one after the other.
    crate::db::serialise(&txn, &format!("websocket:{caller}")).await?;
    // A write first: on SQLite it takes the write lock, which serialises the count.
    websocket_lease::Entity::delete_many()
        .filter(websocket_lease::Column::Caller.eq(caller))
        .filter(websocket_lease::Column::ExpiresAt.lt(now))
        .exec(&txn)
        .await?;
    let open = websocket_lease::Entity::find()
        .filter(websocket_lease::Column::Caller.eq(caller))
        .count(&txn)
        .await?;
    if open >= u64::from(max) {
        txn.rollback().await?;
        return Ok(None);
    }
    let lease = websocket_lease::ActiveModel {
        id: Set(uuid::Uuid::new_v4().to_string()),
        caller: Set(caller.to_owned()),
        expires_at: Set(expiry(ttl)),
    }
    .insert(&txn)
    .await?;
    crate::db::commit(txn).await?;
    Ok(Some(Lease { id: lease.id }))
}

/// Keeps a lease alive for another `ttl`.
pub async fn renew(db: &DatabaseConnection, lease: &Lease, ttl: Duration) -> ServiceResult<()> {
    websocket_lease::Entity::update_many()
        .col_expr(websocket_lease::Column::ExpiresAt, Expr::value(expiry(ttl)))
        .filter(websocket_lease::Column::Id.eq(lease.id.as_str()))
        .exec(db)
        .await?;
    Ok(())
}

/// Gives a lease back when its connection closes.
pub async fn release(db: &DatabaseConnection, lease: &Lease) -> ServiceResult<()> {
    websocket_lease::Entity::delete_by_id(lease.id.clone())
        .exec(db)
        .await?;
    Ok(())
}

//! The cap on WebSockets per caller, held across replicas: every open connection has
//! a lease row, renewed while it lives, that expires if its replica dies.

use std::time::Duration;

use chrono::Utc;
use sea_orm::{
    ConnectionTrait, DatabaseBackend, DatabaseConnection, Statement, TransactionTrait, Value,
};

use crate::error::{ServiceError, ServiceResult};

/// One open connection's lease.
#[derive(Debug, Clone)]
pub struct Lease {
    id: String,
}

fn sql(backend: DatabaseBackend, text: &str) -> String {
    match backend {
        DatabaseBackend::Postgres => {
            let mut numbered = String::with_capacity(text.len());
            let mut n = 0;
            for c in text.chars() {
                if c == '?' {
                    n += 1;
                    numbered.push_str(&format!("${n}"));
                } else {
                    numbered.push(c);
                }
            }
            numbered
        }
        _ => text.to_owned(),
    }
}

async fn run<C: ConnectionTrait>(
    db: &C,
    text: &str,
    values: impl IntoIterator<Item = Value>,
) -> ServiceResult<u64> {
    let backend = db.get_database_backend();
    Ok(db
        .execute_raw(Statement::from_sql_and_values(
            backend,
            sql(backend, text),
            values,
        ))
        .await?
        .rows_affected())
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
    let backend = db.get_database_backend();
    let txn = db.begin().await?;
    if backend == DatabaseBackend::Postgres {
        // Two connections of one caller racing on two replicas count one after the other.
        run(
            &txn,
            "SELECT pg_advisory_xact_lock(hashtext(?))",
            [format!("websocket:{caller}").into()],
        )
        .await?;
    }
    // A write first: on SQLite it takes the write lock, which serialises the count.
    run(
        &txn,
        "DELETE FROM websocket_leases WHERE caller = ? AND expires_at < ?",
        [caller.into(), Utc::now().timestamp().into()],
    )
    .await?;
    let row = txn
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            sql(
                backend,
                "SELECT COUNT(*) FROM websocket_leases WHERE caller = ?",
            ),
            [caller.into()],
        ))
        .await?
        .ok_or_else(|| ServiceError::Internal(anyhow::anyhow!("COUNT returned no row")))?;
    let open: i64 = row.try_get_by_index(0).map_err(ServiceError::from)?;
    if open >= i64::from(max) {
        txn.rollback().await?;
        return Ok(None);
    }
    let lease = Lease {
        id: uuid::Uuid::new_v4().to_string(),
    };
    run(
        &txn,
        "INSERT INTO websocket_leases (id, caller, expires_at) VALUES (?, ?, ?)",
        [lease.id.clone().into(), caller.into(), expiry(ttl).into()],
    )
    .await?;
    txn.commit().await?;
    Ok(Some(lease))
}

/// Keeps a lease alive for another `ttl`.
pub async fn renew(db: &DatabaseConnection, lease: &Lease, ttl: Duration) -> ServiceResult<()> {
    run(
        db,
        "UPDATE websocket_leases SET expires_at = ? WHERE id = ?",
        [expiry(ttl).into(), lease.id.clone().into()],
    )
    .await
    .map(|_| ())
}

/// Gives a lease back when its connection closes.
pub async fn release(db: &DatabaseConnection, lease: &Lease) -> ServiceResult<()> {
    run(
        db,
        "DELETE FROM websocket_leases WHERE id = ?",
        [lease.id.clone().into()],
    )
    .await
    .map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_for_postgres_only() {
        assert_eq!(
            sql(DatabaseBackend::Postgres, "a = ? AND b < ?"),
            "a = $1 AND b < $2"
        );
        assert_eq!(sql(DatabaseBackend::Sqlite, "a = ?"), "a = ?");
    }
}

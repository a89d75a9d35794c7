//! Rate limits: each caller (a partner token, a user, or an anonymous client address)
//! has a budget of cost points per fixed window. A request is charged the cost it was
//! measured at before it runs; once the window's budget is spent, requests are refused
//! with `RATE_LIMITED` until the window turns.
//!
//! Windows live in the database (`rate_limit_windows`), charged by one atomic upsert, so
//! every replica sees the same spending. Old windows are pruned as new ones open.

use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, TimeZone, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};

use crate::auth::Viewer;
use crate::error::{ServiceError, ServiceResult};

/// Budgets per kind of caller, in cost points per window.
#[derive(Debug, Clone, Copy)]
pub struct Budgets {
    pub window_seconds: i64,
    pub anonymous: u64,
    pub user: u64,
    pub partner: u64,
}

/// Where a caller stands in the current window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Usage {
    pub limit: u64,
    pub used: u64,
    /// What this request was charged.
    pub cost: u64,
    pub reset_at: DateTime<Utc>,
}

impl Usage {
    pub fn remaining(&self) -> u64 {
        self.limit.saturating_sub(self.used)
    }

    pub fn exceeded(&self) -> bool {
        self.used > self.limit
    }

    /// Whole seconds until the window turns (at least 1).
    pub fn reset_in_seconds(&self) -> u64 {
        (self.reset_at - Utc::now()).num_seconds().max(1) as u64
    }
}

/// Who is charged: the partner token, the user, or the client address.
pub fn caller_key(viewer: &Viewer, client_address: &str) -> String {
    match viewer {
        Viewer::Partner(partner) => format!("token:{}", partner.token_id),
        // The person, not the token's spelling of their handle: every spelling that signs
        // in as one person shares one budget.
        Viewer::Staff(user) | Viewer::Fellow(user) => match user.person_id {
            Some(id) => format!("person:{id}"),
            None => format!("user:{}", entity::folding::fold(&user.handle)),
        },
        Viewer::Anonymous => format!("address:{client_address}"),
    }
}

pub fn budget_for(budgets: &Budgets, viewer: &Viewer) -> u64 {
    match viewer {
        Viewer::Partner(_) => budgets.partner,
        Viewer::Staff(_) | Viewer::Fellow(_) => budgets.user,
        Viewer::Anonymous => budgets.anonymous,
    }
}

/// The newest window this process has pruned behind.
static PRUNED_BEFORE: AtomicI64 = AtomicI64::new(0);

/// Charges `cost` to `caller` in the current window and says where it stands.
pub async fn charge(
    db: &DatabaseConnection,
    budgets: &Budgets,
    caller: &str,
    limit: u64,
    cost: u64,
) -> ServiceResult<Usage> {
    let now = Utc::now().timestamp();
    let window = budgets.window_seconds.max(1);
    let start = now - now.rem_euclid(window);
    let backend = db.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => {
            "INSERT INTO rate_limit_windows (caller, window_start, used) VALUES ($1, $2, $3) \
             ON CONFLICT (caller, window_start) DO UPDATE SET used = rate_limit_windows.used + EXCLUDED.used \
             RETURNING used"
        }
        _ => {
            "INSERT INTO rate_limit_windows (caller, window_start, used) VALUES (?, ?, ?) \
             ON CONFLICT (caller, window_start) DO UPDATE SET used = rate_limit_windows.used + excluded.used \
             RETURNING used"
        }
    };
    let charged = i64::try_from(cost).unwrap_or(i64::MAX);
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            sql,
            [caller.into(), start.into(), charged.into()],
        ))
        .await?
        .ok_or_else(|| {
            ServiceError::Internal(anyhow::anyhow!("the rate-limit upsert returned no row"))
        })?;
    let used: i64 = row.try_get_by_index(0).map_err(ServiceError::from)?;

    if PRUNED_BEFORE.fetch_max(start, Ordering::Relaxed) < start {
        let prune = match backend {
            DbBackend::Postgres => "DELETE FROM rate_limit_windows WHERE window_start < $1",
            _ => "DELETE FROM rate_limit_windows WHERE window_start < ?",
        };
        if let Err(err) = db
            .execute_raw(Statement::from_sql_and_values(
                backend,
                prune,
                [(start - window).into()],
            ))
            .await
        {
            tracing::warn!(error = %err, "could not prune old rate-limit windows");
        }
    }

    Ok(Usage {
        limit,
        used: used.max(0) as u64,
        cost,
        reset_at: Utc
            .timestamp_opt(start + window, 0)
            .single()
            .unwrap_or_else(Utc::now),
    })
}

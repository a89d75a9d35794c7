//! `rateLimit`: the caller's budget, as GitHub shows its own.

use async_graphql::{Context, Object, SimpleObject};
use chrono::{DateTime, Utc};

use crate::service::rate_limits::Usage;

/// The caller's rate limit in the current window, after this request.
#[derive(SimpleObject)]
#[graphql(cache_control(private))]
pub struct RateLimit {
    /// Cost points the caller may spend per window.
    pub limit: i64,
    /// Cost points this request was charged.
    pub cost: i64,
    /// Cost points spent in this window, this request included.
    pub used: i64,
    /// Cost points left in this window (never below zero).
    pub remaining: i64,
    /// When the window turns and the budget is whole again.
    pub reset_at: DateTime<Utc>,
}

/// The `rateLimit` query, merged into [`super::Query`].
#[derive(Default)]
pub struct RateLimitQuery;

#[Object]
impl RateLimitQuery {
    /// The caller's rate limit: budget, this request's cost, and what remains.
    #[graphql(cache_control(private))]
    async fn rate_limit(&self, ctx: &Context<'_>) -> Option<RateLimit> {
        let usage = ctx.data_opt::<Usage>()?;
        Some(RateLimit {
            limit: usage.limit as i64,
            cost: usage.cost as i64,
            used: usage.used as i64,
            remaining: usage.remaining() as i64,
            reset_at: usage.reset_at,
        })
    }
}

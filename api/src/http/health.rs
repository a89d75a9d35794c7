//! Probes for the orchestrator and the scraper.

use actix_web::{web, HttpResponse};
use serde_json::json;

use sea_orm::DbBackend;

use super::AppState;
use crate::auth::provider::ProviderState;
use crate::metrics::PoolUsage;

/// The process is up and serving HTTP.
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "status": "ok" }))
}

/// The database answers; a load balancer sends traffic only while this says 200. The
/// answer comes from the background probe (see [`crate::db::Probe`]), never from a
/// ping made here, so it is immediate whatever the database does: an orchestrator's
/// probe timeout (often one second) never passes while the database is slow or away.
pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    if *state.phase.borrow() >= super::Phase::Draining {
        return HttpResponse::ServiceUnavailable().json(json!({
            "status": "draining",
            "reason": "the server is shutting down",
        }));
    }
    if let Err(reason) = state.probe.readiness() {
        return unavailable(reason);
    }
    let Some(provider) = state.keys.provider() else {
        return HttpResponse::Ok().json(json!({ "status": "ready" }));
    };
    // Cached keys keep verifying tokens while the provider is away, so a stale key set
    // is reported but keeps the server ready: taking every replica out of the load
    // balancer because the provider blinked would refuse anonymous readers too.
    match provider.state() {
        ProviderState::NotLoaded { reason } => unavailable(format!(
            "the identity provider's keys are not loaded: {reason}"
        )),
        ProviderState::Fresh { age_seconds } => HttpResponse::Ok().json(json!({
            "status": "ready",
            "identityProvider": { "status": "fresh", "keysAgeSeconds": age_seconds },
        })),
        ProviderState::Stale {
            age_seconds,
            failing_for_seconds,
            reason,
        } => HttpResponse::Ok().json(json!({
            "status": "ready",
            "identityProvider": {
                "status": "stale",
                "keysAgeSeconds": age_seconds,
                "unreachableForSeconds": failing_for_seconds,
                "reason": reason,
            },
        })),
    }
}

fn unavailable(reason: impl Into<String>) -> HttpResponse {
    HttpResponse::ServiceUnavailable()
        .insert_header((actix_web::http::header::RETRY_AFTER, "1"))
        .json(json!({ "status": "unavailable", "reason": reason.into() }))
}

pub async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    let pool = match state.db.get_database_backend() {
        DbBackend::Postgres => {
            let pool = state.db.get_postgres_connection_pool();
            Some(PoolUsage {
                size: pool.size(),
                idle: pool.num_idle() as u32,
                max: pool.options().get_max_connections(),
            })
        }
        DbBackend::Sqlite => {
            let pool = state.db.get_sqlite_connection_pool();
            Some(PoolUsage {
                size: pool.size(),
                idle: pool.num_idle() as u32,
                max: pool.options().get_max_connections(),
            })
        }
        _ => None,
    };
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(state.metrics.render(pool))
}

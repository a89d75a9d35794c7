//! Probes for the orchestrator and the scraper.

use actix_web::{web, HttpResponse};
use serde_json::json;

use sea_orm::DbBackend;

use super::AppState;
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
    if *state.draining.borrow() {
        return HttpResponse::ServiceUnavailable().json(json!({
            "status": "draining",
            "reason": "the server is shutting down",
        }));
    }
    match state.probe.readiness() {
        Ok(()) => HttpResponse::Ok().json(json!({ "status": "ready" })),
        Err(reason) => HttpResponse::ServiceUnavailable()
            .insert_header((actix_web::http::header::RETRY_AFTER, "1"))
            .json(json!({ "status": "unavailable", "reason": reason })),
    }
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

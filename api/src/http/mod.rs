//! The HTTP surface: GraphQL on `/graphql` (POST, GET, and the playground for
//! browsers), health and readiness probes, and metrics. Handlers here only translate
//! between HTTP and the GraphQL executor; the rules live in the services.

mod cors;
mod graphql;
mod health;
mod playground;
mod request_id;
mod subscriptions;

pub use cors::cors;
pub use request_id::request_id;

use std::sync::Arc;

use actix_web::web;
use sea_orm::DatabaseConnection;

use crate::auth::KeyRing;
use crate::graphql::FellowshipSchema;
use crate::metrics::Metrics;

/// What every handler may use.
#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub schema: FellowshipSchema,
    pub metrics: Arc<Metrics>,
    pub keys: Arc<KeyRing>,
    pub playground: bool,
    /// Origins allowed by CORS, exactly as browsers send them.
    pub cors_origins: Arc<Vec<String>>,
    /// Set when shutdown begins: readiness fails so traffic moves elsewhere, and
    /// WebSockets are closed so their clients reconnect elsewhere.
    pub draining: Arc<tokio::sync::watch::Sender<bool>>,
    /// The most a request may run.
    pub request_timeout: std::time::Duration,
    pub rate_limits: crate::service::rate_limits::Budgets,
    pub trust_forwarded_for: bool,
    pub subscriptions: crate::config::SubscriptionSettings,
}

/// Largest request body accepted on `/graphql`; larger ones are refused with 413
/// without being read whole.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

pub fn routes(config: &mut web::ServiceConfig) {
    config
        .service(
            web::resource("/graphql")
                .route(web::post().to(graphql::post))
                .route(web::get().to(graphql::get)),
        )
        .route("/playground/{asset}", web::get().to(playground::asset))
        .route("/healthz", web::get().to(health::healthz))
        .route("/readyz", web::get().to(health::readyz))
        .route("/metrics", web::get().to(health::metrics));
}

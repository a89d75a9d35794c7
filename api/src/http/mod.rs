//! The HTTP surface: GraphQL on `/graphql` (POST, GET, and the playground for
//! browsers), health and readiness probes, and metrics. Handlers here only translate
//! between HTTP and the GraphQL executor; the rules live in the services.
//!
//! Every answer the application writes carries a JSON body with a contract code, the
//! unknown path (404, `NOT_FOUND`) and the unknown method (405, `BAD_USER_INPUT`, with
//! `Allow`) included ([`json_error_bodies`]), and so is 431 for headers over our own
//! limits ([`MAX_REQUEST_HEADERS`], [`MAX_HEADER_BYTES`]). Those sit below actix-http's
//! fixed ones (a 128 KiB head, 96 headers), past which its dispatcher answers 431 with
//! an empty body before any application code sees the request (actix offers no
//! setting for either): only a head too large even for that gets the bare answer.

mod cors;
mod graphql;
mod health;
mod pipeline;
mod playground;
mod refusal;
mod request_id;
mod subscriptions;

pub use cors::{allowed_origins, cors};
pub use request_id::request_id;

use std::sync::Arc;

use actix_web::body::{BodySize, BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::{web, Error, HttpResponse};
use sea_orm::DatabaseConnection;

use crate::auth::KeyRing;
use crate::error::Code;
use crate::graphql::Schemas;
use crate::metrics::Metrics;

/// What every handler may use.
#[derive(Clone)]
pub struct AppState {
    /// The process's database pool.
    pub db: DatabaseConnection,
    /// The schemas operations run on (see [`Schemas`]).
    pub schema: Schemas,
    /// Where operations, refusals and WebSockets are counted, rendered on `/metrics`.
    pub metrics: Arc<Metrics>,
    /// The keys bearer tokens are verified with.
    pub keys: Arc<KeyRing>,
    /// Whether a browser's `GET /graphql` without a query gets the playground
    /// (`PLAYGROUND`).
    pub playground: bool,
    /// Where shutdown stands (see [`Phase`]).
    pub phase: Arc<tokio::sync::watch::Sender<Phase>>,
    /// The most a request may run.
    pub request_timeout: std::time::Duration,
    /// The most a client may take to send a request's body.
    pub body_timeout: std::time::Duration,
    /// Charges each request's cost to its caller's budget (`RATE_LIMITED` once spent).
    pub rate_limits: crate::service::rate_limits::RateLimiter,
    /// Whether an anonymous caller is counted under the first `X-Forwarded-For`
    /// address rather than the connection's peer (`TRUST_FORWARDED_FOR`, behind a proxy).
    pub trust_forwarded_for: bool,
    /// Keep-alive, time limits and quotas of WebSocket subscriptions.
    pub subscriptions: crate::config::SubscriptionSettings,
    /// The database's state as the background probe last saw it, for `/readyz`.
    pub probe: crate::db::Probe,
    /// The manifest of trusted documents, Apollo's registered ones, and the policy
    /// (`TRUSTED_DOCUMENTS`).
    pub trusted_documents: Arc<crate::graphql::trusted_documents::TrustedDocuments>,
}

/// Largest request body accepted on `/graphql`; larger ones are refused with 413
/// without being read whole.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// The public listener's routes; `/metrics` among them unless it has a listener of its
/// own (`METRICS_BIND`), in which case it is as unknown here as any other path.
pub fn routes(config: &mut web::ServiceConfig, with_metrics: bool) {
    config
        .service(
            web::resource("/graphql")
                .route(web::post().to(graphql::post))
                .route(web::get().to(get_graphql))
                .default_service(web::to(|| method_not_allowed("GET, POST"))),
        )
        .service(get_only("/playground/{asset}").route(web::get().to(playground::asset)))
        .service(get_only("/healthz").route(web::get().to(health::healthz)))
        .service(get_only("/readyz").route(web::get().to(health::readyz)));
    if with_metrics {
        metrics_routes(config);
    }
}

/// `GET /graphql`: a WebSocket upgrade for subscriptions, or GraphQL over HTTP. The two
/// transports meet only in `pipeline`.
async fn get_graphql(
    request: actix_web::HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> actix_web::HttpResponse {
    if subscriptions::is_upgrade(&request) {
        subscriptions::upgrade(request, payload, state).await
    } else {
        graphql::get(request, state).await
    }
}

/// `/metrics` alone, for its own listener or beside the others.
pub fn metrics_routes(config: &mut web::ServiceConfig) {
    config.service(get_only("/metrics").route(web::get().to(health::metrics)));
}

fn get_only(path: &str) -> actix_web::Resource {
    web::resource(path).default_service(web::to(|| method_not_allowed("GET")))
}

/// A method a path does not take; `allow` lists those it does. The body is written by
/// [`json_error_bodies`], as for every other bare refusal.
async fn method_not_allowed(allow: &'static str) -> HttpResponse {
    HttpResponse::MethodNotAllowed()
        .insert_header((header::ALLOW, allow))
        .finish()
}

/// The most headers a request may carry: room for the largest identity-provider tokens
/// and cookies, and below actix-http's own limits so that the refusal is ours, with a
/// body.
pub const MAX_REQUEST_HEADERS: usize = 64;
/// The most bytes a request's headers may hold in all (names and values), for the same
/// reasons as [`MAX_REQUEST_HEADERS`].
pub const MAX_HEADER_BYTES: usize = 32 * 1024;

/// Refuses headers over [`MAX_REQUEST_HEADERS`] or [`MAX_HEADER_BYTES`] with 431, and
/// gives a JSON body with a contract code to every 404 and 405 that has none: a path
/// nothing is served on (actix's own answer), a playground asset that does not exist, a
/// method a path does not take. Clients then read every refusal the same way.
pub async fn json_error_bodies(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let headers = request.headers();
    let header_bytes: usize = headers
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len())
        .sum();
    if headers.len() > MAX_REQUEST_HEADERS || header_bytes > MAX_HEADER_BYTES {
        let message = format!(
            "The request carries {} headers of {header_bytes} bytes in all; the limits are \
             {MAX_REQUEST_HEADERS} headers and {MAX_HEADER_BYTES} bytes.",
            headers.len()
        );
        let body = refusal::body(Code::BadUserInput, &message, &[]);
        let response = HttpResponse::build(StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE)
            .insert_header((header::CONNECTION, "close"))
            .json(body);
        return Ok(request.into_response(response).map_into_boxed_body());
    }
    // Handlers' and extractors' errors arrive here already made into answers (actix
    // does that per route), so an `Err` is only ever a middleware's, and passes on.
    let response = next.call(request).await?;
    let bare = matches!(
        response.response().body().size(),
        BodySize::None | BodySize::Sized(0)
    );
    let response = response.map_into_boxed_body();
    let (code, message) = match response.status() {
        StatusCode::NOT_FOUND => (
            Code::NotFound,
            "Nothing is served on this path; GraphQL is on /graphql.",
        ),
        StatusCode::METHOD_NOT_ALLOWED => {
            (Code::BadUserInput, "This path does not take this method.")
        }
        _ => return Ok(response),
    };
    if !bare {
        return Ok(response);
    }
    let body = refusal::body(code, message, &[]);
    let mut response = response.map_body(|_, _| BoxBody::new(body.to_string()));
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    Ok(response)
}

/// `Cache-Control: no-store` on every answer to a request that carries credentials:
/// such an answer may hold private data (a nominee's e-mail, benefit grants, tokens),
/// and no browser or shared cache may keep it. Private data is only ever served to
/// such requests, so anonymous answers keep whatever caching they had.
pub async fn no_store_when_authenticated(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let authenticated = request.headers().contains_key(header::AUTHORIZATION);
    // Handlers' errors arrive already made into answers (see json_error_bodies).
    let mut response = next.call(request).await?.map_into_boxed_body();
    if authenticated {
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    Ok(response)
}

/// Where the server stands in a graceful shutdown, which moves it forward only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Phase {
    /// Serving everything.
    Serving,
    /// Asked to stop: readiness fails so that load balancers send new traffic
    /// elsewhere, and everything else is served as before for the shutdown delay,
    /// WebSocket upgrades included. A subscriber connecting meanwhile is served: the
    /// graphql-ws client takes a refused upgrade (HTTP 503) for a fatal error and
    /// gives up, where it retries after a close.
    Draining,
    /// The delay is over, and the balancers have moved on: open WebSockets are closed
    /// with 1001 so that their clients reconnect (to a replica that stays) and resume,
    /// the listener closes, and requests in flight finish.
    Stopping,
}

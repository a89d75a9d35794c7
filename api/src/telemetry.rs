//! Logging: human-readable lines by default, JSON with `LOG_FORMAT=json`; the level
//! comes from `RUST_LOG` (default `info`).

use tracing_subscriber::EnvFilter;

/// Installs the process's logger, writing to stderr. Called once at start; a later
/// call (tests starting several servers) changes nothing.
pub fn init() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let json = std::env::var("LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let result = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
    // A second init (tests starting several servers) keeps the first subscriber.
    let _ = result;
}

tokio::task_local! {
    /// The id of the HTTP request being served (the `X-Request-Id` it is answered with).
    /// Set once, by the request-id middleware, around everything the request runs, so
    /// that what a request writes down (its audit records) names the request without
    /// every service passing the id along. Background tasks and the command line have
    /// none.
    static REQUEST_ID: std::sync::Arc<str>;
}

/// Runs `work` as the request `id`.
pub async fn with_request_id<F: std::future::Future>(
    id: std::sync::Arc<str>,
    work: F,
) -> F::Output {
    REQUEST_ID.scope(id, work).await
}

/// The id of the request this task is serving, if it serves one.
pub fn request_id() -> Option<String> {
    REQUEST_ID.try_with(std::string::ToString::to_string).ok()
}

//! Request ids and the request log. Every response carries `X-Request-Id` (the caller's,
//! when it sent a well-formed one, else a new one); every log line written while the
//! request runs is in a span with that id; one line per request records the method,
//! the path (never the query string, which may hold a query's literals), the status and
//! the time. Headers, tokens and bodies are never logged. The span also carries the
//! request's `trace_id` and `span_id` (see `crate::telemetry` for which), and, while
//! traces are sent, the request's own span is started here, under the caller's
//! `traceparent`.
//!
//! Why not `tracing-actix-web`: it generates its own request id rather than adopt the
//! caller's, sets no response header, and runs nothing around the handler, so the
//! task-local that audit records read the id from (`telemetry::with_request_id`) would
//! still need this middleware. It would add a dependency without removing these lines.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::HeaderValue;
use actix_web::middleware::Next;
use actix_web::Error;
use tracing::Instrument;

use crate::telemetry::ServerSpan;

/// The header that carries a request's id, in the request and in the answer.
pub const HEADER: &str = "x-request-id";

fn well_formed(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 100
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// The middleware: adopts the caller's `X-Request-Id` when it is 1 to 100 letters,
/// digits, `-`, `_` or `.` (else makes a UUID), runs the request in a span and as that
/// request (for audit records), logs one line for it, and sets the header on the answer.
pub async fn request_id(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let id = request
        .headers()
        .get(HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|id| well_formed(id))
        .map(str::to_owned)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let scoped: std::sync::Arc<str> = id.as_str().into();
    let method = request.method().to_string();
    let path = request.path().to_owned();
    let span = tracing::info_span!(
        "request",
        request_id = %id,
        trace_id = tracing::field::Empty,
        span_id = tracing::field::Empty
    );
    let traced = if crate::telemetry::exporting() {
        ServerSpan::start(
            request.headers(),
            &method,
            &path,
            request.match_pattern(),
            &id,
        )
    } else {
        None
    };
    match &traced {
        Some(traced) => {
            span.record("trace_id", tracing::field::display(traced.trace_id()));
            span.record("span_id", tracing::field::display(traced.span_id()));
        }
        None => {
            if let Some(trace_id) = crate::telemetry::caller_trace_id(request.headers()) {
                span.record("trace_id", tracing::field::display(trace_id));
            }
        }
    }
    let started = Instant::now();
    let work = crate::telemetry::with_request_id(scoped, next.call(request));
    let result = crate::telemetry::within(traced.as_ref().map(ServerSpan::context), work)
        .instrument(span.clone())
        .await;
    let _entered = span.enter();
    match result {
        Ok(mut response) => {
            let status = response.status().as_u16();
            tracing::info!(
                %method,
                %path,
                status,
                elapsed_ms = started.elapsed().as_millis() as u64,
                "request"
            );
            if let Some(traced) = traced {
                traced.finish(status);
            }
            if let Ok(value) = HeaderValue::from_str(&id) {
                response.headers_mut().insert(
                    actix_web::http::header::HeaderName::from_static(HEADER),
                    value,
                );
            }
            Ok(response)
        }
        Err(err) => {
            tracing::warn!(%method, %path, elapsed_ms = started.elapsed().as_millis() as u64, "request failed");
            if let Some(traced) = traced {
                traced.finish(err.as_response_error().status_code().as_u16());
            }
            Err(err)
        }
    }
}

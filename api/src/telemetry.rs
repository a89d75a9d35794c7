//! Logging and tracing.
//!
//! **Logging**: human-readable lines by default, JSON with `LOG_FORMAT=json`; the level
//! comes from `RUST_LOG` (default `info`). Every line a request writes is in its
//! `request` span, which names the request (`request_id`) and its trace (`trace_id`,
//! and `span_id`, the HTTP request's span). While traces are sent, that is this
//! request's trace: the caller's when it sent a `traceparent`, else a new one. While
//! they are not, it is the caller's `traceparent` trace id when it sent one, so that the
//! lines can be found from the caller's trace, and none otherwise: a trace id that no
//! trace has would lead nowhere, and `request_id` already tells the requests apart.
//!
//! **Tracing**: with `OTEL_EXPORTER_OTLP_ENDPOINT` set, spans go over OTLP/HTTP to a
//! collector, in batches, from a thread of their own: one per HTTP request (its parent
//! the caller's W3C `traceparent`), one per GraphQL operation, one per SQL statement a
//! request sends (its text, whose values are placeholders, never the values bound),
//! one per resolver slower than `TRACE_SLOW_RESOLVER`, and one per call the server
//! makes (a webhook attempt, a fetch of the identity provider's keys), which carries
//! `traceparent` on. Nothing names a query's variables, a token or a body. Without an
//! endpoint none of this is installed: no span is made, no context is carried, and the
//! request path costs what it did before.
//!
//! Why the OpenTelemetry API itself rather than `tracing-opentelemetry`: the bridge
//! makes an OpenTelemetry span of every `tracing` span, its fields its attributes, so
//! the attributes a trace needs (`http.route`, `db.query.text`) would be printed in
//! every log line, and each SQL statement would look its parent up in the subscriber's
//! registry. The spans here are few and known, so they are made directly; the
//! OpenTelemetry context travels with the request's future
//! ([`opentelemetry::context::FutureExt`]), into the DataLoaders' tasks too
//! ([`spawn`]), and is what statements and outgoing calls read.

use std::borrow::Cow;
use std::future::Future;
use std::sync::OnceLock;
use std::time::{Duration, SystemTime};

use anyhow::Context as _;
use futures::future::Either;
use opentelemetry::context::{FutureExt as _, WithContext};
use opentelemetry::propagation::{Extractor, Injector, TextMapPropagator};
use opentelemetry::trace::{
    Span as _, SpanKind, Status, TraceContextExt, Tracer as _, TracerProvider as _,
};
use opentelemetry::{Context, KeyValue};
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::{SdkTracer, SdkTracerProvider};
use tracing_subscriber::EnvFilter;

use crate::config::{Sampler, TracingSettings};

/// The instrumentation scope every span is reported under.
const SCOPE: &str = "fellowship-api";

/// Installs the process's logger, writing to stderr, and the trace exporter when
/// `tracing` names an endpoint. Called once at start; a later call (tests starting
/// several servers) changes nothing. An exporter that cannot be built is an error, as
/// any other setting that cannot work.
pub fn init(tracing: Option<&TracingSettings>) -> anyhow::Result<()> {
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
    if let Some(settings) = tracing {
        if let Some(endpoint) = &settings.endpoint {
            start_exporting(settings, endpoint)?;
        }
    }
    Ok(())
}

/// What tracing needs once it is on.
struct Tracing {
    provider: SdkTracerProvider,
    tracer: SdkTracer,
    slow_resolver: Option<Duration>,
}

static TRACING: OnceLock<Tracing> = OnceLock::new();

fn tracing() -> Option<&'static Tracing> {
    TRACING.get()
}

fn start_exporting(settings: &TracingSettings, endpoint: &url::Url) -> anyhow::Result<()> {
    use opentelemetry_otlp::WithExportConfig as _;
    // OTEL_EXPORTER_OTLP_ENDPOINT is the collector's base URL; the traces' path is
    // added to it, as every OpenTelemetry SDK does.
    let traces = format!("{}/v1/traces", endpoint.as_str().trim_end_matches('/'));
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_protocol(opentelemetry_otlp::Protocol::HttpBinary)
        .with_endpoint(traces)
        .build()
        .context("could not set up the OTLP trace exporter")?;
    let provider = SdkTracerProvider::builder()
        // Its batches (OTEL_BSP_SCHEDULE_DELAY, OTEL_BSP_MAX_QUEUE_SIZE, ...) are
        // exported from a thread of its own: requests only queue their spans.
        .with_batch_exporter(exporter)
        .with_sampler(sampler(settings.sampler, settings.sampler_arg))
        .with_resource(
            opentelemetry_sdk::Resource::builder()
                .with_service_name(settings.service_name.clone())
                .build(),
        )
        .build();
    let tracer = provider.tracer(SCOPE);
    let tracing = Tracing {
        provider,
        tracer,
        slow_resolver: settings.slow_resolver.0,
    };
    if TRACING.set(tracing).is_ok() {
        // The origin only: a URL may carry a password, which no log line may.
        tracing::info!(
            collector = %endpoint.origin().ascii_serialization(),
            sampler = ?settings.sampler,
            "sending traces over OTLP"
        );
    }
    Ok(())
}

/// The SDK's sampler for `OTEL_TRACES_SAMPLER` and `OTEL_TRACES_SAMPLER_ARG`.
fn sampler(kind: Sampler, ratio: f64) -> opentelemetry_sdk::trace::Sampler {
    use opentelemetry_sdk::trace::Sampler as Sdk;
    match kind {
        Sampler::AlwaysOn => Sdk::AlwaysOn,
        Sampler::AlwaysOff => Sdk::AlwaysOff,
        Sampler::TraceIdRatio => Sdk::TraceIdRatioBased(ratio),
        Sampler::ParentbasedAlwaysOn => Sdk::ParentBased(Box::new(Sdk::AlwaysOn)),
        Sampler::ParentbasedAlwaysOff => Sdk::ParentBased(Box::new(Sdk::AlwaysOff)),
        Sampler::ParentbasedTraceIdRatio => {
            Sdk::ParentBased(Box::new(Sdk::TraceIdRatioBased(ratio)))
        }
    }
}

/// Whether spans are being made and sent.
pub fn exporting() -> bool {
    TRACING.get().is_some()
}

/// The slow-resolver threshold while traces are sent; `None` when they are not, or
/// when `TRACE_SLOW_RESOLVER=off`.
pub fn slow_resolver_threshold() -> Option<Duration> {
    tracing().and_then(|t| t.slow_resolver)
}

/// Sends the spans still queued, at the end of a graceful shutdown. Blocks for at most
/// a few seconds, on a thread of its own so that the runtime's workers are not held.
pub async fn flush_before_exit() {
    let Some(tracing) = tracing() else {
        return;
    };
    let provider = tracing.provider.clone();
    let flushed =
        tokio::task::spawn_blocking(move || provider.shutdown_with_timeout(Duration::from_secs(5)))
            .await;
    match flushed {
        Ok(Ok(())) => {}
        Ok(Err(err)) => tracing::warn!(error = %err, "the last spans could not be sent"),
        Err(err) => tracing::warn!(error = %err, "the last spans could not be sent"),
    }
}

// ---------------------------------------------------------------------------------
// Carrying the context
// ---------------------------------------------------------------------------------

/// `work`, run in `cx` when there is one (the OpenTelemetry context is then current
/// while it is polled), else as it is.
pub fn within<F: Future>(cx: Option<&Context>, work: F) -> Either<WithContext<F>, F> {
    match cx {
        Some(cx) => Either::Left(work.with_context(cx.clone())),
        None => Either::Right(work),
    }
}

/// `tokio::spawn`, carrying the current OpenTelemetry context into the task while
/// traces are sent: the DataLoaders batch in tasks of their own, and their statements
/// belong to the request that asked.
pub fn spawn<F>(work: F) -> tokio::task::JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    if exporting() {
        tokio::spawn(work.with_current_context())
    } else {
        tokio::spawn(work)
    }
}

/// The current context, while traces are sent and a span is current.
pub fn current() -> Option<Context> {
    tracing()?;
    let cx = Context::current();
    cx.has_active_span().then_some(cx)
}

/// Whether `cx` has a span whose trace is kept: spans under it are worth making.
fn sampled(cx: &Context) -> bool {
    cx.has_active_span() && cx.span().span_context().is_sampled()
}

// ---------------------------------------------------------------------------------
// HTTP requests
// ---------------------------------------------------------------------------------

/// The headers of a request the server received, as the propagator reads them.
struct ReceivedHeaders<'a>(&'a actix_web::http::header::HeaderMap);

/// The longest `tracestate` taken from a caller. W3C Trace Context asks a service to
/// carry at least 512 characters of it; anything longer is dropped whole (the
/// recommendation allows it), so that a caller cannot make every span of its request,
/// and every call the server makes for it, carry kilobytes of its choosing.
const MAX_TRACESTATE: usize = 512;

impl Extractor for ReceivedHeaders<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        let value = self.0.get(key)?.to_str().ok()?;
        if key.eq_ignore_ascii_case("tracestate") && value.len() > MAX_TRACESTATE {
            return None;
        }
        Some(value)
    }

    fn keys(&self) -> Vec<&str> {
        self.0
            .keys()
            .map(actix_web::http::header::HeaderName::as_str)
            .collect()
    }
}

/// The span of one HTTP request the server answers.
pub struct ServerSpan {
    cx: Context,
}

impl ServerSpan {
    /// Starts the span of a request: `method`, `path` (never the query string, which
    /// may hold a query's literals) and the `route` it matched, as a child of the
    /// caller's `traceparent` (and `tracestate`) when it sent one. `None` while traces
    /// are not sent.
    pub fn start(
        headers: &actix_web::http::header::HeaderMap,
        method: &str,
        path: &str,
        route: Option<String>,
        request_id: &str,
    ) -> Option<ServerSpan> {
        let tracing = tracing()?;
        let parent = TraceContextPropagator::new().extract(&ReceivedHeaders(headers));
        let name = match &route {
            Some(route) => format!("{method} {route}"),
            None => method.to_owned(),
        };
        let mut attributes = vec![
            KeyValue::new("http.request.method", method.to_owned()),
            KeyValue::new("url.path", bounded(path, MAX_PATH_ATTRIBUTE).to_owned()),
            KeyValue::new("fellowship.request_id", request_id.to_owned()),
        ];
        if let Some(route) = route {
            attributes.push(KeyValue::new("http.route", route));
        }
        let span = tracing
            .tracer
            .span_builder(name)
            .with_kind(SpanKind::Server)
            .with_attributes(attributes)
            .start_with_context(&tracing.tracer, &parent);
        Some(ServerSpan {
            cx: parent.with_span(span),
        })
    }

    /// The context the request runs in.
    pub fn context(&self) -> &Context {
        &self.cx
    }

    /// The trace's id, as log lines carry it (32 hexadecimal digits).
    pub fn trace_id(&self) -> opentelemetry::trace::TraceId {
        self.cx.span().span_context().trace_id()
    }

    /// The span's own id (16 hexadecimal digits).
    pub fn span_id(&self) -> opentelemetry::trace::SpanId {
        self.cx.span().span_context().span_id()
    }

    /// Ends the span with the answer's status: an error for 5xx, as the semantic
    /// conventions have it for servers (a 4xx is the caller's, not ours).
    pub fn finish(self, status: u16) {
        let span = self.cx.span();
        span.set_attribute(KeyValue::new(
            "http.response.status_code",
            i64::from(status),
        ));
        if status >= 500 {
            span.set_status(Status::error(""));
        }
        span.end();
    }
}

/// The trace id of a well-formed W3C `traceparent`
/// (`00-<32 hex trace id>-<16 hex parent id>-<2 hex flags>`), for log lines while
/// traces are not sent. An id of zeros, upper-case digits or version `ff` are invalid
/// in the recommendation, and ignored like any other malformed header.
pub fn caller_trace_id(headers: &actix_web::http::header::HeaderMap) -> Option<&str> {
    let header = headers.get("traceparent")?.to_str().ok()?;
    trace_id_of(header)
}

fn trace_id_of(header: &str) -> Option<&str> {
    let lower_hex = |part: &str| part.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    let nonzero = |part: &str| part.bytes().any(|b| b != b'0');
    let mut parts = header.trim().splitn(5, '-');
    let (version, trace_id, parent_id, flags) =
        (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    // Version 00 has exactly four parts; a later version may add more after them.
    let later = parts.next();
    let well_formed = version.len() == 2
        && lower_hex(version)
        && version != "ff"
        && (version != "00" || later.is_none())
        && trace_id.len() == 32
        && lower_hex(trace_id)
        && nonzero(trace_id)
        && parent_id.len() == 16
        && lower_hex(parent_id)
        && nonzero(parent_id)
        && flags.len() == 2
        && lower_hex(flags);
    well_formed.then_some(trace_id)
}

// ---------------------------------------------------------------------------------
// GraphQL operations
// ---------------------------------------------------------------------------------

/// The span of one GraphQL operation, under its request's.
pub struct OperationSpan {
    cx: Context,
}

impl OperationSpan {
    /// Starts an operation's span in the current context: `kind` is `query`,
    /// `mutation` or `subscription`; `name` the operation's name, which the span's name
    /// carries only when it is a GraphQL name of at most 64 characters (span names are
    /// grouped by, so a client must not be able to make up endless ones). Never the
    /// document or its variables. `None` while traces are not sent.
    pub fn start(kind: &'static str, name: Option<&str>) -> Option<OperationSpan> {
        OperationSpan::start_in(&Context::current(), kind, name)
    }

    /// As [`Self::start`], under `parent`.
    pub fn start_in(
        parent: &Context,
        kind: &'static str,
        name: Option<&str>,
    ) -> Option<OperationSpan> {
        let tracing = tracing()?;
        let name = name.filter(|name| is_graphql_name(name));
        let span_name: Cow<'static, str> = match name {
            Some(name) => format!("{kind} {name}").into(),
            None => kind.into(),
        };
        let mut attributes = vec![KeyValue::new("graphql.operation.type", kind)];
        if let Some(name) = name {
            attributes.push(KeyValue::new("graphql.operation.name", name.to_owned()));
        }
        let span = tracing
            .tracer
            .span_builder(span_name)
            .with_kind(SpanKind::Internal)
            .with_attributes(attributes)
            .start_with_context(&tracing.tracer, parent);
        Some(OperationSpan {
            cx: parent.with_span(span),
        })
    }

    /// The context the operation runs in.
    pub fn context(&self) -> &Context {
        &self.cx
    }

    /// Ends the span; an operation answered with errors gets the first error's code
    /// (never its message, which may quote the document).
    pub fn finish(self, response: &async_graphql::Response) {
        let span = self.cx.span();
        if !response.errors.is_empty() {
            let code = response
                .errors
                .iter()
                .find_map(|e| e.extensions.as_ref()?.get("code").map(ToString::to_string))
                .map(|code| code.trim_matches('"').to_owned());
            span.set_attribute(KeyValue::new(
                "graphql.error.count",
                response.errors.len() as i64,
            ));
            if let Some(code) = code {
                span.set_attribute(KeyValue::new("graphql.error.code", code.clone()));
                span.set_status(Status::error(code));
            } else {
                span.set_status(Status::error(""));
            }
        }
        span.end();
    }
}

impl OperationSpan {
    /// Ends the span of an operation that was not answered (its deadline passed).
    pub fn fail(self, reason: &'static str) {
        let span = self.cx.span();
        span.set_status(Status::error(reason));
        span.end();
    }
}

fn is_graphql_name(name: &str) -> bool {
    let mut chars = name.chars();
    name.len() <= 64
        && chars
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// A span that has already happened (a slow resolver, measured once it returned),
/// under the current context; nothing when that context's trace is not kept.
pub fn past_span(
    name: impl Into<Cow<'static, str>>,
    started: SystemTime,
    ended: SystemTime,
    attributes: Vec<KeyValue>,
) {
    let Some(tracing) = tracing() else {
        return;
    };
    let parent = Context::current();
    if !sampled(&parent) {
        return;
    }
    let mut span = tracing
        .tracer
        .span_builder(name)
        .with_kind(SpanKind::Internal)
        .with_start_time(started)
        .with_attributes(attributes)
        .start_with_context(&tracing.tracer, &parent);
    span.end_with_timestamp(ended);
}

// ---------------------------------------------------------------------------------
// SQL statements
// ---------------------------------------------------------------------------------

/// A statement the request's pool sent, as a span under the current context: its
/// text as sent to the database, where every value is a placeholder (`$1`, `?`), never
/// the values bound. Statements sent outside a request (the readiness probe, the event
/// feed) have no context, and no span.
pub fn statement(backend: sea_orm::DbBackend, info: &sea_orm::metric::Info<'_>) {
    let Some(tracing) = tracing() else {
        return;
    };
    let parent = Context::current();
    if !sampled(&parent) {
        return;
    }
    let ended = SystemTime::now();
    let started = ended.checked_sub(info.elapsed).unwrap_or(ended);
    let system = match backend {
        sea_orm::DbBackend::Postgres => "postgresql",
        sea_orm::DbBackend::Sqlite => "sqlite",
        _ => "other_sql",
    };
    let sql = info.statement.sql.as_str();
    let operation = operation_of(sql);
    let mut span = tracing
        .tracer
        .span_builder(operation)
        .with_kind(SpanKind::Client)
        .with_start_time(started)
        .with_attributes([
            KeyValue::new("db.system.name", system),
            KeyValue::new("db.system", system),
            KeyValue::new("db.operation.name", operation),
            KeyValue::new("db.query.text", sql.to_owned()),
        ])
        .start_with_context(&tracing.tracer, &parent);
    if info.failed {
        span.set_status(Status::error(""));
    }
    span.end_with_timestamp(ended);
}

/// The statement's first keyword, as the span's name (a fixed set: names are grouped
/// by).
fn operation_of(sql: &str) -> &'static str {
    let keyword = sql
        .trim_start_matches(|c: char| c.is_whitespace() || c == '(')
        .split(|c: char| !c.is_ascii_alphabetic())
        .next()
        .unwrap_or("");
    const KNOWN: [&str; 12] = [
        "SELECT",
        "INSERT",
        "UPDATE",
        "DELETE",
        "WITH",
        "BEGIN",
        "COMMIT",
        "ROLLBACK",
        "SAVEPOINT",
        "RELEASE",
        "SET",
        "PRAGMA",
    ];
    KNOWN
        .into_iter()
        .find(|known| known.eq_ignore_ascii_case(keyword))
        .unwrap_or("SQL")
}

// ---------------------------------------------------------------------------------
// Calls the server makes
// ---------------------------------------------------------------------------------

/// The span of one HTTP call the server makes, whose `traceparent` goes with it.
pub struct ClientSpan {
    cx: Context,
}

struct SentHeaders<'a>(&'a mut Vec<(&'static str, String)>);

impl Injector for SentHeaders<'_> {
    fn set(&mut self, key: &str, value: String) {
        let key = match key {
            "traceparent" => "traceparent",
            "tracestate" => "tracestate",
            _ => return,
        };
        self.0.push((key, value));
    }
}

impl ClientSpan {
    /// Starts the span of a call (named by its method, as the semantic conventions name
    /// a call without a URL template): its method and the host it goes to (never the whole
    /// URL, whose path or query may hold a receiver's secret), under the current context
    /// when there is one, else as a trace of its own (a background task's call).
    /// `None` while traces are not sent.
    pub fn start(method: &'static str, url: &str) -> Option<ClientSpan> {
        let tracing = tracing()?;
        let parent = Context::current();
        let mut attributes = vec![KeyValue::new("http.request.method", method)];
        if let Ok(url) = url::Url::parse(url) {
            if let Some(host) = url.host_str() {
                attributes.push(KeyValue::new("server.address", host.to_owned()));
            }
            if let Some(port) = url.port_or_known_default() {
                attributes.push(KeyValue::new("server.port", i64::from(port)));
            }
        }
        let span = tracing
            .tracer
            .span_builder(method)
            .with_kind(SpanKind::Client)
            .with_attributes(attributes)
            .start_with_context(&tracing.tracer, &parent);
        Some(ClientSpan {
            cx: parent.with_span(span),
        })
    }

    /// `request` with this span's `traceparent` (and `tracestate`).
    pub fn carry(&self, mut request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        let mut headers = Vec::with_capacity(2);
        TraceContextPropagator::new().inject_context(&self.cx, &mut SentHeaders(&mut headers));
        for (name, value) in headers {
            request = request.header(name, value);
        }
        request
    }

    /// Ends the span with the answer's status, or as failed when none came.
    pub fn finish(self, status: Option<u16>) {
        let span = self.cx.span();
        match status {
            Some(status) => {
                span.set_attribute(KeyValue::new(
                    "http.response.status_code",
                    i64::from(status),
                ));
                if status >= 400 {
                    span.set_status(Status::error(""));
                }
            }
            None => span.set_status(Status::error("no answer")),
        }
        span.end();
    }
}

/// `request` carried by `span` when there is one.
pub fn carry(
    span: Option<&ClientSpan>,
    request: reqwest::RequestBuilder,
) -> reqwest::RequestBuilder {
    match span {
        Some(span) => span.carry(request),
        None => request,
    }
}

// ---------------------------------------------------------------------------------
// The request id
// ---------------------------------------------------------------------------------

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

/// The most of a request's path a span keeps: a request line may be up to the head
/// limit long, and each span waits in the export queue with its attributes.
const MAX_PATH_ATTRIBUTE: usize = 256;

/// `text` cut to at most `max` bytes, at a character boundary.
fn bounded(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_traceparent_gives_its_trace_id_only_when_well_formed() {
        let id = "4bf92f3577b34da6a3ce929d0e0e4736";
        assert_eq!(
            trace_id_of(&format!("00-{id}-00f067aa0ba902b7-01")),
            Some(id)
        );
        assert_eq!(
            trace_id_of(&format!("01-{id}-00f067aa0ba902b7-00-later")),
            Some(id),
            "a later version may add parts"
        );
        for bad in [
            format!("00-{id}-00f067aa0ba902b7-01-extra"),
            format!("ff-{id}-00f067aa0ba902b7-01"),
            format!("00-{}-00f067aa0ba902b7-01", "0".repeat(32)),
            format!("00-{id}-0000000000000000-01"),
            format!("00-{}-00f067aa0ba902b7-01", id.to_uppercase()),
            format!("00-{id}-00f067aa0ba902b7"),
            format!("00-{}-00f067aa0ba902b7-01", &id[1..]),
            "not a traceparent".to_owned(),
        ] {
            assert_eq!(trace_id_of(&bad), None, "{bad}");
        }
    }

    #[test]
    fn the_samplers_are_the_standard_ones() {
        use opentelemetry_sdk::trace::Sampler as Sdk;
        let cases = [
            (Sampler::AlwaysOn, Sdk::AlwaysOn),
            (Sampler::AlwaysOff, Sdk::AlwaysOff),
            (Sampler::TraceIdRatio, Sdk::TraceIdRatioBased(0.5)),
            (
                Sampler::ParentbasedAlwaysOn,
                Sdk::ParentBased(Box::new(Sdk::AlwaysOn)),
            ),
            (
                Sampler::ParentbasedAlwaysOff,
                Sdk::ParentBased(Box::new(Sdk::AlwaysOff)),
            ),
            (
                Sampler::ParentbasedTraceIdRatio,
                Sdk::ParentBased(Box::new(Sdk::TraceIdRatioBased(0.5))),
            ),
        ];
        for (setting, expected) in cases {
            assert_eq!(
                format!("{:?}", sampler(setting, 0.5)),
                format!("{expected:?}")
            );
        }
    }

    #[test]
    fn statements_are_named_by_their_first_keyword_from_a_fixed_set() {
        assert_eq!(
            operation_of(r#"SELECT "fellow"."id" FROM "fellow""#),
            "SELECT"
        );
        assert_eq!(operation_of("  insert into x values ($1)"), "INSERT");
        assert_eq!(operation_of("(SELECT 1) UNION ALL (SELECT 2)"), "SELECT");
        assert_eq!(operation_of("VACUUM"), "SQL");
        assert_eq!(operation_of(""), "SQL");
    }

    #[test]
    fn only_graphql_names_name_an_operation_span() {
        assert!(is_graphql_name("FellowsPage"));
        assert!(!is_graphql_name("a-b"));
        assert!(!is_graphql_name(&"x".repeat(65)));
        assert!(!is_graphql_name(""));
    }

    #[test]
    fn a_long_path_is_cut_at_a_character_boundary() {
        assert_eq!(super::bounded("/graphql", 256), "/graphql");
        let long = "é".repeat(200);
        let cut = super::bounded(&long, 255);
        assert_eq!(cut.len(), 254);
        assert!(long.starts_with(cut));
    }
}

//! Traces as a collector receives them: the `api` binary sends OTLP/HTTP to a receiver
//! of the test's own, and a request's spans arrive under the caller's trace.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use fellowship_tests::process::{post_raw as post, ServeCommand, ServeProcess};
use fellowship_tests::ws::WsClient;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::any_value::Value;
use opentelemetry_proto::tonic::trace::v1::span::SpanKind;
use opentelemetry_proto::tonic::trace::v1::Span;
use prost::Message;

/// The caller's trace, and its span the server's request span must be a child of.
const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const CALLER_SPAN_ID: &str = "00f067aa0ba902b7";
/// The caller's vendor state, which its spans carry on.
const CALLER_TRACESTATE: &str = "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7";
/// A second caller's trace, whose `tracestate` is too long to carry.
const OVERSIZED_TRACE_ID: &str = "5cf92f3577b34da6a3ce929d0e0e4737";
/// A search no statement text may contain: it is a bound value.
const SEARCH: &str = "zq-needle-8731";

/// An OTLP/HTTP receiver: takes `POST /v1/traces` (protobuf) on an ephemeral port and
/// keeps every span, with the `service.name` of its resource.
struct Receiver {
    address: String,
    spans: Arc<Mutex<Vec<(String, Span)>>>,
}

impl Receiver {
    fn start() -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let address = format!("http://{}", listener.local_addr().unwrap());
        let spans = Arc::new(Mutex::new(Vec::new()));
        let kept = spans.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let kept = kept.clone();
                std::thread::spawn(move || serve_connection(stream, &kept));
            }
        });
        Receiver { address, spans }
    }

    /// The spans of `trace_id` received so far.
    fn spans_of(&self, trace_id: &str) -> Vec<(String, Span)> {
        self.spans
            .lock()
            .unwrap()
            .iter()
            .filter(|(_, span)| hex(&span.trace_id) == trace_id)
            .cloned()
            .collect()
    }

    fn span_count(&self) -> usize {
        self.spans.lock().unwrap().len()
    }

    /// Waits (at most 15 seconds) until the spans of `trace_id` satisfy `enough`.
    fn wait_for(
        &self,
        trace_id: &str,
        enough: impl Fn(&[(String, Span)]) -> bool,
    ) -> Vec<(String, Span)> {
        let give_up = Instant::now() + Duration::from_secs(15);
        loop {
            let spans = self.spans_of(trace_id);
            if enough(&spans) || Instant::now() > give_up {
                return spans;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// HTTP/1.1 requests on one connection, kept alive as the exporter's client keeps it.
fn serve_connection(stream: std::net::TcpStream, kept: &Mutex<Vec<(String, Span)>>) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut writer = stream;
    loop {
        let mut request_line = String::new();
        if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
            return;
        }
        let mut length = 0;
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                return;
            }
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some((name, value)) = line.split_once(':') {
                if name.eq_ignore_ascii_case("content-length") {
                    length = value.trim().parse().unwrap_or(0);
                }
            }
        }
        let mut body = vec![0; length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        if request_line.starts_with("POST /v1/traces ") {
            if let Ok(export) = ExportTraceServiceRequest::decode(body.as_slice()) {
                let mut kept = kept.lock().unwrap();
                for resource_spans in export.resource_spans {
                    let service = resource_spans
                        .resource
                        .iter()
                        .flat_map(|r| &r.attributes)
                        .find(|kv| kv.key == "service.name")
                        .and_then(|kv| text(kv.value.as_ref()?.value.as_ref()?))
                        .unwrap_or_default();
                    for scope in resource_spans.scope_spans {
                        for span in scope.spans {
                            kept.push((service.clone(), span));
                        }
                    }
                }
            }
        }
        let answer =
            "HTTP/1.1 200 OK\r\nContent-Type: application/x-protobuf\r\nContent-Length: 0\r\n\r\n";
        if writer.write_all(answer.as_bytes()).is_err() {
            return;
        }
    }
}

fn text(value: &Value) -> Option<String> {
    match value {
        Value::StringValue(text) => Some(text.clone()),
        Value::IntValue(n) => Some(n.to_string()),
        Value::BoolValue(b) => Some(b.to_string()),
        _ => None,
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn attribute(span: &Span, key: &str) -> Option<String> {
    span.attributes
        .iter()
        .find(|kv| kv.key == key)
        .and_then(|kv| text(kv.value.as_ref()?.value.as_ref()?))
}

fn serve(command: ServeCommand) -> (tokio::runtime::Runtime, ServeProcess) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let server = runtime.block_on(command.start());
    (runtime, server)
}

fn search_request() -> String {
    serde_json::json!({
        "query": "query SearchFellows($q: String) { fellows(first: 5, filter: { search: $q }) { edges { node { id name } } } }",
        "operationName": "SearchFellows",
        "variables": { "q": SEARCH },
    })
    .to_string()
}

fn scratch(name: &str) -> (std::path::PathBuf, String) {
    let dir = std::env::temp_dir().join(format!("fellowship-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let database = format!("sqlite://{}/traced.db?mode=rwc", dir.display());
    (dir, database)
}

#[test]
fn a_requests_spans_arrive_under_the_callers_trace_without_the_values_it_sent() {
    let receiver = Receiver::start();
    let (dir, database) = scratch("tracing");
    let log = dir.join("server.log");
    let (_runtime, mut server) = serve(
        ServeCommand::new(env!("CARGO_BIN_EXE_api"), &database)
            .demo()
            .env("OTEL_EXPORTER_OTLP_ENDPOINT", &receiver.address)
            .env("OTEL_SERVICE_NAME", "fellowship-api-under-test")
            .env("OTEL_BSP_SCHEDULE_DELAY", "100")
            // Every resolver is slow enough, so that their spans can be seen.
            .env("TRACE_SLOW_RESOLVER", "0s")
            .env("RUST_LOG", "info")
            .env("LOG_FORMAT", "json")
            .env("SHUTDOWN_DELAY", "0s")
            .log_to(&log),
    );

    let traceparent = format!("00-{TRACE_ID}-{CALLER_SPAN_ID}-01");
    let answer = post(
        server.port,
        &[
            ("traceparent", &traceparent),
            ("tracestate", CALLER_TRACESTATE),
            ("X-Request-Id", "traced-42"),
        ],
        &search_request(),
    );
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("\"fellows\""), "{answer}");
    // A well-formed tracestate of a kilobyte (ten members of 100 characters, each one
    // valid) is not carried: the trace is, without it.
    let oversized: Vec<String> = (0..10)
        .map(|i| format!("vendor{i}={}", "x".repeat(100)))
        .collect();
    let oversized_parent = format!("00-{OVERSIZED_TRACE_ID}-{CALLER_SPAN_ID}-01");
    let answer = post(
        server.port,
        &[
            ("traceparent", &oversized_parent),
            ("tracestate", &oversized.join(",")),
        ],
        r#"{"query":"{ __typename }"}"#,
    );
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");

    let spans = receiver.wait_for(TRACE_ID, |spans| {
        let has = |kind: SpanKind| spans.iter().any(|(_, s)| s.kind == kind as i32);
        has(SpanKind::Server)
            && has(SpanKind::Client)
            && spans.iter().any(|(_, s)| s.name.starts_with("query"))
    });
    let server_span = spans
        .iter()
        .map(|(_, s)| s)
        .find(|s| s.kind == SpanKind::Server as i32)
        .unwrap_or_else(|| panic!("no HTTP span arrived: {spans:#?}"));
    assert_eq!(server_span.name, "POST /graphql");
    assert_eq!(hex(&server_span.parent_span_id), CALLER_SPAN_ID);
    assert_eq!(server_span.trace_state, CALLER_TRACESTATE);
    assert_eq!(
        attribute(server_span, "http.request.method").as_deref(),
        Some("POST")
    );
    assert_eq!(
        attribute(server_span, "url.path").as_deref(),
        Some("/graphql")
    );
    assert_eq!(
        attribute(server_span, "http.route").as_deref(),
        Some("/graphql")
    );
    assert_eq!(
        attribute(server_span, "http.response.status_code").as_deref(),
        Some("200")
    );
    assert!(spans
        .iter()
        .all(|(service, _)| service == "fellowship-api-under-test"));

    let operation = spans
        .iter()
        .map(|(_, s)| s)
        .find(|s| s.name == "query SearchFellows")
        .unwrap_or_else(|| panic!("no operation span arrived: {spans:#?}"));
    assert_eq!(operation.parent_span_id, server_span.span_id);
    assert_eq!(
        attribute(operation, "graphql.operation.type").as_deref(),
        Some("query")
    );
    assert_eq!(
        attribute(operation, "graphql.operation.name").as_deref(),
        Some("SearchFellows")
    );

    let statements: Vec<&Span> = spans
        .iter()
        .map(|(_, s)| s)
        .filter(|s| s.kind == SpanKind::Client as i32)
        .collect();
    let search = statements
        .iter()
        .find(|s| attribute(s, "db.query.text").is_some_and(|sql| sql.contains("LIKE")))
        .unwrap_or_else(|| panic!("no span of the search's statement: {statements:#?}"));
    let sql = attribute(search, "db.query.text").unwrap();
    assert!(sql.contains('?') || sql.contains("$1"), "{sql}");
    assert_eq!(attribute(search, "db.system").as_deref(), Some("sqlite"));
    assert_eq!(search.parent_span_id, operation.span_id, "{sql}");
    for (_, span) in &spans {
        for kv in &span.attributes {
            let value = kv
                .value
                .as_ref()
                .and_then(|v| v.value.as_ref())
                .and_then(text);
            assert!(
                !value.unwrap_or_default().contains(SEARCH),
                "{} carries the search in {}",
                span.name,
                kv.key
            );
        }
    }
    assert!(
        spans.iter().any(
            |(_, s)| s.name == "resolve Query.fellows" && s.parent_span_id == operation.span_id
        ),
        "a resolver's span, under its operation's"
    );

    let oversized_spans = receiver.wait_for(OVERSIZED_TRACE_ID, |spans| {
        spans.iter().any(|(_, s)| s.kind == SpanKind::Server as i32)
    });
    assert!(
        oversized_spans
            .iter()
            .any(|(_, s)| s.kind == SpanKind::Server as i32),
        "no span arrived under the trace of the oversized tracestate"
    );
    for (_, span) in &oversized_spans {
        assert_eq!(
            span.trace_state, "",
            "{} carries an oversized tracestate",
            span.name
        );
        if span.kind == SpanKind::Server as i32 {
            assert_eq!(hex(&span.parent_span_id), CALLER_SPAN_ID);
        }
    }

    server.terminate();
    server.wait();
    let logs = std::fs::read_to_string(&log).unwrap();
    let line = logs
        .lines()
        .find(|line| line.contains("traced-42") && line.contains("\"request\""))
        .unwrap_or_else(|| panic!("no log line of the request: {logs}"));
    assert!(line.contains(TRACE_ID), "{line}");
    assert!(line.contains(&hex(&server_span.span_id)), "{line}");
    assert!(!logs.contains(SEARCH), "the logs carry the search");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_subscription_is_a_span_under_its_websockets_upgrade() {
    const WS_TRACE_ID: &str = "0af7651916cd43dd8448eb211c80319c";
    const WS_CALLER_SPAN_ID: &str = "b7ad6b7169203331";
    let receiver = Receiver::start();
    let (dir, database) = scratch("tracing-ws");
    let (runtime, server) = serve(
        ServeCommand::new(env!("CARGO_BIN_EXE_api"), &database)
            .demo()
            .env("OTEL_EXPORTER_OTLP_ENDPOINT", &receiver.address)
            .env("OTEL_BSP_SCHEDULE_DELAY", "100"),
    );
    let address = server.address.clone();
    let traceparent = format!("00-{WS_TRACE_ID}-{WS_CALLER_SPAN_ID}-01");
    runtime.block_on(async {
        let mut client =
            WsClient::connect_with_headers(&address, &[("traceparent", &traceparent)]).await;
        let token = fellowship_tests::user_token(api::auth::Role::Staff, "merve");
        client.init(Some(&token)).await;
        client
            .subscribe(
                "1",
                "subscription Follow { nominationEvents { cursor } }",
                serde_json::json!({}),
            )
            .await;
        client.expect_silence(Duration::from_millis(300)).await;
        client
            .send(serde_json::json!({ "id": "1", "type": "complete" }))
            .await;
        client.expect_silence(Duration::from_millis(300)).await;
        client.close().await;
    });

    let spans = receiver.wait_for(WS_TRACE_ID, |spans| {
        spans.iter().any(|(_, s)| s.name == "subscription Follow")
    });
    let upgrade = spans
        .iter()
        .map(|(_, s)| s)
        .find(|s| s.kind == SpanKind::Server as i32)
        .unwrap_or_else(|| panic!("no span of the upgrade: {spans:#?}"));
    assert_eq!(upgrade.name, "GET /graphql");
    assert_eq!(hex(&upgrade.parent_span_id), WS_CALLER_SPAN_ID);
    assert_eq!(
        attribute(upgrade, "http.response.status_code").as_deref(),
        Some("101")
    );
    let subscription = spans
        .iter()
        .map(|(_, s)| s)
        .find(|s| s.name == "subscription Follow")
        .unwrap_or_else(|| panic!("no span of the subscription: {spans:#?}"));
    assert_eq!(subscription.parent_span_id, upgrade.span_id);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn without_an_endpoint_nothing_is_sent_and_logs_still_carry_the_callers_trace_id() {
    let receiver = Receiver::start();
    let (dir, database) = scratch("untraced");
    let log = dir.join("server.log");
    let (_runtime, mut server) = serve(
        ServeCommand::new(env!("CARGO_BIN_EXE_api"), &database)
            // Only OTEL_EXPORTER_OTLP_ENDPOINT turns tracing on: the SDK's own variables
            // alone change nothing.
            .env(
                "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
                &format!("{}/v1/traces", receiver.address),
            )
            .env("OTEL_BSP_SCHEDULE_DELAY", "100")
            .env("RUST_LOG", "info")
            .env("SHUTDOWN_DELAY", "0s")
            .log_to(&log),
    );
    let traceparent = format!("00-{TRACE_ID}-{CALLER_SPAN_ID}-01");
    let answer = post(
        server.port,
        &[
            ("traceparent", &traceparent),
            ("X-Request-Id", "untraced-7"),
        ],
        &search_request(),
    );
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    let malformed = post(
        server.port,
        &[
            ("traceparent", "00-not-a-trace-01"),
            ("X-Request-Id", "malformed-8"),
        ],
        &search_request(),
    );
    assert!(malformed.starts_with("HTTP/1.1 200"), "{malformed}");
    std::thread::sleep(Duration::from_millis(500));

    server.terminate();
    server.wait();
    assert_eq!(receiver.span_count(), 0, "nothing was sent");
    let logs = std::fs::read_to_string(&log).unwrap();
    let line = logs
        .lines()
        .find(|line| line.contains("untraced-7"))
        .unwrap_or_else(|| panic!("no log line of the request: {logs}"));
    assert!(line.contains(TRACE_ID), "{line}");
    let malformed = logs
        .lines()
        .find(|line| line.contains("malformed-8"))
        .unwrap_or_else(|| panic!("no log line of the request: {logs}"));
    assert!(!malformed.contains("trace_id"), "{malformed}");
    // The readiness probe may warn of a slow ping on a loaded machine; that is the
    // database's doing, not tracing's.
    let trouble: Vec<&str> = logs
        .lines()
        .filter(|line| line.contains("ERROR") || line.contains("WARN"))
        .filter(|line| !line.contains("database"))
        .collect();
    assert!(trouble.is_empty(), "nothing went wrong: {trouble:?}");
    let _ = std::fs::remove_dir_all(dir);
}

//! GraphQL over HTTP, after the GraphQL-over-HTTP specification.
//!
//! - `POST /graphql` takes a JSON body (`application/json`); other media types are
//!   answered 415, malformed JSON 400, batches (JSON arrays) 400.
//! - `GET /graphql?query=...` runs queries only: a mutation is answered 405 with
//!   `Allow: POST`, since GET must be safe to repeat and to cache. A browser asking for
//!   HTML without a query gets the playground.
//! - The response is `application/graphql-response+json` when the client accepts it
//!   (with 400 for a request that could not run at all), and `application/json` with
//!   200 otherwise.
//! - Every error leaving here carries `extensions.code`.

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use async_graphql::Value;

use futures::StreamExt;

use super::pipeline::{self, Takes};
use super::refusal;
use super::{playground, AppState, MAX_BODY_BYTES};
use crate::auth::{self, AuthError};
use crate::error::{Code, ServiceError};
use crate::graphql::trusted_documents::Unresolved;
use crate::service::idempotency::IdempotencyKey;
use crate::service::rate_limits::Usage;
use crate::telemetry::{self, OperationSpan};

const GRAPHQL_RESPONSE_JSON: &str = "application/graphql-response+json";

/// Which response media type the client gets.
#[derive(Clone, Copy, PartialEq, Eq)]
enum ResponseType {
    GraphqlResponseJson,
    Json,
}

fn negotiate(request: &HttpRequest) -> ResponseType {
    let accept = request
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if accept.contains(GRAPHQL_RESPONSE_JSON) {
        ResponseType::GraphqlResponseJson
    } else {
        ResponseType::Json
    }
}

fn wants_html(request: &HttpRequest) -> bool {
    request
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"))
}

/// A response for a request that never reached the executor.
fn refuse(status: StatusCode, code: Code, message: &str) -> HttpResponse {
    refusal::with_status(status, code, message)
}

pub async fn post(
    request: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> HttpResponse {
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let media_type = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if media_type != "application/json" {
        return refuse(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Code::BadUserInput,
            "Send the GraphQL request as a JSON body with `Content-Type: application/json`.",
        );
    }
    let body = match read_body(&request, payload, state.body_timeout).await {
        Ok(body) => body,
        Err(response) => return *response,
    };
    // Straight into the request, with no JSON tree in between; the kind of failure tells
    // malformed JSON from a batch (an array) from an object of the wrong shape.
    let incoming: pipeline::Incoming = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(err) if matches!(err.classify(), serde_json::error::Category::Data) => {
            let message = if body.trim_ascii_start().starts_with(b"[") {
                "Batched requests are not supported; send one operation per request."
            } else {
                "The body must be an object with a string `query` (or a `documentId`) and optional `variables` and `operationName`."
            };
            return refuse(StatusCode::BAD_REQUEST, Code::BadUserInput, message);
        }
        Err(_) => {
            return refuse(
                StatusCode::BAD_REQUEST,
                Code::BadUserInput,
                "The body is not valid JSON.",
            )
        }
    };
    let (gql_request, document_id) = incoming.into_parts();
    execute(&request, &state, gql_request, document_id.as_deref()).await
}

/// Reads the body up to [`MAX_BODY_BYTES`]: a declared length over it is refused before
/// reading, and a chunked body is cut off as soon as it passes the limit.
/// A body that has not arrived whole within `timeout` is answered 408, and the
/// connection is closed (whatever the client still sends belongs to no request).
async fn read_body(
    request: &HttpRequest,
    mut payload: web::Payload,
    timeout: std::time::Duration,
) -> Result<web::Bytes, Box<HttpResponse>> {
    match tokio::time::timeout(timeout, read_body_whole(request, &mut payload)).await {
        Ok(read) => read,
        Err(_) => {
            let message = format!(
                "The body did not arrive within {} seconds; send it whole, promptly.",
                timeout.as_secs_f64()
            );
            let answer = refusal::body(Code::BadUserInput, &message, &[]);
            // Whatever the client still sends belongs to no request, so the connection
            // closes after this answer. actix-http closes it by itself while the body
            // is unread, but drains a chunked body to its end once the body has been
            // dropped, which a client that stalls never reaches: so the answer's own
            // body holds the request's until it has been written.
            let mut response = HttpResponse::build(StatusCode::REQUEST_TIMEOUT)
                .content_type("application/json")
                .body(StalledBody {
                    answer: Some(web::Bytes::from(answer.to_string())),
                    _unread: payload,
                });
            response
                .head_mut()
                .set_connection_type(actix_web::http::ConnectionType::Close);
            Err(Box::new(response))
        }
    }
}

/// The 408 answer to a body that did not arrive in time, holding that body until the
/// answer is written (see [`read_body`]).
struct StalledBody {
    answer: Option<web::Bytes>,
    _unread: web::Payload,
}

impl actix_web::body::MessageBody for StalledBody {
    type Error = std::convert::Infallible;

    fn size(&self) -> actix_web::body::BodySize {
        actix_web::body::BodySize::Sized(self.answer.as_ref().map_or(0, |a| a.len() as u64))
    }

    fn poll_next(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<web::Bytes, Self::Error>>> {
        std::task::Poll::Ready(self.get_mut().answer.take().map(Ok))
    }
}

async fn read_body_whole(
    request: &HttpRequest,
    payload: &mut web::Payload,
) -> Result<web::Bytes, Box<HttpResponse>> {
    let too_large = || {
        Box::new(refuse(
            StatusCode::PAYLOAD_TOO_LARGE,
            Code::BadUserInput,
            &format!("The body is larger than the limit of {MAX_BODY_BYTES} bytes."),
        ))
    };
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|length| length > MAX_BODY_BYTES) {
        return Err(too_large());
    }
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|_| {
            Box::new(refuse(
                StatusCode::BAD_REQUEST,
                Code::BadUserInput,
                "The body could not be read.",
            ))
        })?;
        if body.len() + chunk.len() > MAX_BODY_BYTES {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

/// A failure of ours before the executor ran (authenticating, charging): mapped like any
/// service error, so that an unavailable database is 503 with `extensions.unavailable`.
fn service_failure(err: ServiceError) -> HttpResponse {
    let status = match err {
        ServiceError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    let error = async_graphql::Error::from(err);
    let mut body = async_graphql::ServerError::new(error.message, None);
    body.extensions = error.extensions;
    let mut response = HttpResponse::build(status);
    if status == StatusCode::SERVICE_UNAVAILABLE {
        response.insert_header((header::RETRY_AFTER, "1"));
    }
    response.json(refusal::body_of([body]))
}

/// The answer to an operation the pipeline refused, in HTTP's terms: a document over a
/// limit is a request error (400 for the new media type), a mutation over GET is 405,
/// a spent budget 429 with the time it resets.
fn refused(request: &HttpRequest, refused: pipeline::Refused) -> HttpResponse {
    let request_error_status = match negotiate(request) {
        ResponseType::GraphqlResponseJson => StatusCode::BAD_REQUEST,
        ResponseType::Json => StatusCode::OK,
    };
    let code = refused.code();
    let document_message = refused.document_message().unwrap_or_default();
    match refused {
        // An unknown persisted document is answered 200 whatever the media type:
        // Apollo Client's link gives up on persisted queries at a 400.
        pipeline::Refused::Unresolved(Unresolved::NotFound) => {
            refuse(StatusCode::OK, code, document_message)
        }
        pipeline::Refused::Unresolved(Unresolved::BadInput(_))
        | pipeline::Refused::Untrusted(_) => refuse(request_error_status, code, document_message),
        pipeline::Refused::TooComplex(refusal) => {
            HttpResponse::build(request_error_status).json(refusal::body_of([refusal.to_error()]))
        }
        pipeline::Refused::Mutation => {
            let mut response = HttpResponse::MethodNotAllowed();
            response.insert_header((header::ALLOW, HeaderValue::from_static("POST")));
            refusal::answer(
                response,
                Code::BadUserInput,
                "Mutations are only accepted over POST.",
            )
        }
        pipeline::Refused::RateLimited(usage) => {
            let mut response = HttpResponse::TooManyRequests();
            response.insert_header((header::RETRY_AFTER, usage.reset_in_seconds().to_string()));
            let body = refusal::body(
                Code::RateLimited,
                &usage.spent_message(),
                &[(
                    "resetAt",
                    serde_json::Value::from(usage.reset_at.to_rfc3339()),
                )],
            );
            with_rate_limit_headers(response, &usage).json(body)
        }
    }
}

fn with_rate_limit_headers(
    mut response: actix_web::HttpResponseBuilder,
    usage: &Usage,
) -> actix_web::HttpResponseBuilder {
    response
        .insert_header(("RateLimit-Limit", usage.limit.to_string()))
        .insert_header(("RateLimit-Remaining", usage.remaining().to_string()))
        .insert_header(("RateLimit-Reset", usage.reset_in_seconds().to_string()));
    response
}

/// How shared caches may keep an answer.
struct CacheHeaders {
    cache_control: String,
    /// A strong validator: the answer's bytes decide it.
    etag: String,
}

/// The caching of an answer the schema's cache hints make public with a `max-age`
/// (`#[graphql(cache_control(...))]` on the types and fields it read, merged by
/// async-graphql while validating, with no extension): `None` when any of them is
/// private or uncacheable, or none gives an age.
fn cache_headers(hints: &async_graphql::CacheControl, body: &[u8]) -> Option<CacheHeaders> {
    use sha2::Digest;
    if !hints.public || hints.max_age <= 0 {
        return None;
    }
    // async-graphql 7 resolves an object's fields concurrently and writes them in the
    // order they finish, so two answers with the same data may order their keys
    // differently. The tag is taken over the answer with its keys sorted, and is weak
    // (RFC 9110): the same data, not necessarily the same bytes.
    let canonical = serde_json::from_slice::<serde_json::Value>(body)
        .and_then(|value| serde_json::to_vec(&value))
        .unwrap_or_else(|_| body.to_vec());
    let digest = sha2::Sha256::digest(&canonical);
    let etag = digest[..16]
        .iter()
        .fold(String::from("W/\""), |mut out, byte| {
            use std::fmt::Write;
            let _ = write!(out, "{byte:02x}");
            out
        })
        + "\"";
    Some(CacheHeaders {
        cache_control: format!("public, max-age={}", hints.max_age),
        etag,
    })
}

/// Whether the request's `If-None-Match` names `etag` (compared weakly, as RFC 9110
/// says for this header) or is `*`.
fn if_none_match(request: &HttpRequest, etag: &str) -> bool {
    request
        .headers()
        .get_all(header::IF_NONE_MATCH)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .any(|tag| {
            let weak = |tag: &str| tag.strip_prefix("W/").unwrap_or(tag).to_owned();
            tag == "*" || weak(tag) == weak(etag)
        })
}

/// The body of a request that could not run: its errors, and no `data`.
#[derive(serde::Serialize)]
struct RequestErrors<'a> {
    errors: &'a [async_graphql::ServerError],
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    extensions: &'a std::collections::BTreeMap<String, Value>,
}

/// `GET /graphql` that is not a WebSocket upgrade: the playground for a browser, or a
/// query in the query string.
pub async fn get(request: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let query_string = request.query_string();
    if query_string.is_empty() && wants_html(&request) && state.playground {
        return playground::page();
    }
    let Some((mut gql_request, document_id)) = parse_query_string(query_string) else {
        return refuse(
            StatusCode::BAD_REQUEST,
            Code::BadUserInput,
            "Pass the operation as `?query=...` (or `?documentId=sha256:...`), with optional \
             `variables` and `extensions` (JSON) and `operationName`.",
        );
    };
    let mut response = match pipeline::check(
        &state,
        &mut gql_request,
        document_id.as_deref(),
        Takes::NoMutations,
    ) {
        Ok(checked) => run(&request, &state, gql_request, checked).await,
        Err(refusal) => refused(&request, refusal),
    };
    // A GET answer is cacheable by default in HTTP: every one that `run` did not mark
    // public says so (refusals included, such as an unknown persisted document).
    if !response.headers().contains_key(header::CACHE_CONTROL) {
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

/// `?query=&operationName=&variables=&extensions=&documentId=`, the last three as
/// JSON where they are objects; `None` when it cannot be read.
fn parse_query_string(query_string: &str) -> Option<(async_graphql::Request, Option<String>)> {
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Fields {
        #[serde(default)]
        query: String,
        operation_name: Option<String>,
        variables: Option<String>,
        extensions: Option<String>,
        document_id: Option<String>,
    }
    let fields = web::Query::<Fields>::from_query(query_string)
        .ok()?
        .into_inner();
    let mut request = async_graphql::Request::new(fields.query);
    if let Some(variables) = fields.variables {
        request.variables = serde_json::from_str(&variables).ok()?;
    }
    if let Some(extensions) = fields.extensions {
        request.extensions = serde_json::from_str(&extensions).ok()?;
    }
    request.operation_name = fields.operation_name;
    Some((request, fields.document_id))
}

/// Checks a request's document and variables ([`pipeline::check`]), then runs it.
async fn execute(
    request: &HttpRequest,
    state: &AppState,
    mut gql_request: async_graphql::Request,
    document_id: Option<&str>,
) -> HttpResponse {
    match pipeline::check(state, &mut gql_request, document_id, Takes::Everything) {
        Ok(checked) => run(request, state, gql_request, checked).await,
        Err(refusal) => refused(request, refusal),
    }
}

/// Runs a request that passed [`pipeline::check`]: authenticates, charges, executes
/// under the deadline, and answers.
async fn run(
    request: &HttpRequest,
    state: &AppState,
    mut gql_request: async_graphql::Request,
    checked: pipeline::Checked,
) -> HttpResponse {
    let response_type = negotiate(request);
    let started = std::time::Instant::now();
    let operation_name = gql_request.operation_name.clone();
    let viewer = match auth::authenticate_request(&state.db, &state.keys, request.headers()).await {
        Ok(viewer) => viewer,
        Err(AuthError::Rejected(rejection)) => return refusal::unauthorized(&rejection),
        Err(AuthError::Service(err)) => return service_failure(err),
    };
    // Only a GET of a manifest document by a caller without credentials may be kept
    // by shared caches, and only when its answer says so (see `cache_headers`).
    let may_cache = request.method() == actix_web::http::Method::GET
        && checked.source.trusted()
        && matches!(viewer, auth::Viewer::Anonymous);
    // A query may run a second time (see `graphql::Schemas`): keep what rebuilds it.
    let lean = !pipeline::is_mutation(&mut gql_request);
    let replay = lean.then(|| {
        (
            gql_request.query.clone(),
            gql_request.operation_name.clone(),
            gql_request.variables.clone(),
        )
    });
    let caller = pipeline::caller_of(state, request, &viewer);
    let (mut gql_request, admitted) =
        match pipeline::admit(state, viewer, &caller, checked, gql_request).await {
            Ok(admitted) => admitted,
            Err(refusal) => return refused(request, refusal),
        };
    let usage = admitted.usage;
    if let Some(value) = request.headers().get("idempotency-key") {
        match value.to_str().ok().and_then(IdempotencyKey::parse) {
            Some(key) => gql_request = gql_request.data(key),
            None => {
                return refuse(
                    StatusCode::BAD_REQUEST,
                    Code::BadUserInput,
                    "An Idempotency-Key is 1 to 255 printable ASCII characters, such as a UUID.",
                )
            }
        }
    }
    // The deadline and the commits agree through the request's commit gate: past the
    // deadline no commit starts and the request is answered 503 (nothing was written);
    // a commit already under way is waited for and its outcome answered.
    let gate = crate::db::CommitGate::new(tokio::time::Instant::now() + state.request_timeout);
    let schema = if lean {
        &state.schema.lean
    } else {
        &state.schema.exact
    };
    let operation = pipeline::operation_span(&mut gql_request, None);
    let traced = operation.as_ref().map(OperationSpan::context);
    let mut outcome = gate
        .run(telemetry::within(traced, schema.execute(gql_request)))
        .await;
    if let (crate::db::Outcome::Finished(response), Some((query, name, variables))) =
        (&outcome, replay)
    {
        if crate::graphql::needs_exact_nulls(response) {
            let mut again = async_graphql::Request::new(query).variables(variables);
            again.operation_name = name;
            let again = admitted.again(again);
            outcome = gate
                .run(telemetry::within(traced, state.schema.exact.execute(again)))
                .await;
        }
    }
    let crate::db::Outcome::Finished(mut response) = outcome else {
        tracing::warn!(timeout = ?state.request_timeout, "request deadline passed");
        if let Some(operation) = operation {
            operation.fail("deadline passed");
        }
        return HttpResponse::ServiceUnavailable()
            .insert_header((header::RETRY_AFTER, "1"))
            .json(refusal::body(
                Code::InternalServerError,
                "The request took too long and was stopped; nothing it was changing was saved.",
                &[("unavailable", serde_json::Value::Bool(true))],
            ));
    };
    // A request error (parse, validation, variables) has no path; a field error does.
    let request_failed = matches!(response.data, Value::Null)
        && response.is_err()
        && response.errors.iter().all(|e| e.path.is_empty());
    pipeline::finish(
        state,
        &mut response,
        &pipeline::Ran {
            operation: operation_name.as_deref(),
            started,
            checked,
        },
    );
    if let Some(operation) = operation {
        operation.finish(&response);
    }
    // The database did not answer: 503, so clients and balancers retry elsewhere.
    // (Not once something was written: the body then says what was, and a blind retry
    // would write it twice.)
    let unavailable = !gate.wrote()
        && response.errors.iter().any(|e| {
            e.extensions
                .as_ref()
                .and_then(|x| x.get("unavailable"))
                .is_some()
        });
    let (status, content_type) = match response_type {
        _ if unavailable => (
            StatusCode::SERVICE_UNAVAILABLE,
            if response_type == ResponseType::Json {
                "application/json"
            } else {
                GRAPHQL_RESPONSE_JSON
            },
        ),
        ResponseType::GraphqlResponseJson if request_failed => {
            (StatusCode::BAD_REQUEST, GRAPHQL_RESPONSE_JSON)
        }
        ResponseType::GraphqlResponseJson => (StatusCode::OK, GRAPHQL_RESPONSE_JSON),
        ResponseType::Json => (StatusCode::OK, "application/json"),
    };
    // Written straight from the response, with no JSON tree in between. A request that
    // never ran has no `data` entry at all (GraphQL over HTTP).
    let body = if request_failed {
        serde_json::to_vec(&RequestErrors {
            errors: &response.errors,
            extensions: &response.extensions,
        })
    } else {
        serde_json::to_vec(&response)
    };
    match body {
        Ok(body) => {
            let cache = (may_cache && status == StatusCode::OK && response.errors.is_empty())
                .then(|| cache_headers(&response.cache_control, &body))
                .flatten();
            let mut answer = with_rate_limit_headers(HttpResponse::build(status), &usage);
            answer.content_type(format!("{content_type}; charset=utf-8"));
            let Some(cache) = cache else {
                return answer.body(body);
            };
            answer
                .insert_header((header::CACHE_CONTROL, cache.cache_control))
                .insert_header((header::ETAG, cache.etag.clone()))
                .append_header((header::VARY, "Accept, Authorization"));
            if if_none_match(request, &cache.etag) {
                answer.status(StatusCode::NOT_MODIFIED);
                return answer.finish();
            }
            answer.body(body)
        }
        Err(err) => {
            tracing::error!(error = %err, "could not serialize a GraphQL response");
            refuse(
                StatusCode::INTERNAL_SERVER_ERROR,
                Code::InternalServerError,
                "An internal error occurred.",
            )
        }
    }
}

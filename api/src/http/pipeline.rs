//! The one path every GraphQL operation takes, whichever transport brought it.
//!
//! HTTP (`graphql.rs`) and the WebSocket (`subscriptions/`) each read their own framing,
//! authenticate in their own place (a request's header; a socket's `connection_init`)
//! and render a refusal in their own form (a status and a body; an `error` message). All
//! that lies between is here, written once:
//!
//! 1. [`check`]: a document named by id (`documentId`, Apollo's persisted-query hash)
//!    becomes its text (`graphql/trusted_documents.rs`), then the document guard and
//!    its limits (length, depth, aliases, cost), then whether the transport takes this
//!    kind of operation;
//! 2. [`admit`]: whether this caller may run a document outside the manifest
//!    (`TRUSTED_DOCUMENTS`), the rate charge, then the per-request data resolvers read
//!    (the viewer, what the rate limit left, the request's own loaders);
//! 3. [`finish`]: the contract's error codes on every error, the cost extension, and
//!    the operation's metrics.
//!
//! Every refusal on the way is counted in `fellowship_limit_refusals_total` here.

use std::sync::Arc;
use std::time::Instant;

use actix_web::HttpRequest;
use async_graphql::parser::types::OperationType;

use super::AppState;
use crate::auth::Viewer;
use crate::error::Code;
use crate::graphql::document_guard;
use crate::graphql::limits::{self, Limits, Measure, Refusal};
use crate::graphql::loaders::Loaders;
use crate::graphql::trusted_documents::{self, Source, Unresolved};
use crate::service::rate_limits::{self, Usage};

/// Which operations a transport runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Takes {
    /// Queries, mutations and subscriptions: `POST /graphql`.
    Everything,
    /// Queries and subscriptions: `GET /graphql` (which must be safe to repeat) and the
    /// WebSocket (whose mutations would bypass the HTTP semantics of retries).
    NoMutations,
}

/// Why an operation does not run.
#[derive(Debug)]
pub(super) enum Refused {
    /// The document guard refused it ([`Refusal`] says which limit).
    TooComplex(Refusal),
    /// A mutation where the transport takes none.
    Mutation,
    /// The caller's rate-limit budget for the window is spent.
    RateLimited(Usage),
    /// The document named by id is unknown, or the id is malformed.
    Unresolved(Unresolved),
    /// The document is not in the manifest, and the policy does not let this caller
    /// run such documents; the sentence says what to do.
    Untrusted(&'static str),
}

impl Refused {
    /// The contract's code for it.
    pub(super) fn code(&self) -> Code {
        match self {
            Refused::TooComplex(refusal) => refusal.code(),
            Refused::Mutation => Code::BadUserInput,
            Refused::RateLimited(_) => Code::RateLimited,
            Refused::Unresolved(Unresolved::NotFound) => Code::PersistedQueryNotFound,
            Refused::Unresolved(Unresolved::BadInput(_)) => Code::BadUserInput,
            Refused::Untrusted(_) => Code::Forbidden,
        }
    }

    /// The sentence of a refusal about the document's id or trust; `None` for the
    /// others, which each transport words itself.
    pub(super) fn document_message(&self) -> Option<&'static str> {
        match self {
            Refused::Unresolved(Unresolved::NotFound) => Some(trusted_documents::NOT_FOUND_MESSAGE),
            Refused::Unresolved(Unresolved::BadInput(message)) | Refused::Untrusted(message) => {
                Some(message)
            }
            _ => None,
        }
    }
}

/// A GraphQL request as a POST body or a WebSocket `subscribe` payload carries it:
/// async-graphql's fields (read the same way), and the `documentId` of the GraphQL over
/// HTTP persisted-documents proposal, which async-graphql does not know.
#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Incoming {
    #[serde(default)]
    query: String,
    #[serde(default)]
    operation_name: Option<String>,
    #[serde(default)]
    variables: async_graphql::Variables,
    #[serde(default)]
    extensions: async_graphql::Extensions,
    #[serde(default)]
    document_id: Option<String>,
}

impl Incoming {
    /// The request for the executor, and the document id beside it.
    pub(super) fn into_parts(self) -> (async_graphql::Request, Option<String>) {
        let mut request = async_graphql::Request::new(self.query).variables(self.variables);
        request.operation_name = self.operation_name;
        request.extensions = self.extensions;
        (request, self.document_id)
    }
}

/// An operation that passed [`check`]: what the guard measured of it.
#[derive(Debug, Clone, Copy)]
pub(super) struct Checked {
    /// The document's measure; `None` for the introspection query GraphiQL sends,
    /// which always passes.
    pub(super) measure: Option<Measure>,
    /// Where the document came from: the manifest (trusted), or elsewhere.
    pub(super) source: Source,
}

impl Checked {
    /// The rate-limit cost of running it.
    fn cost(&self) -> u64 {
        self.measure.map_or(1, |m| m.cost)
    }
}

/// Step 1: the document a request names by id becomes its text, then the document
/// guard, then the transport's rule on mutations.
pub(super) fn check(
    state: &AppState,
    request: &mut async_graphql::Request,
    document_id: Option<&str>,
    takes: Takes,
) -> Result<Checked, Refused> {
    let source = match state.trusted_documents.resolve(request, document_id) {
        Ok(source) => source,
        Err(unresolved) => {
            state.metrics.record_document(match unresolved {
                Unresolved::NotFound => "not_found",
                Unresolved::BadInput(_) => "bad_id",
            });
            return Err(Refused::Unresolved(unresolved));
        }
    };
    let measure = match document_guard::check(&Limits::default(), request) {
        Ok(measure) => measure,
        Err(refusal) => {
            state.metrics.record_refusal(refusal.limit);
            return Err(Refused::TooComplex(refusal));
        }
    };
    if takes == Takes::NoMutations && is_mutation(request) {
        return Err(Refused::Mutation);
    }
    Ok(Checked { measure, source })
}

/// What an operation was admitted with: its caller's per-request data.
pub(super) struct Admitted {
    /// What the caller's budget holds after this charge (for `RateLimit-*` headers).
    pub(super) usage: Usage,
    viewer: Viewer,
    loaders: Arc<Loaders>,
}

impl Admitted {
    /// Another request of the same caller (a query run again on the exact schema),
    /// with the same per-request data and loaders, charged nothing more.
    pub(super) fn again(&self, request: async_graphql::Request) -> async_graphql::Request {
        crate::graphql::for_caller(
            request,
            self.viewer.clone(),
            self.usage,
            self.loaders.clone(),
        )
    }
}

/// Step 2, once the transport knows who is calling: whether they may run a document
/// from where this one came (registering an Apollo document when they may), then
/// charges the operation's cost to `caller` (see [`rate_limits::caller_key`]), then
/// attaches the per-request data. Returns the request, ready to execute, and what it
/// was admitted with.
pub(super) async fn admit(
    state: &AppState,
    viewer: Viewer,
    caller: &str,
    checked: Checked,
    request: async_graphql::Request,
) -> Result<(async_graphql::Request, Admitted), Refused> {
    if let Err(message) = state
        .trusted_documents
        .permit(checked.source, &viewer, &request.query)
    {
        state.metrics.record_refusal("untrusted");
        return Err(Refused::Untrusted(message));
    }
    state.metrics.record_document(match checked.source {
        Source::Manifest => "manifest",
        Source::Registered => "registered",
        Source::Registering(_) => "registering",
        Source::Text => "text",
    });
    let usage = match state
        .rate_limits
        .charge_request(&viewer, caller, checked.cost())
        .await
    {
        Ok(usage) => usage,
        Err(usage) => {
            state.metrics.record_refusal("rate");
            return Err(Refused::RateLimited(usage));
        }
    };
    let loaders = Arc::new(Loaders::new(&state.db));
    let request = crate::graphql::for_caller(request, viewer.clone(), usage, loaders.clone());
    Ok((
        request,
        Admitted {
            usage,
            viewer,
            loaders,
        },
    ))
}

/// What a response of an operation that ran is measured by.
pub(super) struct Ran<'a> {
    /// The operation's name, as the client selected it.
    pub(super) operation: Option<&'a str>,
    /// When the transport received it.
    pub(super) started: Instant,
    /// What [`check`] measured.
    pub(super) checked: Checked,
}

/// Step 3: gives every error its contract code, reports the cost, and counts the
/// operation (its name, codes and latency).
pub(super) fn finish(state: &AppState, response: &mut async_graphql::Response, ran: &Ran<'_>) {
    crate::error::give_codes(&mut response.errors);
    if let Some(measure) = &ran.checked.measure {
        response.extensions.insert(
            "cost".to_owned(),
            limits::cost_extension(
                &Limits::default(),
                measure,
                limits::actual_cost(&response.data),
            ),
        );
    }
    let codes: Vec<String> = response
        .errors
        .iter()
        .filter_map(|e| {
            e.extensions
                .as_ref()?
                .get("code")
                .map(|c| c.to_string().trim_matches('"').to_owned())
        })
        .collect();
    state
        .metrics
        .record_operation(ran.operation, &codes, ran.started.elapsed());
}

/// The contract's codes on every error of a later response of the same operation (a
/// subscription's events), which [`finish`] has already counted.
pub(super) fn give_codes(response: &mut async_graphql::Response) {
    crate::error::give_codes(&mut response.errors);
}

/// Whether the operation the request selects is a mutation; unparsable documents are
/// left for the executor to report.
pub(super) fn is_mutation(request: &mut async_graphql::Request) -> bool {
    selected_operation(request).is_some_and(|(ty, _)| ty == OperationType::Mutation)
}

/// The type and name of the operation the request selects, when its document parses
/// and has it.
fn selected_operation(
    request: &mut async_graphql::Request,
) -> Option<(OperationType, Option<&str>)> {
    let operation_name = request.operation_name.clone();
    let document = request.parsed_query().ok()?;
    document
        .operations
        .iter()
        .find(|(name, _)| match (&operation_name, name) {
            (Some(wanted), Some(name)) => wanted.as_str() == name.as_str(),
            (None, _) => true,
            (Some(_), None) => false,
        })
        .map(|(name, op)| (op.node.ty, name.map(async_graphql::Name::as_str)))
}

/// The span of the operation the request selects (see `telemetry::OperationSpan`),
/// named as its document names it, under `parent` or the current context; `None`
/// while traces are not sent.
pub(super) fn operation_span(
    request: &mut async_graphql::Request,
    parent: Option<&opentelemetry::Context>,
) -> Option<crate::telemetry::OperationSpan> {
    if !crate::telemetry::exporting() {
        return None;
    }
    let (kind, name) = match selected_operation(request) {
        Some((OperationType::Query, name)) => ("query", name),
        Some((OperationType::Mutation, name)) => ("mutation", name),
        Some((OperationType::Subscription, name)) => ("subscription", name),
        None => ("unknown", None),
    };
    match parent {
        Some(parent) => crate::telemetry::OperationSpan::start_in(parent, kind, name),
        None => crate::telemetry::OperationSpan::start(kind, name),
    }
}

/// The address an anonymous caller is counted under: the peer, or behind a trusted
/// proxy (`TRUST_FORWARDED_FOR`) the first `X-Forwarded-For` entry.
pub(super) fn client_address(request: &HttpRequest, trust_forwarded_for: bool) -> String {
    if trust_forwarded_for {
        let forwarded = request
            .headers()
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .map(str::trim)
            .filter(|v| !v.is_empty());
        if let Some(address) = forwarded {
            return address.to_owned();
        }
    }
    request
        .peer_addr()
        .map(|a| a.ip().to_string())
        .unwrap_or_else(|| "unknown".to_owned())
}

/// The rate-limit key of a caller reaching us from `request`.
pub(super) fn caller_of(state: &AppState, request: &HttpRequest, viewer: &Viewer) -> String {
    rate_limits::caller_key(viewer, &client_address(request, state.trust_forwarded_for))
}

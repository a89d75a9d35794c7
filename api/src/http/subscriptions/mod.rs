//! GraphQL over WebSocket on `/graphql`, protocol `graphql-transport-ws`.
//!
//! Written here rather than taken from async-graphql's actix integration, whose
//! protocol handler has no bounded outbound queue (nor a slow-consumer rule), never
//! re-checks a token while the socket is open, and has no notion of a caller's
//! connections across replicas or of an init deadline that a trickling frame cannot
//! stretch: the guarantees below need each of those (see ARCHITECTURE.md, "Why the less
//! obvious choices").
//!
//! A connection is one task that reads the client's messages and answers them; what
//! the server sends is the upgrade response's body ([`outgoing::Outgoing`]), which the
//! HTTP dispatcher pulls as fast as the client reads. Every operation runs in a task
//! of its own and hands its messages to that body through one bounded queue per
//! connection. An operation facing a full queue waits (and reads no further events
//! meanwhile; they stay in the database); a client that leaves the queue full for
//! [`SLOW_CONSUMER_GRACE`] is disconnected (1013, which the graphql-ws client retries)
//! instead of making the server hold an ever longer backlog for it. Such a client
//! resumes from the last cursor it saw. The connection's own messages (ack, pings,
//! pongs, refusals) go through a short queue of their own that is served first, so a
//! keep-alive never waits behind a backlog of events. A close frame goes before both
//! and drops what they still hold, so it never waits behind a backlog either: a slow
//! consumer is told why it is disconnected as soon as it reads again.
//!
//! Who may connect is decided at `connection_init` (token from its payload or the
//! upgrade request's header); the token is checked again every
//! `WS_REAUTHENTICATE_EVERY` and the connection ends when it expires, so a revoked
//! token, a disabled account or an expired token ends the subscriptions it opened.
//!
//! What a client sends is read by [`frames::Frames`], which refuses a frame that
//! declares more than the message limit at its header (1009) instead of buffering it.
//! Until `connection_init` the limit is [`PRE_INIT_MESSAGE_BYTES`], and the socket is
//! closed after `WS_INIT_TIMEOUT` however much of a frame it is still trickling, so a
//! socket that has not said who it is holds a few kilobytes for a few seconds at most.
//! After a close, actix-http reads and discards what still arrives (holding none of
//! it) for up to `client_disconnect_timeout`, one second, so that the close frame is
//! not lost to a reset, then shuts the connection.

mod frames;
mod outgoing;
mod protocol;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_web::body::BodyStream;
use actix_web::http::header;
use actix_web::{dev, web, FromRequest, HttpRequest, HttpResponse};
use async_graphql::Value as GraphqlValue;
use futures::{Stream, StreamExt};
use serde_json::Value;
use tokio::sync::mpsc::{self, error::SendTimeoutError, error::TrySendError};
use tokio::sync::oneshot;
use tokio::task::AbortHandle;

use self::frames::{FrameError, Frames, Incoming};
use self::outgoing::{CloseFrame, Control, Outgoing};
use self::protocol::{ClientMessage, Close, ServerMessage, SUBPROTOCOL};
use super::pipeline::{self, Refused, Takes};
use super::AppState;
use crate::auth::{self, AuthError, Viewer};
use crate::error::{Code, ServiceError};
use crate::service::nomination_events::Audience;
use crate::service::rate_limits;
use crate::service::websocket_leases::{self, Lease};

/// How long an operation may wait for room in a full outbound queue before its client
/// counts as too slow.
const SLOW_CONSUMER_GRACE: Duration = Duration::from_secs(5);

/// Largest message a client may send (a subscribe with its document and variables).
const MAX_MESSAGE_BYTES: usize = 64 * 1024;

/// Largest message a client may send before `connection_init` is acknowledged: room
/// for a `connection_init` carrying a large identity-provider token, and little more.
const PRE_INIT_MESSAGE_BYTES: usize = 16 * 1024;

/// The connection's own messages that may wait to be sent. A client that lets
/// this many pile up sends far faster than it reads.
const CONTROL_QUEUE: usize = 32;

/// Whether a request asks to become a WebSocket.
pub fn is_upgrade(request: &HttpRequest) -> bool {
    request
        .headers()
        .get(header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"))
}

fn offers_subprotocol(request: &HttpRequest) -> bool {
    request
        .headers()
        .get_all(header::SEC_WEBSOCKET_PROTOCOL)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|p| p.trim() == SUBPROTOCOL)
}

pub async fn upgrade(
    request: HttpRequest,
    body: web::Payload,
    state: web::Data<AppState>,
) -> HttpResponse {
    let upgrade_authorization = match auth::authorization(request.headers()) {
        Ok(value) => value.map(str::to_owned),
        Err(rejection) => return super::refusal::unauthorized(&rejection),
    };
    if !offers_subprotocol(&request) {
        return super::refusal::with_status(
            actix_web::http::StatusCode::BAD_REQUEST,
            Code::BadUserInput,
            &format!("Subscriptions use the `{SUBPROTOCOL}` WebSocket subprotocol (the graphql-ws client library)."),
        );
    }
    // Only once the listener is closing (a keep-alive connection's late upgrade): a
    // load balancer retries it elsewhere (deploy/haproxy.cfg), where a socket accepted
    // now would be closed at once.
    if *state.phase.borrow() == super::Phase::Stopping {
        let mut response = HttpResponse::ServiceUnavailable();
        response.insert_header((header::RETRY_AFTER, "1"));
        return super::refusal::answer(
            response,
            Code::InternalServerError,
            "This server is shutting down; connect again.",
        );
    }
    // actix-ws only answers the handshake. The client's frames are read from the
    // request body by `Frames`, not by actix-ws's `MessageStream`, which buffers a
    // frame's whole declared length before checking it (see `frames`); what the server
    // sends is `Outgoing`, not actix-ws's `Session`, whose close waits behind a backlog
    // (see `outgoing`). actix-ws is handed an empty body, and its halves are dropped.
    let Ok(unused) = web::Payload::from_request(&request, &mut dev::Payload::None).await else {
        return super::refusal::with_status(
            actix_web::http::StatusCode::INTERNAL_SERVER_ERROR,
            Code::InternalServerError,
            "An internal error occurred.",
        );
    };
    let response = match actix_ws::handle_with_protocols(&request, unused, &[SUBPROTOCOL]) {
        Ok((response, _, _)) => response,
        Err(err) => return err.error_response(),
    };
    let messages = Frames::new(body.into_inner(), PRE_INIT_MESSAGE_BYTES);
    let settings = &state.subscriptions;
    let (outbound, outbound_queue) = mpsc::channel(settings.outbound_queue.max(1));
    let (control, control_queue) = mpsc::channel(CONTROL_QUEUE);
    let (close, close_queue) = oneshot::channel();
    let (reports, report_queue) = mpsc::unbounded_channel();
    let response = response
        .set_body(BodyStream::new(Outgoing::new(
            control_queue,
            outbound_queue,
            close_queue,
        )))
        .map_into_boxed_body();
    let connection = Connection {
        // The upgrade's own span, which the socket's operations are children of.
        trace: crate::telemetry::current(),
        upgrade_authorization,
        address: pipeline::client_address(&request, state.trust_forwarded_for),
        state: state.into_inner(),
        outbound,
        control,
        reports,
        operations: HashMap::new(),
        started: 0,
        initialised: false,
        signed_in: None,
    };
    actix_web::rt::spawn(connection.run(messages, close, report_queue));
    response
}

/// What an operation's task tells its connection.
enum Report {
    /// The operation with this id and start number sent its last message (or is about
    /// to): its id is free again.
    Finished(String, u64),
    SlowConsumer,
}

/// A running operation: its task, and which start of its id it is, so that a late
/// report of an earlier operation with the same id cannot end this one.
struct Operation {
    started: u64,
    task: AbortHandle,
}

/// The caller of an acknowledged connection.
struct SignedIn {
    viewer: Viewer,
    authorization: Option<String>,
    expires_at: Option<Instant>,
    caller: String,
    lease: Lease,
}

type Closing = (Close, String);

struct Connection {
    trace: Option<opentelemetry::Context>,
    state: Arc<AppState>,
    upgrade_authorization: Option<String>,
    address: String,
    outbound: mpsc::Sender<String>,
    control: mpsc::Sender<Control>,
    reports: mpsc::UnboundedSender<Report>,
    operations: HashMap<String, Operation>,
    /// Operations started so far on this connection.
    started: u64,
    initialised: bool,
    signed_in: Option<SignedIn>,
}

impl Connection {
    async fn run(
        mut self,
        mut messages: Frames<dev::Payload>,
        close: oneshot::Sender<CloseFrame>,
        mut report_queue: mpsc::UnboundedReceiver<Report>,
    ) {
        let settings = self.state.subscriptions.clone();
        let init_deadline = tokio::time::sleep(settings.init_timeout);
        tokio::pin!(init_deadline);
        let start = tokio::time::Instant::now();
        let mut keep_alive =
            tokio::time::interval_at(start + settings.keep_alive, settings.keep_alive);
        let mut reauthenticate = tokio::time::interval_at(
            start + settings.reauthenticate_every,
            settings.reauthenticate_every,
        );
        let mut phase = self.state.phase.subscribe();
        let mut last_heard = Instant::now();
        self.state.metrics.websocket_opened();

        let closing: Option<Closing> = loop {
            let expires_in = self
                .signed_in
                .as_ref()
                .and_then(|s| s.expires_at)
                .map(|at| at.saturating_duration_since(Instant::now()));
            tokio::select! {
                // A finished operation's report before the client's next message: the
                // client may reuse the id as soon as it reads `complete`.
                biased;
                Some(report) = report_queue.recv() => match report {
                    Report::Finished(id, started) => {
                        if self.operations.get(&id).is_some_and(|op| op.started == started) {
                            self.operations.remove(&id);
                        }
                    }
                    Report::SlowConsumer => break Some((
                        Close::TooSlow,
                        format!("Slow consumer: {} messages unread; resume from your last cursor", settings.outbound_queue),
                    )),
                },
                _ = phase.wait_for(|phase| *phase == super::Phase::Stopping) => {
                    break Some((Close::GoingAway, "Server shutting down; reconnect and resume from your last cursor".into()));
                }
                _ = &mut init_deadline, if !self.initialised => {
                    break Some((Close::InitTimeout, "Connection initialisation timeout".into()));
                }
                _ = keep_alive.tick() => {
                    if last_heard.elapsed() > settings.keep_alive * 3 {
                        break Some((Close::TooSlow, "No message or pong for three keep-alive intervals".into()));
                    }
                    // A client with a backlog still unread is not idle; skip the ping.
                    let _ = self.send(&ServerMessage::Ping);
                    if let Some(signed_in) = &self.signed_in {
                        let ttl = lease_ttl(settings.keep_alive);
                        if let Err(err) = websocket_leases::renew(&self.state.db, &signed_in.lease, ttl).await {
                            tracing::warn!(error = %err.public_message(), "could not renew a WebSocket lease");
                        }
                    }
                }
                _ = reauthenticate.tick(), if self.signed_in.is_some() => {
                    if let Err(closing) = self.reauthenticate().await {
                        break Some(closing);
                    }
                }
                _ = sleep_for(expires_in) => {
                    break Some((Close::Forbidden, "Forbidden: the token expired; reconnect with a fresh one".into()));
                }
                message = messages.next() => {
                    last_heard = Instant::now();
                    match message {
                        None | Some(Ok(Incoming::Close)) => break None,
                        Some(Err(FrameError::TooBig)) => break Some((
                            Close::TooBig,
                            format!("Message too big: at most {} bytes", messages_limit(self.initialised)),
                        )),
                        Some(Err(FrameError::Protocol(_))) => break Some((Close::BadRequest, "Invalid WebSocket frame".into())),
                        Some(Ok(Incoming::Text(text))) => {
                            if let Err(closing) = self.on_message(&text).await {
                                break Some(closing);
                            }
                            messages.set_limit(messages_limit(self.initialised));
                        }
                        Some(Ok(Incoming::Binary)) => {
                            break Some((Close::BadRequest, "Binary frames are not part of graphql-transport-ws".into()));
                        }
                        Some(Ok(Incoming::Ping(bytes))) => {
                            // A client whose pings fill the queue sends far faster than
                            // it reads; its pong is dropped.
                            let _ = self.control.try_send(Control::Pong(bytes));
                        }
                        Some(Ok(Incoming::Pong)) => {}
                    }
                }
            }
        };

        for operation in self.operations.values() {
            operation.task.abort();
        }
        if let Some((close, reason)) = &closing {
            tracing::info!(code = close.code(), reason = %reason, "closing a WebSocket");
            if *close == Close::TooSlow {
                self.state
                    .metrics
                    .record_refusal("websocket_slow_or_silent");
            }
        }
        // Never waits: the close goes ahead of what is still queued, which it drops,
        // and the client gets it as soon as it reads what the socket already holds.
        let _ = close.send(closing.map(|(close, reason)| (close.code(), reason)));
        if let Some(signed_in) = &self.signed_in {
            if let Err(err) = websocket_leases::release(&self.state.db, &signed_in.lease).await {
                tracing::warn!(error = %err.public_message(), "could not release a WebSocket lease; it will expire");
            }
        }
        self.state.metrics.websocket_closed();
    }

    /// Queues one of the connection's own messages to be sent, ahead of the
    /// operations' backlog; a full queue means the client sends but does not read.
    fn send(&self, message: &ServerMessage<'_>) -> Result<(), Closing> {
        match self.control.try_send(Control::Text(message.to_text())) {
            Ok(()) | Err(TrySendError::Closed(_)) => Ok(()),
            Err(TrySendError::Full(_)) => Err((
                Close::TooSlow,
                "Slow consumer: messages unread; resume from your last cursor".into(),
            )),
        }
    }

    /// The answer to an operation the pipeline refused: an `error` message for its id;
    /// the connection stays open.
    fn refuse(&self, id: &str, refused: Refused) -> Result<(), Closing> {
        let message = match &refused {
            Refused::TooComplex(refusal) => refusal.message(),
            Refused::Mutation => "Send mutations as HTTP POST requests to /graphql.".into(),
            Refused::RateLimited(usage) => usage.spent_message(),
            Refused::Unresolved(_) | Refused::Untrusted(_) => {
                refused.document_message().unwrap_or_default().into()
            }
        };
        self.send_error(id, refused.code(), message)
    }

    fn send_error(&self, id: &str, code: Code, message: String) -> Result<(), Closing> {
        self.send(&ServerMessage::Error {
            id,
            payload: vec![super::refusal::error(code, &message)],
        })
    }

    async fn on_message(&mut self, text: &str) -> Result<(), Closing> {
        let Some(message) = ClientMessage::parse(text) else {
            return Err((Close::BadRequest, "Invalid message received".into()));
        };
        match message {
            ClientMessage::ConnectionInit { payload } => {
                if self.initialised {
                    return Err((
                        Close::TooManyInits,
                        "Too many initialisation requests".into(),
                    ));
                }
                self.initialised = true;
                self.signed_in = Some(self.sign_in(payload.as_ref()).await?);
                self.send(&ServerMessage::ConnectionAck)
            }
            ClientMessage::Ping { .. } => self.send(&ServerMessage::Pong),
            ClientMessage::Pong { .. } => Ok(()),
            ClientMessage::Subscribe { id, payload } => {
                if self.signed_in.is_none() {
                    return Err((Close::Unauthorized, "Unauthorized".into()));
                }
                if self.operations.contains_key(&id) {
                    return Err((
                        Close::SubscriberExists,
                        format!("Subscriber for {} already exists", truncate(&id)),
                    ));
                }
                self.subscribe(id, payload).await
            }
            ClientMessage::Complete { id } => {
                if let Some(operation) = self.operations.remove(&id) {
                    operation.task.abort();
                }
                Ok(())
            }
        }
    }

    /// Decides, at `connection_init`, whether this caller may hold a connection.
    async fn sign_in(&self, payload: Option<&Value>) -> Result<SignedIn, Closing> {
        // One credential per connection: a payload's and the upgrade's that disagree
        // are refused, as two `Authorization` headers are over HTTP.
        let unclear = |why: &str| (Close::Forbidden, format!("Forbidden: {why}."));
        let authorization = match (
            protocol::authorization(payload).map_err(unclear)?,
            self.upgrade_authorization.clone(),
        ) {
            (Some(sent), Some(upgraded)) if sent != upgraded => {
                return Err(unclear(
                    "the connection_init Authorization differs from the upgrade request's",
                ))
            }
            (sent, upgraded) => sent.or(upgraded),
        };
        let state = &self.state;
        let (viewer, expires_at) = match auth::authenticate_until(
            &state.db,
            &state.keys,
            authorization.as_deref(),
        )
        .await
        {
            Ok(signed) => signed,
            Err(err) => return Err(refusal(err)),
        };
        if let Err(err) = Audience::of(&viewer) {
            return Err((
                Close::Forbidden,
                format!("Forbidden: {}", err.public_message()),
            ));
        }
        let caller = rate_limits::caller_key(&viewer, &self.address);
        let settings = &state.subscriptions;
        let lease = match websocket_leases::acquire(
            &state.db,
            &caller,
            settings.max_connections_per_caller,
            lease_ttl(settings.keep_alive),
        )
        .await
        {
            Ok(Some(lease)) => lease,
            Ok(None) => {
                return Err((
                    Close::TryAgainLater,
                    format!(
                        "Too many connections: at most {} per caller",
                        settings.max_connections_per_caller
                    ),
                ))
            }
            Err(_) => return Err(unavailable()),
        };
        Ok(SignedIn {
            viewer,
            authorization,
            expires_at: expires_at.map(|at| {
                let left = (at - chrono::Utc::now()).to_std().unwrap_or_default();
                Instant::now() + left
            }),
            caller,
            lease,
        })
    }

    /// Checks the connection's token again: revoked tokens, disabled accounts and
    /// changed roles end the connection.
    async fn reauthenticate(&self) -> Result<(), Closing> {
        let Some(signed_in) = &self.signed_in else {
            return Ok(());
        };
        match auth::authenticate(
            &self.state.db,
            &self.state.keys,
            signed_in.authorization.as_deref(),
        )
        .await
        {
            Ok(_) => Ok(()),
            Err(AuthError::Rejected(rejection)) => Err((
                Close::Forbidden,
                format!("Forbidden: the bearer token was refused: {rejection}"),
            )),
            // The database is away for a moment; the token is not at fault.
            Err(AuthError::Service(_)) => Ok(()),
        }
    }

    async fn subscribe(&mut self, id: String, payload: Value) -> Result<(), Closing> {
        let received = std::time::Instant::now();
        let Ok(incoming) = serde_json::from_value::<pipeline::Incoming>(payload) else {
            return Err((Close::BadRequest, "Invalid subscribe payload".into()));
        };
        let (mut request, document_id) = incoming.into_parts();
        let checked = match pipeline::check(
            &self.state,
            &mut request,
            document_id.as_deref(),
            Takes::NoMutations,
        ) {
            Ok(checked) => checked,
            Err(refused) => return self.refuse(&id, refused),
        };
        let max = self.state.subscriptions.max_subscriptions_per_connection;
        if self.operations.len() >= max {
            return self.send_error(
                &id,
                Code::RateLimited,
                format!("At most {max} operations may run on one connection; complete one first."),
            );
        }
        let Some(signed_in) = &self.signed_in else {
            return Err((Close::Unauthorized, "Unauthorized".into()));
        };
        let state = &self.state;
        let admitted = pipeline::admit(
            state,
            signed_in.viewer.clone(),
            &signed_in.caller,
            checked,
            request,
        )
        .await;
        let mut request = match admitted {
            Ok((request, _)) => request,
            Err(refused) => return self.refuse(&id, refused),
        };
        // While traces are sent, each operation is a span under the upgrade's, for as
        // long as it runs.
        let operation = pipeline::operation_span(&mut request, self.trace.as_ref());
        let traced = operation
            .as_ref()
            .map(crate::telemetry::OperationSpan::context);
        let measured = Measured {
            state: state.clone(),
            operation: request.operation_name.clone(),
            received,
            checked,
        };
        let responses = state.schema.exact.execute_stream(request);
        self.started += 1;
        let task = actix_web::rt::spawn(crate::telemetry::within(
            traced,
            forward(
                Started {
                    id: id.clone(),
                    started: self.started,
                },
                measured,
                responses,
                self.outbound.clone(),
                self.reports.clone(),
            ),
        ));
        self.operations.insert(
            id,
            Operation {
                started: self.started,
                task: task.abort_handle(),
            },
        );
        Ok(())
    }
}

/// What the first response of an operation is measured by, as over HTTP
/// (`pipeline::finish`): its name, when it arrived, what the guard measured.
struct Measured {
    state: Arc<AppState>,
    operation: Option<String>,
    received: std::time::Instant,
    checked: pipeline::Checked,
}

/// Which operation a task runs.
struct Started {
    id: String,
    started: u64,
}

/// Runs one operation: its results become `next` messages, then `complete`; an
/// operation that could not start at all (bad arguments, not allowed) gets one
/// `error` message instead. The connection hears that the id is free before the client
/// can, so a client reusing it at once is not refused.
async fn forward(
    operation: Started,
    measured: Measured,
    mut responses: impl Stream<Item = async_graphql::Response> + Unpin,
    outbound: mpsc::Sender<String>,
    reports: mpsc::UnboundedSender<Report>,
) {
    let id = operation.id.as_str();
    let finished = || {
        let _ = reports.send(Report::Finished(operation.id.clone(), operation.started));
    };
    let mut first = true;
    while let Some(mut response) = responses.next().await {
        if first {
            // Counted once, when it starts (or is refused), as an HTTP operation is.
            pipeline::finish(
                &measured.state,
                &mut response,
                &pipeline::Ran {
                    operation: measured.operation.as_deref(),
                    started: measured.received,
                    checked: measured.checked,
                },
            );
        } else {
            pipeline::give_codes(&mut response);
        }
        let refused = first && matches!(response.data, GraphqlValue::Null) && response.is_err();
        first = false;
        if refused {
            let errors = response
                .errors
                .iter()
                .filter_map(|e| serde_json::to_value(e).ok())
                .collect();
            finished();
            queue(
                &outbound,
                &reports,
                ServerMessage::Error {
                    id,
                    payload: errors,
                }
                .to_text(),
            )
            .await;
            return;
        }
        let Ok(payload) = serde_json::to_value(&response) else {
            continue;
        };
        if !queue(
            &outbound,
            &reports,
            ServerMessage::Next { id, payload }.to_text(),
        )
        .await
        {
            return;
        }
    }
    finished();
    queue(
        &outbound,
        &reports,
        ServerMessage::Complete { id }.to_text(),
    )
    .await;
}

/// Queues a message to be sent, waiting up to [`SLOW_CONSUMER_GRACE`] for room: a
/// burst (a resumed subscription's backlog) only pauses the operation, which meanwhile
/// reads nothing more; a client that leaves the queue full that long is too slow.
/// False when the operation must stop.
async fn queue(
    outbound: &mpsc::Sender<String>,
    reports: &mpsc::UnboundedSender<Report>,
    text: String,
) -> bool {
    match outbound.send_timeout(text, SLOW_CONSUMER_GRACE).await {
        Ok(()) => true,
        Err(SendTimeoutError::Timeout(_)) => {
            let _ = reports.send(Report::SlowConsumer);
            false
        }
        Err(SendTimeoutError::Closed(_)) => false,
    }
}

fn refusal(err: AuthError) -> Closing {
    match err {
        AuthError::Rejected(rejection) => (
            Close::Forbidden,
            format!("Forbidden: the bearer token was refused: {rejection}"),
        ),
        AuthError::Service(ServiceError::Unavailable(_)) | AuthError::Service(_) => unavailable(),
    }
}

fn unavailable() -> Closing {
    (
        Close::TryAgainLater,
        "The database is unavailable; try again shortly".into(),
    )
}

/// The largest message a socket may send next: small until `connection_init`.
fn messages_limit(initialised: bool) -> usize {
    if initialised {
        MAX_MESSAGE_BYTES
    } else {
        PRE_INIT_MESSAGE_BYTES
    }
}

/// How long a lease outlives its last renewal: three keep-alives.
fn lease_ttl(keep_alive: Duration) -> Duration {
    keep_alive * 3
}

async fn sleep_for(duration: Option<Duration>) {
    match duration {
        Some(duration) => tokio::time::sleep(duration).await,
        None => std::future::pending().await,
    }
}

/// An id as it may appear in a close reason (at most 123 bytes in all).
fn truncate(id: &str) -> &str {
    let mut end = id.len().min(40);
    while !id.is_char_boundary(end) {
        end -= 1;
    }
    &id[..end]
}

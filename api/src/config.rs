//! Typed settings, read once at start: a flag wins over its environment variable, and
//! the defaults serve a first run on a laptop (an SQLite file in the working folder).

use std::fmt;
use std::time::Duration;

use clap::Args;

/// A database URL; its password is hidden whenever it is printed.
#[derive(Clone)]
pub struct DatabaseUrl(String);

impl DatabaseUrl {
    /// Wraps a URL as given (`sqlite://...` or `postgres://...`).
    pub fn new(url: impl Into<String>) -> Self {
        DatabaseUrl(url.into())
    }

    /// The URL with its password, for the one place that connects.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether it names a PostgreSQL server.
    pub fn is_postgres(&self) -> bool {
        self.0.starts_with("postgres://") || self.0.starts_with("postgresql://")
    }

    /// Whether it names an SQLite file (or memory).
    pub fn is_sqlite(&self) -> bool {
        self.0.starts_with("sqlite:")
    }
}

impl std::str::FromStr for DatabaseUrl {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let url = DatabaseUrl(s.to_owned());
        if url.is_postgres() || url.is_sqlite() {
            Ok(url)
        } else {
            Err("expected a sqlite:// or postgres:// URL".to_owned())
        }
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&redact_password(&self.0))
    }
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&redact_password(&self.0))
    }
}

fn redact_password(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        return url.to_owned();
    };
    let rest = &url[scheme_end + 3..];
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    match (authority.rfind('@'), authority.find(':')) {
        (Some(at), Some(colon)) if colon < at => format!(
            "{}{}:***{}",
            &url[..scheme_end + 3],
            &authority[..colon],
            &rest[at..]
        ),
        _ => url.to_owned(),
    }
}

/// Settings of the database connection, shared by every subcommand.
#[derive(Debug, Clone, Args)]
pub struct DatabaseSettings {
    /// Database to use: `sqlite://FILE?mode=rwc` (embedded) or `postgres://USER@HOST/DB`.
    #[arg(
        long = "database-url",
        env = "DATABASE_URL",
        default_value = "sqlite://fellowship.db?mode=rwc",
        global = true,
        hide_env_values = true
    )]
    pub url: DatabaseUrl,

    /// Most connections the pool opens (default: 10 on PostgreSQL, 4 on SQLite).
    #[arg(
        long = "database-max-connections",
        env = "DATABASE_MAX_CONNECTIONS",
        global = true
    )]
    pub max_connections: Option<u32>,

    /// How long a request waits for a free connection before it is answered "unavailable".
    #[arg(
        long = "database-acquire-timeout",
        env = "DATABASE_ACQUIRE_TIMEOUT",
        default_value = "3s",
        value_parser = parse_duration,
        global = true
    )]
    pub acquire_timeout: Duration,

    /// Longest a single SQL statement may run on PostgreSQL before it is cancelled.
    #[arg(
        long = "database-statement-timeout",
        env = "DATABASE_STATEMENT_TIMEOUT",
        default_value = "5s",
        value_parser = parse_duration,
        global = true
    )]
    pub statement_timeout: Duration,

    /// Plan each prepared statement once per connection on PostgreSQL
    /// (`plan_cache_mode = force_generic_plan`) instead of for every execution.
    #[arg(
        long = "database-generic-plans",
        env = "DATABASE_GENERIC_PLANS",
        default_value_t = true,
        action = clap::ArgAction::Set,
        global = true
    )]
    pub generic_plans: bool,
}

impl DatabaseSettings {
    /// The pool size: as configured, else 10 on PostgreSQL and 4 on SQLite. SQLite
    /// serves reads from the process itself, and each pooled connection keeps a page
    /// cache and prepared statements of its own: at 50,000 fellows, 10 connections
    /// peaked at 79 MiB and served 506 pages of 100 fellows a second, 4 at 59 MiB and 613.
    pub fn pool_size(&self) -> u32 {
        self.max_connections
            .unwrap_or(if self.url.is_sqlite() { 4 } else { 10 })
    }
}

/// Settings of the HTTP server.
#[derive(Debug, Clone, Args)]
pub struct ServerSettings {
    /// Address to listen on.
    #[arg(long, env = "BIND", default_value = "127.0.0.1:8080")]
    pub bind: String,

    /// Serve the GraphiQL playground on `GET /graphql` to browsers.
    #[arg(long, env = "PLAYGROUND", default_value_t = true, action = clap::ArgAction::Set)]
    pub playground: bool,

    /// Answer introspection queries (the playground and code generators need them).
    #[arg(long, env = "INTROSPECTION", default_value_t = true, action = clap::ArgAction::Set)]
    pub introspection: bool,

    /// How long a request may run before it is answered "unavailable" (and any write it
    /// was making is rolled back).
    #[arg(long, env = "REQUEST_TIMEOUT", default_value = "15s", value_parser = parse_duration)]
    pub request_timeout: Duration,

    /// How long a client has to send a request's whole body once its head arrived; a
    /// body that stalls is answered 408 and its connection closed, so that stalled
    /// uploads cannot pile up.
    #[arg(long, env = "BODY_TIMEOUT", default_value = "10s", value_parser = parse_duration)]
    pub body_timeout: Duration,

    /// On SIGTERM, how long readiness fails before the server stops accepting, so that
    /// load balancers route new traffic elsewhere first.
    #[arg(long, env = "SHUTDOWN_DELAY", default_value = "5s", value_parser = parse_duration)]
    pub shutdown_delay: Duration,

    /// After that, how long in-flight requests get to finish before the process exits.
    #[arg(long, env = "SHUTDOWN_TIMEOUT", default_value = "20s", value_parser = parse_duration)]
    pub shutdown_timeout: Duration,

    /// The window rate limits are counted over.
    #[arg(long, env = "RATE_LIMIT_WINDOW", default_value = "60s", value_parser = parse_duration)]
    pub rate_limit_window: Duration,

    /// Cost points an anonymous client address may spend per window.
    #[arg(long, env = "RATE_LIMIT_ANONYMOUS", default_value_t = 50_000)]
    pub rate_limit_anonymous: u64,

    /// Cost points a signed-in user may spend per window.
    #[arg(long, env = "RATE_LIMIT_USER", default_value_t = 200_000)]
    pub rate_limit_user: u64,

    /// Cost points a partner token may spend per window.
    #[arg(long, env = "RATE_LIMIT_PARTNER", default_value_t = 200_000)]
    pub rate_limit_partner: u64,

    /// Take anonymous clients' addresses from the first `X-Forwarded-For` entry (only
    /// behind a proxy that sets it, replacing what the client sent: one that appends
    /// leaves the client's own text first); otherwise the connection's peer address
    /// counts.
    #[arg(long, env = "TRUST_FORWARDED_FOR", default_value_t = false, action = clap::ArgAction::Set)]
    pub trust_forwarded_for: bool,

    /// Browser origins allowed to call the API from other sites, comma-separated, such
    /// as `https://fellows.example.org`; none by default (same origin only).
    #[arg(
        long,
        env = "CORS_ALLOWED_ORIGINS",
        value_delimiter = ',',
        default_value = ""
    )]
    pub cors_allowed_origins: Vec<String>,

    /// Serve `/metrics` only on this address (such as `127.0.0.1:9090`, or an address
    /// only the scraper reaches); the public listener then answers 404 for it. Unset,
    /// `/metrics` is served on `BIND` with everything else.
    #[arg(long, env = "METRICS_BIND")]
    pub metrics_bind: Option<String>,

    /// How replicas share rate-limit budgets.
    #[command(flatten)]
    pub rate_limit_sharing: RateLimitSharingSettings,

    /// Trusted documents (persisted queries): the manifest and who must use it.
    #[command(flatten)]
    pub trusted_documents: TrustedDocumentSettings,

    /// The keys that sign list and event cursors.
    #[command(flatten)]
    pub cursors: CursorSettings,

    /// WebSocket subscriptions and the event feed behind them.
    #[command(flatten)]
    pub subscriptions: SubscriptionSettings,

    /// Signed webhooks: where they may go, and how they are retried.
    #[command(flatten)]
    pub webhooks: WebhookSettings,

    /// Traces over OTLP: where they go, which are kept, which resolvers get spans.
    #[command(flatten)]
    pub tracing: TracingSettings,
}

/// How webhooks are delivered (see `crate::webhooks`).
#[derive(Debug, Clone, Args)]
pub struct WebhookSettings {
    /// The waits between a failed attempt and the next, comma-separated: the first
    /// attempt is made at once, then one per entry; once they are spent the delivery
    /// has failed. The default makes 8 attempts over about 27 hours. Each wait varies
    /// by up to a fifth either way, so that a receiver coming back is not hit by every
    /// retry at once.
    #[arg(long = "webhook-retry-schedule", env = "WEBHOOK_RETRY_SCHEDULE", default_value = "5s,5m,30m,2h,5h,10h,10h", value_parser = parse_schedule)]
    pub retry_schedule: RetrySchedule,

    /// How long a receiver has to answer one attempt.
    #[arg(long = "webhook-timeout", env = "WEBHOOK_TIMEOUT", default_value = "10s", value_parser = parse_interval)]
    pub timeout: Duration,

    /// An endpoint whose every delivery has failed for this long is disabled; its owner
    /// sees why and may enable it again.
    #[arg(long = "webhook-disable-after", env = "WEBHOOK_DISABLE_AFTER", default_value = "5d", value_parser = parse_interval)]
    pub disable_after: Duration,

    /// Send webhooks to private, loopback and link-local addresses too, and over plain
    /// http: for tests, and for networks whose receivers are internal on purpose.
    /// Off, such targets are refused (server-side request forgery).
    #[arg(long = "webhook-allow-private-targets", env = "WEBHOOK_ALLOW_PRIVATE_TARGETS", default_value_t = false, action = clap::ArgAction::Set)]
    pub allow_private_targets: bool,

    /// How often each sender looks for new events and due retries.
    #[arg(long = "webhook-poll-interval", env = "WEBHOOK_POLL_INTERVAL", default_value = "1s", value_parser = parse_interval)]
    pub poll_interval: Duration,

    /// Endpoints one replica delivers to at once; a slow receiver holds one of them.
    #[arg(long = "webhook-senders", env = "WEBHOOK_SENDERS", default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub senders: u16,
}

impl Default for WebhookSettings {
    fn default() -> Self {
        WebhookSettings {
            retry_schedule: parse_schedule("5s,5m,30m,2h,5h,10h,10h")
                .expect("the default schedule"),
            timeout: Duration::from_secs(10),
            disable_after: Duration::from_secs(5 * 86_400),
            allow_private_targets: false,
            poll_interval: Duration::from_secs(1),
            senders: 4,
        }
    }
}

/// Traces (see `crate::telemetry`): sent over OTLP/HTTP to a collector when an endpoint
/// is set, and not made at all otherwise. The names are OpenTelemetry's own, so that a
/// deployment configured for other services' SDKs configures this one too.
#[derive(Debug, Clone, Args)]
pub struct TracingSettings {
    /// The OTLP/HTTP collector traces are sent to, such as `http://otel-collector:4318`
    /// (spans are POSTed to its `/v1/traces`, as protobuf). Unset, no span is made and
    /// nothing is sent.
    #[arg(
        long = "otel-exporter-otlp-endpoint",
        env = "OTEL_EXPORTER_OTLP_ENDPOINT",
        value_parser = OtlpEndpointParser,
        hide_env_values = true
    )]
    pub endpoint: Option<url::Url>,

    /// The `service.name` the traces carry.
    #[arg(
        long = "otel-service-name",
        env = "OTEL_SERVICE_NAME",
        default_value = DEFAULT_SERVICE_NAME
    )]
    pub service_name: String,

    /// Which traces are kept: `parentbased_always_on` (the caller's `traceparent`
    /// decides, else every trace), `parentbased_traceidratio` (the caller decides, else
    /// the share OTEL_TRACES_SAMPLER_ARG of new traces), `parentbased_always_off`,
    /// `traceidratio`, `always_on` or `always_off` (ignoring the caller).
    #[arg(
        long = "otel-traces-sampler",
        env = "OTEL_TRACES_SAMPLER",
        value_enum,
        default_value = "parentbased_always_on"
    )]
    pub sampler: Sampler,

    /// The share of traces the `*traceidratio` samplers keep, from 0 to 1.
    #[arg(
        long = "otel-traces-sampler-arg",
        env = "OTEL_TRACES_SAMPLER_ARG",
        default_value = "1.0",
        value_parser = parse_ratio
    )]
    pub sampler_arg: f64,

    /// A resolver that takes at least this long gets a span of its own, under its
    /// operation's; `off` makes none (and keeps queries off async-graphql's slower
    /// path for extensions, which this takes while traces are sent).
    #[arg(
        long = "trace-slow-resolver",
        env = "TRACE_SLOW_RESOLVER",
        default_value = "10ms",
        value_parser = parse_threshold
    )]
    pub slow_resolver: Threshold,
}

/// A duration past which something is reported, or none (`off`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Threshold(pub Option<Duration>);

const DEFAULT_SERVICE_NAME: &str = "fellowship-api";

impl Default for TracingSettings {
    fn default() -> Self {
        TracingSettings {
            endpoint: None,
            service_name: DEFAULT_SERVICE_NAME.to_owned(),
            sampler: Sampler::ParentbasedAlwaysOn,
            sampler_arg: 1.0,
            slow_resolver: Threshold(Some(Duration::from_millis(10))),
        }
    }
}

/// `OTEL_TRACES_SAMPLER`'s values, as the OpenTelemetry specification names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Sampler {
    /// Every trace.
    #[value(name = "always_on")]
    AlwaysOn,
    /// No trace.
    #[value(name = "always_off")]
    AlwaysOff,
    /// A share of traces, by their id, whatever the caller decided.
    #[value(name = "traceidratio")]
    TraceIdRatio,
    /// As the caller decided; every trace that starts here.
    #[value(name = "parentbased_always_on")]
    ParentbasedAlwaysOn,
    /// As the caller decided; no trace that starts here.
    #[value(name = "parentbased_always_off")]
    ParentbasedAlwaysOff,
    /// As the caller decided; a share of the traces that start here.
    #[value(name = "parentbased_traceidratio")]
    ParentbasedTraceIdRatio,
}

/// Reads `OTEL_EXPORTER_OTLP_ENDPOINT` with [`parse_otlp_endpoint`], and refuses it in
/// words of its own: clap's own refusal quotes the value, which may hold a password.
#[derive(Debug, Clone, Copy)]
struct OtlpEndpointParser;

impl clap::builder::TypedValueParser for OtlpEndpointParser {
    type Value = url::Url;

    fn parse_ref(
        &self,
        _command: &clap::Command,
        _arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<url::Url, clap::Error> {
        let refused = |message: &str| {
            clap::Error::raw(
                clap::error::ErrorKind::ValueValidation,
                format!("OTEL_EXPORTER_OTLP_ENDPOINT (--otel-exporter-otlp-endpoint): {message}\n"),
            )
        };
        let text = value.to_str().ok_or_else(|| refused("not UTF-8"))?;
        parse_otlp_endpoint(text).map_err(|message| refused(&message))
    }
}

/// An OTLP endpoint: an `http` or `https` URL with neither credentials nor a query.
/// Refusals never quote the value.
fn parse_otlp_endpoint(text: &str) -> Result<url::Url, String> {
    let url = url::Url::parse(text.trim())
        .map_err(|err| format!("not a URL such as http://collector:4318 ({err})"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err("not an http:// or https:// URL such as http://collector:4318".to_owned());
    }
    // The exporter quotes its URL in its errors, and those are logged; and `/v1/traces`
    // is appended to the path, which a query would end up after.
    if url.query().is_some() || url.fragment().is_some() {
        return Err(
            "the OTLP endpoint has a query or fragment; send credentials as a header with \
             OTEL_EXPORTER_OTLP_HEADERS instead"
                .to_owned(),
        );
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(
            "the OTLP endpoint carries credentials; send them as a header with \
             OTEL_EXPORTER_OTLP_HEADERS instead"
                .to_owned(),
        );
    }
    Ok(url)
}

/// A sampling ratio: a number from 0 to 1.
pub fn parse_ratio(text: &str) -> Result<f64, String> {
    text.trim()
        .parse::<f64>()
        .ok()
        .filter(|ratio| (0.0..=1.0).contains(ratio))
        .ok_or_else(|| format!("`{text}` is not a ratio from 0 to 1, such as 0.25"))
}

/// A duration, or `off` for none.
fn parse_threshold(text: &str) -> Result<Threshold, String> {
    if text.trim().eq_ignore_ascii_case("off") {
        return Ok(Threshold(None));
    }
    parse_duration(text).map(|duration| Threshold(Some(duration)))
}

/// The waits of `WEBHOOK_RETRY_SCHEDULE`, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetrySchedule(pub Vec<Duration>);

/// Parses a retry schedule: durations, comma-separated, at most 20 (an empty text is no
/// retry at all).
pub fn parse_schedule(text: &str) -> Result<RetrySchedule, String> {
    let waits = text
        .split(',')
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
        .map(parse_interval)
        .collect::<Result<Vec<_>, _>>()?;
    if waits.len() > 20 {
        return Err("a retry schedule has at most 20 entries".into());
    }
    Ok(RetrySchedule(waits))
}

/// Trusted documents (see `graphql::trusted_documents`): a manifest of the documents a
/// client was built with, served by id, and who may send documents outside it.
#[derive(Debug, Clone, Args)]
pub struct TrustedDocumentSettings {
    /// Who may run documents that are not in the manifest: `off` (no persisted
    /// documents at all), `allow` (everyone), `require-anonymous` (only callers with a
    /// token) or `require` (only staff).
    #[arg(
        long = "trusted-documents",
        env = "TRUSTED_DOCUMENTS",
        value_enum,
        default_value = "allow"
    )]
    pub policy: crate::graphql::trusted_documents::Policy,

    /// The manifest: a JSON object from `"sha256:<hex>"` to a document's text, as
    /// `api documents build DIR` writes it. Read at start and again on SIGHUP.
    #[arg(long = "trusted-documents-file", env = "TRUSTED_DOCUMENTS_FILE")]
    pub file: Option<std::path::PathBuf>,
}

impl Default for TrustedDocumentSettings {
    fn default() -> Self {
        TrustedDocumentSettings {
            policy: crate::graphql::trusted_documents::Policy::Allow,
            file: None,
        }
    }
}

/// How replicas share rate-limit budgets (see `service::rate_limits`): each process
/// charges in memory and reconciles with a shared store, Redis when `REDIS_URL` is set,
/// else the database, in batches.
#[derive(Debug, Clone, Args)]
pub struct RateLimitSharingSettings {
    /// Redis to keep the shared rate-limit totals in, such as `redis://127.0.0.1:6379/0`;
    /// unset, they are kept in the database.
    #[arg(long = "redis-url", env = "REDIS_URL", hide_env_values = true)]
    pub redis_url: Option<Secret>,

    /// Prefix of the Redis keys of rate-limit windows, so that several deployments (or
    /// test runs) can share one Redis.
    #[arg(
        long = "rate-limit-key-prefix",
        env = "RATE_LIMIT_KEY_PREFIX",
        default_value = DEFAULT_RATE_LIMIT_KEY_PREFIX
    )]
    pub key_prefix: String,

    /// How often a process sends what its callers spent to the shared store, in one
    /// batch, and reads back their totals.
    #[arg(long = "rate-limit-sync-interval", env = "RATE_LIMIT_SYNC_INTERVAL", default_value = "200ms", value_parser = parse_interval)]
    pub sync_interval: Duration,

    /// How long a request waits for the shared store when it must sync before being
    /// answered; past it (or while the store is away) the process decides alone.
    #[arg(long = "rate-limit-sync-timeout", env = "RATE_LIMIT_SYNC_TIMEOUT", default_value = "100ms", value_parser = parse_interval)]
    pub sync_timeout: Duration,

    /// How many replicas share the budgets: a caller may get at most 10 % over budget
    /// when at most this many serve them.
    #[arg(
        long = "rate-limit-replicas",
        env = "RATE_LIMIT_REPLICAS",
        default_value_t = 3,
        value_parser = clap::value_parser!(u64).range(1..)
    )]
    pub replicas: u64,

    /// Most callers a process tracks in memory in one window; past it, a new caller's
    /// requests are charged straight to the shared store.
    #[arg(
        long = "rate-limit-max-callers",
        env = "RATE_LIMIT_MAX_CALLERS",
        default_value_t = 50_000
    )]
    pub max_callers: usize,
}

const DEFAULT_RATE_LIMIT_KEY_PREFIX: &str = "fellowship:rate-limit:";

impl Default for RateLimitSharingSettings {
    fn default() -> Self {
        RateLimitSharingSettings {
            redis_url: None,
            key_prefix: DEFAULT_RATE_LIMIT_KEY_PREFIX.to_owned(),
            sync_interval: Duration::from_millis(200),
            sync_timeout: Duration::from_millis(100),
            replicas: 3,
            max_callers: 50_000,
        }
    }
}

/// The secrets that sign pagination and event cursors (HMAC-SHA256).
///
/// Without `CURSOR_SECRET`, the key is derived from `JWT_SECRET` (under a label of its
/// own, so a cursor tag says nothing about the token key): replicas configured alike
/// then agree on cursors and a restart keeps them, with nothing new to configure.
/// Without either, a random key is made at start and the server warns: cursors then
/// stop working at a restart and on another replica.
#[derive(Debug, Clone, Default, Args)]
pub struct CursorSettings {
    /// Key that signs and verifies cursors; at least 32 bytes, the same on every replica.
    /// Unset, it is derived from `JWT_SECRET`; without that too, it is random per
    /// process (the server warns), and cursors do not survive a restart.
    #[arg(long = "cursor-secret", env = "CURSOR_SECRET", hide_env_values = true)]
    pub secret: Option<Secret>,

    /// During a rotation, the key `CURSOR_SECRET` replaces: it still verifies cursors
    /// issued before the switch, and signs none. Remove it once those have aged out.
    #[arg(
        long = "cursor-secret-previous",
        env = "CURSOR_SECRET_PREVIOUS",
        hide_env_values = true
    )]
    pub previous_secret: Option<Secret>,
}

/// Settings of subscriptions over WebSocket and of the event feed behind them.
#[derive(Debug, Clone, Args)]
pub struct SubscriptionSettings {
    /// How often the server pings an idle WebSocket (graphql-transport-ws `ping`); a
    /// client silent for three of these is disconnected.
    #[arg(long = "ws-keep-alive", env = "WS_KEEP_ALIVE", default_value = "15s", value_parser = parse_interval)]
    pub keep_alive: Duration,

    /// How long a new WebSocket may take to send `connection_init`.
    #[arg(long = "ws-init-timeout", env = "WS_INIT_TIMEOUT", default_value = "10s", value_parser = parse_interval)]
    pub init_timeout: Duration,

    /// Most operations running at once on one WebSocket.
    #[arg(
        long = "ws-max-subscriptions",
        env = "WS_MAX_SUBSCRIPTIONS",
        default_value_t = 20
    )]
    pub max_subscriptions_per_connection: usize,

    /// Most WebSockets one caller may hold open, counted across all replicas.
    #[arg(
        long = "ws-max-connections-per-caller",
        env = "WS_MAX_CONNECTIONS_PER_CALLER",
        default_value_t = 10
    )]
    pub max_connections_per_caller: u32,

    /// Messages that may wait for a slow client before it is disconnected.
    #[arg(
        long = "ws-outbound-queue",
        env = "WS_OUTBOUND_QUEUE",
        default_value_t = 256
    )]
    pub outbound_queue: usize,

    /// How often an open WebSocket's token is checked again, so that a revoked token,
    /// a disabled account or a changed role ends its subscriptions.
    #[arg(long = "ws-reauthenticate-every", env = "WS_REAUTHENTICATE_EVERY", default_value = "30s", value_parser = parse_interval)]
    pub reauthenticate_every: Duration,

    /// How long nomination events are kept for clients resuming from a cursor.
    #[arg(long, env = "EVENT_RETENTION", default_value = "7d", value_parser = parse_interval)]
    pub event_retention: Duration,

    /// How often the event feed looks for new events even without a notification (a
    /// safety net on PostgreSQL; how other processes on one SQLite file are seen).
    #[arg(long, env = "EVENT_POLL_INTERVAL", default_value = "2s", value_parser = parse_interval)]
    pub event_poll_interval: Duration,
}

impl Default for SubscriptionSettings {
    fn default() -> Self {
        SubscriptionSettings {
            keep_alive: Duration::from_secs(15),
            init_timeout: Duration::from_secs(10),
            max_subscriptions_per_connection: 20,
            max_connections_per_caller: 10,
            outbound_queue: 256,
            reauthenticate_every: Duration::from_secs(30),
            event_retention: Duration::from_secs(7 * 86_400),
            event_poll_interval: Duration::from_secs(2),
        }
    }
}

/// A secret value (a signing key, a URL with a password): never printed, in `Debug`
/// or otherwise, and wiped from memory when dropped. Read it with
/// [`secrecy::ExposeSecret::expose_secret`], at the one place that needs the text.
pub type Secret = secrecy::SecretString;

/// How tokens are verified (and, for `api token` and partner tokens, signed).
#[derive(Debug, Clone, Args)]
pub struct AuthSettings {
    /// HS256 key that signs and verifies tokens; at least 32 bytes. Without it (or a
    /// public key) no token is accepted.
    #[arg(
        long = "jwt-secret",
        env = "JWT_SECRET",
        global = true,
        hide_env_values = true
    )]
    pub jwt_secret: Option<Secret>,

    /// During a rotation, the HS256 key `JWT_SECRET` replaces: it still verifies user
    /// tokens signed before the switch, and signs none. Remove it once those have expired.
    #[arg(
        long = "jwt-secret-previous",
        env = "JWT_SECRET_PREVIOUS",
        global = true,
        hide_env_values = true
    )]
    pub jwt_secret_previous: Option<Secret>,

    /// Public key(s) that verify tokens signed elsewhere: a PEM file (RS256, ES256 or
    /// EdDSA) or a JWKS file whose keys carry a `kid`, so that two keys can be live
    /// during a rotation.
    #[arg(
        long = "jwt-public-key-file",
        env = "JWT_PUBLIC_KEY_FILE",
        global = true
    )]
    pub jwt_public_key_file: Option<std::path::PathBuf>,

    /// The `iss` every token must carry.
    #[arg(
        long = "jwt-issuer",
        env = "JWT_ISSUER",
        default_value = "fellowship-api",
        global = true
    )]
    pub jwt_issuer: String,

    /// The `aud` every token must carry.
    #[arg(
        long = "jwt-audience",
        env = "JWT_AUDIENCE",
        default_value = "fellowship-api",
        global = true
    )]
    pub jwt_audience: String,

    /// Where a user token carries its role: a claim name (`role`, `groups`,
    /// `https://example.org/roles`) or a path into nested claims
    /// (`realm_access.roles`). The value may be a string or an array of strings.
    #[arg(
        long = "jwt-role-claim",
        env = "JWT_ROLE_CLAIM",
        default_value = "role",
        global = true
    )]
    pub jwt_role_claim: String,

    /// Where a user token carries the person's hub handle: a claim name or a path, as
    /// for `JWT_ROLE_CLAIM` (`preferred_username` is common with identity providers).
    #[arg(
        long = "jwt-handle-claim",
        env = "JWT_HANDLE_CLAIM",
        default_value = "sub",
        global = true
    )]
    pub jwt_handle_claim: String,

    /// The role value that means staff, compared ignoring case (a provider's group or
    /// role name, such as `fellowship-staff`).
    #[arg(
        long = "jwt-staff-role",
        env = "JWT_STAFF_ROLE",
        default_value = "STAFF",
        global = true
    )]
    pub jwt_staff_role: String,

    /// The role value that means a fellow, compared ignoring case.
    #[arg(
        long = "jwt-fellow-role",
        env = "JWT_FELLOW_ROLE",
        default_value = "FELLOW",
        global = true
    )]
    pub jwt_fellow_role: String,

    /// Where an identity provider's signing keys come from, if anywhere.
    #[command(flatten)]
    pub provider: ProviderSettings,
}

/// An identity provider whose tokens are accepted: its keys are fetched by URL, cached,
/// and refreshed in the background (see `auth::provider`).
#[derive(Debug, Clone, Args)]
pub struct ProviderSettings {
    /// The OpenID Connect provider's issuer (`https://idp.example.org/realms/main`): its
    /// `/.well-known/openid-configuration` names the key set, and its tokens' `iss` must
    /// be the issuer the document names. `http://` only for loopback addresses.
    #[arg(long = "oidc-issuer-url", env = "OIDC_ISSUER_URL", global = true)]
    pub oidc_issuer_url: Option<String>,

    /// A key set (JWKS) by URL, without discovery; its tokens carry `JWT_ISSUER` as
    /// `iss`. `http://` only for loopback addresses. Not together with OIDC_ISSUER_URL.
    #[arg(long = "jwt-jwks-url", env = "JWT_JWKS_URL", global = true)]
    pub jwt_jwks_url: Option<String>,

    /// Shortest time between two background refreshes of the provider's keys, however
    /// short the `Cache-Control: max-age` it sends.
    #[arg(
        long = "jwks-refresh-min",
        env = "JWKS_REFRESH_MIN",
        default_value = "1m",
        value_parser = parse_interval,
        global = true
    )]
    pub refresh_min: Duration,

    /// Longest time between two background refreshes, however long the `max-age`; also
    /// the interval when the provider sends none.
    #[arg(
        long = "jwks-refresh-max",
        env = "JWKS_REFRESH_MAX",
        default_value = "1h",
        value_parser = parse_interval,
        global = true
    )]
    pub refresh_max: Duration,

    /// Shortest time between two fetches caused by tokens naming an unknown `kid` (a key
    /// the provider has just rotated in), however many such tokens arrive; also the
    /// first retry delay while the provider is unreachable.
    #[arg(
        long = "jwks-refetch-cooldown",
        env = "JWKS_REFETCH_COOLDOWN",
        default_value = "5s",
        value_parser = parse_interval,
        global = true
    )]
    pub refetch_cooldown: Duration,
}

impl ProviderSettings {
    /// No identity provider, with the default timing.
    pub const NONE: ProviderSettings = ProviderSettings {
        oidc_issuer_url: None,
        jwt_jwks_url: None,
        refresh_min: Duration::from_secs(60),
        refresh_max: Duration::from_secs(3600),
        refetch_cooldown: Duration::from_secs(5),
    };
}

impl AuthSettings {
    /// Settings with only an HS256 secret and the default issuer and audience.
    pub fn with_secret(secret: &str) -> Self {
        AuthSettings {
            jwt_secret: Some(Secret::from(secret)),
            jwt_secret_previous: None,
            jwt_public_key_file: None,
            jwt_issuer: "fellowship-api".to_owned(),
            jwt_audience: "fellowship-api".to_owned(),
            jwt_role_claim: "role".to_owned(),
            jwt_handle_claim: "sub".to_owned(),
            jwt_staff_role: "STAFF".to_owned(),
            jwt_fellow_role: "FELLOW".to_owned(),
            provider: ProviderSettings::NONE,
        }
    }
}

/// Parses a duration as humantime writes them (`500ms`, `3s`, `2m`, `1h`, `7d`,
/// `1h 30m`); a bare number is seconds, as the settings have always read it.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let duration = if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        text.parse::<u64>().ok().map(Duration::from_secs)
    } else {
        humantime::parse_duration(text)
            .map_err(|err| {
                format!("`{text}` is not a duration such as 500ms, 3s, 2m or 1h ({err})")
            })
            .map(Some)?
    };
    duration
        .filter(|d| d.as_secs() <= MOST_SECONDS)
        .ok_or_else(|| format!("`{text}` is longer than 100 years"))
}

/// The longest duration a setting takes: anything longer is a typo, and would overflow
/// the clock arithmetic it feeds.
const MOST_SECONDS: u64 = 100 * 365 * 86_400;

/// Like [`parse_duration`], for a period that must pass between two things (a timer's
/// interval, a retention): zero is refused.
pub fn parse_interval(text: &str) -> Result<Duration, String> {
    let duration = parse_duration(text)?;
    if duration.is_zero() {
        return Err(format!("`{text}` must be longer than zero"));
    }
    Ok(duration)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_database_url_never_prints_its_password() {
        let url: DatabaseUrl = "postgres://app:s3cret@db.internal:5432/fellowship"
            .parse()
            .unwrap();
        assert_eq!(
            url.to_string(),
            "postgres://app:***@db.internal:5432/fellowship"
        );
        assert!(!format!("{url:?}").contains("s3cret"));
    }

    #[test]
    fn a_database_url_without_password_prints_as_is() {
        let url: DatabaseUrl = "sqlite://fellowship.db?mode=rwc".parse().unwrap();
        assert_eq!(url.to_string(), "sqlite://fellowship.db?mode=rwc");
    }

    #[test]
    fn subscription_defaults_are_the_documented_ones() {
        #[derive(clap::Parser)]
        struct Only {
            #[command(flatten)]
            settings: SubscriptionSettings,
        }
        let parsed = <Only as clap::Parser>::parse_from(["api"]).settings;
        let default = SubscriptionSettings::default();
        assert_eq!(format!("{parsed:?}"), format!("{default:?}"));
    }

    #[test]
    fn rate_limit_sharing_defaults_are_the_documented_ones() {
        #[derive(clap::Parser)]
        struct Only {
            #[command(flatten)]
            settings: RateLimitSharingSettings,
        }
        let parsed = <Only as clap::Parser>::parse_from(["api"]).settings;
        let default = RateLimitSharingSettings::default();
        assert_eq!(format!("{parsed:?}"), format!("{default:?}"));
    }

    #[test]
    fn trusted_document_defaults_are_the_documented_ones() {
        #[derive(clap::Parser)]
        struct Only {
            #[command(flatten)]
            settings: TrustedDocumentSettings,
        }
        let parsed = <Only as clap::Parser>::parse_from(["api"]).settings;
        let default = TrustedDocumentSettings::default();
        assert_eq!(format!("{parsed:?}"), format!("{default:?}"));
    }

    #[test]
    fn identity_provider_defaults_are_the_documented_ones() {
        #[derive(clap::Parser)]
        struct Only {
            #[command(flatten)]
            settings: ProviderSettings,
        }
        let parsed = <Only as clap::Parser>::parse_from(["api"]).settings;
        assert_eq!(
            format!("{parsed:?}"),
            format!("{:?}", ProviderSettings::NONE)
        );
    }

    #[test]
    fn webhook_defaults_are_the_documented_ones() {
        let defaults = WebhookSettings::default();
        assert_eq!(defaults.retry_schedule.0.len() + 1, 8, "eight attempts");
        let total: Duration = defaults.retry_schedule.0.iter().sum();
        assert!(total > Duration::from_secs(86_400) && total < Duration::from_secs(2 * 86_400));
        assert!(!defaults.allow_private_targets);
        assert_eq!(parse_schedule("").unwrap(), RetrySchedule(Vec::new()));
        assert!(parse_schedule("1s,0s").is_err());
        assert_eq!(
            parse_schedule("100ms, 2s").unwrap(),
            RetrySchedule(vec![Duration::from_millis(100), Duration::from_secs(2)])
        );
    }

    #[derive(clap::Parser)]
    struct OnlyTracing {
        #[command(flatten)]
        settings: TracingSettings,
    }

    fn tracing_from(args: &[&str]) -> Result<TracingSettings, clap::Error> {
        <OnlyTracing as clap::Parser>::try_parse_from(
            std::iter::once("api").chain(args.iter().copied()),
        )
        .map(|only| only.settings)
    }

    #[test]
    fn tracing_defaults_are_the_documented_ones() {
        let parsed = tracing_from(&[]).unwrap();
        assert_eq!(
            format!("{parsed:?}"),
            format!("{:?}", TracingSettings::default())
        );
        assert!(parsed.endpoint.is_none(), "no endpoint, no traces");
    }

    #[test]
    fn samplers_take_the_standard_names_and_a_ratio_from_0_to_1() {
        let parsed = tracing_from(&[
            "--otel-traces-sampler",
            "parentbased_traceidratio",
            "--otel-traces-sampler-arg",
            "0.25",
        ])
        .unwrap();
        assert_eq!(parsed.sampler, Sampler::ParentbasedTraceIdRatio);
        assert_eq!(parsed.sampler_arg, 0.25);
        for name in [
            "always_on",
            "always_off",
            "traceidratio",
            "parentbased_always_off",
        ] {
            assert!(
                tracing_from(&["--otel-traces-sampler", name]).is_ok(),
                "{name}"
            );
        }
        assert!(tracing_from(&["--otel-traces-sampler", "sometimes"]).is_err());
        for ratio in ["1.5", "-0.1", "half", "NaN"] {
            assert!(
                tracing_from(&["--otel-traces-sampler-arg", ratio]).is_err(),
                "{ratio}"
            );
        }
    }

    #[test]
    fn an_otlp_endpoint_is_an_http_url_and_slow_resolvers_may_be_off() {
        let parsed =
            tracing_from(&["--otel-exporter-otlp-endpoint", "http://collector:4318"]).unwrap();
        assert_eq!(parsed.endpoint.unwrap().as_str(), "http://collector:4318/");
        assert!(tracing_from(&["--otel-exporter-otlp-endpoint", "collector:4318"]).is_err());
        assert!(tracing_from(&["--otel-exporter-otlp-endpoint", "ftp://collector"]).is_err());
        for refused in [
            "https://user:secret@collector",
            "https://collector:4318?api_key=secret",
            "https://collector:4318/#secret",
            "secret-without-scheme",
        ] {
            let error = tracing_from(&["--otel-exporter-otlp-endpoint", refused])
                .err()
                .unwrap_or_else(|| panic!("{refused} was accepted"));
            assert!(!format!("{error:?}").contains("secret"), "{error:?}");
            assert!(!error.to_string().contains("secret"), "{error}");
        }
        let off = tracing_from(&["--trace-slow-resolver", "off"]).unwrap();
        assert_eq!(off.slow_resolver, Threshold(None));
        let fifty = tracing_from(&["--trace-slow-resolver", "50ms"]).unwrap();
        assert_eq!(
            fifty.slow_resolver,
            Threshold(Some(Duration::from_millis(50)))
        );
    }

    #[test]
    fn durations_read_the_usual_units() {
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("3s"), Ok(Duration::from_secs(3)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
        assert!(parse_duration("soon").is_err());
        assert!(parse_duration("3 parsecs").is_err());
        assert_eq!(
            parse_duration("90"),
            Ok(Duration::from_secs(90)),
            "a bare number is seconds"
        );
        assert_eq!(parse_duration("1h 30m"), Ok(Duration::from_secs(5400)));
    }

    #[test]
    fn intervals_are_positive_and_every_duration_is_bounded() {
        assert_eq!(parse_interval("15s"), Ok(Duration::from_secs(15)));
        assert!(parse_interval("0s").is_err());
        assert!(parse_interval("0ms").is_err());
        assert!(parse_duration("0s").is_ok());
        assert!(parse_duration("99999999999999999d").is_err());
        assert!(parse_duration("18446744073709551615ms").is_err());
        assert_eq!(
            parse_duration("36500d"),
            Ok(Duration::from_secs(36_500 * 86_400))
        );
    }
}

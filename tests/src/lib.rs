//! Black-box test helpers: the real server on an ephemeral port against a fresh
//! database, talked to over HTTP as a client would.
//!
//! Every test runs on SQLite (a temporary file) and on PostgreSQL (a fresh database per
//! test, named with [`test_database_prefix`], created from `TEST_DATABASE_URL` or the
//! local default `postgres://postgres@127.0.0.1:5432/test`, dropped afterwards). Tests
//! are declared once with [`on_both_databases!`], or [`on_postgres!`] for those that
//! need PostgreSQL itself; either way the PostgreSQL ones sit in a module named
//! `postgres`. A PostgreSQL test that finds no server fails rather than passing
//! unrun; `cargo suite` (tests/src/bin/suite.rs) leaves them out, visibly, when no
//! PostgreSQL answers.

pub mod load;
pub mod nominations;
pub mod oidc;
pub mod process;
pub mod schema_contract;
pub mod seed;
pub mod webhooks;
pub mod ws;

use std::path::PathBuf;
use std::time::Duration;

use api::auth::{mint_user_token, KeyRing, Role};
use api::config::{
    AuthSettings, CursorSettings, DatabaseSettings, DatabaseUrl, RateLimitSharingSettings,
    RetrySchedule, ServerSettings, SubscriptionSettings, TrustedDocumentSettings, WebhookSettings,
};
use api::startup::{Application, ServeOptions};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use serde_json::{json, Value};
use tokio::sync::OnceCell;

/// Where tests reach PostgreSQL when `TEST_DATABASE_URL` is not set: a local server,
/// as `postgres` without a password.
pub const DEFAULT_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

/// The HS256 secret test servers are started with.
pub const TEST_SECRET: &str = "test-secret-that-is-long-enough-for-hs256-0123456789";

/// Where the throwaway keys of `tests/fixtures/keys` live.
pub fn key_file(name: &str) -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/keys")).join(name)
}

/// The variable `cargo suite` names its report of tests skipped at run time in.
pub const SKIP_REPORT_VARIABLE: &str = "FELLOWSHIP_SKIP_REPORT";

/// Says that the running test is skipped, and why, before it returns unrun. libtest
/// cannot mark a test skipped once it runs, so it still shows as `ok` in its binary's
/// summary; `cargo suite` lists every test that called this at the end of its run
/// (from the file [`SKIP_REPORT_VARIABLE`] names), so that none passes unseen.
pub fn skipped(reason: &str) {
    let binary = std::env::current_exe()
        .ok()
        .and_then(|exe| {
            exe.file_stem()
                .map(|stem| stem.to_string_lossy().into_owned())
        })
        // Cargo names test binaries `NAME-HASH`.
        .map(|stem| match stem.rsplit_once('-') {
            Some((name, _hash)) => name.to_owned(),
            None => stem,
        })
        .unwrap_or_default();
    // libtest runs each test on a thread named after it.
    let test = std::thread::current().name().unwrap_or("a test").to_owned();
    let reason = reason.replace('\n', " ");
    eprintln!("SKIPPED {binary}: {test}: {reason}");
    if let Some(report) = std::env::var_os(SKIP_REPORT_VARIABLE) {
        use std::io::Write;
        let line = format!("{binary}: {test}: {reason}\n");
        // One write of one short line on a file opened for appending: lines of tests
        // running at once do not interleave.
        let written = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&report)
            .and_then(|mut file| file.write_all(line.as_bytes()));
        if let Err(err) = written {
            panic!(
                "could not record the skip in {}: {err}",
                report.to_string_lossy()
            );
        }
    }
}

/// The database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// A temporary SQLite file; always available.
    Sqlite,
    /// A database of its own on the server of [`admin_postgres_url`]; get it with
    /// [`Backend::postgres`], which insists that the server answers.
    Postgres,
}

/// Where tests reach PostgreSQL as an administrator, to create their databases.
pub fn admin_postgres_url() -> String {
    std::env::var("TEST_DATABASE_URL").unwrap_or_else(|_| DEFAULT_POSTGRES_URL.to_owned())
}

static POSTGRES_REACHABLE: OnceCell<bool> = OnceCell::const_new();

/// `url` with any password replaced, for messages.
pub fn without_password(url: &str) -> String {
    let Some(scheme_end) = url.find("://").map(|i| i + 3) else {
        return url.to_owned();
    };
    let rest = &url[scheme_end..];
    let authority_end = rest.find('/').unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => match rest[..at].find(':') {
            Some(colon) => format!(
                "{}{}:***{}",
                &url[..scheme_end],
                &rest[..colon],
                &rest[at..]
            ),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

/// The prefix of every PostgreSQL database the tests create, so that a run (or CI) can
/// drop what it left behind without touching another run's databases.
pub fn test_database_prefix() -> String {
    let prefix =
        std::env::var("TEST_DATABASE_PREFIX").unwrap_or_else(|_| "fellowship_test_".to_owned());
    assert!(
        !prefix.is_empty()
            // PostgreSQL names are at most 63 bytes; a UUID's 32 follow the prefix.
            && prefix.len() <= 31
            && prefix
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'),
        "TEST_DATABASE_PREFIX is 1 to 31 characters of a-z, 0-9 and _"
    );
    prefix
}

impl Backend {
    /// The PostgreSQL backend. A PostgreSQL test that finds no server fails: it is never
    /// counted as passed without running. `cargo suite` leaves these tests out, visibly,
    /// when no PostgreSQL answers (see `tests/src/bin/suite.rs`).
    pub async fn postgres() -> Backend {
        let reachable = *POSTGRES_REACHABLE
            .get_or_init(|| async {
                let url = admin_postgres_url();
                match tokio::time::timeout(Duration::from_secs(5), Database::connect(url)).await {
                    Ok(Ok(db)) => db.ping().await.is_ok(),
                    _ => false,
                }
            })
            .await;
        assert!(
            reachable,
            "PostgreSQL does not answer at {}: start it, set TEST_DATABASE_URL, or run `cargo suite`, \
             which skips the PostgreSQL half visibly when none answers",
            without_password(&admin_postgres_url())
        );
        Backend::Postgres
    }
}

/// Declares each test twice: `sqlite::name` and `postgres::name`.
#[macro_export]
macro_rules! on_both_databases {
    ($( $(#[$meta:meta])* async fn $name:ident($backend:ident) $body:block )*) => {
        mod sqlite {
            #[allow(unused_imports)]
            use super::*;
            $(
                $(#[$meta])*
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let $backend = $crate::Backend::Sqlite;
                    $body
                }
            )*
        }
        $crate::on_postgres! {
            $( $(#[$meta])* async fn $name($backend) $body )*
        }
    };
}

/// Declares tests that need PostgreSQL, as `postgres::name`: the module name is what
/// `cargo suite` leaves out when no PostgreSQL answers, and what CI counts.
#[macro_export]
macro_rules! on_postgres {
    ($( $(#[$meta:meta])* async fn $name:ident($backend:ident) $body:block )*) => {
        mod postgres {
            #[allow(unused_imports)]
            use super::*;
            $(
                $(#[$meta])*
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let $backend = $crate::Backend::postgres().await;
                    $body
                }
            )*
        }
    };
}

/// A database made for one test.
pub struct TestDatabase {
    /// Which kind of database it is.
    pub backend: Backend,
    /// The URL the server and the test connect with.
    pub url: String,
    sqlite_file: Option<PathBuf>,
    postgres_name: Option<String>,
}

impl TestDatabase {
    /// A fresh database for one test: a new file name in the temporary folder (the
    /// file is made on first connect), or a new PostgreSQL database named with
    /// [`test_database_prefix`] (panics when PostgreSQL refuses). Nothing is migrated
    /// yet. Dropping it removes the file and its WAL files, or drops the database.
    pub async fn create(backend: Backend) -> TestDatabase {
        let unique = uuid::Uuid::new_v4().simple().to_string();
        match backend {
            Backend::Sqlite => {
                let file = std::env::temp_dir().join(format!("fellowship-test-{unique}.db"));
                TestDatabase {
                    backend,
                    url: format!("sqlite://{}?mode=rwc", file.display()),
                    sqlite_file: Some(file),
                    postgres_name: None,
                }
            }
            Backend::Postgres => {
                let admin_url = admin_postgres_url();
                let admin = Database::connect(&admin_url)
                    .await
                    .expect("connect to PostgreSQL as admin");
                let name = format!("{}{unique}", test_database_prefix());
                admin
                    .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
                    .await
                    .expect("create the test database");
                admin.close().await.ok();
                TestDatabase {
                    backend,
                    url: with_database_name(&admin_url, &name),
                    sqlite_file: None,
                    postgres_name: Some(name),
                }
            }
        }
    }

    /// A connection of the test's own; panics when the database does not answer.
    pub async fn connect(&self) -> DatabaseConnection {
        Database::connect(&self.url)
            .await
            .expect("connect to the test database")
    }

    /// The PostgreSQL database's name, for tests that act on it from outside.
    pub fn postgres_name(&self) -> Option<&str> {
        self.postgres_name.as_deref()
    }
}

/// `postgres://user@host:port/old?x` with the database name replaced.
fn with_database_name(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let authority_start = base.find("://").map(|i| i + 3).unwrap_or(0);
    let path_start = base[authority_start..]
        .find('/')
        .map(|i| authority_start + i)
        .unwrap_or(base.len());
    let mut out = format!("{}/{name}", &base[..path_start]);
    if let Some(query) = query {
        out.push('?');
        out.push_str(query);
    }
    out
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Some(file) = &self.sqlite_file {
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", file.display()));
            }
        }
        if let Some(name) = self.postgres_name.take() {
            // Drop needs its own runtime: the test's may be shutting down.
            let admin_url = admin_postgres_url();
            let _ = std::thread::spawn(move || {
                let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                else {
                    return;
                };
                runtime.block_on(async move {
                    if let Ok(admin) = Database::connect(&admin_url).await {
                        let _ = admin
                            .execute_unprepared(&format!(
                                "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                            ))
                            .await;
                        admin.close().await.ok();
                    }
                });
            })
            .join();
        }
    }
}

/// The origin test servers allow for CORS.
pub const ALLOWED_ORIGIN: &str = "https://fellows.example.org";

/// HTTP settings of test servers: an ephemeral port, everything on, one CORS origin.
pub fn test_server_settings() -> ServerSettings {
    ServerSettings {
        bind: "127.0.0.1:0".to_owned(),
        playground: true,
        introspection: true,
        cors_allowed_origins: vec![ALLOWED_ORIGIN.to_owned()],
        request_timeout: Duration::from_secs(30),
        body_timeout: Duration::from_secs(10),
        shutdown_delay: Duration::from_secs(0),
        shutdown_timeout: Duration::from_secs(5),
        rate_limit_window: Duration::from_secs(60),
        rate_limit_anonymous: 1_000_000,
        rate_limit_user: 1_000_000,
        rate_limit_partner: 1_000_000,
        rate_limit_sharing: RateLimitSharingSettings {
            // Generous, so that a test machine busy with other tests does not look like
            // a rate-limit store outage (tests of outages point at a closed port).
            sync_timeout: Duration::from_secs(2),
            ..RateLimitSharingSettings::default()
        },
        trust_forwarded_for: false,
        metrics_bind: None,
        trusted_documents: TrustedDocumentSettings::default(),
        // Derived from TEST_SECRET, so that replicas agree, as configured ones would.
        cursors: CursorSettings::default(),
        subscriptions: SubscriptionSettings {
            // Short enough that tests of expiry and liveness finish in seconds.
            keep_alive: Duration::from_secs(5),
            reauthenticate_every: Duration::from_secs(1),
            // Tests that count SQL statements need a server at rest to send none; a
            // process's own changes and PostgreSQL's NOTIFY wake the feed anyway. Tests
            // of replicas on one SQLite file set a short poll themselves.
            event_poll_interval: Duration::from_secs(3600),
            ..SubscriptionSettings::default()
        },
        webhooks: WebhookSettings {
            // Receivers of the tests' own listen on loopback ports.
            allow_private_targets: true,
            // Short, so that retries, and replicas taking turns, fit in a test.
            retry_schedule: RetrySchedule(vec![
                Duration::from_millis(200),
                Duration::from_millis(400),
                Duration::from_millis(800),
            ]),
            // As for the event feed: tests that count SQL statements need a server at
            // rest. The tests of webhooks poll often ([`webhook_test_settings`]).
            poll_interval: Duration::from_secs(3600),
            timeout: Duration::from_secs(5),
            ..WebhookSettings::default()
        },
        tracing: api::config::TracingSettings::default(),
    }
}

/// [`test_server_settings`] with webhook senders that look for work every 100 ms.
pub fn webhook_test_settings() -> ServerSettings {
    let mut settings = test_server_settings();
    settings.webhooks.poll_interval = Duration::from_millis(100);
    settings
}

/// A running server and a client for it.
pub struct TestApp {
    /// The server's base URL, `http://127.0.0.1:<port>`.
    pub address: String,
    /// An HTTP client whose requests give up after 30 seconds.
    pub client: reqwest::Client,
    /// A connection of the test's own, to arrange data and inspect what was written.
    pub db: DatabaseConnection,
    /// The database the server runs on; removed when the app is dropped.
    pub database: TestDatabase,
}

/// One GraphQL response: the HTTP status and the JSON body.
#[derive(Debug)]
pub struct GraphqlResponse {
    /// The HTTP status.
    pub status: u16,
    /// The body, parsed as JSON.
    pub body: Value,
}

impl GraphqlResponse {
    /// The body's `data`; `Null` when there is none.
    pub fn data(&self) -> &Value {
        &self.body["data"]
    }

    /// The `extensions.code` of every error, in order.
    pub fn error_codes(&self) -> Vec<String> {
        error_codes(&self.body)
    }

    /// Panics with the whole body when the response carries errors.
    pub fn expect_ok(self) -> Value {
        assert!(
            self.body.get("errors").is_none(),
            "unexpected errors: {}",
            serde_json::to_string_pretty(&self.body).unwrap()
        );
        self.body["data"].clone()
    }
}

impl TestApp {
    /// A server over a fresh database holding the demo data.
    pub async fn with_demo(backend: Backend) -> TestApp {
        Self::spawn(backend, true).await
    }

    /// A server over a fresh, migrated, empty database.
    pub async fn empty(backend: Backend) -> TestApp {
        Self::spawn(backend, false).await
    }

    /// A server over a fresh database of `backend`, with the demo data when `demo`, on
    /// the test settings of [`TestApp::builder`].
    pub async fn spawn(backend: Backend, demo: bool) -> TestApp {
        let builder = TestApp::builder(TestDatabase::create(backend).await);
        if demo { builder.demo() } else { builder }.spawn().await
    }

    /// A server on `database`, set up by the builder's methods, started by its `spawn`:
    /// test settings ([`test_server_settings`], [`TEST_SECRET`], a pool of 5 waiting 3 s)
    /// unless a test says otherwise.
    pub fn builder(database: TestDatabase) -> TestAppBuilder {
        TestAppBuilder {
            database,
            demo: false,
            auth: AuthSettings::with_secret(TEST_SECRET),
            server: test_server_settings(),
            max_connections: 5,
            acquire_timeout: Duration::from_secs(3),
        }
    }

    /// Another replica of this server: a second process's worth of application on the
    /// same database, answering on its own port. Returns its base address.
    pub async fn replica(&self, server: ServerSettings) -> String {
        self.replica_with(server, AuthSettings::with_secret(TEST_SECRET))
            .await
    }

    /// A replica with keys of its own: the same database under other token settings,
    /// as a replica restarted in the middle of a key rotation is.
    pub async fn replica_with(&self, server: ServerSettings, auth: AuthSettings) -> String {
        let settings = DatabaseSettings {
            url: DatabaseUrl::new(self.database.url.clone()),
            max_connections: Some(5),
            acquire_timeout: Duration::from_secs(3),
            statement_timeout: Duration::from_secs(10),
            generic_plans: true,
        };
        let app = Application::build(
            &settings,
            &server,
            &auth,
            ServeOptions {
                demo: false,
                workers: 1,
            },
        )
        .await
        .expect("build a replica");
        let address = format!("http://127.0.0.1:{}", app.port());
        tokio::spawn(app.run_until_stopped());
        address
    }

    /// A user token signed with [`TEST_SECRET`], valid for an hour.
    pub fn token(&self, role: Role, handle: &str) -> String {
        user_token(role, handle)
    }

    /// A user token for `handle`, with an account of `role` behind it: the person and
    /// the account are created when the records lack them, since a token for a handle
    /// without an account is refused.
    pub async fn account_token(&self, role: Role, handle: &str) -> String {
        let account_role = match role {
            Role::Staff => entity::enums::AccountRole::Staff,
            Role::Fellow => entity::enums::AccountRole::Fellow,
            Role::Partner => panic!("partner tokens are made with createApiToken"),
        };
        seed::account(&self.db, handle, account_role).await;
        self.token(role, handle)
    }

    /// POSTs an operation with `Authorization: Bearer <token>` (none when `token` is None).
    pub async fn graphql_as(
        &self,
        token: Option<&str>,
        query: &str,
        variables: Value,
    ) -> GraphqlResponse {
        self.graphql_with(token, &[], query, variables).await
    }

    /// POSTs an operation with a bearer token (if any) and extra headers.
    pub async fn graphql_with(
        &self,
        token: Option<&str>,
        headers: &[(&str, &str)],
        query: &str,
        variables: Value,
    ) -> GraphqlResponse {
        self.graphql_at_with(&self.address, token, headers, query, variables)
            .await
    }

    /// POSTs an operation to another server (a replica at `address`, such as
    /// [`TestApp::replica`] returns) with a bearer token (if any).
    pub async fn graphql_at(
        &self,
        address: &str,
        token: Option<&str>,
        query: &str,
        variables: Value,
    ) -> GraphqlResponse {
        self.graphql_at_with(address, token, &[], query, variables)
            .await
    }

    async fn graphql_at_with(
        &self,
        address: &str,
        token: Option<&str>,
        headers: &[(&str, &str)],
        query: &str,
        variables: Value,
    ) -> GraphqlResponse {
        let mut request = self
            .client
            .post(format!("{address}/graphql"))
            .json(&json!({ "query": query, "variables": variables }));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = request.send().await.expect("POST /graphql");
        let status = response.status().as_u16();
        let body = response.json().await.expect("a JSON response");
        GraphqlResponse { status, body }
    }

    /// The server's URL for `path`, which starts with `/`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// POSTs an operation as JSON and returns the status and body.
    pub async fn graphql(&self, query: &str, variables: Value) -> GraphqlResponse {
        self.graphql_as(None, query, variables).await
    }

    /// POSTs an operation and insists on a response without errors.
    pub async fn query(&self, query: &str, variables: Value) -> Value {
        self.graphql(query, variables).await.expect_ok()
    }

    /// Where the nomination events that `token`'s caller may follow stand now
    /// (`nominationEventsCursor`): subscribe after it to receive every later change.
    pub async fn events_cursor(&self, token: &str) -> String {
        events_cursor(&self.client, &self.address, token).await
    }

    /// How many SQL statements the server has sent, from `/metrics`.
    pub async fn statements_sent(&self) -> u64 {
        let text = self
            .client
            .get(self.url("/metrics"))
            .send()
            .await
            .expect("GET /metrics")
            .text()
            .await
            .expect("metrics text");
        text.lines()
            .find_map(|line| line.strip_prefix("fellowship_db_statements_total "))
            .and_then(|n| n.trim().parse().ok())
            .expect("fellowship_db_statements_total in /metrics")
    }
}

/// How a test's server is set up; see [`TestApp::builder`].
pub struct TestAppBuilder {
    database: TestDatabase,
    demo: bool,
    auth: AuthSettings,
    server: ServerSettings,
    max_connections: u32,
    acquire_timeout: Duration,
}

impl TestAppBuilder {
    /// Loads the demo data at start.
    pub fn demo(mut self) -> Self {
        self.demo = true;
        self
    }

    /// Token settings other than [`TEST_SECRET`] alone.
    pub fn auth(mut self, auth: AuthSettings) -> Self {
        self.auth = auth;
        self
    }

    /// HTTP settings other than [`test_server_settings`].
    pub fn server(mut self, server: ServerSettings) -> Self {
        self.server = server;
        self
    }

    /// A pool of `max_connections` that waits `acquire_timeout` for one.
    pub fn pool(mut self, max_connections: u32, acquire_timeout: Duration) -> Self {
        self.max_connections = max_connections;
        self.acquire_timeout = acquire_timeout;
        self
    }

    /// Builds the application as `serve` would (migrating, loading the demo data when
    /// asked), serves it in the background on one worker, and opens the test's own
    /// connection; panics when the server cannot be built.
    pub async fn spawn(self) -> TestApp {
        let settings = DatabaseSettings {
            url: DatabaseUrl::new(self.database.url.clone()),
            max_connections: Some(self.max_connections),
            acquire_timeout: self.acquire_timeout,
            statement_timeout: Duration::from_secs(10),
            generic_plans: true,
        };
        let options = ServeOptions {
            demo: self.demo,
            workers: 1,
        };
        let app = Application::build(&settings, &self.server, &self.auth, options)
            .await
            .expect("build the application");
        let address = format!("http://127.0.0.1:{}", app.port());
        tokio::spawn(app.run_until_stopped());
        let db = self.database.connect().await;
        TestApp {
            address,
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()
                .expect("an HTTP client"),
            db,
            database: self.database,
        }
    }
}

/// Runs a mutation as `token` with `$input`; returns its payload (the one field of
/// `data`), insisting on no GraphQL errors.
pub async fn mutate(app: &TestApp, token: &str, query: &str, input: Value) -> Value {
    let data = app
        .graphql_as(Some(token), query, json!({ "input": input }))
        .await
        .expect_ok();
    data.as_object().unwrap().values().next().unwrap().clone()
}

/// The first user error's code of a payload, or `<none>`.
pub fn user_error_code(payload: &Value) -> &str {
    payload["userErrors"][0]["code"]
        .as_str()
        .unwrap_or("<none>")
}

/// Follows `first`/`after` through a whole connection; returns every node in order.
/// `field` is the connection's field; `$after` and `$first` are the query's variables.
pub async fn page_forward(
    app: &TestApp,
    query: &str,
    field: &str,
    first: i64,
    extra: Value,
) -> Vec<Value> {
    let mut nodes = Vec::new();
    let mut after = Value::Null;
    for _ in 0..1000 {
        let mut variables = extra.clone();
        variables["first"] = json!(first);
        variables["after"] = after.clone();
        let data = app.query(query, variables).await;
        let connection = &data[field];
        for edge in connection["edges"].as_array().expect("edges") {
            nodes.push(edge["node"].clone());
        }
        if !connection["pageInfo"]["hasNextPage"]
            .as_bool()
            .expect("hasNextPage")
        {
            return nodes;
        }
        after = connection["pageInfo"]["endCursor"].clone();
    }
    panic!("paging did not end");
}

/// Follows `last`/`before` backward through a whole connection; returns every node in
/// the connection's order.
pub async fn page_backward(
    app: &TestApp,
    query: &str,
    field: &str,
    last: i64,
    extra: Value,
) -> Vec<Value> {
    let mut pages: Vec<Vec<Value>> = Vec::new();
    let mut before = Value::Null;
    for _ in 0..1000 {
        let mut variables = extra.clone();
        variables["last"] = json!(last);
        variables["before"] = before.clone();
        let data = app.query(query, variables).await;
        let connection = &data[field];
        pages.push(
            connection["edges"]
                .as_array()
                .expect("edges")
                .iter()
                .map(|e| e["node"].clone())
                .collect(),
        );
        if !connection["pageInfo"]["hasPreviousPage"]
            .as_bool()
            .expect("hasPreviousPage")
        {
            pages.reverse();
            return pages.into_iter().flatten().collect();
        }
        before = connection["pageInfo"]["startCursor"].clone();
    }
    panic!("paging did not end");
}

/// The `extensions.code` of every error of a GraphQL response body, in order.
pub fn error_codes(body: &Value) -> Vec<String> {
    body["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .map(|e| {
                    e["extensions"]["code"]
                        .as_str()
                        .unwrap_or("<none>")
                        .to_owned()
                })
                .collect()
        })
        .unwrap_or_default()
}

/// A user token signed with [`TEST_SECRET`], valid for an hour, for servers that run
/// as processes of their own as well as for [`TestApp`]s.
pub fn user_token(role: Role, handle: &str) -> String {
    let keys = KeyRing::from_settings(&AuthSettings::with_secret(TEST_SECRET)).expect("test keys");
    mint_user_token(&keys, role, handle, chrono::Duration::hours(1)).expect("a token")
}

/// Where the nomination events that `token`'s caller may follow stand now on the server
/// at `address` (`nominationEventsCursor`): subscribe after it to receive every later
/// change, however soon it commits.
pub async fn events_cursor(client: &reqwest::Client, address: &str, token: &str) -> String {
    let response = client
        .post(format!("{address}/graphql"))
        .bearer_auth(token)
        .json(&json!({ "query": "{ nominationEventsCursor }" }))
        .send()
        .await
        .expect("POST /graphql");
    let body: Value = response.json().await.expect("a JSON response");
    body["data"]["nominationEventsCursor"]
        .as_str()
        .unwrap_or_else(|| panic!("a cursor: {body}"))
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_is_hidden_from_messages() {
        assert_eq!(
            without_password("postgres://u:secret@h:5432/test"),
            "postgres://u:***@h:5432/test"
        );
        assert_eq!(
            without_password("postgres://postgres@127.0.0.1:5432/test"),
            "postgres://postgres@127.0.0.1:5432/test"
        );
    }

    #[test]
    fn the_database_name_is_replaced_in_a_postgres_url() {
        assert_eq!(
            with_database_name("postgres://postgres@127.0.0.1:5432/test", "x"),
            "postgres://postgres@127.0.0.1:5432/x"
        );
        assert_eq!(
            with_database_name("postgres://u:p@h/test?sslmode=disable", "x"),
            "postgres://u:p@h/x?sslmode=disable"
        );
    }
}

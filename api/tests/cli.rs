//! The `api` binary as an operator meets it: help, schema, token minting, accounts,
//! refusals, signals and logs. Servers are started through the shared harness
//! (`fellowship_tests::process`); the tests stay synchronous, as an operator's shell is.

use std::process::Command;

use fellowship_tests::process::{post_raw as post, ServeCommand, ServeProcess};

const SECRET: &str = "cli-test-secret-that-is-long-enough-0123456789";

fn api() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_api"));
    command
        .env_remove("DATABASE_URL")
        .env_remove("JWT_SECRET")
        .env_remove("JWT_PUBLIC_KEY_FILE");
    command
}

/// `api serve` started through the shared harness and ready, with the runtime its
/// start needs.
fn serve(command: ServeCommand) -> (tokio::runtime::Runtime, ServeProcess) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let server = runtime.block_on(command.start());
    (runtime, server)
}

#[test]
fn help_names_every_subcommand() {
    let output = api().arg("--help").output().unwrap();
    assert!(output.status.success());
    let text = String::from_utf8(output.stdout).unwrap();
    for subcommand in [
        "serve",
        "migrate",
        "schema",
        "token",
        "account",
        "documents",
    ] {
        assert!(
            text.contains(subcommand),
            "--help does not mention {subcommand}"
        );
    }
}

#[test]
fn schema_prints_the_checked_in_sdl() {
    let output = api().arg("schema").output().unwrap();
    assert!(output.status.success());
    let checked_in =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../schema.graphql")).unwrap();
    assert!(
        String::from_utf8(output.stdout).unwrap() == checked_in,
        "`api schema` differs from schema.graphql; regenerate it with \
         `cargo run -p api -- schema > schema.graphql`"
    );
}

#[tokio::test]
async fn token_mints_a_user_token_that_the_configured_key_verifies() {
    let output = api()
        .args(["token", "--role", "STAFF", "--sub", "merve", "--ttl", "1h"])
        .env("JWT_SECRET", SECRET)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let token = String::from_utf8(output.stdout).unwrap().trim().to_owned();

    #[derive(serde::Deserialize)]
    struct Claims {
        sub: String,
        role: String,
        exp: i64,
        iat: i64,
        jti: String,
    }
    let keys =
        api::auth::KeyRing::from_settings(&api::config::AuthSettings::with_secret(SECRET)).unwrap();
    let claims: Claims = keys.verify(&token).await.unwrap();
    assert_eq!(claims.sub, "merve");
    assert_eq!(claims.role, "STAFF");
    assert_eq!(claims.exp - claims.iat, 3600);
    assert!(!claims.jti.is_empty());
}

#[test]
fn token_refuses_partner_roles_and_missing_keys() {
    let partner = api()
        .args(["token", "--role", "PARTNER", "--sub", "x"])
        .env("JWT_SECRET", SECRET)
        .output()
        .unwrap();
    assert!(!partner.status.success());
    let no_key = api()
        .args(["token", "--role", "FELLOW", "--sub", "ceyda"])
        .output()
        .unwrap();
    assert!(!no_key.status.success());
    assert!(String::from_utf8_lossy(&no_key.stderr).contains("JWT_SECRET"));
}

#[test]
fn serve_refuses_to_start_with_a_short_secret() {
    let dir = std::env::temp_dir().join(format!("fellowship-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let output = api()
        .args(["serve", "--bind", "127.0.0.1:0"])
        .env("JWT_SECRET", "short")
        .current_dir(&dir)
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("at least 32 bytes"));
    let _ = std::fs::remove_dir_all(dir);
}

/// The status code of `GET path`, or `None` when nothing answers.
fn get_status(port: u16, path: &str) -> Option<u16> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(5)))
        .ok()?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    response.split_whitespace().nth(1)?.parse().ok()
}

#[test]
fn sigterm_fails_readiness_first_then_stops_within_the_grace_period() {
    let dir = std::env::temp_dir().join(format!("fellowship-shutdown-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let database = format!("sqlite://{}/shutdown.db?mode=rwc", dir.display());
    let (_runtime, mut server) = serve(
        ServeCommand::new(env!("CARGO_BIN_EXE_api"), &database)
            .env("SHUTDOWN_DELAY", "2s")
            .env("SHUTDOWN_TIMEOUT", "3s"),
    );
    let port = server.port;

    let signalled = std::time::Instant::now();
    server.terminate();
    std::thread::sleep(std::time::Duration::from_millis(300));
    // Draining: still answering, but no longer ready.
    assert_eq!(get_status(port, "/readyz"), Some(503));
    assert_eq!(get_status(port, "/healthz"), Some(200));

    let exited = loop {
        if let Some(status) = server.try_wait() {
            break Some(status);
        }
        if signalled.elapsed() > std::time::Duration::from_secs(10) {
            break None;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    let Some(status) = exited else {
        server.kill();
        panic!("the server did not exit within its grace period");
    };
    assert!(status.success(), "{status:?}");
    assert!(
        signalled.elapsed() >= std::time::Duration::from_secs(2),
        "it stopped before the shutdown delay"
    );
    assert_eq!(
        get_status(port, "/healthz"),
        None,
        "new connections are refused once stopped"
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn logs_carry_request_ids_but_never_tokens_secrets_or_e_mail_addresses() {
    let dir = std::env::temp_dir().join(format!("fellowship-logs-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let log = dir.join("server.log");
    let database = format!("sqlite://{}/logs.db?mode=rwc", dir.display());
    let (_runtime, mut server) = serve(
        ServeCommand::new(env!("CARGO_BIN_EXE_api"), &database)
            .demo()
            .env("JWT_SECRET", SECRET)
            .env("RUST_LOG", "debug")
            .env("LOG_FORMAT", "json")
            .env("SHUTDOWN_DELAY", "0s")
            .log_to(&log),
    );
    let port = server.port;
    let token = String::from_utf8(
        api()
            .args(["token", "--role", "FELLOW", "--sub", "mariagrandury"])
            .env("JWT_SECRET", SECRET)
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap()
    .trim()
    .to_owned();
    let bearer = format!("Bearer {token}");
    let submission = r#"{"query":"mutation($i: SubmitNominationInput!) { submitNomination(input: $i) { nomination { id } } }","variables":{"i":{"nomineeName":"Secret Person","nomineeHandle":"secret-person","nomineeEmail":"private.contact@example.org","rationale":"r"}}}"#;
    let response = post(
        port,
        &[("Authorization", &bearer), ("X-Request-Id", "trace-me-123")],
        submission,
    );
    assert!(response.contains("nomination"), "{response}");
    assert!(
        response
            .to_ascii_lowercase()
            .contains("x-request-id: trace-me-123"),
        "{response}"
    );
    let refused = post(
        port,
        &[("Authorization", "Bearer not.a.valid-token-value")],
        r#"{"query":"{ viewer { role } }"}"#,
    );
    assert!(refused.starts_with("HTTP/1.1 401"));

    server.terminate();
    server.wait();
    let logs = std::fs::read_to_string(&log).unwrap();
    assert!(
        logs.contains("trace-me-123"),
        "the request id is in the logs"
    );
    for secret in [
        token.as_str(),
        SECRET,
        "private.contact@example.org",
        "not.a.valid-token-value",
    ] {
        assert!(!logs.contains(secret), "the logs contain `{secret}`");
    }
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_request_in_flight_at_sigterm_is_finished_before_the_process_exits() {
    let dir = std::env::temp_dir().join(format!("fellowship-inflight-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let database = format!("sqlite://{}/inflight.db?mode=rwc", dir.display());
    let (runtime, mut server) = serve(
        ServeCommand::new(env!("CARGO_BIN_EXE_api"), &database)
            .demo()
            .env("JWT_SECRET", SECRET)
            .env("SHUTDOWN_DELAY", "500ms")
            .env("SHUTDOWN_TIMEOUT", "10s"),
    );
    let port = server.port;
    let token = String::from_utf8(
        api()
            .args(["token", "--role", "STAFF", "--sub", "merve"])
            .env("JWT_SECRET", SECRET)
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap()
    .trim()
    .to_owned();

    // Hold SQLite's write lock, so that the next write is in flight until we let go.
    let holder = runtime
        .block_on(sea_orm::Database::connect(&database))
        .unwrap();
    runtime
        .block_on(sea_orm::ConnectionTrait::execute_unprepared(
            &holder,
            "BEGIN IMMEDIATE",
        ))
        .unwrap();
    let in_flight = std::thread::spawn(move || {
        post(
            port,
            &[("Authorization", &format!("Bearer {token}"))],
            r#"{"query":"mutation { createStrategicArea(input: { slug: \"in-flight\", name: \"In flight\" }) { strategicArea { slug } } }"}"#,
        )
    });
    std::thread::sleep(std::time::Duration::from_millis(500));
    assert!(
        !in_flight.is_finished(),
        "the write should be waiting on the lock"
    );

    server.terminate();
    std::thread::sleep(std::time::Duration::from_millis(1500));
    // Past the shutdown delay: the listener is closed, the request still in flight.
    assert_eq!(
        get_status(port, "/healthz"),
        None,
        "new connections should be refused"
    );
    assert!(
        server.try_wait().is_none(),
        "the process left a request unfinished"
    );
    runtime
        .block_on(sea_orm::ConnectionTrait::execute_unprepared(
            &holder, "COMMIT",
        ))
        .unwrap();

    let response = in_flight.join().unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(response.contains("\"slug\":\"in-flight\""), "{response}");
    let status = server.wait();
    assert!(status.success(), "{status:?}");
    let _ = std::fs::remove_dir_all(dir);
}

/// Mints a user token with the test secret.
fn mint(role: &str, sub: &str) -> String {
    let output = api()
        .args(["token", "--role", role, "--sub", sub])
        .env("JWT_SECRET", SECRET)
        .output()
        .unwrap();
    assert!(output.status.success());
    String::from_utf8(output.stdout).unwrap().trim().to_owned()
}

#[test]
fn account_create_makes_the_first_staff_account_of_a_fresh_database_and_refuses_a_duplicate() {
    let dir = std::env::temp_dir().join(format!("fellowship-account-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let database = format!("sqlite://{}/fresh.db?mode=rwc", dir.display());
    let create = |handle: &str| {
        api()
            .args(["account", "create", "--role", "STAFF", "--handle", handle])
            .args(["--name", "First Staff"])
            .env("DATABASE_URL", &database)
            .output()
            .unwrap()
    };
    let created = create("first-staff");
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
    // Running it again changes nothing and says why; so does another case of the handle.
    for again in ["first-staff", "FIRST-STAFF"] {
        let duplicate = create(again);
        assert!(
            !duplicate.status.success(),
            "{again}: a duplicate was accepted"
        );
        let stderr = String::from_utf8_lossy(&duplicate.stderr);
        assert!(stderr.contains(again), "{again}: {stderr}");
    }
    let invalid = create("not a handle");
    assert!(!invalid.status.success());

    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut server = api()
        .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
        .env("DATABASE_URL", &database)
        .env("JWT_SECRET", SECRET)
        .env("SHUTDOWN_DELAY", "0s")
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let ready = (0..100).any(|_| {
        std::thread::sleep(std::time::Duration::from_millis(100));
        get_status(port, "/readyz") == Some(200)
    });
    let query = r#"{"query":"{ viewer { role handle } auditEvents { nodes { action } } }"}"#;
    let staff = mint("STAFF", "first-staff");
    let as_staff = post(
        port,
        &[("Authorization", &format!("Bearer {staff}"))],
        query,
    );
    let stranger = mint("STAFF", "someone-else");
    let as_stranger = post(
        port,
        &[("Authorization", &format!("Bearer {stranger}"))],
        query,
    );
    let _ = Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status();
    let _ = server.wait();
    let _ = std::fs::remove_dir_all(&dir);

    assert!(ready, "the server did not become ready");
    assert!(as_staff.starts_with("HTTP/1.1 200"), "{as_staff}");
    assert!(as_staff.contains(r#""role":"STAFF""#), "{as_staff}");
    assert!(
        as_staff.contains(r#""action":"account.create""#),
        "the creation is in the audit log: {as_staff}"
    );
    assert!(as_stranger.starts_with("HTTP/1.1 401"), "{as_stranger}");
    assert!(as_stranger.contains("UNAUTHENTICATED"), "{as_stranger}");
}

const DIRECTORY_DOCUMENT: &str = "query Directory { fellows { totalCount } }";
const AREAS_DOCUMENT: &str = "query Areas {\n  strategicAreas { totalCount }\n}\n";

fn sha256_id(text: &str) -> String {
    api::graphql::trusted_documents::DocumentHash::of(text).id()
}

#[test]
fn documents_build_prints_a_manifest_the_server_loads() {
    let dir = std::env::temp_dir().join(format!("documents-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(dir.join("pages")).unwrap();
    std::fs::write(dir.join("directory.graphql"), DIRECTORY_DOCUMENT).unwrap();
    std::fs::write(dir.join("pages/areas.graphql"), AREAS_DOCUMENT).unwrap();
    std::fs::write(dir.join("README.md"), "not a document").unwrap();
    let output = api()
        .args(["documents", "build"])
        .arg(&dir)
        .output()
        .expect("run api documents build");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let manifest: serde_json::Map<String, serde_json::Value> =
        serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(manifest.len(), 2);
    assert_eq!(manifest[&sha256_id(DIRECTORY_DOCUMENT)], DIRECTORY_DOCUMENT);
    assert_eq!(manifest[&sha256_id(AREAS_DOCUMENT)], AREAS_DOCUMENT);
    api::graphql::trusted_documents::Manifest::parse(&output.stdout).expect("it loads");
    std::fs::remove_dir_all(&dir).unwrap();
}

//! Upgrades and rollbacks, with the real binary: a binary must keep serving a database
//! that a later release has migrated (expand, then contract: see
//! `docs/operations/upgrades.md`), because during a rolling deploy or after a rollback
//! a replica of the older release starts against the newer schema.
//!
//! What is shown here, and what is not:
//! - `this_binary_serves_a_database_a_later_release_migrated`: the current binary, on a
//!   database carrying a made-up later release's expand-only migration (a new table, a
//!   nullable column, a defaulted column, an index) recorded in `seaql_migrations`,
//!   migrates, reports it, and runs the smoke flow. That is the rollback of the *next*
//!   release onto this one.
//! - `the_previous_release_serves_the_newest_schema`: the binary of the previous release
//!   (a path in `FELLOWSHIP_PREVIOUS_API`, built from its tag) against the schema this
//!   binary migrated. Skipped, saying so, without that path (and failing under
//!   `FELLOWSHIP_REQUIRE_PREVIOUS_API=1`). Release 1 cannot pass it: it predates the
//!   tolerance of later migrations and refuses to start ("Migration file of version …
//!   is missing"); the guide says what that means for upgrading from release 1.
//! - `rolling_back_to_release_1_goes_as_the_guide_says`: release 1's binary
//!   (`FELLOWSHIP_RELEASE_1_API`, which `.ci/run` builds from its commit) refuses the
//!   newest schema with that message, serves the smoke flow once the guide's record is
//!   removed, and this binary serves again once it is put back.

use std::process::Output;
use std::time::{Duration, Instant};

use api::auth::Role;
use fellowship_tests::process::{assert_succeeded, ServeCommand};
use fellowship_tests::{on_both_databases, Backend, TestDatabase};
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use serde_json::{json, Value};

const API: &str = env!("CARGO_BIN_EXE_api");

/// The made-up later release's migration.
const LATER: &str = "m20991231_000001_from_a_later_release";

fn api(binary: &str, args: &[&str], database_url: &str) -> Output {
    std::process::Command::new(binary)
        .args(args)
        .env("DATABASE_URL", database_url)
        .env("RUST_LOG", "warn")
        .output()
        .expect("run api")
}

/// What a later release may do under the policy: add a table, a nullable column, a
/// defaulted column and an index, and record its migration.
async fn migrate_as_a_later_release(database: &TestDatabase) {
    let db = database.connect().await;
    for sql in [
        "CREATE TABLE later_release_notes (id bigint PRIMARY KEY, note text NOT NULL)",
        "ALTER TABLE fellows ADD COLUMN later_release_note text NULL",
        "ALTER TABLE nominations ADD COLUMN later_release_score integer NOT NULL DEFAULT 0",
        "CREATE INDEX idx_nominations_later_release_score ON nominations (later_release_score)",
    ] {
        db.execute_unprepared(sql).await.expect(sql);
    }
    let backend = db.get_database_backend();
    let insert = match backend {
        DbBackend::Postgres => "INSERT INTO seaql_migrations (version, applied_at) VALUES ($1, $2)",
        _ => "INSERT INTO seaql_migrations (version, applied_at) VALUES (?, ?)",
    };
    db.execute_raw(Statement::from_sql_and_values(
        backend,
        insert,
        [LATER.into(), chrono::Utc::now().timestamp().into()],
    ))
    .await
    .unwrap();
    db.close().await.ok();
}

/// Posts `query` with `variables` as `token` (anonymous with `None`); answers `data`,
/// insisting on no errors.
async fn graphql(address: &str, token: Option<&str>, query: &str, variables: Value) -> Value {
    let mut request = reqwest::Client::new()
        .post(format!("{address}/graphql"))
        .json(&json!({ "query": query, "variables": variables }));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let body: Value = request
        .send()
        .await
        .expect("POST /graphql")
        .json()
        .await
        .expect("a JSON body");
    assert!(body["errors"].is_null(), "{query}: {body}");
    body["data"].clone()
}

/// The smoke flow of an upgrade: read fellows, sign in, submit a nomination, review and
/// accept it, and find the new fellow. Written against release 1's schema, so that it
/// runs on the previous release's binary as well as on this one.
async fn smoke(address: &str) {
    let staff = fellowship_tests::user_token(Role::Staff, "merve");
    let fellow = fellowship_tests::user_token(Role::Fellow, "mariagrandury");

    let fellows = graphql(
        address,
        None,
        "{ fellows(first: 3) { totalCount nodes { handle } } }",
        json!({}),
    )
    .await;
    assert!(fellows["fellows"]["totalCount"].as_i64().unwrap() > 0);

    let viewer = graphql(
        address,
        Some(&staff),
        "{ viewer { role handle } }",
        json!({}),
    )
    .await;
    assert_eq!(
        viewer["viewer"],
        json!({ "role": "STAFF", "handle": "merve" })
    );

    let submitted = graphql(
        address,
        Some(&fellow),
        fellowship_tests::nominations::SUBMIT_NOMINATION,
        fellowship_tests::nominations::variables(fellowship_tests::nominations::submission(
            "upgrade-smoke",
        )),
    )
    .await;
    let nomination = &submitted["submitNomination"]["nomination"];
    let id = nomination["id"].as_str().expect("a nomination").to_owned();

    let started = graphql(
        address,
        Some(&staff),
        "mutation($id: ID!, $v: Int!) { startNominationReview(input: { nominationId: $id, expectedVersion: $v }) { nomination { status version } userErrors { code } } }",
        json!({ "id": id, "v": nomination["version"] }),
    )
    .await;
    let started = &started["startNominationReview"];
    assert_eq!(started["userErrors"], json!([]));
    let decided = graphql(
        address,
        Some(&staff),
        "mutation($id: ID!, $v: Int!) { decideNomination(input: { nominationId: $id, decision: ACCEPT, note: \"Welcome!\", expectedVersion: $v }) { nomination { status } userErrors { code } } }",
        json!({ "id": id, "v": started["nomination"]["version"] }),
    )
    .await;
    assert_eq!(decided["decideNomination"]["userErrors"], json!([]));
    assert_eq!(
        decided["decideNomination"]["nomination"]["status"],
        "ACCEPTED"
    );

    let admitted = graphql(
        address,
        None,
        "{ fellow(handle: \"upgrade-smoke\") { handle } }",
        json!({}),
    )
    .await;
    assert_eq!(admitted["fellow"]["handle"], "upgrade-smoke");
}

async fn this_binary_serves_a_later_release_s_schema(backend: Backend) {
    let database = TestDatabase::create(backend).await;
    assert_succeeded(
        &api(API, &["migrate", "up"], &database.url),
        "api migrate up",
    );
    migrate_as_a_later_release(&database).await;

    let status = api(API, &["migrate", "status", "--check"], &database.url);
    assert_succeeded(&status, "api migrate status --check");
    let listing = String::from_utf8_lossy(&status.stdout);
    assert!(listing.contains(&format!("newer    {LATER}")), "{listing}");
    assert!(
        listing.contains("0 pending, 1 from a later release"),
        "{listing}"
    );

    // sea-orm-migration's own `up` refuses this database ("Migration file … is
    // missing"); ours applies nothing and says why.
    assert_succeeded(
        &api(API, &["migrate", "up"], &database.url),
        "api migrate up beside a later release's migration",
    );
    let down = api(API, &["migrate", "down"], &database.url);
    assert!(
        !down.status.success(),
        "a rollback past a later release's migration"
    );
    assert!(String::from_utf8_lossy(&down.stderr).contains(LATER));

    let server = ServeCommand::new(API, &database.url).demo().start().await;
    smoke(&server.address).await;
}

#[tokio::test]
async fn migrate_status_check_fails_while_this_release_s_migrations_are_pending() {
    let database = TestDatabase::create(Backend::Sqlite).await;
    let fresh = api(API, &["migrate", "status", "--check"], &database.url);
    assert_eq!(
        fresh.status.code(),
        Some(2),
        "pending migrations exit with 2"
    );
    let listing = String::from_utf8_lossy(&fresh.stdout);
    assert!(
        listing
            .lines()
            .any(|line| line.starts_with("pending  m2026")),
        "{listing}"
    );
    assert!(String::from_utf8_lossy(&fresh.stderr).contains("api migrate up"));

    assert_succeeded(
        &api(API, &["migrate", "up"], &database.url),
        "api migrate up",
    );
    let migrated = api(API, &["migrate", "status", "--check"], &database.url);
    assert_succeeded(&migrated, "api migrate status --check after migrating");
    assert!(!String::from_utf8_lossy(&migrated.stdout).contains("pending  "));
    // Without --check, pending migrations are listed and the command succeeds.
    let other = TestDatabase::create(Backend::Sqlite).await;
    assert_succeeded(
        &api(API, &["migrate", "status"], &other.url),
        "api migrate status",
    );
}

/// The binary an environment variable names, when CI built one; `None` (and the test
/// says it is skipped) otherwise. `required` is the variable that makes its absence a
/// failure, as `.ci/run` sets it for the binaries it builds.
fn binary_from(variable: &str, required: &str) -> Option<String> {
    match std::env::var(variable) {
        Ok(path) if !path.is_empty() => Some(path),
        _ => {
            assert!(
                std::env::var(required).as_deref() != Ok("1"),
                "{required}=1 but {variable} names no binary"
            );
            fellowship_tests::skipped(&format!("{variable} names no binary"));
            None
        }
    }
}

/// The previous release's binary (`FELLOWSHIP_PREVIOUS_API`).
fn previous_binary() -> Option<String> {
    binary_from("FELLOWSHIP_PREVIOUS_API", "FELLOWSHIP_REQUIRE_PREVIOUS_API")
}

/// Release 1's binary (`FELLOWSHIP_RELEASE_1_API`): the one release that predates the
/// tolerance of later migrations.
fn release_1_binary() -> Option<String> {
    binary_from(
        "FELLOWSHIP_RELEASE_1_API",
        "FELLOWSHIP_REQUIRE_RELEASE_1_API",
    )
}

/// The migrations added since release 1 (2026-12-04, commit `aaa3ea4`).
const SINCE_RELEASE_1: &[&str] = &["m20261204_000001_create_webhooks"];

/// Runs `api serve` of `binary`, expecting it to refuse to start; answers its stderr.
/// One that starts after all is killed after half a minute, failing the test.
fn refused_start(binary: &str, database_url: &str) -> String {
    let mut child = std::process::Command::new(binary)
        .args(["serve", "--bind", "127.0.0.1:0"])
        .env("DATABASE_URL", database_url)
        .env("JWT_SECRET", fellowship_tests::TEST_SECRET)
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start api serve");
    let give_up = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(status) = child.try_wait().expect("wait for api serve") {
            assert!(!status.success(), "{binary} serve exited successfully");
            let mut stderr = String::new();
            if let Some(mut pipe) = child.stderr.take() {
                std::io::Read::read_to_string(&mut pipe, &mut stderr).expect("read stderr");
            }
            return stderr;
        }
        if Instant::now() > give_up {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{binary} serve started although the schema is newer than it knows");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Removes the record of `version` from `seaql_migrations`, as the guide's way back
/// to release 1 does.
async fn forget_migration(database: &TestDatabase, version: &str) {
    let db = database.connect().await;
    let backend = db.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => "DELETE FROM seaql_migrations WHERE version = $1",
        _ => "DELETE FROM seaql_migrations WHERE version = ?",
    };
    db.execute_raw(Statement::from_sql_and_values(
        backend,
        sql,
        [version.into()],
    ))
    .await
    .unwrap();
    db.close().await.ok();
}

/// Records `version` as applied, as the guide's way forward again does.
async fn record_migration(database: &TestDatabase, version: &str) {
    let db = database.connect().await;
    let backend = db.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => "INSERT INTO seaql_migrations (version, applied_at) VALUES ($1, $2)",
        _ => "INSERT INTO seaql_migrations (version, applied_at) VALUES (?, ?)",
    };
    db.execute_raw(Statement::from_sql_and_values(
        backend,
        sql,
        [version.into(), chrono::Utc::now().timestamp().into()],
    ))
    .await
    .unwrap();
    db.close().await.ok();
}

on_both_databases! {
    async fn this_binary_serves_a_database_a_later_release_migrated(backend) {
        this_binary_serves_a_later_release_s_schema(backend).await;
    }

    async fn rolling_back_to_release_1_goes_as_the_guide_says(backend) {
        let Some(release_1) = release_1_binary() else { return };
        let database = TestDatabase::create(backend).await;
        drop(ServeCommand::new(API, &database.url).demo().start().await);

        // Release 1 refuses the newer schema, naming the migration it lacks.
        let stderr = refused_start(&release_1, &database.url);
        let refusal = format!("Migration file of version '{}' is missing", SINCE_RELEASE_1[0]);
        assert!(stderr.contains(&refusal), "{stderr}");

        // The guide's way back: remove the records; the new tables stay, unused.
        for version in SINCE_RELEASE_1 {
            forget_migration(&database, version).await;
        }
        let server = ServeCommand::new(&release_1, &database.url).start().await;
        smoke(&server.address).await;
        drop(server);

        // And forward again: the records put back, this binary serves what release 1
        // wrote.
        for version in SINCE_RELEASE_1 {
            record_migration(&database, version).await;
        }
        let status = api(API, &["migrate", "status", "--check"], &database.url);
        assert_succeeded(&status, "api migrate status --check after rolling forward");
        let server = ServeCommand::new(API, &database.url).start().await;
        let admitted = graphql(
            &server.address,
            None,
            "{ fellow(handle: \"upgrade-smoke\") { handle } }",
            json!({}),
        )
        .await;
        assert_eq!(admitted["fellow"]["handle"], "upgrade-smoke");
    }

    async fn the_previous_release_serves_the_newest_schema(backend) {
        let Some(previous) = previous_binary() else { return };
        let database = TestDatabase::create(backend).await;
        assert_succeeded(&api(API, &["migrate", "up"], &database.url), "api migrate up");
        let server = ServeCommand::new(&previous, &database.url).demo().start().await;
        smoke(&server.address).await;
    }
}

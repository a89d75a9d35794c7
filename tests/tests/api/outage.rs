//! A database outage under load: every write the API acknowledged is there afterwards,
//! and service comes back by itself. PostgreSQL only: the test's own database refuses
//! connections and loses the ones it had (the per-database equivalent of stopping the
//! server, which other tests running at the same time share), or the test starts a
//! PostgreSQL cluster of its own on a port of its own and stops it (never the shared
//! one on 5432).

use std::time::{Duration, Instant};

use api::auth::Role;
use base64::Engine;
use entity::nomination;
use fellowship_tests::nominations::{submission, variables, Submitted, SUBMIT_NOMINATION};
use fellowship_tests::{
    admin_postgres_url, on_both_databases, test_server_settings, Backend, TestApp, TestDatabase,
    TEST_SECRET,
};
use sea_orm::{ConnectionTrait, Database, EntityTrait, Statement, TransactionTrait};
use serde_json::{json, Value};

mod under_load {
    use super::*;

    fellowship_tests::on_postgres! {
        async fn acknowledged_writes_survive_a_database_outage_and_service_resumes_by_itself(backend) {
            let app = TestApp::with_demo(backend).await;
            let staff = app.token(Role::Staff, "merve");
            let name = app.database.postgres_name().unwrap().to_owned();

            let deadline = Instant::now() + Duration::from_secs(7);
            let writers: Vec<_> = (0..4)
                .map(|writer| {
                    let (client, url, token) = (app.client.clone(), app.url("/graphql"), staff.clone());
                    tokio::spawn(async move {
                        let (mut acknowledged, mut failed) = (Vec::new(), 0);
                        let mut i = 0;
                        while Instant::now() < deadline {
                            i += 1;
                            let input = submission(&format!("n-{writer}-{i}"));
                            let response = client.post(&url).bearer_auth(&token)
                                .json(&json!({ "query": SUBMIT_NOMINATION, "variables": variables(input) }))
                                .send().await;
                            let body: Option<Value> = match response {
                                Ok(r) => r.json().await.ok(),
                                Err(_) => None,
                            };
                            match body.as_ref().and_then(Submitted::from_body) {
                                Some(submitted) => acknowledged.push(submitted.id),
                                None => failed += 1,
                            }
                            tokio::time::sleep(Duration::from_millis(20)).await;
                        }
                        (acknowledged, failed)
                    })
                })
                .collect();

            tokio::time::sleep(Duration::from_millis(1500)).await;
            let admin = Database::connect(admin_postgres_url()).await.unwrap();
            admin
                .execute_unprepared(&format!(
                    "ALTER DATABASE \"{name}\" ALLOW_CONNECTIONS false"
                ))
                .await
                .unwrap();
            admin.execute_unprepared(&format!(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}' AND pid <> pg_backend_pid()"
            )).await.unwrap();
            tokio::time::sleep(Duration::from_secs(2)).await;
            admin
                .execute_unprepared(&format!("ALTER DATABASE \"{name}\" ALLOW_CONNECTIONS true"))
                .await
                .unwrap();

            let (mut acknowledged, mut failed) = (Vec::new(), 0);
            for writer in writers {
                let (ids, failures) = writer.await.unwrap();
                acknowledged.extend(ids);
                failed += failures;
            }
            assert!(
                failed > 0,
                "the outage refused no write, so it did not happen"
            );
            assert!(!acknowledged.is_empty());

            let mut ready = false;
            for _ in 0..50 {
                if app
                    .client
                    .get(app.url("/readyz"))
                    .send()
                    .await
                    .unwrap()
                    .status()
                    .as_u16()
                    == 200
                {
                    ready = true;
                    break;
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            assert!(ready, "service did not come back");

            let db = Database::connect(&app.database.url).await.unwrap();
            for id in &acknowledged {
                let decoded = String::from_utf8(
                    base64::engine::general_purpose::URL_SAFE_NO_PAD
                        .decode(id)
                        .unwrap(),
                )
                .unwrap();
                let row: i64 = decoded.trim_start_matches("Nomination:").parse().unwrap();
                assert!(
                    nomination::Entity::find_by_id(row)
                        .one(&db)
                        .await
                        .unwrap()
                        .is_some(),
                    "acknowledged {decoded} is missing"
                );
            }
            let after = app
                .graphql_as(Some(&staff), "{ nominations { totalCount } }", json!({}))
                .await
                .expect_ok();
            assert!(after["nominations"]["totalCount"].as_u64().unwrap() >= acknowledged.len() as u64);
        }
    }
}

on_both_databases! {
    async fn an_exhausted_pool_answers_promptly_with_503_and_recovers(backend) {
        let app = TestApp::builder(TestDatabase::create(backend).await).demo()
            .pool(2, Duration::from_millis(300)).spawn().await;
        let staff = app.token(Role::Staff, "merve");
        // The test takes the write lock (SQLite) or a row lock (PostgreSQL) that the
        // next two writes need: each waits on it holding one of the pool's two connections.
        let holder = app.database.connect().await;
        let txn = holder.begin().await.unwrap();
        let lock = match backend {
            Backend::Sqlite => "UPDATE people SET updated_at = updated_at WHERE handle = 'merve'",
            Backend::Postgres => "SELECT id FROM people WHERE handle = 'merve' FOR UPDATE",
        };
        txn.execute_raw(Statement::from_string(holder.get_database_backend(), lock)).await.unwrap();
        let profile = |name: &'static str| {
            let (client, url, token) = (app.client.clone(), app.url("/graphql"), staff.clone());
            let fellow = "RmVsbG93OjE"; // the first demo fellow
            tokio::spawn(async move {
                client.post(url).bearer_auth(token).json(&json!({
                    "query": "mutation($i: UpdateFellowProfileInput!) { updateFellowProfile(input: $i) { fellow { id } } }",
                    "variables": { "i": { "fellowId": fellow, "name": name, "expectedVersion": 1 } } })).send().await
            })
        };
        let blocked = [profile("One"), profile("Two")];
        tokio::time::sleep(Duration::from_millis(500)).await;

        let started = Instant::now();
        let response = app.graphql("{ fellows { totalCount } }", json!({})).await;
        let waited = started.elapsed();
        assert_eq!(response.status, 503, "{}", response.body);
        assert_eq!(response.error_codes(), ["INTERNAL_SERVER_ERROR"]);
        assert!(waited < Duration::from_secs(3), "refused after {waited:?}, not promptly");

        txn.rollback().await.unwrap();
        for request in blocked {
            let _ = request.await.unwrap();
        }
        let data = app.query("{ fellows { totalCount } }", json!({})).await;
        assert_eq!(data["fellows"]["totalCount"], 7);
    }
}

mod statement_timeout {
    use super::*;

    fellowship_tests::on_postgres! {
        async fn postgres_cancels_a_statement_that_outruns_the_statement_timeout(backend) {
            let database = TestDatabase::create(backend).await;
            let settings = api::config::DatabaseSettings {
                url: api::config::DatabaseUrl::new(database.url.clone()),
                max_connections: Some(2),
                acquire_timeout: Duration::from_secs(3),
                statement_timeout: Duration::from_millis(300),
                generic_plans: true,
            };
            let db = api::db::connect(&settings, Default::default())
                .await
                .unwrap();
            let started = Instant::now();
            let slow = db.execute_unprepared("SELECT pg_sleep(3)").await;
            assert!(slow.is_err(), "the statement ran to completion");
            assert!(
                started.elapsed() < Duration::from_secs(2),
                "cancelled only after {:?}",
                started.elapsed()
            );
            assert!(
                db.execute_unprepared("SELECT 1").await.is_ok(),
                "the connection stays usable"
            );
        }
    }
}

/// A PostgreSQL 15 cluster of the test's own, on a port of its own, dropped (stopped
/// first) however the test ends.
struct OwnCluster {
    name: String,
    port: u16,
}

impl OwnCluster {
    /// Fails the test where clusters cannot be made: it is never counted as passed
    /// without running.
    fn create() -> OwnCluster {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let name = format!("fellowship_outage_{}", uuid::Uuid::new_v4().simple());
        let output = std::process::Command::new("pg_createcluster")
            .args(["15", &name, "-p", &port.to_string()])
            .args(["--", "--auth-host=trust", "--auth-local=trust"])
            .output()
            .expect("run pg_createcluster (PostgreSQL 15's server tools)");
        assert!(
            output.status.success(),
            "pg_createcluster: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let cluster = OwnCluster { name, port };
        cluster.ctl("start");
        cluster
    }

    fn ctl(&self, action: &str) {
        pg_ctlcluster(&self.name, action);
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }
}

/// Starts or stops (fast: sessions are cut at once) the cluster `name`.
fn pg_ctlcluster(name: &str, action: &str) {
    let output = std::process::Command::new("pg_ctlcluster")
        .args(["--skip-systemctl-redirect", "15", name, action])
        .args(if action == "stop" {
            &["-m", "fast"][..]
        } else {
            &[][..]
        })
        .output()
        .expect("run pg_ctlcluster");
    assert!(
        output.status.success(),
        "pg_ctlcluster {action}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

impl Drop for OwnCluster {
    fn drop(&mut self) {
        let _ = std::process::Command::new("pg_dropcluster")
            .args(["--stop", "15", &self.name])
            .output();
    }
}

/// GETs `/readyz`: the status, the body, and how long it took.
async fn readiness(client: &reqwest::Client, base: &str) -> (u16, Value, Duration) {
    let started = Instant::now();
    let response = client.get(format!("{base}/readyz")).send().await.unwrap();
    let status = response.status().as_u16();
    let body = response.json().await.unwrap();
    (status, body, started.elapsed())
}

async fn post(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    query: &str,
    variables: Value,
) -> (u16, Value) {
    let response = client
        .post(format!("{base}/graphql"))
        .bearer_auth(token)
        .json(&json!({ "query": query, "variables": variables }))
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

/// Waits until `/readyz` answers `want`, for at most `patience`.
async fn readiness_becomes(
    client: &reqwest::Client,
    base: &str,
    want: u16,
    patience: Duration,
) -> Value {
    let give_up = Instant::now() + patience;
    loop {
        let (status, body, _) = readiness(client, base).await;
        if status == want {
            return body;
        }
        assert!(
            Instant::now() < give_up,
            "/readyz still answers {status} ({body}), not {want}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// In a module named `postgres`, so that a run without PostgreSQL leaves it out visibly
/// (it needs PostgreSQL 15's server tools, not the shared server).
mod own_cluster {
    mod postgres {
        use super::super::*;

        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn a_stopped_database_is_answered_503_quickly_and_honestly_and_service_resumes_after_restart(
        ) {
            let cluster = tokio::task::spawn_blocking(OwnCluster::create)
                .await
                .unwrap();
            let settings = api::config::DatabaseSettings {
                url: api::config::DatabaseUrl::new(cluster.url()),
                max_connections: Some(5),
                acquire_timeout: Duration::from_secs(3),
                statement_timeout: Duration::from_secs(10),
                generic_plans: true,
            };
            let auth = api::config::AuthSettings::with_secret(TEST_SECRET);
            let app = api::startup::Application::build(
                &settings,
                &test_server_settings(),
                &auth,
                api::startup::ServeOptions {
                    demo: true,
                    workers: 1,
                },
            )
            .await
            .unwrap();
            let base = format!("http://127.0.0.1:{}", app.port());
            tokio::spawn(app.run_until_stopped());
            let client = reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()
                .unwrap();
            let keys = api::auth::KeyRing::from_settings(&auth).unwrap();
            let staff =
                api::auth::mint_user_token(&keys, Role::Staff, "merve", chrono::Duration::hours(1))
                    .unwrap();
            const QUERY: &str = "{ fellows { totalCount } }";

            assert_eq!(readiness(&client, &base).await.0, 200);
            let (status, body) = post(
                &client,
                &base,
                &staff,
                SUBMIT_NOMINATION,
                variables(submission("before")),
            )
            .await;
            assert_eq!(status, 200, "{body}");

            // Clients keep reading and writing while the cluster stops under them, so that
            // some requests lose their connection mid-statement (57P01, a closed socket).
            let stop_load = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
            let load: Vec<_> = (0..4)
                .map(|worker| {
                    let (client, base, token, stop) = (
                        client.clone(),
                        base.clone(),
                        staff.clone(),
                        stop_load.clone(),
                    );
                    tokio::spawn(async move {
                        let mut answers = Vec::new();
                        let mut i = 0;
                        while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                            i += 1;
                            let (query, variables) = if i % 2 == 0 {
                                (QUERY, json!({}))
                            } else {
                                (
                                    SUBMIT_NOMINATION,
                                    variables(submission(&format!("load-{worker}-{i}"))),
                                )
                            };
                            answers.push(post(&client, &base, &token, query, variables).await);
                        }
                        answers
                    })
                })
                .collect();
            tokio::time::sleep(Duration::from_millis(300)).await;
            let name = cluster.name.clone();
            tokio::task::spawn_blocking(move || pg_ctlcluster(&name, "stop"))
                .await
                .unwrap();
            tokio::time::sleep(Duration::from_millis(500)).await;
            stop_load.store(true, std::sync::atomic::Ordering::Relaxed);
            let (mut served, mut refused) = (0, 0);
            for worker in load {
                for (status, body) in worker.await.unwrap() {
                    match status {
                        200 if body.get("errors").is_none() => served += 1,
                        503 if body["errors"][0]["extensions"]["unavailable"] == true => refused += 1,
                        _ => panic!("during the outage, an answer neither served nor refused honestly: {status} {body}"),
                    }
                }
            }
            assert!(
                served > 0 && refused > 0,
                "{served} served, {refused} refused: the load did not span the stop"
            );

            // The probe notices within a couple of its periods; from then on every answer is
            // immediate, with a reason.
            let body = readiness_becomes(&client, &base, 503, Duration::from_secs(3)).await;
            assert_eq!(body["status"], "unavailable");
            assert!(
                body["reason"].as_str().is_some_and(|r| !r.is_empty()),
                "{body}"
            );
            let mut slowest = Duration::ZERO;
            for _ in 0..5 {
                let (status, body, took) = readiness(&client, &base).await;
                assert_eq!(status, 503, "{body}");
                slowest = slowest.max(took);
                assert!(
                    took < Duration::from_secs(1),
                    "/readyz took {took:?} while the database is down"
                );
                tokio::time::sleep(Duration::from_millis(200)).await;
            }

            eprintln!("during the outage: /readyz at most {slowest:?}; under load {served} served, {refused} refused");
            // Queries and mutations, anonymous and signed in: 503, a code, `unavailable`, and
            // nothing of the database's own words.
            for (token, query, variables) in [
                (None, QUERY, json!({})),
                (Some(staff.as_str()), QUERY, json!({})),
                (
                    Some(staff.as_str()),
                    SUBMIT_NOMINATION,
                    variables(submission("during")),
                ),
            ] {
                let mut request = client
                    .post(format!("{base}/graphql"))
                    .json(&json!({ "query": query, "variables": variables }));
                if let Some(token) = token {
                    request = request.bearer_auth(token);
                }
                let started = Instant::now();
                let response = request.send().await.unwrap();
                eprintln!(
                    "during the outage: {query} answered in {:?}",
                    started.elapsed()
                );
                let status = response.status().as_u16();
                let text = response.text().await.unwrap();
                assert_eq!(status, 503, "{query}: {text}");
                let body: Value = serde_json::from_str(&text).unwrap();
                let error = &body["errors"][0];
                assert_eq!(
                    error["extensions"]["code"], "INTERNAL_SERVER_ERROR",
                    "{text}"
                );
                assert_eq!(error["extensions"]["unavailable"], true, "{text}");
                for leak in [
                    "SELECT",
                    "INSERT",
                    "sqlx",
                    "postgres",
                    "127.0.0.1",
                    "refused",
                    "os error",
                    &cluster.port.to_string(),
                ] {
                    assert!(!text.contains(leak), "the answer shows `{leak}`: {text}");
                }
            }

            let name = cluster.name.clone();
            tokio::task::spawn_blocking(move || pg_ctlcluster(&name, "start"))
                .await
                .unwrap();
            readiness_becomes(&client, &base, 200, Duration::from_secs(10)).await;
            let (status, body) = post(&client, &base, &staff, QUERY, json!({})).await;
            assert_eq!(status, 200, "{body}");
            assert_eq!(body["data"]["fellows"]["totalCount"], 7);
            let (status, body) = post(
                &client,
                &base,
                &staff,
                SUBMIT_NOMINATION,
                variables(submission("after")),
            )
            .await;
            assert_eq!(status, 200, "{body}");
            Submitted::expect(&body);
        }
    }
}

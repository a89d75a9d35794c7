//! A database outage under load: every write the API acknowledged is there afterwards,
//! and service comes back by itself. PostgreSQL only: the test's own database refuses
//! connections and loses the ones it had (the per-database equivalent of stopping the
//! server, which other tests running at the same time share).

use std::time::{Duration, Instant};

use api::auth::Role;
use base64::Engine;
use entity::nomination;
use fellowship_tests::{
    admin_postgres_url, on_both_databases, test_server_settings, Backend, TestApp, TestDatabase,
    TEST_SECRET,
};
use sea_orm::{ConnectionTrait, Database, EntityTrait, Statement, TransactionTrait};
use serde_json::{json, Value};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_writes_survive_a_database_outage_and_service_resumes_by_itself() {
    let backend = Backend::postgres().await;
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
                    let input = json!({ "nomineeName": "N", "nomineeHandle": format!("n-{writer}-{i}"),
                        "nomineeEmail": "n@example.org", "rationale": "r" });
                    let response = client.post(&url).bearer_auth(&token)
                        .json(&json!({ "query": "mutation($i: SubmitNominationInput!) { submitNomination(input: $i) { nomination { id } } }",
                            "variables": { "i": input } }))
                        .send().await;
                    let body: Option<Value> = match response {
                        Ok(r) => r.json().await.ok(),
                        Err(_) => None,
                    };
                    match body.as_ref().and_then(|b| b["data"]["submitNomination"]["nomination"]["id"].as_str()) {
                        Some(id) => acknowledged.push(id.to_owned()),
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

on_both_databases! {
    async fn an_exhausted_pool_answers_promptly_with_503_and_recovers(backend) {
        let app = TestApp::spawn_with_pool(TestDatabase::create(backend).await, true,
            api::config::AuthSettings::with_secret(TEST_SECRET), test_server_settings(), 2, Duration::from_millis(300)).await;
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_cancels_a_statement_that_outruns_the_statement_timeout() {
    let backend = Backend::postgres().await;
    let database = TestDatabase::create(backend).await;
    let settings = api::config::DatabaseSettings {
        url: api::config::DatabaseUrl::new(database.url.clone()),
        max_connections: 2,
        acquire_timeout: Duration::from_secs(3),
        statement_timeout: Duration::from_millis(300),
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

//! Rate limits per caller, in cost points per window, shared by every replica: charged
//! in memory, reconciled with the shared store (the database, or Redis) in batches.

use std::time::{Duration, Instant};

use fellowship_tests::{on_both_databases, test_server_settings, Backend, TestApp, TestDatabase};
use futures::future::join_all;
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{json, Value};

/// Where Redis answers for these tests (the machine's shared one).
const REDIS_URL: &str = "redis://127.0.0.1:6379/0";

on_both_databases! {
    async fn a_caller_who_spends_the_budget_is_refused_on_every_replica_until_the_window_turns(backend) {
        let mut server = test_server_settings();
        server.rate_limit_anonymous = 100;
        // Windows are aligned to the epoch, so an hour-long one turned under a test that
        // ran across the hour: one of ten years is all but never turning.
        let window = 10 * 365 * 24 * 3600;
        server.rate_limit_window = std::time::Duration::from_secs(window);
        let app = TestApp::builder(TestDatabase::create(backend).await).demo()
            .server(server.clone()).spawn().await;
        let other_replica = app.replica(server).await;

        // 1 + 20 * (1 + 1) = 41 points a time: two fit in 100, the third does not.
        let query = json!({ "query": "{ fellows { nodes { handle } } rateLimit { limit cost used remaining resetAt } }" });
        let first = app.client.post(app.url("/graphql")).json(&query).send().await.unwrap();
        assert_eq!(first.headers()["ratelimit-limit"], "100");
        let body: Value = first.json().await.unwrap();
        assert_eq!(body["data"]["rateLimit"]["limit"], 100);
        let cost = body["data"]["rateLimit"]["cost"].as_i64().unwrap();
        assert_eq!(body["data"]["rateLimit"]["remaining"], json!(100 - cost));

        let second = app.client.post(format!("{other_replica}/graphql")).json(&query).send().await.unwrap();
        assert_eq!(second.status().as_u16(), 200);
        let body: Value = second.json().await.unwrap();
        assert_eq!(body["data"]["rateLimit"]["used"], json!(2 * cost), "the other replica saw the first request's spending");

        let third = app.client.post(app.url("/graphql")).json(&query).send().await.unwrap();
        assert_eq!(third.status().as_u16(), 429);
        let retry_after: u64 = third.headers()["retry-after"].to_str().unwrap().parse().unwrap();
        assert!((1..=window).contains(&retry_after));
        assert_eq!(third.headers()["ratelimit-remaining"], "0");
        let body: Value = third.json().await.unwrap();
        assert_eq!(body["errors"][0]["extensions"]["code"], "RATE_LIMITED");

        // Signed-in callers have budgets of their own.
        let staff = app.token(api::auth::Role::Staff, "merve");
        let signed_in = app.graphql_as(Some(&staff), "{ rateLimit { limit cost used } }", json!({})).await;
        assert_eq!(signed_in.status, 200);
        assert_eq!(signed_in.body["data"]["rateLimit"]["used"], signed_in.body["data"]["rateLimit"]["cost"]);
    }

    async fn requests_are_charged_in_memory_and_reach_the_database_in_a_few_batches(backend) {
        let app = TestApp::empty(backend).await;
        let requests = 200;
        let statements_before = settled_statements(&app).await;
        let syncs_before = metric(&app.address, "fellowship_rate_limit_syncs_total").await;
        let started = Instant::now();
        let mut cost = 0;
        for _ in 0..requests {
            let response = app.client.post(app.url("/graphql"))
                .json(&json!({ "query": "{ __typename }" })).send().await.unwrap();
            assert_eq!(response.status().as_u16(), 200);
            assert!(response.headers().contains_key("ratelimit-remaining"));
            let body: Value = response.json().await.unwrap();
            cost = body["extensions"]["cost"].as_u64().unwrap_or(1);
        }
        let elapsed = started.elapsed();
        assert_eq!(app.statements_sent().await, statements_before,
            "a `{{ __typename }}` sent an SQL statement of its own");

        // All of it reaches the shared table, in one row, within a batch or two.
        tokio::time::sleep(Duration::from_millis(600)).await;
        let syncs = metric(&app.address, "fellowship_rate_limit_syncs_total").await - syncs_before;
        let most = 3 + (elapsed.as_millis() / 200) as u64 + 3;
        assert!(syncs <= most, "{requests} requests took {syncs} batches in {elapsed:?}");
        assert!(syncs < requests / 10, "{requests} requests took {syncs} batches");
        let rows = app.db.query_all_raw(Statement::from_string(
            app.db.get_database_backend(), "SELECT used FROM rate_limit_windows")).await.unwrap();
        assert_eq!(rows.len(), 1, "one row for the one caller");
        let used: i64 = rows[0].try_get_by_index(0).unwrap();
        assert_eq!(used, (requests * cost) as i64);
    }

    async fn three_replicas_on_one_database_hold_a_caller_within_ten_percent_of_the_budget(backend) {
        let replicas = three_replicas(backend, None).await;
        spread_over_replicas_and_check_the_bound(&replicas.1).await;
    }

    async fn a_replica_whose_redis_is_away_serves_reads_and_still_refuses_past_the_budget(backend) {
        let mut server = test_server_settings();
        server.rate_limit_anonymous = 100;
        // Windows are aligned to the epoch: one of ten years is all but never turning.
        server.rate_limit_window = Duration::from_secs(10 * 365 * 86_400);
        // Nothing listens on port 1.
        server.rate_limit_sharing.redis_url = Some("redis://127.0.0.1:1/0".into());
        server.rate_limit_sharing.sync_timeout = Duration::from_millis(100);
        let app = TestApp::builder(TestDatabase::create(backend).await).demo()
            .server(server).spawn().await;

        let query = json!({ "query": "{ fellows { nodes { handle } } rateLimit { cost used } }" });
        let started = Instant::now();
        let first = app.client.post(app.url("/graphql")).json(&query).send().await.unwrap();
        assert_eq!(first.status().as_u16(), 200);
        assert_eq!(first.headers()["ratelimit-limit"], "100");
        let body: Value = first.json().await.unwrap();
        assert_eq!(body["data"]["fellows"]["nodes"].as_array().unwrap().len(), 7, "{body}");
        let cost = body["data"]["rateLimit"]["cost"].as_i64().unwrap();
        assert_eq!(body["data"]["rateLimit"]["used"], json!(cost));

        let second = app.client.post(app.url("/graphql")).json(&query).send().await.unwrap();
        assert_eq!(second.status().as_u16(), 200);
        assert_eq!(second.headers()["ratelimit-remaining"].to_str().unwrap(), (100 - 2 * cost).to_string());
        let third = app.client.post(app.url("/graphql")).json(&query).send().await.unwrap();
        assert_eq!(third.status().as_u16(), 429);
        let body: Value = third.json().await.unwrap();
        assert_eq!(body["errors"][0]["extensions"]["code"], "RATE_LIMITED");
        assert!(body["errors"][0]["extensions"]["resetAt"].is_string());
        // Nobody waited on the missing store for long.
        assert!(started.elapsed() < Duration::from_secs(3), "{:?}", started.elapsed());

        // Readiness is about the database, not the rate-limit store.
        let ready = app.client.get(app.url("/readyz")).send().await.unwrap();
        assert_eq!(ready.status().as_u16(), 200);
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert!(metric(&app.address, "fellowship_rate_limit_sync_failures_total").await >= 1);
    }
}

/// Tests that need Redis itself sit here, in a module named `redis`, which `cargo suite`
/// leaves out, saying so, when no Redis answers (as `postgres` for PostgreSQL).
mod redis {
    use super::*;

    /// The three-replica bound again, with Redis as the shared store (the database plays
    /// no part in it, so SQLite's run is enough).
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn three_replicas_sharing_redis_hold_a_caller_within_ten_percent_of_the_budget() {
        let prefix = format!("fellowship-test:{}:", uuid::Uuid::new_v4().simple());
        let replicas = three_replicas(Backend::Sqlite, Some(&prefix)).await;
        spread_over_replicas_and_check_the_bound(&replicas.1).await;
        let keys = clear_redis_keys(&prefix).await;
        assert!(keys >= 1, "the replicas shared nothing through Redis");
    }
}

const BUDGET: u64 = 300;
const WINDOW: Duration = Duration::from_secs(4);

/// Three replicas of one server with a small anonymous budget and a short window,
/// sharing the database or, with a key prefix, Redis.
async fn three_replicas(backend: Backend, redis_prefix: Option<&str>) -> (TestApp, Vec<String>) {
    let mut server = test_server_settings();
    server.rate_limit_anonymous = BUDGET;
    server.rate_limit_window = WINDOW;
    server.rate_limit_sharing.replicas = 3;
    if let Some(prefix) = redis_prefix {
        server.rate_limit_sharing.redis_url = Some(REDIS_URL.into());
        server.rate_limit_sharing.key_prefix = prefix.to_owned();
    }
    let app = TestApp::builder(TestDatabase::create(backend).await)
        .server(server.clone())
        .spawn()
        .await;
    let second = app.replica(server.clone()).await;
    let third = app.replica(server).await;
    let addresses = vec![app.address.clone(), second, third];
    (app, addresses)
}

/// One answer: the window it was charged in (its `resetAt`), and what was accepted.
struct Answer {
    reset_at: String,
    accepted_cost: Option<u64>,
}

/// Many concurrent requests of one caller, spread over all replicas, from the start of
/// a window into the next: the window accepts at least the budget and at most 10 %
/// more, and the next one starts by accepting again.
async fn spread_over_replicas_and_check_the_bound(replicas: &[String]) {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    // Start just after a window turns, so that the whole flood of the first window
    // is in this test.
    let window_ms = WINDOW.as_millis() as u64;
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    tokio::time::sleep(Duration::from_millis(window_ms - now_ms % window_ms + 50)).await;

    let deadline = Instant::now() + WINDOW * 3;
    let first_window = std::sync::Arc::new(std::sync::OnceLock::<String>::new());
    let next_window_answers = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let workers = (0..24).map(|worker| {
        let client = client.clone();
        let replicas = replicas.to_vec();
        let first_window = first_window.clone();
        let next_window_answers = next_window_answers.clone();
        async move {
            let mut answers = Vec::new();
            let mut turn = worker;
            // Bounded in time, and done once the next window has shown itself.
            while Instant::now() < deadline
                && next_window_answers.load(std::sync::atomic::Ordering::SeqCst) < 40
            {
                let replica = &replicas[turn % replicas.len()];
                turn += 1;
                let response = client
                    .post(format!("{replica}/graphql"))
                    .json(&json!({ "query": "{ rateLimit { cost resetAt } }" }))
                    .send()
                    .await
                    .unwrap();
                let status = response.status().as_u16();
                let body: Value = response.json().await.unwrap();
                let answer = match status {
                    200 => Answer {
                        reset_at: body["data"]["rateLimit"]["resetAt"]
                            .as_str()
                            .unwrap()
                            .to_owned(),
                        accepted_cost: Some(body["data"]["rateLimit"]["cost"].as_u64().unwrap()),
                    },
                    429 => {
                        assert_eq!(body["errors"][0]["extensions"]["code"], "RATE_LIMITED");
                        Answer {
                            reset_at: body["errors"][0]["extensions"]["resetAt"]
                                .as_str()
                                .unwrap()
                                .to_owned(),
                            accepted_cost: None,
                        }
                    }
                    other => panic!("answered {other}: {body}"),
                };
                let first = first_window.get_or_init(|| answer.reset_at.clone());
                if parse(&answer.reset_at) > parse(first) {
                    next_window_answers.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                }
                answers.push(answer);
            }
            answers
        }
    });
    let answers: Vec<Answer> = join_all(workers).await.into_iter().flatten().collect();

    let first = parse(first_window.get().expect("an answer"));
    let in_first: Vec<&Answer> = answers
        .iter()
        .filter(|a| parse(&a.reset_at) == first)
        .collect();
    let accepted: u64 = in_first.iter().filter_map(|a| a.accepted_cost).sum();
    let refused = in_first
        .iter()
        .filter(|a| a.accepted_cost.is_none())
        .count();
    let cost = answers
        .iter()
        .find_map(|a| a.accepted_cost)
        .expect("something accepted");
    eprintln!("first window: {accepted} of {BUDGET} points accepted, {refused} requests refused");
    assert!(
        refused > 0,
        "the flood never reached the budget ({accepted} accepted)"
    );
    assert!(
        accepted + cost > BUDGET,
        "only {accepted} of {BUDGET} accepted before refusals"
    );
    assert!(
        accepted * 10 <= BUDGET * 11,
        "{accepted} accepted: over budget by more than 10 %"
    );

    // The next window: answered from its start, before its budget could be spent.
    let in_next: Vec<&Answer> = answers
        .iter()
        .filter(|a| parse(&a.reset_at) > first)
        .collect();
    assert!(
        !in_next.is_empty(),
        "the flood did not reach the next window"
    );
    let next_accepted: u64 = in_next.iter().filter_map(|a| a.accepted_cost).sum();
    assert!(
        next_accepted < BUDGET,
        "the test sent too much in the next window to judge it"
    );
    assert!(
        in_next.iter().all(|a| a.accepted_cost.is_some()),
        "the next window refused a request before its budget was spent"
    );
}

fn parse(at: &str) -> chrono::DateTime<chrono::FixedOffset> {
    chrono::DateTime::parse_from_rfc3339(at).expect("an RFC 3339 time")
}

/// The server's statement count once it is at rest: a freshly started server may still
/// be sending its first statements (the event feed's start) when a test begins.
async fn settled_statements(app: &TestApp) -> u64 {
    let mut last = app.statements_sent().await;
    loop {
        tokio::time::sleep(Duration::from_millis(150)).await;
        let now = app.statements_sent().await;
        if now == last {
            return now;
        }
        last = now;
    }
}

/// A counter from the server's `/metrics`.
async fn metric(address: &str, name: &str) -> u64 {
    let text = reqwest::get(format!("{address}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    text.lines()
        .find_map(|line| {
            line.strip_prefix(name)?
                .strip_prefix(' ')?
                .trim()
                .parse()
                .ok()
        })
        .unwrap_or_else(|| panic!("{name} in /metrics"))
}

/// Deletes the keys a test wrote under `prefix` (they would expire anyway); returns how
/// many there were.
async fn clear_redis_keys(prefix: &str) -> usize {
    let client = ::redis::Client::open(REDIS_URL).unwrap();
    let mut connection = client
        .get_multiplexed_async_connection()
        .await
        .expect("Redis answers on 127.0.0.1:6379");
    let keys: Vec<String> = ::redis::cmd("KEYS")
        .arg(format!("{prefix}*"))
        .query_async(&mut connection)
        .await
        .unwrap();
    if !keys.is_empty() {
        let _: () = ::redis::cmd("DEL")
            .arg(&keys)
            .query_async(&mut connection)
            .await
            .unwrap();
    }
    keys.len()
}

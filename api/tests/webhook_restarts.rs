//! Webhooks across restarts, with the real binary: `api serve` is stopped (SIGTERM, as
//! an orchestrator does) while deliveries are in flight to a slow receiver, and started
//! again on the same database; every event arrives exactly once, in commit order. A
//! slow receiver meanwhile delays none of the API's own requests.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use api::auth::Role;
use fellowship_tests::process::{ServeCommand, ServeProcess};
use fellowship_tests::webhooks::Delivery;
use fellowship_tests::webhooks::TestReceiver;
use fellowship_tests::{on_both_databases, TestDatabase};
use serde_json::{json, Value};

async fn start(database_url: &str, demo: bool) -> ServeProcess {
    let command = ServeCommand::new(env!("CARGO_BIN_EXE_api"), database_url)
        .env("WEBHOOK_ALLOW_PRIVATE_TARGETS", "true")
        .env("WEBHOOK_POLL_INTERVAL", "100ms")
        .env("WEBHOOK_RETRY_SCHEDULE", "200ms,400ms")
        .env("SHUTDOWN_DELAY", "0s")
        .env("SHUTDOWN_TIMEOUT", "3s");
    if demo { command.demo() } else { command }.start().await
}

async fn graphql(client: &reqwest::Client, address: &str, query: &str, variables: Value) -> Value {
    let token = fellowship_tests::user_token(Role::Staff, "merve");
    client
        .post(format!("{address}/graphql"))
        .bearer_auth(token)
        .json(&json!({ "query": query, "variables": variables }))
        .send()
        .await
        .expect("POST /graphql")
        .json()
        .await
        .expect("a JSON body")
}

async fn submit(client: &reqwest::Client, address: &str, handle: &str) {
    let token = fellowship_tests::user_token(Role::Staff, "merve");
    fellowship_tests::nominations::submit_to(client, address, &token, handle).await;
}

fn handles(receiver: &TestReceiver) -> Vec<String> {
    receiver
        .accepted()
        .iter()
        .map(|d| {
            d.json()["data"]["nomination"]["nomineeHandle"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect()
}

on_both_databases! {
    async fn a_restart_under_way_loses_and_repeats_no_delivery(backend) {
        let database = TestDatabase::create(backend).await;
        let mut first = start(&database.url, true).await;
        let client = reqwest::Client::new();
        let receiver = TestReceiver::start().await;
        // Slow enough that the stop comes in the middle of the deliveries.
        receiver.answer_after(Duration::from_millis(100));
        let created = graphql(&client, &first.address,
            "mutation($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) { secret userErrors { message } } }",
            json!({ "input": { "url": receiver.url, "events": ["nomination.submitted"] } })).await;
        let secret = created["data"]["createWebhookEndpoint"]["secret"].as_str().unwrap_or_else(|| panic!("{created}")).to_owned();

        const BEFORE: usize = 15;
        const AFTER: usize = 10;
        for n in 0..BEFORE {
            submit(&client, &first.address, &format!("restart-{n:02}")).await;
        }
        // Some delivered, some not yet: stop now.
        let started = Instant::now();
        while receiver.accepted().is_empty() {
            assert!(started.elapsed() < Duration::from_secs(20), "no delivery before the stop");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        first.terminate();
        let status = first.wait();
        assert!(status.success(), "a clean stop: {status}");
        let delivered_before_restart = receiver.accepted().len();
        assert!(delivered_before_restart < BEFORE, "the stop came too late to test anything");

        let second = start(&database.url, false).await;
        for n in BEFORE..BEFORE + AFTER {
            submit(&client, &second.address, &format!("restart-{n:02}")).await;
        }
        receiver.wait_for_accepted(BEFORE + AFTER, Duration::from_secs(30)).await;
        tokio::time::sleep(Duration::from_millis(500)).await;
        let all = receiver.received();
        let ids: HashSet<&str> = all.iter().map(Delivery::id).collect();
        assert_eq!(all.len(), BEFORE + AFTER, "nothing repeated ({delivered_before_restart} before the restart): {:?}",
            all.iter().map(|d| (d.id().to_owned(), d.json()["data"]["nomination"]["nomineeHandle"].clone())).collect::<Vec<_>>());
        assert_eq!(ids.len(), BEFORE + AFTER, "one webhook-id per event");
        let expected: Vec<String> = (0..BEFORE + AFTER).map(|n| format!("restart-{n:02}")).collect();
        assert_eq!(handles(&receiver), expected, "every event, in commit order");
        for delivery in &all {
            delivery.verify(&secret).unwrap();
        }
    }

    async fn a_receiver_that_never_answers_delays_none_of_the_api_s_requests(backend) {
        let database = TestDatabase::create(backend).await;
        let server = start(&database.url, true).await;
        let client = reqwest::Client::new();
        let receiver = TestReceiver::start().await;
        // Longer than WEBHOOK_TIMEOUT (10 s): every attempt waits it out.
        receiver.answer_after(Duration::from_secs(60));
        for n in 0..4 {
            let created = graphql(&client, &server.address,
                "mutation($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) { userErrors { message } } }",
                json!({ "input": { "url": format!("{}?n={n}", receiver.url), "events": ["nomination.submitted"] } })).await;
            assert_eq!(created["data"]["createWebhookEndpoint"]["userErrors"], json!([]), "{created}");
        }
        submit(&client, &server.address, "hanging-receiver").await;
        // Senders look every 100 ms: after a second, each is stuck on the receiver.
        tokio::time::sleep(Duration::from_secs(1)).await;
        for n in 0..20 {
            let began = Instant::now();
            submit(&client, &server.address, &format!("still-fast-{n}")).await;
            let read = graphql(&client, &server.address, "{ fellows(first: 20) { edges { node { handle } } } }", json!({})).await;
            assert!(read["errors"].is_null(), "{read}");
            assert!(began.elapsed() < Duration::from_secs(2), "a write and a read took {:?}", began.elapsed());
        }
    }
}

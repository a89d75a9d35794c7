//! Subscriptions across replicas, with real processes: two `api serve` processes on
//! one PostgreSQL database, a subscriber on one and writers on the other; one replica
//! is killed mid-stream and restarted, and its subscriber resumes from its cursor.
//! (The in-process suite in `tests/` covers the same on SQLite and PostgreSQL.)

use std::collections::HashSet;
use std::time::Duration;

use api::auth::Role;
use fellowship_tests::process::{ServeCommand, ServeProcess};
use fellowship_tests::ws::{Received, WsClient, NOMINATION_EVENTS};
use fellowship_tests::{Backend, TestDatabase};
use sea_orm::{ConnectionTrait, Statement};
use serde_json::json;

/// One `api serve` process on the database at `database_url`.
async fn start_replica(database_url: &str, demo: bool) -> ServeProcess {
    let command = ServeCommand::new(env!("CARGO_BIN_EXE_api"), database_url)
        // Only LISTEN/NOTIFY tells a replica of another's events in time.
        .env("EVENT_POLL_INTERVAL", "1h")
        .env("SHUTDOWN_DELAY", "2s")
        .env("SHUTDOWN_TIMEOUT", "3s");
    if demo { command.demo() } else { command }.start().await
}

fn staff_token() -> String {
    fellowship_tests::user_token(Role::Staff, "merve")
}

async fn submit(client: &reqwest::Client, address: &str, token: &str, handle: &str) {
    fellowship_tests::nominations::submit_to(client, address, token, handle).await;
}

/// Subscribes on `address`, resuming after `cursor` when given.
async fn subscribe(address: &str, token: &str, cursor: Option<&str>) -> WsClient {
    let mut client = WsClient::signed_in(address, token).await;
    client
        .subscribe(
            "events",
            NOMINATION_EVENTS,
            json!({ "filter": { "after": cursor } }),
        )
        .await;
    client
}

/// PostgreSQL only: replicas share one database server and hear each other through
/// LISTEN/NOTIFY.
mod postgres {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn two_processes_deliver_every_event_in_commit_order_through_a_replica_crash() {
        let backend = Backend::postgres().await;
        let database = TestDatabase::create(backend).await;
        let mut subscribed_to = start_replica(&database.url, true).await;
        let written_to = start_replica(&database.url, false).await;
        let token = staff_token();

        // From where the events stand now: every later change arrives, however soon after
        // the subscribe it commits.
        let now = fellowship_tests::events_cursor(
            &reqwest::Client::new(),
            &subscribed_to.address,
            &token,
        )
        .await;
        let mut subscriber = subscribe(&subscribed_to.address, &token, Some(&now)).await;

        const TOTAL: usize = 1000;
        const WORKERS: usize = 10;
        let writers: Vec<_> = (0..WORKERS)
            .map(|worker| {
                let address = written_to.address.clone();
                let token = token.clone();
                tokio::spawn(async move {
                    let client = reqwest::Client::new();
                    for n in (worker..TOTAL).step_by(WORKERS) {
                        submit(&client, &address, &token, &format!("nominee-{n}")).await;
                    }
                })
            })
            .collect();

        let mut received: Vec<String> = Vec::with_capacity(TOTAL);
        let mut cursor: Option<String> = None;
        let mut crashed = false;
        while received.len() < TOTAL {
            match subscriber.receive(Duration::from_secs(30)).await {
                Some(Received::Message(message)) if message["type"] == "next" => {
                    let event = &message["payload"]["data"]["nominationEvents"];
                    received.push(event["nomination"]["id"].as_str().unwrap().to_owned());
                    cursor = Some(event["cursor"].as_str().unwrap().to_owned());
                    if received.len() == TOTAL / 3 && !crashed {
                        // The replica dies with writes still coming in on the other one.
                        crashed = true;
                        subscribed_to.kill();
                    }
                }
                Some(Received::Closed { .. }) => {
                    assert!(crashed, "the socket closed although nothing crashed");
                    let url = database.url.clone();
                    subscribed_to = start_replica(&url, false).await;
                    subscriber = subscribe(&subscribed_to.address, &token, cursor.as_deref()).await;
                }
                other => panic!(
                    "after {} events, expected the next one, got {other:?}",
                    received.len()
                ),
            }
        }
        for writer in writers {
            writer.await.unwrap();
        }
        assert!(crashed);

        let distinct: HashSet<&String> = received.iter().collect();
        assert_eq!(distinct.len(), TOTAL, "an event arrived twice");
        let db = database.connect().await;
        let outbox: Vec<String> = db
            .query_all_raw(Statement::from_string(
                db.get_database_backend(),
                "SELECT nomination_id FROM nomination_events ORDER BY id",
            ))
            .await
            .unwrap()
            .into_iter()
            .map(|row| {
                let id: i64 = row.try_get_by_index(0).unwrap();
                api::graphql::ids::encode(api::graphql::ids::NodeType::Nomination, id).0
            })
            .collect();
        assert_eq!(received, outbox, "not the outbox's (commit) order");
        subscriber.expect_silence(Duration::from_secs(1)).await;

        // A replica shutting down closes its sockets with 1001 so clients move on.
        subscribed_to.terminate();
        let (code, reason) = subscriber.expect_close(Duration::from_secs(5)).await;
        assert_eq!(code, 1001, "{reason}");
    }
}

//! Nomination events over WebSocket (`graphql-transport-ws`), as a staff dashboard and
//! a nominator follow them: who may subscribe, what an event carries, resuming from a
//! cursor, delivery across replicas, and the limits that protect the server.

use std::collections::HashSet;
use std::time::Duration;

use api::auth::{mint_user_token, KeyRing, Role};
use api::config::{AuthSettings, ServerSettings};
use api::graphql::ids::{self, NodeType};
use entity::nomination_event;
use fellowship_tests::nominations::{submission, Submitted, SUBMIT_NOMINATION};
use fellowship_tests::ws::{Received, WsClient, NOMINATION_EVENTS};
use fellowship_tests::{
    on_both_databases, test_server_settings, TestApp, TestDatabase, TEST_SECRET,
};
use futures::future::join_all;
use sea_orm::{ConnectionTrait, EntityTrait, QueryOrder};
use serde_json::{json, Value};

const ENDORSE: &str = r#"mutation($id: ID!) { endorseNomination(input: { nominationId: $id }) {
    nomination { version } userErrors { code } } }"#;
const START: &str = r#"mutation($id: ID!, $v: Int!) { startNominationReview(input: { nominationId: $id, expectedVersion: $v }) {
    nomination { version } userErrors { code } } }"#;
const DECIDE: &str = r#"mutation($id: ID!, $v: Int!) {
    decideNomination(input: { nominationId: $id, decision: ACCEPT, note: "Welcome", expectedVersion: $v }) {
    nomination { version } userErrors { code } } }"#;

/// Runs a mutation and returns its payload, insisting on no user errors.
async fn mutate(app: &TestApp, token: &str, query: &str, variables: Value) -> Value {
    let data = app
        .graphql_as(Some(token), query, variables)
        .await
        .expect_ok();
    let payload = data.as_object().unwrap().values().next().unwrap().clone();
    assert_eq!(payload["userErrors"], json!([]), "{payload}");
    payload
}

/// Submits a nomination of `handle` and returns its id.
async fn submit(app: &TestApp, token: &str, handle: &str) -> String {
    app.submit_nomination(token, handle).await.id
}

/// Subscribes `client`, signed in as `token`, to the events of the changes committed from
/// now on that match `filter`: reads where the events stand, then subscribes after that
/// point, so nothing waits for the subscription to be live.
async fn follow(app: &TestApp, client: &mut WsClient, token: &str, id: &str, filter: Value) {
    let cursor = app.events_cursor(token).await;
    client
        .subscribe_after(id, NOMINATION_EVENTS, filter, &cursor)
        .await;
}

/// A token for `handle` that expires after `seconds`.
fn short_token(role: Role, handle: &str, seconds: i64) -> String {
    let keys = KeyRing::from_settings(&AuthSettings::with_secret(TEST_SECRET)).unwrap();
    mint_user_token(&keys, role, handle, chrono::Duration::seconds(seconds)).unwrap()
}

async fn with_settings(backend: fellowship_tests::Backend, server: ServerSettings) -> TestApp {
    TestApp::builder(TestDatabase::create(backend).await)
        .demo()
        .server(server)
        .spawn()
        .await
}

/// The nominations of the outbox's events, in the order the outbox holds them.
async fn outbox_order(app: &TestApp) -> Vec<String> {
    nomination_event::Entity::find()
        .order_by_asc(nomination_event::Column::Id)
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|e| ids::encode(NodeType::Nomination, e.nomination_id).0)
        .collect()
}

/// The nomination of the outbox's first event.
async fn first_id(app: &TestApp) -> String {
    outbox_order(app).await.remove(0)
}

const SHORT: Duration = Duration::from_millis(1500);

on_both_databases! {
    async fn staff_follow_a_nomination_through_its_whole_life(backend) {
        let app = TestApp::with_demo(backend).await;
        let merve = app.token(Role::Staff, "merve");
        let omar = app.token(Role::Staff, "espejelomar");
        let maria = app.token(Role::Fellow, "mariagrandury");
        let mut dashboard = WsClient::signed_in(&app.address, &merve).await;
        follow(&app, &mut dashboard, &merve, "events", json!({})).await;

        let id = submit(&app, &maria, "ada").await;
        mutate(&app, &omar, ENDORSE, json!({ "id": id })).await;
        mutate(&app, &merve, START, json!({ "id": id, "v": 2 })).await;
        mutate(&app, &merve, DECIDE, json!({ "id": id, "v": 3 })).await;

        let mut cursors = HashSet::new();
        for (kind, status, version, actor) in [
            ("SUBMITTED", "SUBMITTED", 1, "mariagrandury"),
            ("ENDORSED", "SUBMITTED", 2, "espejelomar"),
            ("REVIEW_STARTED", "UNDER_REVIEW", 3, "merve"),
            ("ACCEPTED", "ACCEPTED", 4, "merve"),
        ] {
            let event = dashboard.next_event("events").await;
            assert_eq!(event["kind"], kind, "{event}");
            assert_eq!(event["actor"]["handle"], actor);
            assert_eq!(event["nomination"]["id"], id.as_str());
            // The nomination as it was right after this change, not as it is now.
            assert_eq!(event["nomination"]["status"], status);
            assert_eq!(event["nomination"]["version"], version);
            assert_eq!(event["nomination"]["nominator"]["handle"], "mariagrandury");
            assert_eq!(event["nomination"]["nomineeEmail"], "ada@example.org");
            assert!(event["occurredAt"].as_str().unwrap().contains('T'));
            assert!(cursors.insert(event["cursor"].as_str().unwrap().to_owned()));
        }
        dashboard.expect_silence(SHORT).await;
    }

    async fn a_nominator_hears_of_their_own_nominations_only(backend) {
        let app = TestApp::with_demo(backend).await;
        let maria = app.token(Role::Fellow, "mariagrandury");
        let manuel = app.token(Role::Fellow, "mrm8488");
        let mut follower = WsClient::signed_in(&app.address, &maria).await;
        follow(&app, &mut follower, &maria, "mine", json!({})).await;

        let others = submit(&app, &manuel, "someone-else").await;
        let own = submit(&app, &maria, "ada").await;
        let event = follower.next_event("mine").await;
        assert_eq!(event["nomination"]["id"], own.as_str());
        assert_eq!(event["kind"], "SUBMITTED");
        follower.expect_silence(SHORT).await;

        // Away for a while, then back from the last cursor: the catch-up from the
        // database holds to the same rule as the live feed.
        follower.close().await;
        let mut missed = Vec::new();
        for n in 0..3 {
            submit(&app, &manuel, &format!("other-{n}")).await;
            missed.push(submit(&app, &maria, &format!("mine-{n}")).await);
        }
        let mut resumed = WsClient::signed_in(&app.address, &maria).await;
        resumed.subscribe("mine", NOMINATION_EVENTS, json!({ "filter": { "after": event["cursor"] } })).await;
        for id in &missed {
            assert_eq!(resumed.next_event("mine").await["nomination"]["id"], id.as_str());
        }
        resumed.expect_silence(SHORT).await;

        // Asking for another fellow's nomination is refused, not left waiting forever.
        resumed.subscribe("theirs", NOMINATION_EVENTS, json!({ "filter": { "nominationId": others } })).await;
        let Some(Received::Message(message)) = resumed.receive(Duration::from_secs(5)).await else { panic!() };
        assert_eq!(message["type"], "error", "{message}");
        assert_eq!(message["id"], "theirs");
        assert_eq!(message["payload"][0]["extensions"]["code"], "NOT_FOUND");
    }

    async fn filters_narrow_events_to_one_nomination_or_some_kinds(backend) {
        let app = TestApp::with_demo(backend).await;
        let merve = app.token(Role::Staff, "merve");
        let omar = app.token(Role::Staff, "espejelomar");
        let maria = app.token(Role::Fellow, "mariagrandury");
        let first = submit(&app, &maria, "ada").await;
        let mut client = WsClient::signed_in(&app.address, &merve).await;
        follow(&app, &mut client, &merve, "one", json!({ "nominationId": first })).await;
        follow(&app, &mut client, &merve, "kinds", json!({ "kinds": ["REVIEW_STARTED"] })).await;

        let second = submit(&app, &maria, "grace").await;
        mutate(&app, &omar, ENDORSE, json!({ "id": first })).await;
        mutate(&app, &merve, START, json!({ "id": second, "v": 1 })).await;
        let mut got = Vec::new();
        for _ in 0..2 {
            let Some(Received::Message(message)) = client.receive(Duration::from_secs(10)).await else {
                panic!("expected two events");
            };
            let event = &message["payload"]["data"]["nominationEvents"];
            got.push((message["id"].as_str().unwrap().to_owned(), event["kind"].as_str().unwrap().to_owned(), event["nomination"]["id"].as_str().unwrap().to_owned()));
        }
        got.sort();
        assert_eq!(got, vec![
            ("kinds".to_owned(), "REVIEW_STARTED".to_owned(), second.clone()),
            ("one".to_owned(), "ENDORSED".to_owned(), first.clone()),
        ]);
        client.expect_silence(SHORT).await;
    }

    async fn callers_who_may_not_subscribe_are_closed_with_4403_and_get_nothing(backend) {
        let app = TestApp::with_demo(backend).await;
        let merve = app.token(Role::Staff, "merve");
        let partner = app.graphql_as(Some(&merve),
            r#"mutation { createApiToken(input: { name: "p", scopes: ["nominations:read"] }) { token } }"#,
            json!({})).await.expect_ok()["createApiToken"]["token"].as_str().unwrap().to_owned();
        let refused = [
            None,
            Some("not-a-token".to_owned()),
            Some(partner),
            Some(short_token(Role::Staff, "merve", -60)),
            Some(app.token(Role::Staff, "mariagrandury")),
        ];
        for token in &refused {
            let mut client = WsClient::connect(&app.address).await;
            match client.init(token.as_deref()).await {
                Received::Closed { code, reason } => {
                    assert_eq!(code, 4403, "{token:?}: {reason}");
                    assert!(reason.starts_with("Forbidden"), "{reason}");
                    assert!(!reason.contains(token.as_deref().unwrap_or("\u{0}")));
                }
                other => panic!("{token:?} was not refused: {other:?}"),
            }
        }
        // A refused client that does not wait for the answer: its subscribe, sent right
        // behind connection_init, never runs.
        let mut eager = Vec::new();
        for token in &refused {
            let mut client = WsClient::connect(&app.address).await;
            let payload = match token {
                Some(token) => json!({ "Authorization": format!("Bearer {token}") }),
                None => json!({}),
            };
            client.send(json!({ "type": "connection_init", "payload": payload })).await;
            client.subscribe("e", NOMINATION_EVENTS, json!({})).await;
            eager.push(client);
        }
        // Subscribing before connection_init is closed 4401, before anything runs.
        let mut early = WsClient::connect(&app.address).await;
        early.subscribe("1", NOMINATION_EVENTS, json!({})).await;
        assert_eq!(early.expect_close(Duration::from_secs(5)).await.0, 4401);
        // A frame that is not a protocol message is closed 4400.
        let mut garbled = WsClient::connect(&app.address).await;
        garbled.send(json!({ "type": "start", "id": "1" })).await;
        assert_eq!(garbled.expect_close(Duration::from_secs(5)).await.0, 4400);
        // A second connection_init is closed 4429.
        let mut twice = WsClient::signed_in(&app.address, &merve).await;
        twice.send(json!({ "type": "connection_init", "payload": {} })).await;
        assert_eq!(twice.expect_close(Duration::from_secs(5)).await.0, 4429);

        // An event happens; none of them hears of it: the only thing each receives is
        // the 4403 close.
        submit(&app, &app.token(Role::Fellow, "mariagrandury"), "ada").await;
        for mut client in eager {
            match client.receive(SHORT).await {
                // 1006: the close frame may be lost when the server drops the socket
                // with the subscribe still unread.
                Some(Received::Closed { code, .. }) => assert!(matches!(code, 4403 | 1006), "{code}"),
                other => panic!("expected only the close, got {other:?}"),
            }
            assert!(matches!(client.receive(SHORT).await, None | Some(Received::Closed { .. })));
        }
    }

    async fn the_token_may_come_in_the_upgrade_request_header(backend) {
        let app = TestApp::with_demo(backend).await;
        let merve = app.token(Role::Staff, "merve");
        let mut client = WsClient::connect_with(&app.address, Some(&format!("Bearer {merve}"))).await;
        assert_eq!(client.init(None).await, Received::Message(json!({ "type": "connection_ack" })));
        follow(&app, &mut client, &merve, "e", json!({})).await;
        submit(&app, &app.token(Role::Fellow, "mariagrandury"), "ada").await;
        assert_eq!(client.next_event("e").await["kind"], "SUBMITTED");
    }

    async fn a_bad_cursor_or_a_mutation_gets_an_error_message_not_a_closed_socket(backend) {
        let app = TestApp::with_demo(backend).await;
        let merve = app.token(Role::Staff, "merve");
        let mut client = WsClient::signed_in(&app.address, &merve).await;
        client.subscribe("bad", NOMINATION_EVENTS, json!({ "filter": { "after": "bm90LWEtY3Vyc29y" } })).await;
        let Some(Received::Message(message)) = client.receive(Duration::from_secs(5)).await else { panic!() };
        assert_eq!(message["type"], "error", "{message}");
        assert_eq!(message["id"], "bad");
        assert_eq!(message["payload"][0]["extensions"]["code"], "BAD_USER_INPUT");
        client.subscribe("write", SUBMIT_NOMINATION, json!({ "input": submission("ada") })).await;
        let Some(Received::Message(message)) = client.receive(Duration::from_secs(5)).await else { panic!() };
        assert_eq!(message["type"], "error", "{message}");
        assert_eq!(message["payload"][0]["extensions"]["code"], "BAD_USER_INPUT");
        // Queries run over the socket too: one `next`, then `complete`.
        client.subscribe("q", "{ viewer { role } }", json!({})).await;
        let payload = client.next_payload("q", Duration::from_secs(5)).await;
        assert_eq!(payload["data"]["viewer"]["role"], "STAFF");
        assert_eq!(client.receive(Duration::from_secs(5)).await, Some(Received::Message(json!({ "type": "complete", "id": "q" }))));
        // Ids may be reused once their operation completed, and the socket is still up.
        client.subscribe("q", "{ viewer { role } }", json!({})).await;
        client.next_payload("q", Duration::from_secs(5)).await;
    }

    async fn a_resumed_subscription_gets_what_it_missed_then_live_events_without_duplicates(backend) {
        let app = TestApp::with_demo(backend).await;
        let merve = app.token(Role::Staff, "merve");
        let maria = app.token(Role::Fellow, "mariagrandury");
        let mut first = WsClient::signed_in(&app.address, &merve).await;
        follow(&app, &mut first, &merve, "e", json!({})).await;
        let mut submitted = Vec::new();
        for n in 0..3 {
            submitted.push(submit(&app, &maria, &format!("early-{n}")).await);
        }
        let one = first.next_event("e").await;
        let two = first.next_event("e").await;
        assert_eq!(two["nomination"]["id"], submitted[1].as_str());
        // The client drops mid-stream, with the third event unread.
        first.close().await;
        for n in 0..4 {
            submitted.push(submit(&app, &maria, &format!("missed-{n}")).await);
        }

        let mut resumed = WsClient::signed_in(&app.address, &merve).await;
        resumed.subscribe("e", NOMINATION_EVENTS, json!({ "filter": { "after": two["cursor"] } })).await;
        let mut seen = vec![one["nomination"]["id"].clone(), two["nomination"]["id"].clone()];
        for _ in 0..5 {
            seen.push(resumed.next_event("e").await["nomination"]["id"].clone());
        }
        submitted.push(submit(&app, &maria, "live").await);
        seen.push(resumed.next_event("e").await["nomination"]["id"].clone());
        assert_eq!(seen, submitted.iter().map(|id| json!(id)).collect::<Vec<_>>());
        resumed.expect_silence(SHORT).await;
    }

    async fn a_change_that_fails_after_writing_its_event_publishes_nothing(backend) {
        let postgres = matches!(backend, fellowship_tests::Backend::Postgres);
        let app = TestApp::with_demo(backend).await;
        let merve = app.token(Role::Staff, "merve");
        // Sabotage: the commit of any change whose event names "doomed" fails. On
        // PostgreSQL at COMMIT itself (a deferred trigger, after the NOTIFY was queued);
        // on SQLite when the event row is written, the change's last write.
        let sabotage = if postgres {
            "CREATE FUNCTION doom() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
               IF NEW.payload::text LIKE '%doomed%' THEN RAISE EXCEPTION 'doomed'; END IF; \
               RETURN NULL; END $$; \
             CREATE CONSTRAINT TRIGGER doom AFTER INSERT ON nomination_events \
               DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION doom();"
        } else {
            "CREATE TRIGGER doom AFTER INSERT ON nomination_events \
               WHEN NEW.payload LIKE '%doomed%' BEGIN SELECT RAISE(ABORT, 'doomed'); END;"
        };
        app.db.execute_unprepared(sabotage).await.unwrap();
        let mut client = WsClient::signed_in(&app.address, &merve).await;
        follow(&app, &mut client, &merve, "e", json!({})).await;

        let failed = app.graphql_as(Some(&merve), SUBMIT_NOMINATION, json!({ "input": submission("doomed") })).await;
        let error = &failed.body["errors"][0];
        assert_eq!(error["extensions"]["code"], "INTERNAL_SERVER_ERROR", "{}", failed.body);
        assert!(!failed.body["errors"].to_string().contains("doomed"), "{}", failed.body);
        client.expect_silence(SHORT).await;
        assert!(outbox_order(&app).await.is_empty());
        let nominations = app.db.query_one_raw(sea_orm::Statement::from_string(
            app.db.get_database_backend(), "SELECT COUNT(*) FROM nominations WHERE nominee_handle = 'doomed'",
        )).await.unwrap().unwrap();
        assert_eq!(nominations.try_get_by_index::<i64>(0).unwrap(), 0);

        // The next change that commits is the first event anyone sees.
        let id = submit(&app, &merve, "ada").await;
        let event = client.next_event("e").await;
        assert_eq!(event["nomination"]["id"], id.as_str());
        assert_eq!(outbox_order(&app).await, vec![id]);
    }

    async fn a_change_that_is_refused_publishes_nothing(backend) {
        let app = TestApp::with_demo(backend).await;
        let merve = app.token(Role::Staff, "merve");
        let maria = app.token(Role::Fellow, "mariagrandury");
        let id = submit(&app, &maria, "ada").await;
        let mut client = WsClient::signed_in(&app.address, &merve).await;
        follow(&app, &mut client, &merve, "e", json!({})).await;
        // A stale version, a second submission for an open nominee, a self-endorsement:
        // each is refused and rolled back.
        let stale = app.graphql_as(Some(&merve), START, json!({ "id": id, "v": 7 })).await.expect_ok();
        assert_eq!(stale["startNominationReview"]["userErrors"][0]["code"], "CONFLICT");
        let twice = app.graphql_as(Some(&merve), SUBMIT_NOMINATION, json!({ "input": submission("ada") })).await.expect_ok();
        assert_eq!(twice["submitNomination"]["userErrors"][0]["code"], "CONFLICT");
        let own = app.graphql_as(Some(&maria), ENDORSE, json!({ "id": id })).await.expect_ok();
        assert_ne!(own["endorseNomination"]["userErrors"], json!([]));
        client.expect_silence(SHORT).await;
        // The next committed change arrives, and it is the only one after the first.
        mutate(&app, &merve, START, json!({ "id": id, "v": 1 })).await;
        assert_eq!(client.next_event("e").await["kind"], "REVIEW_STARTED");
        assert_eq!(outbox_order(&app).await.len(), 2);
    }

    async fn a_thousand_events_from_concurrent_mutations_reach_another_replica_complete_and_in_commit_order(backend) {
        let postgres = matches!(backend, fellowship_tests::Backend::Postgres);
        let app = TestApp::with_demo(backend).await;
        let mut settings = test_server_settings();
        // On PostgreSQL only LISTEN/NOTIFY can tell the replica in time: it never
        // polls. Processes on one SQLite file learn of each other's events by polling.
        if !postgres {
            settings.subscriptions.event_poll_interval = Duration::from_millis(200);
        }
        let replica = app.replica(settings).await;
        let merve = app.token(Role::Staff, "merve");
        let mut dashboard = WsClient::signed_in(&replica, &merve).await;
        follow(&app, &mut dashboard, &merve, "e", json!({})).await;

        const TOTAL: usize = 1000;
        const WORKERS: usize = 10;
        let writers = (0..WORKERS).map(|worker| {
            let app = &app;
            let merve = &merve;
            async move {
                for n in (worker..TOTAL).step_by(WORKERS) {
                    submit(app, merve, &format!("nominee-{n}")).await;
                }
            }
        });
        let reading = async {
            let mut received = Vec::with_capacity(TOTAL);
            while received.len() < TOTAL {
                let event = dashboard.next_event("e").await;
                received.push(event["nomination"]["id"].as_str().unwrap().to_owned());
            }
            received
        };
        let (_, received) = tokio::join!(join_all(writers), reading);
        let distinct: HashSet<&String> = received.iter().collect();
        assert_eq!(distinct.len(), TOTAL, "an event arrived twice");
        // The outbox's id order is commit order; the subscriber saw exactly that.
        assert_eq!(received, outbox_order(&app).await);
        dashboard.expect_silence(SHORT).await;
    }

    async fn operations_per_connection_and_connections_per_caller_are_capped(backend) {
        let mut server = test_server_settings();
        server.subscriptions.max_subscriptions_per_connection = 2;
        server.subscriptions.max_connections_per_caller = 2;
        let app = with_settings(backend, server.clone()).await;
        let replica = app.replica(server).await;
        let merve = app.token(Role::Staff, "merve");
        let mut first = WsClient::signed_in(&app.address, &merve).await;
        first.subscribe("a", NOMINATION_EVENTS, json!({})).await;
        first.subscribe("b", NOMINATION_EVENTS, json!({})).await;
        first.subscribe("c", NOMINATION_EVENTS, json!({})).await;
        let Some(Received::Message(message)) = first.receive(Duration::from_secs(5)).await else { panic!() };
        assert_eq!(message["type"], "error");
        assert_eq!(message["id"], "c");
        assert_eq!(message["payload"][0]["extensions"]["code"], "RATE_LIMITED");
        // Completing one makes room.
        first.send(json!({ "type": "complete", "id": "a" })).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        first.subscribe("c", NOMINATION_EVENTS, json!({})).await;
        first.expect_silence(Duration::from_millis(500)).await;

        // The second connection is on the other replica; the cap counts both.
        let second = WsClient::signed_in(&replica, &merve).await;
        let mut third = WsClient::connect(&app.address).await;
        match third.init(Some(&merve)).await {
            Received::Closed { code, reason } => {
                assert_eq!(code, 1013, "{reason}");
                assert!(reason.contains("Too many connections"), "{reason}");
            }
            other => panic!("a third connection was accepted: {other:?}"),
        }
        // Another caller is not affected, and a closed connection frees its place.
        WsClient::signed_in(&replica, &app.token(Role::Staff, "espejelomar")).await;
        second.close().await;
        tokio::time::sleep(Duration::from_millis(500)).await;
        WsClient::signed_in(&app.address, &merve).await;
    }

    async fn a_slow_consumer_is_disconnected_with_a_reason(backend) {
        let mut server = test_server_settings();
        server.subscriptions.outbound_queue = 8;
        let app = with_settings(backend, server).await;
        let merve = app.token(Role::Staff, "merve");
        let mut slow = WsClient::connect_with_small_buffer(&app.address).await;
        assert_eq!(slow.init(Some(&merve)).await, Received::Message(json!({ "type": "connection_ack" })));
        // Large events (the rationale ten times over, some 50 kB each), so that the
        // kernel's socket buffers (megabytes on loopback) fill after a few hundred.
        let fields: String = (0..10).map(|n| format!("r{n}: rationale ")).collect();
        let large = format!("subscription($filter: NominationEventFilter) {{ nominationEvents(filter: $filter) {{ cursor nomination {{ {fields} }} }} }}");
        slow.subscribe_after("e", &large, json!({}), &app.events_cursor(&merve).await).await;
        // The client reads nothing while events pile up.
        let rationale = "An open-source maintainer of speech models. ".repeat(110);
        let writers = (0..8).map(|worker| {
            let app = &app;
            let merve = &merve;
            let rationale = &rationale;
            async move {
                for n in (worker..400).step_by(8) {
                    let mut input = submission(&format!("nominee-{n}"));
                    input["rationale"] = json!(rationale);
                    mutate(app, merve, SUBMIT_NOMINATION, json!({ "input": input })).await;
                }
            }
        });
        join_all(writers).await;
        // A full queue is forgiven for a few seconds (a burst); this client stays idle
        // well past that, and past any time the server might give up waiting to queue
        // its close: the close frame must be there whenever the client reads again.
        tokio::time::sleep(Duration::from_secs(12)).await;
        let (code, reason) = slow.expect_close(Duration::from_secs(30)).await;
        // 1013 (try again later): the graphql-ws client reconnects after it.
        assert_eq!(code, 1013, "{reason}");
        assert!(reason.contains("Slow consumer"), "{reason}");
        // The server is fine, and a fresh subscriber works.
        let mut fresh = WsClient::signed_in(&app.address, &merve).await;
        follow(&app, &mut fresh, &merve, "e", json!({})).await;
        submit(&app, &merve, "after").await;
        assert_eq!(fresh.next_event("e").await["kind"], "SUBMITTED");
    }

    async fn a_long_backlog_reaches_a_client_that_keeps_reading_even_with_a_short_queue(backend) {
        let mut server = test_server_settings();
        server.subscriptions.outbound_queue = 4;
        // Keep-alives fall due while the backlog drains: a ping facing a full queue must
        // not count the client as slow.
        server.subscriptions.keep_alive = Duration::from_secs(1);
        let app = with_settings(backend, server).await;
        let merve = app.token(Role::Staff, "merve");
        let mut first = WsClient::signed_in(&app.address, &merve).await;
        follow(&app, &mut first, &merve, "e", json!({})).await;
        submit(&app, &merve, "first").await;
        let cursor = first.next_event("e").await["cursor"].clone();
        first.close().await;
        // Large events (some 50 kB each), so that the socket's buffers hold only a few.
        let rationale = "An open-source maintainer of speech models. ".repeat(110);
        let writers = (0..8).map(|worker| {
            let app = &app;
            let merve = &merve;
            let rationale = &rationale;
            async move {
                for n in (worker..400).step_by(8) {
                    let mut input = submission(&format!("missed-{n}"));
                    input["rationale"] = json!(rationale);
                    mutate(app, merve, SUBMIT_NOMINATION, json!({ "input": input })).await;
                }
            }
        });
        join_all(writers).await;
        // 400 events replayed at once through a queue of 4: the replay waits for the
        // client instead of calling it slow.
        let mut resumed = WsClient::signed_in(&app.address, &merve).await;
        let fields: String = (0..10).map(|n| format!("r{n}: rationale ")).collect();
        let query = format!("subscription($filter: NominationEventFilter) {{
            nominationEvents(filter: $filter) {{ cursor nomination {{ id {fields} }} }} }}");
        resumed.subscribe("e", &query, json!({ "filter": { "after": cursor } })).await;
        let mut received = vec![first_id(&app).await];
        for _ in 0..400 {
            let payload = resumed.next_payload("e", Duration::from_secs(15)).await;
            received.push(payload["data"]["nominationEvents"]["nomination"]["id"].as_str().unwrap().to_owned());
            // A client that reads steadily, but not at once: two seconds in all.
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        assert_eq!(received, outbox_order(&app).await);
        // Still connected, and pinged (and answering) all along.
        resumed.expect_silence(Duration::from_millis(1500)).await;
        assert!(resumed.pings >= 2, "{} pings", resumed.pings);
    }

    async fn an_expiring_token_ends_the_subscription(backend) {
        let app = TestApp::with_demo(backend).await;
        // Past its `exp` but within the leeway that HTTP allows too (30 seconds): let in,
        // then closed when the leeway runs out, two seconds later.
        let token = short_token(Role::Staff, "merve", 2 - api::auth::keys::LEEWAY_SECONDS as i64);
        let mut client = WsClient::signed_in(&app.address, &token).await;
        client.subscribe("e", NOMINATION_EVENTS, json!({})).await;
        let (code, reason) = client.expect_close(Duration::from_secs(6)).await;
        assert_eq!(code, 4403, "{reason}");
        assert!(reason.contains("expired"), "{reason}");
    }

    async fn a_disabled_account_ends_the_subscription(backend) {
        let app = TestApp::with_demo(backend).await;
        let maria = app.token(Role::Fellow, "mariagrandury");
        let mut client = WsClient::signed_in(&app.address, &maria).await;
        client.subscribe("e", NOMINATION_EVENTS, json!({})).await;
        client.expect_silence(Duration::from_millis(1500)).await;
        app.db.execute_unprepared("UPDATE accounts SET disabled_at = '2024-01-01T00:00:00Z' \
            WHERE person_id = (SELECT id FROM people WHERE handle = 'mariagrandury')").await.unwrap();
        let (code, reason) = client.expect_close(Duration::from_secs(5)).await;
        assert_eq!(code, 4403, "{reason}");
        assert!(reason.contains("disabled"), "{reason}");
    }

    async fn idle_sockets_are_pinged_and_silent_ones_are_closed(backend) {
        let mut server = test_server_settings();
        server.subscriptions.keep_alive = Duration::from_millis(500);
        let app = with_settings(backend, server).await;
        let merve = app.token(Role::Staff, "merve");
        // A client that answers pings (while it reads) stays connected.
        let mut lively = WsClient::signed_in(&app.address, &merve).await;
        lively.expect_silence(Duration::from_secs(3)).await;
        assert!(lively.pings >= 3, "{} pings", lively.pings);
        lively.subscribe("q", "{ viewer { role } }", json!({})).await;
        lively.next_payload("q", Duration::from_secs(5)).await;
        lively.close().await;

        // One that never answers is closed after three intervals.
        let mut silent = WsClient::signed_in(&app.address, &merve).await;
        silent.answer_pings = false;
        let (code, reason) = silent.expect_close(Duration::from_secs(5)).await;
        assert_eq!(code, 1013, "{reason}");
        assert!(silent.pings >= 2, "{} pings", silent.pings);
    }

    async fn a_socket_that_never_initialises_is_closed_4408(backend) {
        let mut server = test_server_settings();
        server.subscriptions.init_timeout = Duration::from_millis(500);
        let app = with_settings(backend, server).await;
        let mut client = WsClient::connect(&app.address).await;
        assert_eq!(client.expect_close(Duration::from_secs(5)).await.0, 4408);
    }

    async fn events_past_the_retention_are_pruned_and_their_cursors_refused(backend) {
        let app = TestApp::with_demo(backend).await;
        let merve = app.token(Role::Staff, "merve");
        let id = submit(&app, &merve, "ada").await;
        let mut client = WsClient::signed_in(&app.address, &merve).await;
        follow(&app, &mut client, &merve, "e", json!({})).await;
        mutate(&app, &app.token(Role::Staff, "espejelomar"), ENDORSE, json!({ "id": id })).await;
        let cursor = client.next_event("e").await["cursor"].clone();
        // Age both events past the retention (7 days).
        app.db.execute_unprepared(&format!("UPDATE nomination_events SET occurred_at = '{}'",
            (chrono::Utc::now() - chrono::Duration::days(8)).to_rfc3339())).await.unwrap();
        // A replica starting up prunes what is past the retention.
        app.replica(test_server_settings()).await;
        let mut pruned = false;
        for _ in 0..50 {
            if outbox_order(&app).await.is_empty() { pruned = true; break; }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(pruned, "old events were not pruned");
        // A cursor from before the retention is refused rather than resumed with a gap.
        client.subscribe("old", NOMINATION_EVENTS, json!({ "filter": { "after": cursor } })).await;
        let Some(Received::Message(message)) = client.receive(Duration::from_secs(5)).await else { panic!() };
        assert_eq!(message["type"], "error", "{message}");
        assert_eq!(message["payload"][0]["extensions"]["code"], "BAD_USER_INPUT");
        assert!(message["payload"][0]["message"].as_str().unwrap().contains("kept for"), "{message}");
    }

    async fn a_dashboard_that_loads_then_subscribes_from_the_cursor_it_read_first_misses_nothing(backend) {
        let app = TestApp::with_demo(backend).await;
        let merve = app.token(Role::Staff, "merve");
        let maria = app.token(Role::Fellow, "mariagrandury");
        const CURSOR: &str = "{ nominationEventsCursor }";
        // Anonymous callers and partners may not follow events, so get no cursor either.
        let anonymous = app.graphql_as(None, CURSOR, json!({})).await;
        assert_eq!(anonymous.body["data"]["nominationEventsCursor"], Value::Null);
        assert_eq!(anonymous.body["errors"][0]["extensions"]["code"], "FORBIDDEN");

        for round in 0..2 {
            // 1. where the events stand (the first time, before there is any);
            let cursor = app.graphql_as(Some(&merve), CURSOR, json!({})).await.expect_ok()
                ["nominationEventsCursor"].as_str().unwrap().to_owned();
            // 2. a change lands between reading it and subscribing;
            let between = submit(&app, &maria, &format!("between-{round}")).await;
            // 3. the subscription from that cursor still brings it, then the live ones.
            let mut client = WsClient::signed_in(&app.address, &merve).await;
            client.subscribe("e", NOMINATION_EVENTS, json!({ "filter": { "after": cursor } })).await;
            assert_eq!(client.next_event("e").await["nomination"]["id"], between.as_str());
            let live = submit(&app, &maria, &format!("live-{round}")).await;
            assert_eq!(client.next_event("e").await["nomination"]["id"], live.as_str());
            client.expect_silence(Duration::from_millis(500)).await;
        }
        // A fellow gets a cursor too, and from it their own nominations' events only.
        let cursor = app.graphql_as(Some(&maria), CURSOR, json!({})).await.expect_ok()
            ["nominationEventsCursor"].as_str().unwrap().to_owned();
        submit(&app, &app.token(Role::Fellow, "mrm8488"), "not-marias").await;
        let hers = submit(&app, &maria, "marias").await;
        let mut client = WsClient::signed_in(&app.address, &maria).await;
        client.subscribe("e", NOMINATION_EVENTS, json!({ "filter": { "after": cursor } })).await;
        assert_eq!(client.next_event("e").await["nomination"]["id"], hers.as_str());
        client.expect_silence(Duration::from_millis(500)).await;
    }

    async fn an_operation_id_is_free_again_as_soon_as_its_complete_arrives(backend) {
        let app = TestApp::with_demo(backend).await;
        let merve = app.token(Role::Staff, "merve");
        let mut client = WsClient::signed_in(&app.address, &merve).await;
        for _ in 0..100 {
            client.subscribe("q", "{ viewer { role } }", json!({})).await;
            assert_eq!(client.next_payload("q", Duration::from_secs(5)).await["data"]["viewer"]["role"], "STAFF");
            assert_eq!(
                client.receive(Duration::from_secs(5)).await,
                Some(Received::Message(json!({ "type": "complete", "id": "q" })))
            );
        }
        // A subscription under an id that is still running is refused, as the protocol says.
        client.subscribe("s", NOMINATION_EVENTS, json!({})).await;
        client.subscribe("s", NOMINATION_EVENTS, json!({})).await;
        assert_eq!(client.expect_close(Duration::from_secs(5)).await.0, 4409);
    }

    async fn an_upgrade_without_the_subprotocol_is_refused(backend) {
        let app = TestApp::empty(backend).await;
        let response = app.client.get(app.url("/graphql"))
            .header("Connection", "Upgrade").header("Upgrade", "websocket")
            .header("Sec-WebSocket-Version", "13").header("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
            .send().await.unwrap();
        assert_eq!(response.status().as_u16(), 400);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
    }
}

/// Submits, retrying while the database is coming back.
async fn submit_when_back(app: &TestApp, token: &str, handle: &str) -> String {
    for _ in 0..50 {
        let response = app
            .graphql_as(
                Some(token),
                SUBMIT_NOMINATION,
                json!({ "input": submission(handle) }),
            )
            .await;
        if let Some(submitted) = Submitted::from_body(&response.body) {
            return submitted.id;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("the service did not come back");
}

/// PostgreSQL only: a replica hears of another's changes only through NOTIFY (the feed
/// never polls in tests). Its notification connection is lost, first in an outage that
/// refuses connections for a while, then alone; each time it listens again by itself,
/// and no event committed around the loss goes missing.
mod lost_notifications {
    use super::*;

    fellowship_tests::on_postgres! {
        async fn a_replica_listens_again_after_losing_its_notification_connection(backend) {
            let app = TestApp::with_demo(backend).await;
            let replica = app.replica(test_server_settings()).await;
            let merve = app.token(Role::Staff, "merve");
            let name = app.database.postgres_name().unwrap().to_owned();
            let mut client = WsClient::signed_in(&replica, &merve).await;
            follow(&app, &mut client, &merve, "e", json!({})).await;
            let before = submit(&app, &merve, "before").await;
            assert_eq!(
                client.next_event("e").await["nomination"]["id"],
                before.as_str()
            );

            let admin = sea_orm::Database::connect(fellowship_tests::admin_postgres_url())
                .await
                .unwrap();
            let terminate = |which: &str| {
                format!(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                     WHERE datname = '{name}' AND pid <> pg_backend_pid() {which}"
                )
            };
            // An outage: every connection is dropped and new ones are refused for a while.
            admin
                .execute_unprepared(&format!(
                    "ALTER DATABASE \"{name}\" ALLOW_CONNECTIONS false"
                ))
                .await
                .unwrap();
            admin.execute_unprepared(&terminate("")).await.unwrap();
            tokio::time::sleep(Duration::from_millis(1500)).await;
            admin
                .execute_unprepared(&format!("ALTER DATABASE \"{name}\" ALLOW_CONNECTIONS true"))
                .await
                .unwrap();
            let after_outage = submit_when_back(&app, &merve, "after-outage").await;
            assert_eq!(
                client.next_event("e").await["nomination"]["id"],
                after_outage.as_str()
            );

            // Only the listening connections are dropped, with changes committing meanwhile.
            admin
                .execute_unprepared(&terminate("AND query ILIKE 'LISTEN%'"))
                .await
                .unwrap();
            let mut around = Vec::new();
            for n in 0..3 {
                around.push(submit_when_back(&app, &merve, &format!("around-{n}")).await);
            }
            for id in &around {
                assert_eq!(
                    client.next_event("e").await["nomination"]["id"],
                    id.as_str()
                );
            }
            client.expect_silence(Duration::from_millis(500)).await;
        }
    }
}

//! Cursors are signed with the server's key (HMAC-SHA256 under `CURSOR_SECRET`): list
//! cursors and the nomination events' position cursors alike are refused with
//! `BAD_USER_INPUT` when forged, built by hand or signed with another key, and keep
//! working through a rotation (`CURSOR_SECRET_PREVIOUS`).

use std::time::Duration;

use api::auth::Role;
use api::config::ServerSettings;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use fellowship_tests::ws::{Received, WsClient, NOMINATION_EVENTS};
use fellowship_tests::{on_both_databases, test_server_settings, TestApp, TestDatabase};
use serde_json::json;
use sha2::{Digest, Sha256};

const SECRET_A: &str = "cursor-secret-a-for-tests-0123456789abcdef";
const SECRET_B: &str = "cursor-secret-b-for-tests-0123456789abcdef";

const AREAS: &str = r#"query($after: String) {
  strategicAreas(first: 1, after: $after) { edges { node { slug } } pageInfo { endCursor } } }"#;
const POSITION: &str = "{ nominationEventsCursor }";

fn signed_with(secret: Option<&str>, previous: Option<&str>) -> ServerSettings {
    let mut server = test_server_settings();
    server.cursors.secret = secret.map(Into::into);
    server.cursors.previous_secret = previous.map(Into::into);
    server
}

async fn spawn(backend: fellowship_tests::Backend, server: ServerSettings) -> TestApp {
    TestApp::builder(TestDatabase::create(backend).await)
        .demo()
        .server(server)
        .spawn()
        .await
}

/// POSTs `query` to the server at `address` (this app or one of its replicas).
/// The cursor of the first strategic area, as the server at `address` issues it.
async fn list_cursor(app: &TestApp, address: &str) -> String {
    let body = app.graphql_at(address, None, AREAS, json!({})).await.body;
    body["data"]["strategicAreas"]["pageInfo"]["endCursor"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Whether the server at `address` pages on from `cursor`.
async fn pages_from(app: &TestApp, address: &str, cursor: &str) -> bool {
    let body = app
        .graphql_at(address, None, AREAS, json!({ "after": cursor }))
        .await
        .body;
    match fellowship_tests::error_codes(&body).as_slice() {
        [] => true,
        [code] if code == "BAD_USER_INPUT" => false,
        other => panic!("unexpected errors {other:?}: {body}"),
    }
}

async fn position(app: &TestApp, address: &str, token: &str) -> String {
    let body = app
        .graphql_at(address, Some(token), POSITION, json!({}))
        .await
        .body;
    body["data"]["nominationEventsCursor"]
        .as_str()
        .unwrap_or_else(|| panic!("{body}"))
        .to_owned()
}

/// Whether the server at `address` resumes the events after `cursor`: the first message
/// of the subscription is then the event of a nomination submitted after it, and an
/// error otherwise. Returns that event's own cursor when resumed.
async fn resumes_from(address: &str, token: &str, cursor: &str) -> Option<String> {
    let mut client = WsClient::signed_in(address, token).await;
    client
        .subscribe(
            "e",
            NOMINATION_EVENTS,
            json!({ "filter": { "after": cursor } }),
        )
        .await;
    let Some(Received::Message(message)) = client.receive(Duration::from_secs(10)).await else {
        panic!("no answer to a subscription from a cursor")
    };
    match message["type"].as_str() {
        Some("next") => Some(
            message["payload"]["data"]["nominationEvents"]["cursor"]
                .as_str()
                .unwrap()
                .to_owned(),
        ),
        Some("error") => {
            assert_eq!(
                message["payload"][0]["extensions"]["code"], "BAD_USER_INPUT",
                "{message}"
            );
            None
        }
        _ => panic!("unexpected {message}"),
    }
}

/// A cursor laid out as they were before they were signed: 12 hex digits of a public
/// SHA-256 checksum, then the payload. Anyone could compute one.
fn unsigned_cursor(payload: &str) -> String {
    let digest = Sha256::digest(format!("fellowship-cursor-v1|{payload}").as_bytes());
    let sum: String = digest.iter().take(6).map(|b| format!("{b:02x}")).collect();
    URL_SAFE_NO_PAD.encode(format!("{sum}{payload}"))
}

on_both_databases! {
    async fn a_cursor_built_by_hand_the_old_unsigned_way_is_refused(backend) {
        let app = TestApp::with_demo(backend).await;
        let staff = app.token(Role::Staff, "merve");
        // A list cursor: after the area named "A", which the server never issued.
        let forged = unsigned_cursor(r#"["strategicAreas/name",{"Text":"A"},1]"#);
        let response = app.graphql(AREAS, json!({ "after": forged })).await;
        assert_eq!(response.error_codes(), ["BAD_USER_INPUT"]);
        assert!(response.data()["strategicAreas"].is_null());

        // An event position: from the first event on, now.
        let now = chrono::Utc::now().timestamp();
        let forged = unsigned_cursor(&format!(r#"["nominationEventPosition/occurredAt",{{"Int":{now}}},0]"#));
        app.submit_nomination(&staff, "ada").await;
        assert_eq!(resumes_from(&app.address, &staff, &forged).await, None);
        // The server's own cursors still work.
        let issued = list_cursor(&app, &app.address).await;
        assert!(pages_from(&app, &app.address, &issued).await);
    }

    async fn a_cursor_signed_by_a_server_with_another_secret_is_refused(backend) {
        let app = spawn(backend, signed_with(Some(SECRET_A), None)).await;
        let other = app.replica(signed_with(Some(SECRET_B), None)).await;
        let staff = app.token(Role::Staff, "merve");

        let cursor = list_cursor(&app, &app.address).await;
        assert!(pages_from(&app, &app.address, &cursor).await);
        assert!(!pages_from(&app, &other, &cursor).await);

        let from = position(&app, &app.address, &staff).await;
        app.submit_nomination(&staff, "ada").await;
        assert!(resumes_from(&app.address, &staff, &from).await.is_some());
        assert_eq!(resumes_from(&other, &staff, &from).await, None);
    }

    async fn a_rotation_keeps_cursors_issued_under_the_previous_secret_working(backend) {
        let app = spawn(backend, signed_with(Some(SECRET_A), None)).await;
        let rotated = app.replica(signed_with(Some(SECRET_B), Some(SECRET_A))).await;
        let done = app.replica(signed_with(Some(SECRET_B), None)).await;
        let staff = app.token(Role::Staff, "merve");

        let before = list_cursor(&app, &app.address).await;
        assert!(pages_from(&app, &rotated, &before).await);
        // The new secret signs from the switch on; the old one only verifies.
        let after = list_cursor(&app, &rotated).await;
        assert_ne!(after, before);
        assert!(pages_from(&app, &done, &after).await);
        assert!(!pages_from(&app, &app.address, &after).await);
        // Once the previous secret is dropped, its cursors are refused.
        assert!(!pages_from(&app, &done, &before).await);

        let from = position(&app, &app.address, &staff).await;
        app.submit_nomination(&staff, "ada").await;
        let event_cursor = resumes_from(&rotated, &staff, &from).await
            .expect("the rotated server resumes from a position the old secret signed");
        assert_eq!(resumes_from(&done, &staff, &from).await, None);
        // An event's own cursor, signed by the rotated server, is the new secret's.
        app.submit_nomination(&staff, "grace").await;
        assert!(resumes_from(&done, &staff, &event_cursor).await.is_some());
    }

    async fn without_a_cursor_secret_replicas_sharing_the_token_secret_agree(backend) {
        let app = spawn(backend, signed_with(None, None)).await;
        let replica = app.replica(signed_with(None, None)).await;
        let configured = app.replica(signed_with(Some(SECRET_A), None)).await;
        let cursor = list_cursor(&app, &app.address).await;
        assert!(pages_from(&app, &replica, &cursor).await);
        assert!(!pages_from(&app, &configured, &cursor).await);
    }
}

//! Signed webhooks, as a partner's receiver sees them: a receiver of the test's own on a
//! loopback port checks every signature with the Standard Webhooks reference library,
//! fails on command and recovers, and counts what arrived; the server runs with short
//! retry waits and senders that look for work every 100 ms.

use std::collections::HashSet;
use std::time::Duration;

use api::auth::Role;
use fellowship_tests::webhooks::{Delivery, TestReceiver};
use fellowship_tests::{
    mutate, on_both_databases, user_error_code, webhook_test_settings, Backend, TestApp,
    TestDatabase,
};
use serde_json::{json, Value};

const CREATE: &str =
    "mutation($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) { \
    webhookEndpoint { id url events enabled } secret userErrors { field message code } } }";
const UPDATE: &str = "mutation($input: UpdateWebhookEndpointInput!) { updateWebhookEndpoint(input: $input) { \
    webhookEndpoint { id enabled disabledReason failingSince } userErrors { field message code } } }";
const ROTATE: &str =
    "mutation($input: WebhookEndpointInput!) { rotateWebhookSecret(input: $input) { \
    webhookEndpoint { id previousSecretExpiresAt } secret userErrors { field message code } } }";
const DELETE: &str =
    "mutation($input: WebhookEndpointInput!) { deleteWebhookEndpoint(input: $input) { \
    deletedEndpointId userErrors { field message code } } }";
const REDELIVER: &str =
    "mutation($input: RedeliverWebhookInput!) { redeliverWebhook(input: $input) { \
    delivery { id webhookId status } userErrors { field message code } } }";
const DELIVERIES: &str = "query($id: ID!) { node(id: $id) { ... on WebhookEndpoint { enabled disabledReason \
    deliveries(first: 50) { totalCount edges { node { id event webhookId status attempt responseCode durationMs error nextAttemptAt } } } } } }";
const START_REVIEW: &str =
    "mutation($input: StartNominationReviewInput!) { startNominationReview(input: $input) { \
    nomination { id version } userErrors { code message } } }";
const DECIDE: &str =
    "mutation($input: DecideNominationInput!) { decideNomination(input: $input) { \
    nomination { id version status } userErrors { code message } } }";

const WAIT: Duration = Duration::from_secs(20);

async fn app_with(backend: Backend) -> TestApp {
    TestApp::builder(TestDatabase::create(backend).await)
        .demo()
        .server(webhook_test_settings())
        .spawn()
        .await
}

/// Creates an endpoint as `token` for `events`; returns its ID and secret.
async fn endpoint(app: &TestApp, token: &str, url: &str, events: &[&str]) -> (String, String) {
    let payload = mutate(app, token, CREATE, json!({ "url": url, "events": events })).await;
    assert_eq!(payload["userErrors"], json!([]), "{payload}");
    (
        payload["webhookEndpoint"]["id"]
            .as_str()
            .unwrap()
            .to_owned(),
        payload["secret"].as_str().unwrap().to_owned(),
    )
}

async fn deliveries(app: &TestApp, token: &str, endpoint: &str) -> Value {
    app.graphql_as(Some(token), DELIVERIES, json!({ "id": endpoint }))
        .await
        .expect_ok()["node"]
        .clone()
}

/// Reviews and decides a nomination as `espejelomar` (merve submitted it).
async fn decide(app: &TestApp, nomination: &str, decision: &str) {
    let reviewer = app.token(Role::Staff, "espejelomar");
    let started = mutate(
        app,
        &reviewer,
        START_REVIEW,
        json!({ "nominationId": nomination, "expectedVersion": 1 }),
    )
    .await;
    assert_eq!(started["userErrors"], json!([]), "{started}");
    let version = started["nomination"]["version"].as_i64().unwrap();
    let decided = mutate(
        app,
        &reviewer,
        DECIDE,
        json!({ "nominationId": nomination, "decision": decision, "note": "Reviewed.", "expectedVersion": version }),
    )
    .await;
    assert_eq!(decided["userErrors"], json!([]), "{decided}");
}

fn types(deliveries: &[Delivery]) -> Vec<String> {
    deliveries.iter().map(Delivery::event_type).collect()
}

/// A partner token of `scopes`, minted by staff.
async fn partner(app: &TestApp, scopes: &[&str]) -> String {
    let staff = app.token(Role::Staff, "merve");
    let created = mutate(
        app,
        &staff,
        "mutation($input: CreateApiTokenInput!) { createApiToken(input: $input) { token userErrors { code message } } }",
        json!({ "name": format!("partner {}", scopes.join(" ")), "scopes": scopes }),
    )
    .await;
    created["token"]
        .as_str()
        .expect("a partner token")
        .to_owned()
}

on_both_databases! {
    async fn deliveries_are_signed_in_commit_order_and_carry_no_private_field(backend) {
        let app = app_with(backend).await;
        let staff = app.token(Role::Staff, "merve");
        let receiver = TestReceiver::start().await;
        let (id, secret) = endpoint(&app, &staff, &receiver.url, &[
            "nomination.submitted", "nomination.review_started", "nomination.accepted", "fellow.admitted",
        ]).await;
        assert!(secret.starts_with("whsec_"), "{secret}");

        let nomination = app.submit_nomination(&staff, "ada-webhooks").await;
        decide(&app, &nomination.id, "ACCEPT").await;
        let got = receiver.wait_for_accepted(4, WAIT).await;
        assert_eq!(types(&got), ["nomination.submitted", "nomination.review_started", "nomination.accepted", "fellow.admitted"]);
        for delivery in &got {
            delivery.verify(&secret).unwrap_or_else(|err| panic!("{err}: {delivery:?}"));
            assert!(delivery.verify("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").is_err(), "another secret must not verify");
            assert!(!delivery.body.contains("ada-webhooks@example.org"), "the nominee's e-mail leaked: {}", delivery.body);
            assert_eq!(delivery.header("content-type"), Some("application/json"));
            let body = delivery.json();
            assert!(body["timestamp"].is_string(), "{body}");
        }
        let accepted = got[2].json();
        assert_eq!(accepted["data"]["nomination"]["id"], json!(nomination.id));
        assert_eq!(accepted["data"]["nomination"]["status"], "ACCEPTED");
        assert_eq!(got[3].json()["data"]["fellow"]["handle"], "ada-webhooks");
        let ids: HashSet<&str> = got.iter().map(Delivery::id).collect();
        assert_eq!(ids.len(), 4, "one webhook-id per event");

        // The endpoint's record of it: every delivery succeeded at its first attempt.
        let record = deliveries(&app, &staff, &id).await;
        assert_eq!(record["deliveries"]["totalCount"], 4);
        for edge in record["deliveries"]["edges"].as_array().unwrap() {
            let node = &edge["node"];
            assert_eq!(node["status"], "SUCCEEDED", "{node}");
            assert_eq!(node["attempt"], 1);
            assert_eq!(node["responseCode"], 200);
            assert!(node["durationMs"].is_i64());
        }
        // The audit log keeps no secret.
        let audit = app.graphql_as(Some(&staff), "{ auditEvents(first: 100) { edges { node { action after } } } }", json!({})).await.expect_ok();
        assert!(!audit.to_string().contains(&secret[6..]), "the secret is in the audit log");
    }

    async fn a_failing_receiver_is_retried_with_the_same_id_and_later_events_wait_their_turn(backend) {
        let app = app_with(backend).await;
        let staff = app.token(Role::Staff, "merve");
        let receiver = TestReceiver::start().await;
        let (id, secret) = endpoint(&app, &staff, &receiver.url, &["nomination.submitted"]).await;
        receiver.answer_next(&[500, 503]);
        app.submit_nomination(&staff, "first-in-line").await;
        app.submit_nomination(&staff, "second-in-line").await;
        let got = receiver.wait_for_accepted(2, WAIT).await;
        let all = receiver.received();
        assert_eq!(all.len(), 4, "two failures, then each event once: {:?}", all.iter().map(|d| d.answered).collect::<Vec<_>>());
        assert_eq!(all[0].id(), all[1].id());
        assert_eq!(all[1].id(), all[2].id(), "a retry keeps its webhook-id");
        assert_eq!(got[0].json()["data"]["nomination"]["nomineeHandle"], "first-in-line");
        assert_eq!(got[1].json()["data"]["nomination"]["nomineeHandle"], "second-in-line");
        for delivery in &all {
            delivery.verify(&secret).unwrap();
        }
        let record = deliveries(&app, &staff, &id).await;
        let first = &record["deliveries"]["edges"][1]["node"];
        assert_eq!(first["attempt"], 3, "{record}");
        assert_eq!(first["status"], "SUCCEEDED");
    }

    async fn a_receiver_that_never_recovers_fails_is_disabled_and_can_be_redelivered(backend) {
        let mut settings = webhook_test_settings();
        settings.webhooks.retry_schedule = api::config::RetrySchedule(vec![Duration::from_millis(100); 3]);
        settings.webhooks.disable_after = Duration::from_millis(1500);
        let app = TestApp::builder(TestDatabase::create(backend).await).demo().server(settings).spawn().await;
        let staff = app.token(Role::Staff, "merve");
        let receiver = TestReceiver::start().await;
        let (id, secret) = endpoint(&app, &staff, &receiver.url, &["nomination.submitted"]).await;
        // Four attempts of the first delivery fail, and the first two of the second.
        receiver.answer_next(&[500; 6]);
        app.submit_nomination(&staff, "never-heard").await;
        let mut record = Value::Null;
        for _ in 0..100 {
            record = deliveries(&app, &staff, &id).await;
            if record["deliveries"]["edges"][0]["node"]["status"] == "FAILED" {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let failed = record["deliveries"]["edges"][0]["node"].clone();
        assert_eq!(failed["status"], "FAILED", "{record}");
        assert_eq!(failed["attempt"], 4, "the first attempt and three retries");
        assert_eq!(failed["responseCode"], 500);
        assert_eq!(record["enabled"], true, "failing for less than WEBHOOK_DISABLE_AFTER");

        // Still failing, at an attempt and its retry, once WEBHOOK_DISABLE_AFTER has
        // passed: disabled, and says why.
        tokio::time::sleep(Duration::from_millis(1600)).await;
        app.submit_nomination(&staff, "waits-for-recovery").await;
        for _ in 0..100 {
            record = deliveries(&app, &staff, &id).await;
            if record["enabled"] == false {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(record["enabled"], false, "{record}");
        assert!(record["disabledReason"].as_str().unwrap().contains("500"), "{record}");
        assert_eq!(receiver.received().len(), 6);

        // Nothing goes to a disabled endpoint.
        app.submit_nomination(&staff, "while-disabled").await;
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert_eq!(receiver.received().len(), 6);

        // Enabled again, it resumes where it stopped; a redelivery keeps the webhook-id.
        let enabled = mutate(&app, &staff, UPDATE, json!({ "endpointId": id, "enabled": true })).await;
        assert_eq!(enabled["webhookEndpoint"]["enabled"], true, "{enabled}");
        assert_eq!(enabled["webhookEndpoint"]["failingSince"], Value::Null);
        let got = receiver.wait_for_accepted(2, WAIT).await;
        let handle = |d: &Delivery| d.json()["data"]["nomination"]["nomineeHandle"].as_str().unwrap().to_owned();
        assert_eq!(handle(&got[0]), "waits-for-recovery");
        assert_eq!(handle(&got[1]), "while-disabled");
        let redelivered = mutate(&app, &staff, REDELIVER, json!({ "deliveryId": failed["id"] })).await;
        assert_eq!(redelivered["delivery"]["status"], "PENDING", "{redelivered}");
        assert_eq!(redelivered["delivery"]["webhookId"], failed["webhookId"]);
        let got = receiver.wait_for_accepted(3, WAIT).await;
        assert_eq!(got[2].id(), failed["webhookId"].as_str().unwrap());
        assert_eq!(handle(&got[2]), "never-heard");
        got[2].verify(&secret).unwrap();
    }

    async fn partners_manage_their_own_endpoints_and_receive_what_their_scopes_read(backend) {
        let app = app_with(backend).await;
        let staff = app.token(Role::Staff, "merve");
        let public_partner = partner(&app, &["webhooks:manage"]).await;
        let reader = partner(&app, &["webhooks:manage", "nominations:read"]).await;
        let no_scope = partner(&app, &["benefits:read"]).await;
        let fellow = app.account_token(Role::Fellow, "mrm8488").await;
        let receiver = TestReceiver::start().await;

        // Who may manage webhooks at all.
        for token in [&no_scope, &fellow] {
            let refused = app.graphql_as(Some(token), CREATE, json!({ "input": { "url": receiver.url, "events": ["membership.recorded"] } })).await;
            assert_eq!(refused.error_codes(), ["FORBIDDEN"], "{:?}", refused.body);
        }
        let anonymous = app.graphql("{ webhookEndpoints { totalCount } }", json!({})).await;
        assert_eq!(anonymous.error_codes(), ["FORBIDDEN"]);

        // What a partner may subscribe to.
        let refused = mutate(&app, &public_partner, CREATE, json!({ "url": receiver.url, "events": ["nomination.submitted"] })).await;
        assert_eq!(user_error_code(&refused), "FORBIDDEN", "{refused}");
        assert_eq!(refused["userErrors"][0]["field"], json!(["input", "events"]));
        let unknown = mutate(&app, &staff, CREATE, json!({ "url": receiver.url, "events": ["nomination.created"] })).await;
        assert_eq!(user_error_code(&unknown), "BAD_USER_INPUT", "{unknown}");

        let public_receiver = TestReceiver::start().await;
        let (public_id, _) = endpoint(&app, &public_partner, &public_receiver.url, &["fellow.admitted"]).await;
        let (reader_id, reader_secret) = endpoint(&app, &reader, &receiver.url, &["nomination.submitted"]).await;
        let (staff_id, _) = endpoint(&app, &staff, &TestReceiver::start().await.url, &["membership.recorded"]).await;

        // Each partner sees its own endpoints only; staff see all.
        let listed = |token: String| {
            let app = &app;
            async move {
                app.graphql_as(Some(&token), "{ webhookEndpoints { edges { node { id } } } }", json!({})).await.expect_ok()["webhookEndpoints"]["edges"]
                    .as_array().unwrap().iter().map(|e| e["node"]["id"].as_str().unwrap().to_owned()).collect::<Vec<_>>()
            }
        };
        assert_eq!(listed(public_partner.clone()).await, vec![public_id.clone()]);
        assert_eq!(listed(reader.clone()).await, vec![reader_id.clone()]);
        assert_eq!(listed(staff.clone()).await.len(), 3);
        // Someone else's endpoint is as unknown as one that does not exist.
        let others = app.graphql_as(Some(&public_partner), "query($id: ID!) { node(id: $id) { id } }", json!({ "id": staff_id })).await;
        assert_eq!(others.error_codes(), ["NOT_FOUND"], "{:?}", others.body);
        let delete_other = mutate(&app, &public_partner, DELETE, json!({ "endpointId": reader_id })).await;
        assert_eq!(user_error_code(&delete_other), "NOT_FOUND", "{delete_other}");

        let nomination = app.submit_nomination(&staff, "scoped-nominee").await;
        decide(&app, &nomination.id, "ACCEPT").await;
        let got = receiver.wait_for_accepted(1, WAIT).await;
        assert_eq!(types(&got), ["nomination.submitted"]);
        got[0].verify(&reader_secret).unwrap();
        assert!(!got[0].body.contains("@example.org"));
        let public = public_receiver.wait_for_accepted(1, WAIT).await;
        assert_eq!(types(&public), ["fellow.admitted"]);

        // A revoked token's endpoints stop, and say why.
        let tokens = app.graphql_as(Some(&staff), "{ apiTokens { edges { node { id name } } } }", json!({})).await.expect_ok();
        let reader_token_id = tokens["apiTokens"]["edges"].as_array().unwrap().iter()
            .find(|e| e["node"]["name"] == "partner webhooks:manage nominations:read").unwrap()["node"]["id"].clone();
        mutate(&app, &staff, "mutation($input: RevokeApiTokenInput!) { revokeApiToken(input: $input) { userErrors { code } } }", json!({ "apiTokenId": reader_token_id })).await;
        app.submit_nomination(&staff, "after-revocation").await;
        let mut record = Value::Null;
        for _ in 0..100 {
            record = deliveries(&app, &staff, &reader_id).await;
            if record["enabled"] == false { break; }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(record["enabled"], false, "{record}");
        assert!(record["disabledReason"].as_str().unwrap().contains("revoked"));
        assert_eq!(receiver.accepted().len(), 1, "nothing after the revocation");
    }

    async fn private_loopback_and_link_local_destinations_are_refused(backend) {
        let mut settings = webhook_test_settings();
        settings.webhooks.allow_private_targets = false;
        let app = TestApp::builder(TestDatabase::create(backend).await).demo().server(settings).spawn().await;
        let staff = app.token(Role::Staff, "merve");
        for url in [
            "http://127.0.0.1:9/hooks",
            "https://127.0.0.1/hooks",
            "https://[::1]/hooks",
            "https://10.0.0.7/hooks",
            "https://192.168.1.20/hooks",
            "https://169.254.169.254/latest/meta-data/",
            "https://localhost/hooks",
            "https://0x7f000001/hooks",
            "ftp://hooks.example.com/",
        ] {
            let refused = mutate(&app, &staff, CREATE, json!({ "url": url, "events": ["membership.recorded"] })).await;
            assert_eq!(user_error_code(&refused), "BAD_USER_INPUT", "{url}: {refused}");
            assert_eq!(refused["userErrors"][0]["field"], json!(["input", "url"]), "{url}");
        }
        let accepted = mutate(&app, &staff, CREATE, json!({ "url": "https://hooks.example.com/in", "events": ["membership.recorded"] })).await;
        assert_eq!(accepted["userErrors"], json!([]), "{accepted}");
        // Nor can an existing endpoint be pointed inside.
        let id = accepted["webhookEndpoint"]["id"].clone();
        let moved = mutate(&app, &staff, UPDATE, json!({ "endpointId": id, "url": "https://169.254.169.254/" })).await;
        assert_eq!(user_error_code(&moved), "BAD_USER_INPUT", "{moved}");
    }

    async fn a_rotated_secret_signs_beside_the_new_one(backend) {
        let app = app_with(backend).await;
        let staff = app.token(Role::Staff, "merve");
        let receiver = TestReceiver::start().await;
        let (id, old) = endpoint(&app, &staff, &receiver.url, &["nomination.submitted"]).await;
        let rotated = mutate(&app, &staff, ROTATE, json!({ "endpointId": id })).await;
        let new = rotated["secret"].as_str().unwrap().to_owned();
        assert_ne!(new, old);
        assert!(rotated["webhookEndpoint"]["previousSecretExpiresAt"].is_string(), "{rotated}");
        app.submit_nomination(&staff, "rotation").await;
        let got = receiver.wait_for_accepted(1, WAIT).await;
        got[0].verify(&new).unwrap();
        got[0].verify(&old).unwrap();
        assert_eq!(got[0].header("webhook-signature").unwrap().split(' ').count(), 2);
    }

    async fn membership_and_board_events_reach_their_subscribers(backend) {
        let app = app_with(backend).await;
        let staff = app.token(Role::Staff, "merve");
        let receiver = TestReceiver::start().await;
        endpoint(&app, &staff, &receiver.url, &["membership.recorded", "membership.ended", "board_seat.appointed"]).await;
        let orgs = app.query("{ organizations(first: 100) { edges { node { id slug kind } } } }", json!({})).await;
        let find = |slug: &str| orgs["organizations"]["edges"].as_array().unwrap().iter()
            .find(|e| e["node"]["slug"] == slug).unwrap_or_else(|| panic!("{slug} in {orgs}"))["node"]["id"].clone();
        let created = mutate(&app, &staff, "mutation($input: CreateOrganizationInput!) { createOrganization(input: $input) { organization { id } userErrors { message } } }",
            json!({ "slug": "acme-ml", "name": "Acme ML", "kind": "COMPANY" })).await;
        let member = created["organization"]["id"].clone();
        let recorded = mutate(&app, &staff, "mutation($input: RecordFoundationMembershipInput!) { recordFoundationMembership(input: $input) { membership { id version } userErrors { message } } }",
            json!({ "memberId": member, "foundationId": find("pytorch-foundation"), "tier": "PREMIER" })).await;
        assert_eq!(recorded["userErrors"], json!([]), "{recorded}");
        let membership = recorded["membership"]["id"].clone();
        let appointed = mutate(&app, &staff, "mutation($input: AppointBoardRepresentativeInput!) { appointBoardRepresentative(input: $input) { boardSeat { id } userErrors { message } } }",
            json!({ "membershipId": membership, "board": "Governing Board", "representativeName": "Rita Repr" })).await;
        assert_eq!(appointed["userErrors"], json!([]), "{appointed}");
        let version = app.graphql_as(Some(&staff), "query($id: ID!) { node(id: $id) { ... on FoundationMembership { version } } }", json!({ "id": membership })).await.expect_ok()["node"]["version"].clone();
        let ended = mutate(&app, &staff, "mutation($input: EndFoundationMembershipInput!) { endFoundationMembership(input: $input) { membership { id } userErrors { message } } }",
            json!({ "membershipId": membership, "endedOn": chrono::Utc::now().date_naive().to_string(), "expectedVersion": version })).await;
        assert_eq!(ended["userErrors"], json!([]), "{ended}");
        let got = receiver.wait_for_accepted(3, WAIT).await;
        assert_eq!(types(&got), ["membership.recorded", "board_seat.appointed", "membership.ended"]);
        let recorded = got[0].json();
        assert_eq!(recorded["data"]["membership"]["member"]["slug"], "acme-ml");
        assert_eq!(recorded["data"]["membership"]["tier"], "PREMIER");
        assert_eq!(got[1].json()["data"]["boardSeat"]["representative"]["name"], "Rita Repr");
        assert!(got[2].json()["data"]["membership"]["endedOn"].is_string());
    }

    async fn two_replicas_deliver_each_event_once_and_in_order(backend) {
        let app = app_with(backend).await;
        let replica = app.replica(webhook_test_settings()).await;
        let staff = app.token(Role::Staff, "merve");
        let receiver = TestReceiver::start().await;
        endpoint(&app, &staff, &receiver.url, &["nomination.submitted"]).await;
        const TOTAL: usize = 30;
        let client = reqwest::Client::new();
        for n in 0..TOTAL {
            // Written through both replicas, alternately.
            let address = if n % 2 == 0 { app.address.clone() } else { replica.clone() };
            fellowship_tests::nominations::submit_to(&client, &address, &staff, &format!("replicated-{n}")).await;
        }
        let got = receiver.wait_for_accepted(TOTAL, WAIT).await;
        tokio::time::sleep(Duration::from_millis(500)).await;
        let all = receiver.received();
        assert_eq!(all.len(), TOTAL, "each event exactly once: {:?}", all.iter().map(|d| (d.id().to_owned(), d.json()["data"]["nomination"]["nomineeHandle"].clone())).collect::<Vec<_>>());
        let handles: Vec<String> = got.iter().map(|d| d.json()["data"]["nomination"]["nomineeHandle"].as_str().unwrap().to_owned()).collect();
        let expected: Vec<String> = (0..TOTAL).map(|n| format!("replicated-{n}")).collect();
        assert_eq!(handles, expected, "in commit order");
    }
}

//! Safe retries with `Idempotency-Key`: once per caller and key, the first result back.

use api::auth::Role;
use entity::{api_token, audit_event, nomination};
use fellowship_tests::nominations::{submission, variables, SUBMIT_NOMINATION};
use fellowship_tests::{on_both_databases, TestApp};
use futures::future::join_all;
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::{json, Value};

const CREATE_TOKEN: &str = r#"mutation($name: String!) { createApiToken(input: { name: $name, scopes: ["benefits:read"] }) {
    token apiToken { id } userErrors { code } } }"#;

async fn counts(app: &TestApp) -> (u64, u64, u64) {
    (
        nomination::Entity::find().count(&app.db).await.unwrap(),
        api_token::Entity::find().count(&app.db).await.unwrap(),
        audit_event::Entity::find().count(&app.db).await.unwrap(),
    )
}

on_both_databases! {
    async fn a_retried_submission_returns_the_first_result_without_writing_again(backend) {
        let app = TestApp::with_demo(backend).await;
        let maria = app.token(Role::Fellow, "mariagrandury");
        let key = [("Idempotency-Key", "2b1d6f0e-submit-ada")];
        let first = app.graphql_with(Some(&maria), &key, SUBMIT_NOMINATION, variables(submission("ada"))).await.expect_ok();
        let after_first = counts(&app).await;
        let retry = app.graphql_with(Some(&maria), &key, SUBMIT_NOMINATION, variables(submission("ada"))).await.expect_ok();
        assert_eq!(retry["submitNomination"]["nomination"]["id"], first["submitNomination"]["nomination"]["id"]);
        assert_eq!(retry["submitNomination"]["userErrors"], json!([]));
        assert_eq!(counts(&app).await, after_first, "the retry wrote again");
        let records = entity::idempotency_record::Entity::find().all(&app.db).await.unwrap();
        assert_eq!(records.len(), 1);
        assert!(records[0].expires_at - records[0].created_at >= chrono::Duration::hours(24), "kept at least a day");

        // The same key with other input is refused, and writes nothing.
        let other = app.graphql_with(Some(&maria), &key, SUBMIT_NOMINATION, variables(submission("grace"))).await.expect_ok();
        assert_eq!(other["submitNomination"]["userErrors"][0]["code"], "CONFLICT");
        assert_eq!(counts(&app).await, after_first);

        // Keys belong to their caller: another caller's identical key is a new request.
        let manuel = app.token(Role::Fellow, "mrm8488");
        let theirs = app.graphql_with(Some(&manuel), &key, SUBMIT_NOMINATION, variables(submission("grace"))).await.expect_ok();
        assert_eq!(theirs["submitNomination"]["userErrors"], json!([]));
    }

    async fn racing_retries_with_one_key_write_once_and_all_get_the_same_answer(backend) {
        let app = TestApp::with_demo(backend).await;
        let staff = app.token(Role::Staff, "merve");
        let key = [("Idempotency-Key", "race-key-1")];
        let attempts = (0..10).map(|_| app.graphql_with(Some(&staff), &key, SUBMIT_NOMINATION, variables(submission("ada"))));
        let results = join_all(attempts).await;
        let ids: Vec<Value> = results.into_iter()
            .map(|r| r.expect_ok()["submitNomination"]["nomination"]["id"].clone())
            .collect();
        assert!(ids.iter().all(|id| id == &ids[0] && id.is_string()), "{ids:?}");
        assert_eq!(nomination::Entity::find().count(&app.db).await.unwrap(), 1);
    }

    async fn a_retried_token_creation_shows_the_same_secret_and_stores_one_token(backend) {
        let app = TestApp::with_demo(backend).await;
        let staff = app.token(Role::Staff, "merve");
        let key = [("Idempotency-Key", "token-for-partner-a")];
        let first = app.graphql_with(Some(&staff), &key, CREATE_TOKEN, json!({ "name": "Partner A" })).await.expect_ok();
        let retry = app.graphql_with(Some(&staff), &key, CREATE_TOKEN, json!({ "name": "Partner A" })).await.expect_ok();
        assert_eq!(first["createApiToken"]["apiToken"]["id"], retry["createApiToken"]["apiToken"]["id"]);
        let secret = first["createApiToken"]["token"].as_str().unwrap();
        assert_eq!(retry["createApiToken"]["token"], json!(secret));
        assert_eq!(api_token::Entity::find().count(&app.db).await.unwrap(), 1);
        let viewer = app.graphql_as(Some(secret), "{ viewer { role } }", json!({})).await.expect_ok();
        assert_eq!(viewer["viewer"]["role"], "PARTNER");

        let other = app.graphql_with(Some(&staff), &key, CREATE_TOKEN, json!({ "name": "Partner B" })).await.expect_ok();
        assert_eq!(other["createApiToken"]["userErrors"][0]["code"], "CONFLICT");
        assert_eq!(api_token::Entity::find().count(&app.db).await.unwrap(), 1);
    }

    async fn a_malformed_idempotency_key_is_refused(backend) {
        let app = TestApp::with_demo(backend).await;
        let staff = app.token(Role::Staff, "merve");
        let long = "k".repeat(300);
        let response = app.graphql_with(Some(&staff), &[("Idempotency-Key", long.as_str())], SUBMIT_NOMINATION, variables(submission("ada"))).await;
        assert_eq!(response.status, 400);
        assert_eq!(response.error_codes(), ["BAD_USER_INPUT"]);
        assert_eq!(nomination::Entity::find().count(&app.db).await.unwrap(), 0);
    }
}

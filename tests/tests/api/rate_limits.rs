//! Rate limits per caller, in cost points per window, shared by every replica.

use fellowship_tests::{
    on_both_databases, test_server_settings, TestApp, TestDatabase, TEST_SECRET,
};
use serde_json::{json, Value};

on_both_databases! {
    async fn a_caller_who_spends_the_budget_is_refused_on_every_replica_until_the_window_turns(backend) {
        let mut server = test_server_settings();
        server.rate_limit_anonymous = 100;
        // A long window, so that the test never straddles two.
        server.rate_limit_window = std::time::Duration::from_secs(3600);
        let app = TestApp::spawn_with(TestDatabase::create(backend).await, true,
            api::config::AuthSettings::with_secret(TEST_SECRET), server.clone()).await;
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
        assert!((1..=3600).contains(&retry_after));
        assert_eq!(third.headers()["ratelimit-remaining"], "0");
        let body: Value = third.json().await.unwrap();
        assert_eq!(body["errors"][0]["extensions"]["code"], "RATE_LIMITED");

        // Signed-in callers have budgets of their own.
        let staff = app.token(api::auth::Role::Staff, "merve");
        let signed_in = app.graphql_as(Some(&staff), "{ rateLimit { limit cost used } }", json!({})).await;
        assert_eq!(signed_in.status, 200);
        assert_eq!(signed_in.body["data"]["rateLimit"]["used"], signed_in.body["data"]["rateLimit"]["cost"]);
    }
}

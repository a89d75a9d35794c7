//! The paging rules every connection shares: default and maximum sizes, refusals.

use fellowship_tests::{on_both_databases, seed, TestApp};
use serde_json::json;

const AREAS: &str = r#"query($first: Int, $after: String, $last: Int, $before: String) {
  strategicAreas(first: $first, after: $after, last: $last, before: $before) {
    totalCount edges { cursor node { slug } } pageInfo { hasNextPage hasPreviousPage endCursor }
  }
}"#;

on_both_databases! {
    async fn a_connection_without_first_or_last_returns_twenty_items(backend) {
        let app = TestApp::empty(backend).await;
        for i in 0..25 {
            seed::strategic_area(&app.db, &format!("area-{i:02}"), &format!("Area {i:02}")).await;
        }
        let data = app.query(AREAS, json!({})).await;
        assert_eq!(data["strategicAreas"]["edges"].as_array().unwrap().len(), 20);
        assert_eq!(data["strategicAreas"]["pageInfo"]["hasNextPage"], true);
        assert_eq!(data["strategicAreas"]["totalCount"], 25);

        let all = app.query(AREAS, json!({ "first": 100 })).await;
        assert_eq!(all["strategicAreas"]["edges"].as_array().unwrap().len(), 25);
        assert_eq!(all["strategicAreas"]["pageInfo"]["hasNextPage"], false);
    }

    async fn page_sizes_beyond_a_hundred_or_below_zero_are_refused(backend) {
        let app = TestApp::with_demo(backend).await;
        for variables in [
            json!({ "first": 101 }),
            json!({ "last": 101 }),
            json!({ "first": -1 }),
            json!({ "last": -5 }),
            json!({ "first": 1, "last": 1 }),
        ] {
            let response = app.graphql(AREAS, variables.clone()).await;
            assert_eq!(response.error_codes(), ["BAD_USER_INPUT"], "{variables}");
            assert!(response.data()["strategicAreas"].is_null(), "{variables}");
        }
        // The nested connections follow the same rules.
        let nested = app.graphql(r#"{ fellows(first: 1) { nodes { contributions(first: 101) { totalCount } } } }"#, json!({})).await;
        assert_eq!(nested.error_codes(), ["BAD_USER_INPUT"]);
    }

    async fn cursors_the_server_did_not_issue_are_refused(backend) {
        let app = TestApp::with_demo(backend).await;
        let fellows = app.query(r#"{ fellows(first: 1) { pageInfo { endCursor } } }"#, json!({})).await;
        let fellow_cursor = fellows["fellows"]["pageInfo"]["endCursor"].as_str().unwrap().to_owned();
        let orgs = app.query(r#"{ organizations(first: 1) { pageInfo { endCursor } } }"#, json!({})).await;
        let org_cursor = orgs["organizations"]["pageInfo"]["endCursor"].as_str().unwrap().to_owned();

        let mut edited = fellow_cursor.clone();
        edited.pop();
        edited.push(if fellow_cursor.ends_with('A') { 'B' } else { 'A' });
        for (argument, cursor) in [
            ("after", "not-a-cursor".to_owned()),
            ("before", "bm90IGEgY3Vyc29y".to_owned()),
            ("after", edited),
            // A cursor of another connection, and of another ordering of this one.
            ("after", org_cursor.clone()),
        ] {
            let query = format!(r#"query($c: String) {{ fellows(first: 2, {argument}: $c) {{ totalCount }} }}"#);
            let response = app.graphql(&query, json!({ "c": cursor })).await;
            assert_eq!(response.error_codes(), ["BAD_USER_INPUT"], "{argument}: {cursor}");
        }
        let other_order = app.graphql(
            r#"query($c: String) { fellows(first: 2, after: $c, orderBy: { field: JOINED_ON }) { totalCount } }"#,
            json!({ "c": fellow_cursor })).await;
        assert_eq!(other_order.error_codes(), ["BAD_USER_INPUT"]);
    }
}

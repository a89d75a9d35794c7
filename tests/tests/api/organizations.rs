//! Organizations and foundation memberships.

use fellowship_tests::{on_both_databases, page_backward, page_forward, seed, TestApp};
use serde_json::json;

const ORGS: &str = r#"query($first: Int, $after: String, $last: Int, $before: String, $filter: OrganizationFilter, $orderBy: OrganizationOrder) {
  organizations(first: $first, after: $after, last: $last, before: $before, filter: $filter, orderBy: $orderBy) {
    totalCount nodes { slug } edges { node { slug } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}"#;

fn slugs(nodes: &[serde_json::Value]) -> Vec<String> {
    nodes
        .iter()
        .map(|n| n["slug"].as_str().unwrap().to_owned())
        .collect()
}

on_both_databases! {
    async fn organizations_page_by_name_and_filter_by_kind_parent_and_text(backend) {
        let app = TestApp::with_demo(backend).await;
        let all = page_forward(&app, ORGS, "organizations", 1, json!({})).await;
        assert_eq!(slugs(&all), ["hugging-face", "linux-foundation", "pytorch-foundation"]);
        let back = page_backward(&app, ORGS, "organizations", 2, json!({})).await;
        assert_eq!(slugs(&back), slugs(&all));
        let desc = page_forward(&app, ORGS, "organizations", 2, json!({ "orderBy": { "field": "NAME", "direction": "DESC" } })).await;
        assert_eq!(slugs(&desc), ["pytorch-foundation", "linux-foundation", "hugging-face"]);

        let foundations = app.query(ORGS, json!({ "filter": { "kind": "FOUNDATION" } })).await;
        assert_eq!(foundations["organizations"]["totalCount"], 2);
        let under_lf = app.query(ORGS, json!({ "filter": { "parent": "linux-foundation" } })).await;
        assert_eq!(slugs(under_lf["organizations"]["nodes"].as_array().unwrap()), ["pytorch-foundation"]);
        let search = app.query(ORGS, json!({ "filter": { "search": "HUGGING" } })).await;
        assert_eq!(slugs(search["organizations"]["nodes"].as_array().unwrap()), ["hugging-face"]);

        let lf = app.query(r#"{ organization(slug: "Linux-Foundation") { children { totalCount nodes { slug } } parent { slug } } }"#, json!({})).await;
        assert_eq!(lf["organization"]["children"]["nodes"][0]["slug"], "pytorch-foundation");
        assert!(lf["organization"]["parent"].is_null());

        let hf = app.query(r#"{ organization(slug: "hugging-face") { memberships { nodes { foundation { slug } tier } } } }"#, json!({})).await;
        assert_eq!(hf["organization"]["memberships"]["nodes"][0]["foundation"]["slug"], "pytorch-foundation");

        let missing = app.graphql(r#"{ organization(slug: "nope") { slug } }"#, json!({})).await;
        assert_eq!(missing.error_codes(), ["NOT_FOUND"]);
    }

    async fn organizations_with_equal_names_page_without_repeats(backend) {
        let app = TestApp::empty(backend).await;
        for i in 0..9 {
            seed::organization(&app.db, &format!("same-{i}"), "Same Name").await;
        }
        let nodes = page_forward(&app, ORGS, "organizations", 2, json!({})).await;
        let expected: Vec<String> = (0..9).map(|i| format!("same-{i}")).collect();
        assert_eq!(slugs(&nodes), expected);
        let nodes = page_backward(&app, ORGS, "organizations", 4, json!({})).await;
        assert_eq!(slugs(&nodes), expected);
    }

    async fn memberships_filter_by_member_tier_and_activity(backend) {
        let app = TestApp::with_demo(backend).await;
        let query = r#"query($filter: FoundationMembershipFilter) { foundationMemberships(filter: $filter) { totalCount } }"#;
        for (filter, expected) in [
            (json!({ "member": "hugging-face" }), 1),
            (json!({ "member": "linux-foundation" }), 0),
            (json!({ "tier": "PREMIER" }), 1),
            (json!({ "tier": "GENERAL" }), 0),
            (json!({ "active": true }), 1),
            (json!({ "active": false }), 0),
        ] {
            let data = app.query(query, json!({ "filter": filter })).await;
            assert_eq!(data["foundationMemberships"]["totalCount"], expected, "{filter}");
        }
    }
}

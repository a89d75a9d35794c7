//! Organizations and foundation memberships.

use chrono::Utc;
use entity::board_seat;
use fellowship_tests::{on_both_databases, page_backward, page_forward, seed, TestApp};
use sea_orm::{ActiveModelTrait, Set};
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

    async fn foundation_members_with_their_seats_cost_two_statements_at_any_size(backend) {
        let app = TestApp::empty(backend).await;
        let now = Utc::now();
        let foundation = seed::foundation(&app.db, "open-models-foundation", "Open Models Foundation").await;
        for i in 0..30 {
            let member = seed::organization(&app.db, &format!("member-{i:02}"), &format!("Member {i:02}")).await;
            let membership = seed::membership(&app.db, member.id, foundation.id).await;
            let representative = seed::person(&app.db, &format!("Representative {i:02}"), None).await;
            board_seat::ActiveModel {
                membership_id: Set(membership.id),
                board: Set("Governing Board".into()),
                representative_person_id: Set(representative.id),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            }
            .insert(&app.db)
            .await
            .unwrap();
        }
        let query = r#"query($first: Int) { foundationMemberships(first: $first, filter: {foundation: "open-models-foundation"}) {
            edges { node { tier member { slug name } boardSeats { board representative { name } } } } } }"#;
        let mut costs = Vec::new();
        for first in [1, 10, 30] {
            let before = app.statements_sent().await;
            let data = app.query(query, json!({ "first": first })).await;
            costs.push(app.statements_sent().await - before);
            let edges = data["foundationMemberships"]["edges"].as_array().unwrap();
            assert_eq!(edges.len(), first);
            for (i, edge) in edges.iter().enumerate() {
                assert_eq!(edge["node"]["member"], json!({ "slug": format!("member-{i:02}"), "name": format!("Member {i:02}") }));
                assert_eq!(edge["node"]["boardSeats"], json!([
                    { "board": "Governing Board", "representative": { "name": format!("Representative {i:02}") } }
                ]));
            }
        }
        // The page with its member organizations, the seats with their representatives.
        assert_eq!(costs, [2, 2, 2], "statements for 1, 10 and 30 memberships");
    }


    async fn every_foundations_members_are_paged_in_one_statement(backend) {
        let app = TestApp::empty(backend).await;
        // Three foundations with 7, 0 and 3 members, recorded interleaved so that no
        // foundation's memberships have consecutive ids.
        let mut foundations = Vec::new();
        for (slug, name) in [("alpha-foundation", "Alpha"), ("beta-foundation", "Beta"), ("gamma-foundation", "Gamma")] {
            foundations.push(seed::foundation(&app.db, slug, name).await);
        }
        let mut expected: Vec<Vec<String>> = vec![Vec::new(); 3];
        for i in 0..7 {
            for (f, count) in [(0, 7), (2, 3)] {
                if i >= count {
                    continue;
                }
                let slug = format!("member-{f}-{i}");
                let member = seed::organization(&app.db, &slug, &format!("Member {f} {i}")).await;
                seed::membership(&app.db, member.id, foundations[f].id).await;
                expected[f].push(slug);
            }
        }

        // One foundation's members, forward and backward, page by page.
        let one = r#"query($slug: String!, $first: Int, $after: String, $last: Int, $before: String) {
            organization(slug: $slug) { members(first: $first, after: $after, last: $last, before: $before) {
                totalCount edges { cursor node { member { slug } } }
                pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } } }"#;
        let mut forward = Vec::new();
        let mut after = serde_json::Value::Null;
        loop {
            let data = app.query(one, json!({ "slug": "alpha-foundation", "first": 3, "after": after })).await;
            let members = &data["organization"]["members"];
            assert_eq!(members["totalCount"], 7);
            assert_eq!(members["pageInfo"]["hasPreviousPage"], !after.is_null());
            forward.extend(members["edges"].as_array().unwrap().iter().map(|e| e["node"]["member"]["slug"].as_str().unwrap().to_owned()));
            if members["pageInfo"]["hasNextPage"] == false {
                break;
            }
            after = members["pageInfo"]["endCursor"].clone();
        }
        assert_eq!(forward, expected[0]);
        let mut backward: Vec<Vec<String>> = Vec::new();
        let mut before = serde_json::Value::Null;
        loop {
            let data = app.query(one, json!({ "slug": "alpha-foundation", "last": 3, "before": before })).await;
            let members = &data["organization"]["members"];
            backward.push(members["edges"].as_array().unwrap().iter().map(|e| e["node"]["member"]["slug"].as_str().unwrap().to_owned()).collect());
            if members["pageInfo"]["hasPreviousPage"] == false {
                break;
            }
            before = members["pageInfo"]["startCursor"].clone();
        }
        assert_eq!(backward[0], expected[0][4..].to_vec());
        backward.reverse();
        assert_eq!(backward.concat(), expected[0]);

        // Every foundation's first two members in one list: one statement for the
        // foundations, one for all their pages, one for all their counts, whether the
        // list holds one foundation or three.
        let all = r#"query($first: Int) { organizations(first: $first, filter: { kind: FOUNDATION }) {
            nodes { slug members(first: 2) { totalCount nodes { member { slug } } pageInfo { hasNextPage } } } } }"#;
        let mut costs = Vec::new();
        for first in [1, 3] {
            let before = app.statements_sent().await;
            let data = app.query(all, json!({ "first": first })).await;
            costs.push(app.statements_sent().await - before);
            let nodes = data["organizations"]["nodes"].as_array().unwrap();
            assert_eq!(nodes.len(), first);
            for node in nodes {
                let f = foundations.iter().position(|o| o.slug == node["slug"]).unwrap();
                let members = &node["members"];
                let slugs: Vec<&str> = members["nodes"].as_array().unwrap().iter().map(|n| n["member"]["slug"].as_str().unwrap()).collect();
                assert_eq!(slugs, expected[f].iter().take(2).map(String::as_str).collect::<Vec<_>>(), "{node}");
                assert_eq!(members["totalCount"], expected[f].len(), "{node}");
                assert_eq!(members["pageInfo"]["hasNextPage"], expected[f].len() > 2, "{node}");
            }
        }
        assert_eq!(costs[0], costs[1], "statements for 1 and 3 foundations: {costs:?}");
        assert!(costs[1] <= 5, "statements for 3 foundations: {costs:?}");
    }
}

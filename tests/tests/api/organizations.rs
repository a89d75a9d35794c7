//! Organizations and foundation memberships.

use chrono::{NaiveDate, Utc};
use entity::enums::{MembershipTier, OrganizationKind};
use entity::{board_seat, foundation_membership, organization};
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
        let foundation = organization::ActiveModel {
            slug: Set("open-models-foundation".into()),
            name: Set("Open Models Foundation".into()),
            kind: Set(OrganizationKind::Foundation),
            version: Set(1),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(&app.db)
        .await
        .unwrap();
        for i in 0..30 {
            let member = seed::organization(&app.db, &format!("member-{i:02}"), &format!("Member {i:02}")).await;
            let membership = foundation_membership::ActiveModel {
                member_id: Set(member.id),
                foundation_id: Set(foundation.id),
                tier: Set(MembershipTier::General),
                joined_on: Set(NaiveDate::from_ymd_opt(2024, 1, 1)),
                version: Set(1),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            }
            .insert(&app.db)
            .await
            .unwrap();
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

}

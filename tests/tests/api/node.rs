//! Global IDs: every object's `id` resolves through `node` and `nodes`.

use fellowship_tests::{on_both_databases, TestApp};
use serde_json::{json, Value};

on_both_databases! {
    async fn every_id_of_the_demo_data_resolves_through_node_to_the_same_object(backend) {
        let app = TestApp::with_demo(backend).await;
        let data = app.query(r#"{
            fellows(first: 100) { nodes { id handle person { id name }
                contributions { nodes { id title } } strategicAreas { nodes { id slug } } } }
            organizations(first: 100) { nodes { id slug } }
            foundationMemberships(first: 100) { nodes { id tier boardSeats { id title representative { id name } } } }
        }"#, json!({})).await;

        let mut expected: Vec<(String, Value)> = Vec::new();
        for fellow in data["fellows"]["nodes"].as_array().unwrap() {
            expected.push((fellow["id"].as_str().unwrap().into(), json!({ "handle": fellow["handle"] })));
            let person = &fellow["person"];
            expected.push((person["id"].as_str().unwrap().into(), json!({ "name": person["name"] })));
            for c in fellow["contributions"]["nodes"].as_array().unwrap() {
                expected.push((c["id"].as_str().unwrap().into(), json!({ "title": c["title"] })));
            }
            for a in fellow["strategicAreas"]["nodes"].as_array().unwrap() {
                expected.push((a["id"].as_str().unwrap().into(), json!({ "slug": a["slug"] })));
            }
        }
        for org in data["organizations"]["nodes"].as_array().unwrap() {
            expected.push((org["id"].as_str().unwrap().into(), json!({ "slug": org["slug"] })));
        }
        for m in data["foundationMemberships"]["nodes"].as_array().unwrap() {
            expected.push((m["id"].as_str().unwrap().into(), json!({ "tier": m["tier"] })));
            for seat in m["boardSeats"].as_array().unwrap() {
                expected.push((seat["id"].as_str().unwrap().into(), json!({ "title": seat["title"] })));
                let rep = &seat["representative"];
                expected.push((rep["id"].as_str().unwrap().into(), json!({ "name": rep["name"] })));
            }
        }
        assert!(expected.len() > 30);

        let node_query = r#"query($id: ID!) { node(id: $id) { id __typename
            ... on Fellow { handle } ... on Person { name } ... on Contribution { title }
            ... on StrategicArea { slug } ... on Organization { slug }
            ... on FoundationMembership { tier } ... on BoardSeat { title } } }"#;
        for (id, fields) in &expected {
            let node = app.query(node_query, json!({ "id": id })).await["node"].clone();
            assert_eq!(node["id"], json!(id));
            for (key, value) in fields.as_object().unwrap() {
                assert_eq!(&node[key], value, "node({id}).{key}");
            }
        }

        let ids: Vec<&String> = expected.iter().map(|(id, _)| id).collect();
        let nodes = app.query(r#"query($ids: [ID!]!) { nodes(ids: $ids) { id } }"#, json!({ "ids": ids })).await;
        let resolved: Vec<&str> = nodes["nodes"].as_array().unwrap().iter().map(|n| n["id"].as_str().unwrap()).collect();
        assert_eq!(resolved, ids.iter().map(|s| s.as_str()).collect::<Vec<_>>());
    }

    async fn ids_are_opaque_and_unknown_ones_are_told_apart_from_malformed_ones(backend) {
        let app = TestApp::with_demo(backend).await;
        let data = app.query(r#"{ fellow(handle: "ceyda") { id } }"#, json!({})).await;
        let id = data["fellow"]["id"].as_str().unwrap();
        assert!(!id.contains("Fellow") && id.parse::<i64>().is_err(), "an ID should be opaque: {id}");

        let malformed = app.graphql(r#"{ node(id: "not-an-id") { id } }"#, json!({})).await;
        assert_eq!(malformed.error_codes(), ["BAD_USER_INPUT"]);

        // Well-formed, but no such row: "RmVsbG93Ojk5OTk5" is Fellow:99999.
        let unknown = app.graphql(r#"{ node(id: "RmVsbG93Ojk5OTk5") { id } }"#, json!({})).await;
        assert_eq!(unknown.error_codes(), ["NOT_FOUND"]);
        assert_eq!(unknown.data()["node"], Value::Null);

        let mixed = app.graphql(r#"query($ids: [ID!]!) { nodes(ids: $ids) { id } }"#,
            json!({ "ids": [id, "RmVsbG93Ojk5OTk5", "not-an-id"] })).await;
        assert_eq!(mixed.data()["nodes"][0]["id"], json!(id));
        assert_eq!(mixed.data()["nodes"][1], Value::Null);
        assert_eq!(mixed.data()["nodes"][2], Value::Null);
        assert_eq!(mixed.error_codes(), ["BAD_USER_INPUT"]);
        assert_eq!(mixed.body["errors"][0]["path"], json!(["nodes", 2]));

        let too_many: Vec<&str> = std::iter::repeat_n(id, 101).collect();
        let refused = app.graphql(r#"query($ids: [ID!]!) { nodes(ids: $ids) { id } }"#, json!({ "ids": too_many })).await;
        assert_eq!(refused.error_codes(), ["BAD_USER_INPUT"]);
    }
}

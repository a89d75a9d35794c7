//! `schema.graphql` at the repository root is the schema the server serves.

use std::collections::BTreeSet;

use fellowship_tests::{on_both_databases, TestApp};
use serde_json::json;

const SCHEMA_FILE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../schema.graphql");

#[test]
fn the_checked_in_schema_is_the_one_the_server_prints() {
    let printed = api::graphql::sdl();
    if std::env::var("UPDATE_SCHEMA").is_ok_and(|v| v == "1") {
        std::fs::write(SCHEMA_FILE, &printed).expect("write schema.graphql");
    }
    let checked_in =
        std::fs::read_to_string(SCHEMA_FILE).expect("schema.graphql at the repository root");
    assert!(
        checked_in == printed,
        "schema.graphql differs from the served schema; regenerate it with \
         `cargo run -p api -- schema > schema.graphql` and review the difference"
    );
}

/// Type names declared at the top level of an SDL document.
fn declared_types(sdl: &str) -> BTreeSet<String> {
    sdl.lines()
        .filter_map(|line| {
            let mut words = line.split_whitespace();
            match words.next()? {
                "type" | "interface" | "enum" | "input" | "scalar" | "union"
                    if !line.starts_with(char::is_whitespace) =>
                {
                    Some(words.next()?.trim_end_matches('{').to_owned())
                }
                _ => None,
            }
        })
        .collect()
}

on_both_databases! {
    async fn the_served_schema_declares_exactly_the_types_of_the_checked_in_one(backend) {
        let app = TestApp::empty(backend).await;
        let data = app.query("{ __schema { types { name } } }", json!({})).await;
        let builtin = ["String", "Int", "Float", "Boolean", "ID"];
        let served: BTreeSet<String> = data["__schema"]["types"].as_array().unwrap().iter()
            .map(|t| t["name"].as_str().unwrap().to_owned())
            .filter(|name| !name.starts_with("__") && !builtin.contains(&name.as_str()))
            .collect();
        let checked_in = declared_types(&std::fs::read_to_string(SCHEMA_FILE).unwrap());
        let checked_in: BTreeSet<String> = checked_in.into_iter().filter(|n| !builtin.contains(&n.as_str())).collect();
        assert_eq!(served, checked_in);
    }
}

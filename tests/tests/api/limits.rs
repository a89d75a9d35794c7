//! Query limits: refused before execution with QUERY_TOO_COMPLEX and the numbers.

use fellowship_tests::{on_both_databases, TestApp};
use serde_json::{json, Value};

const INTROSPECTION: &str = include_str!("../../fixtures/introspection-query.graphql");

fn refusal(body: &Value) -> (&str, &str) {
    (
        body["errors"][0]["extensions"]["code"]
            .as_str()
            .unwrap_or("<none>"),
        body["errors"][0]["extensions"]["limit"]
            .as_str()
            .unwrap_or("<none>"),
    )
}

fn fragment_bomb(levels: usize) -> String {
    let mut query = String::from("query { fellows { ...F0 } }\n");
    for i in 0..levels {
        query.push_str(&format!(
            "fragment F{i} on FellowConnection {{ ...F{} ...F{} }}\n",
            i + 1,
            i + 1
        ));
    }
    query.push_str(&format!(
        "fragment F{levels} on FellowConnection {{ totalCount }}\n"
    ));
    query
}

on_both_databases! {
    async fn the_standard_introspection_query_passes_every_limit(backend) {
        let app = TestApp::empty(backend).await;
        let data = app.query(INTROSPECTION, json!({})).await;
        assert_eq!(data["__schema"]["queryType"]["name"], "Query");
        assert!(data["__schema"]["types"].as_array().unwrap().len() > 50);
    }

    async fn documents_over_a_limit_are_refused_before_they_run(backend) {
        let app = TestApp::with_demo(backend).await;
        let statements_before = app.statements_sent().await;

        let long = format!("{{ fellows {{ totalCount }} }} # {}", "x".repeat(15_000));
        let nested = format!("{{ fellows {{ nodes {{ {} handle {} }} }} }}",
            "person { fellow { ".repeat(8), "} } ".repeat(8));
        let aliases = format!("{{ {} }}", (0..60).map(|i| format!("a{i}: viewer {{ role }}")).collect::<Vec<_>>().join(" "));
        let directives = format!("{{ viewer {{ role {} }} }}", "@include(if: true) ".repeat(6));
        let costly = "{ fellows(first: 100) { nodes { contributions(first: 100) { nodes { fellow { strategicAreas(first: 100) { nodes { name } } } } } } } }".to_owned();
        for (query, limit) in [
            (long, "length"),
            (nested, "depth"),
            (aliases, "aliases"),
            (directives, "directives"),
            (fragment_bomb(22), "fields"),
            (costly, "cost"),
        ] {
            let response = app.graphql(&query, json!({})).await;
            assert_eq!(refusal(&response.body), ("QUERY_TOO_COMPLEX", limit), "{}", response.body);
            let message = response.body["errors"][0]["message"].as_str().unwrap();
            assert!(message.chars().any(|c| c.is_ascii_digit()), "the message gives the numbers: {message}");
            assert!(response.body.get("data").is_none_or(Value::is_null));
        }
        // Page sizes given in variables count too.
        let by_variable = app.graphql(
            "query($n: Int) { fellows(first: $n) { nodes { contributions(first: $n) { nodes { fellow { strategicAreas(first: $n) { nodes { name } } } } } } } }",
            json!({ "n": 100 })).await;
        assert_eq!(refusal(&by_variable.body), ("QUERY_TOO_COMPLEX", "cost"));
        assert_eq!(app.statements_sent().await, statements_before, "a refused document touched the database");

        // Over GET as well, and with the new media type as a 400.
        let response = app.client.get(app.url("/graphql")).query(&[("query", fragment_bomb(22))])
            .header("accept", "application/graphql-response+json").send().await.unwrap();
        assert_eq!(response.status().as_u16(), 400);
        let body: Value = response.json().await.unwrap();
        assert_eq!(refusal(&body), ("QUERY_TOO_COMPLEX", "fields"));
    }

    async fn a_response_reports_what_its_operation_cost(backend) {
        let app = TestApp::with_demo(backend).await;
        let response = app.graphql("{ fellows(first: 10) { nodes { handle } } }", json!({})).await;
        assert_eq!(response.body["extensions"]["cost"]["requested"], json!(1 + 10 * (1 + 1)));
        // Seven demo fellows came back: fellows + nodes + seven handles.
        assert_eq!(response.body["extensions"]["cost"]["actual"], json!(1 + 1 + 7));
        assert_eq!(response.body["extensions"]["cost"]["limit"], json!(25_000));
    }
}

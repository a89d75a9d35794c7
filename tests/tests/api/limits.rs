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

/// The server's statement count once it is at rest: a freshly started server may still
/// be sending its first statements (the event feed's start) when a test begins.
async fn settled_statements(app: &TestApp) -> u64 {
    let mut last = app.statements_sent().await;
    loop {
        tokio::time::sleep(std::time::Duration::from_millis(150)).await;
        let now = app.statements_sent().await;
        if now == last {
            return now;
        }
        last = now;
    }
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
        let statements_before = settled_statements(&app).await;

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
        assert_eq!(response.body["extensions"]["cost"]["limit"], json!(30_000));
    }

    async fn cost_does_not_depend_on_how_the_query_is_written(backend) {
        let app = TestApp::with_demo(backend).await;
        let inline = "{ fellows { edges { node { handle contributions { nodes { title } } } } } }";
        let named = "{ fellows { ...Page } }
            fragment Page on FellowConnection { edges { ...Edge } }
            fragment Edge on FellowEdge { node { ...Fellow } }
            fragment Fellow on Fellow { handle contributions { ...Contributions } }
            fragment Contributions on ContributionConnection { nodes { title } }";
        let inline_fragments = "{ fellows { ... on FellowConnection { edges { node { handle
            contributions { ... { nodes { title } } } } } } } }";
        let mut costs = Vec::new();
        for query in [inline, named, inline_fragments] {
            let response = app.graphql(query, json!({})).await;
            assert!(response.body.get("errors").is_none(), "{}", response.body);
            costs.push((response.body["extensions"]["cost"]["requested"].clone(),
                response.body["extensions"]["cost"]["actual"].clone()));
        }
        assert_eq!(costs[0], costs[1]);
        assert_eq!(costs[0], costs[2]);

        // So the cost limit cannot be sidestepped by moving connections into fragments.
        let costly = "{ fellows(first: 100) { ...F } }
            fragment F on FellowConnection { nodes { contributions { ...C } } }
            fragment C on ContributionConnection { nodes { fellow { strategicAreas { ...S } } } }
            fragment S on StrategicAreaConnection { nodes { name } }";
        let response = app.graphql(costly, json!({})).await;
        assert_eq!(refusal(&response.body), ("QUERY_TOO_COMPLEX", "cost"), "{}", response.body);
    }

    async fn introspection_nested_in_itself_is_refused_for_its_cost(backend) {
        let app = TestApp::empty(backend).await;
        let mut nested = String::from("name");
        for _ in 0..4 {
            nested = format!("fields {{ type {{ ofType {{ {nested} }} }} }}");
        }
        let aliased = format!("{{ {} }}", (0..20)
            .map(|i| format!("a{i}: __schema {{ types {{ fields {{ type {{ fields {{ name }} }} }} }} }}"))
            .collect::<Vec<_>>().join(" "));
        let response = app.graphql(&aliased, json!({})).await;
        assert_eq!(refusal(&response.body), ("QUERY_TOO_COMPLEX", "cost"), "{}", response.body);
        // Lists nested in lists: an average length per list cannot price them (the
        // second answered 8 MB for a cost of 2,946 and grew the server by 700 MB).
        for query in [
            format!("{{ __schema {{ types {{ {nested} }} }} }}"),
            "{ __schema { types { possibleTypes { interfaces { possibleTypes { interfaces { possibleTypes { interfaces { possibleTypes { fields { name args { name type { name } } } } } } } } } } } } }".to_owned(),
            "{ __schema { types { ...T } } } fragment T on __Type { possibleTypes { interfaces { ...U } } } fragment U on __Type { possibleTypes { name } }".to_owned(),
        ] {
            let response = app.graphql(&query, json!({})).await;
            assert_eq!(refusal(&response.body), ("QUERY_TOO_COMPLEX", "introspection"), "{}", response.body);
        }
        // The standard query costs what it returns, give or take, and passes.
        let response = app.graphql(INTROSPECTION, json!({})).await;
        let requested = response.body["extensions"]["cost"]["requested"].as_u64().unwrap();
        let actual = response.body["extensions"]["cost"]["actual"].as_u64().unwrap();
        assert!(requested >= actual / 2 && requested <= actual * 4, "requested {requested}, actual {actual}");
    }

    async fn page_sizes_beyond_the_range_of_int_are_bad_user_input(backend) {
        let app = TestApp::with_demo(backend).await;
        for argument in ["first: 2147483648", "first: 2147483647", "last: 9999999999999", "first: -2147483649"] {
            let query = format!("{{ fellows({argument}) {{ nodes {{ handle contributions {{ nodes {{ title }} }} }} }} }}");
            let response = app.graphql(&query, json!({})).await;
            assert_eq!(response.error_codes(), ["BAD_USER_INPUT"], "{argument}: {}", response.body);
            let by_variable = app.graphql(
                "query($n: Int) { fellows(first: $n) { nodes { handle } } }",
                json!({ "n": argument.split(": ").nth(1).unwrap().parse::<i64>().unwrap() })).await;
            assert_eq!(by_variable.error_codes(), ["BAD_USER_INPUT"], "{argument}: {}", by_variable.body);
        }
    }

    async fn syntax_errors_read_as_sentences_with_their_position(backend) {
        let app = TestApp::empty(backend).await;
        let response = app.graphql("{ fellows { nodes { handle } }", json!({})).await;
        assert_eq!(response.error_codes(), ["BAD_USER_INPUT"]);
        let error = &response.body["errors"][0];
        assert_eq!(error["locations"], json!([{ "line": 1, "column": 31 }]));
        let message = error["message"].as_str().unwrap();
        for grammar in ["-->", "expected", "selection", "^---"] {
            assert!(!message.contains(grammar), "the parser's grammar shows: {message}");
        }
        assert!(message.ends_with('.'), "{message}");
        // As a request error: 400 with the new media type, over GET as well.
        let response = app.client.get(app.url("/graphql")).query(&[("query", "{ fellows(first: ) { totalCount } }")])
            .header("accept", "application/graphql-response+json").send().await.unwrap();
        assert_eq!(response.status().as_u16(), 400);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
        assert_eq!(body["errors"][0]["locations"][0]["line"], 1);
        assert!(!body["errors"][0]["message"].as_str().unwrap().contains("expected"), "{body}");
    }
}

//! Input written to hurt: documents and variables nested thousands of levels deep, and
//! NUL characters in text. Each is refused with a contract code before anything runs,
//! over POST, GET and the WebSocket, and the server goes on answering.

use std::time::Duration;

use api::auth::Role;
use entity::nomination;
use fellowship_tests::ws::{Received, WsClient, NOMINATION_EVENTS};
use fellowship_tests::{on_both_databases, GraphqlResponse, TestApp};
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::{json, Value};

/// `{ fellows(first: [[[[...1]]]]) }`, the list literal that used to overflow a worker's
/// stack and abort the process.
fn nested_list_document(levels: usize) -> String {
    format!(
        "{{ fellows(first: {}1{}) {{ totalCount }} }}",
        "[".repeat(levels),
        "]".repeat(levels)
    )
}

/// `{ fellows(filter: {a: {a: ... "x"}}) }`, the same with input objects.
fn nested_object_document(levels: usize) -> String {
    format!(
        "{{ fellows(filter: {}\"x\"{}) {{ totalCount }} }}",
        "{a: ".repeat(levels),
        "}".repeat(levels)
    )
}

/// A JSON value `[[[...1]]]` nested `levels` deep.
fn nested_json(levels: usize) -> Value {
    serde_json::from_str(&format!("{}1{}", "[".repeat(levels), "]".repeat(levels))).unwrap()
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

/// GETs an operation with optional JSON variables.
async fn get(app: &TestApp, query: &str, variables: Option<&str>) -> GraphqlResponse {
    let mut params = vec![("query", query)];
    if let Some(variables) = variables {
        params.push(("variables", variables));
    }
    let response = app
        .client
        .get(app.url("/graphql"))
        .query(&params)
        .send()
        .await
        .expect("GET /graphql");
    let status = response.status().as_u16();
    let body = response.json().await.expect("a JSON response");
    GraphqlResponse { status, body }
}

/// The server still answers an ordinary query.
async fn assert_still_serving(app: &TestApp) {
    let data = app
        .query("{ fellows(first: 1) { totalCount } }", json!({}))
        .await;
    assert_eq!(data["fellows"]["totalCount"], 7);
}

/// The `error` message a subscribe got back, as (code of its first error).
async fn subscribe_error(client: &mut WsClient, id: &str) -> String {
    match client.receive(Duration::from_secs(10)).await {
        Some(Received::Message(message)) if message["type"] == "error" && message["id"] == id => {
            message["payload"][0]["extensions"]["code"]
                .as_str()
                .unwrap_or("<none>")
                .to_owned()
        }
        other => panic!("expected an error for {id}, got {other:?}"),
    }
}

/// The socket still answers a protocol ping.
async fn assert_socket_alive(client: &mut WsClient) {
    client.send(json!({ "type": "ping" })).await;
    assert_eq!(
        client.receive(Duration::from_secs(10)).await,
        Some(Received::Message(json!({ "type": "pong" })))
    );
}

on_both_databases! {
    async fn deeply_nested_literals_are_refused_and_the_server_keeps_serving(backend) {
        let app = TestApp::with_demo(backend).await;
        for document in [nested_list_document(2_000), nested_object_document(1_500)] {
            for response in [app.graphql(&document, json!({})).await, get(&app, &document, None).await] {
                assert_eq!(response.error_codes(), ["QUERY_TOO_COMPLEX"], "{}", response.body);
                assert_eq!(response.body["errors"][0]["extensions"]["limit"], "nesting");
                assert!(response.body.get("data").is_none_or(Value::is_null));
            }
            assert_still_serving(&app).await;
        }
        // A few levels are fine: the document is only refused for what it is.
        let shallow = app.graphql(&nested_list_document(3), json!({})).await;
        assert_eq!(shallow.error_codes(), ["BAD_USER_INPUT"], "{}", shallow.body);
    }

    async fn deeply_nested_documents_are_refused_on_the_socket_which_stays_open(backend) {
        let app = TestApp::with_demo(backend).await;
        let merve = app.token(Role::Staff, "merve");
        let mut client = WsClient::signed_in(&app.address, &merve).await;
        client.subscribe("deep", &nested_list_document(2_000), json!({})).await;
        assert_eq!(subscribe_error(&mut client, "deep").await, "QUERY_TOO_COMPLEX");
        client.subscribe("object", &nested_object_document(1_500), json!({})).await;
        assert_eq!(subscribe_error(&mut client, "object").await, "QUERY_TOO_COMPLEX");
        assert_socket_alive(&mut client).await;
        assert_still_serving(&app).await;
    }

    async fn deeply_nested_variables_are_bad_user_input_on_every_path(backend) {
        let app = TestApp::with_demo(backend).await;
        let query = "query { fellows(first: 1) { totalCount } }";
        // Deeper than any input of the schema, though not declared by the operation.
        let deep = nested_json(40);

        let posted = app.graphql(query, json!({ "deep": deep })).await;
        assert_eq!(posted.error_codes(), ["BAD_USER_INPUT"], "{}", posted.body);
        let got = get(&app, query, Some(&json!({ "deep": deep }).to_string())).await;
        assert_eq!(got.error_codes(), ["BAD_USER_INPUT"], "{}", got.body);

        // Thousands of levels are refused as JSON, before they are even a value.
        let body = format!(
            r#"{{"query":"{{ __typename }}","variables":{{"v":{}1{}}}}}"#,
            "[".repeat(5_000),
            "]".repeat(5_000)
        );
        let response = app.client.post(app.url("/graphql"))
            .header("content-type", "application/json").body(body).send().await.unwrap();
        assert_eq!(response.status().as_u16(), 400);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
        let variables = format!(r#"{{"v":{}1{}}}"#, "[".repeat(5_000), "]".repeat(5_000));
        let got = get(&app, query, Some(&variables)).await;
        assert_eq!(got.error_codes(), ["BAD_USER_INPUT"], "{}", got.body);

        let merve = app.token(Role::Staff, "merve");
        let mut client = WsClient::signed_in(&app.address, &merve).await;
        client.subscribe("deep", NOMINATION_EVENTS, json!({ "deep": deep })).await;
        assert_eq!(subscribe_error(&mut client, "deep").await, "BAD_USER_INPUT");
        assert_socket_alive(&mut client).await;
        assert_still_serving(&app).await;
    }

    async fn nul_characters_in_text_are_refused_before_anything_runs(backend) {
        let app = TestApp::with_demo(backend).await;
        let maria = app.token(Role::Fellow, "mariagrandury");
        let nominations_before = nomination::Entity::find().count(&app.db).await.unwrap();
        let statements_before = settled_statements(&app).await;

        let search = "query($s: String) { fellows(filter: { search: $s }) { totalCount nodes { handle } } }";
        let cases: Vec<(Option<&str>, &str, Value)> = vec![
            // As a literal in the document, and in variables.
            (None, r#"{ fellows(filter: { search: "\u0000" }) { totalCount } }"#, json!({})),
            (None, search, json!({ "s": "\u{0}" })),
            (None, search, json!({ "s": "gran\u{0}dury" })),
            (None, "query($h: String!) { fellow(handle: $h) { name } }", json!({ "h": "merve\u{0}" })),
            (None, r#"{ strategicArea(slug: "speech\u0000") { name } }"#, json!({})),
            (None, "query($a: String) { fellows(after: $a) { totalCount } }", json!({ "a": "\u{0}" })),
            (Some(&maria), r#"mutation($input: SubmitNominationInput!) { submitNomination(input: $input) {
                nomination { id } userErrors { code } } }"#,
                json!({ "input": {
                    "nomineeName": "Ada\u{0} Lovelace", "nomineeHandle": "ada", "nomineeEmail": "ada@example.org",
                    "rationale": "Published widely used open speech models.\u{0}",
                    "supportRequested": "Compute", "strategicAreaSlugs": [], "links": []
                } })),
            (Some(&maria), r#"mutation { updateFellowProfile(input: { fellowId: "RmVsbG93OjE", headline: "x\u0000" }) { userErrors { code } } }"#, json!({})),
        ];
        for (token, query, variables) in cases {
            let response = app.graphql_as(token, query, variables.clone()).await;
            assert_eq!(response.error_codes(), ["BAD_USER_INPUT"], "{query} {variables}: {}", response.body);
            assert!(response.body.get("data").is_none_or(Value::is_null), "{}", response.body);
        }
        let got = get(&app, search, Some(&json!({ "s": "\u{0}" }).to_string())).await;
        assert_eq!(got.error_codes(), ["BAD_USER_INPUT"], "{}", got.body);

        assert_eq!(app.statements_sent().await, statements_before, "a refused request touched the database");
        assert_eq!(nomination::Entity::find().count(&app.db).await.unwrap(), nominations_before);

        let merve = app.token(Role::Staff, "merve");
        let mut client = WsClient::signed_in(&app.address, &merve).await;
        client.subscribe("nul", NOMINATION_EVENTS, json!({ "filter": { "after": "\u{0}" } })).await;
        assert_eq!(subscribe_error(&mut client, "nul").await, "BAD_USER_INPUT");
        assert_socket_alive(&mut client).await;

        // Text without one still searches as before.
        let data = app.query(search, json!({ "s": "grandury" })).await;
        assert_eq!(data["fellows"]["nodes"], json!([{ "handle": "mariagrandury" }]));
    }
}

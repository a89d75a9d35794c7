//! Trusted documents (persisted queries): `documentId` and Apollo's automatic persisted
//! queries over POST and GET, each `TRUSTED_DOCUMENTS` policy, the manifest reloaded on
//! SIGHUP, `api documents build`, and the caching of public answers over GET.

use std::path::{Path, PathBuf};

use api::auth::Role;
use api::graphql::trusted_documents::{DocumentHash, Policy};
use fellowship_tests::{on_both_databases, test_server_settings, TestApp, TestDatabase};
use serde_json::{json, Value};

/// A public document, in the manifest.
const DIRECTORY: &str =
    "query Directory { fellows(first: 3) { totalCount nodes { handle name } } }";
/// Another public document, in the manifest.
const AREAS: &str = "query Areas { strategicAreas { totalCount } }";
/// A document that is not in the manifest.
const OTHER: &str = "{ organizations { totalCount } }";
/// A manifest document that reads private data.
const MINE: &str = "query Mine { viewer { role } }";

fn id(text: &str) -> String {
    DocumentHash::of(text).id()
}

fn hex(text: &str) -> String {
    DocumentHash::of(text).hex()
}

/// A manifest of `texts`, written to a file of the test's own.
fn manifest_file(texts: &[&str]) -> PathBuf {
    let path = std::env::temp_dir().join(format!("trusted-{}.json", uuid::Uuid::new_v4()));
    write_manifest(&path, texts);
    path
}

fn write_manifest(path: &Path, texts: &[&str]) {
    let manifest: serde_json::Map<String, Value> =
        texts.iter().map(|t| (id(t), Value::from(*t))).collect();
    std::fs::write(path, serde_json::to_vec(&manifest).unwrap()).unwrap();
}

/// A server with the demo data, `policy`, and a manifest of DIRECTORY, AREAS and MINE.
async fn app_with(backend: fellowship_tests::Backend, policy: Policy) -> (TestApp, PathBuf) {
    let file = manifest_file(&[DIRECTORY, AREAS, MINE]);
    let mut server = test_server_settings();
    server.trusted_documents.policy = policy;
    server.trusted_documents.file = Some(file.clone());
    let app = TestApp::builder(TestDatabase::create(backend).await)
        .demo()
        .server(server)
        .spawn()
        .await;
    (app, file)
}

/// POSTs `body` as it is, with a bearer token when given.
async fn post(app: &TestApp, token: Option<&str>, body: Value) -> (u16, Value) {
    let mut request = app.client.post(app.url("/graphql")).json(&body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

/// GETs `/graphql` with these query-string fields.
async fn get(app: &TestApp, token: Option<&str>, fields: &[(&str, &str)]) -> reqwest::Response {
    let mut request = app.client.get(app.url("/graphql")).query(fields);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.unwrap()
}

fn codes(body: &Value) -> Vec<String> {
    fellowship_tests::error_codes(body)
}

fn apq(text: &str) -> Value {
    json!({ "persistedQuery": { "version": 1, "sha256Hash": hex(text) } })
}

on_both_databases! {
    async fn a_document_id_from_the_manifest_runs_over_post_and_get(backend) {
        let (app, _file) = app_with(backend, Policy::Allow).await;
        let (status, body) = post(&app, None, json!({ "documentId": id(DIRECTORY) })).await;
        assert_eq!(status, 200);
        assert_eq!(body["data"]["fellows"]["totalCount"], 7, "{body}");
        let response = get(&app, None, &[("documentId", &id(DIRECTORY))]).await;
        assert_eq!(response.status().as_u16(), 200);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["data"]["fellows"]["totalCount"], 7, "{body}");
    }

    async fn unknown_malformed_and_mismatched_ids_are_refused_with_their_codes(backend) {
        let (app, _file) = app_with(backend, Policy::Allow).await;
        // Unknown: PERSISTED_QUERY_NOT_FOUND, 200 whatever the media type.
        let (status, body) = post(&app, None, json!({ "documentId": id(OTHER) })).await;
        assert_eq!((status, codes(&body)), (200, vec!["PERSISTED_QUERY_NOT_FOUND".to_owned()]));
        let response = app.client.post(app.url("/graphql"))
            .header("accept", "application/graphql-response+json")
            .json(&json!({ "documentId": id(OTHER) })).send().await.unwrap();
        assert_eq!(response.status().as_u16(), 200);
        // Malformed.
        for bad in ["sha256:abc", &hex(DIRECTORY), &id(DIRECTORY).to_uppercase(), "md5:0"] {
            let (_, body) = post(&app, None, json!({ "documentId": bad })).await;
            assert_eq!(codes(&body), ["BAD_USER_INPUT"], "{bad}");
        }
        // Text with an id that is not its hash.
        let (_, body) = post(&app, None, json!({ "documentId": id(DIRECTORY), "query": OTHER })).await;
        assert_eq!(codes(&body), ["BAD_USER_INPUT"]);
        // Text with its own id runs.
        let (_, body) = post(&app, None, json!({ "documentId": id(DIRECTORY), "query": DIRECTORY })).await;
        assert_eq!(body["data"]["fellows"]["totalCount"], 7, "{body}");
        // A bad persistedQuery extension.
        let (_, body) = post(&app, None, json!({ "extensions": { "persistedQuery": { "version": 2, "sha256Hash": hex(OTHER) } } })).await;
        assert_eq!(codes(&body), ["BAD_USER_INPUT"]);
    }

    async fn apollo_persisted_queries_register_then_run_by_hash_alone(backend) {
        let (app, _file) = app_with(backend, Policy::Allow).await;
        let (status, body) = post(&app, None, json!({ "extensions": apq(OTHER) })).await;
        assert_eq!(status, 200);
        assert_eq!(codes(&body), ["PERSISTED_QUERY_NOT_FOUND"]);
        assert_eq!(body["errors"][0]["message"], "PersistedQueryNotFound");
        // The hash with another text is refused and registers nothing.
        let (_, body) = post(&app, None, json!({ "query": DIRECTORY, "extensions": apq(OTHER) })).await;
        assert_eq!(codes(&body), ["BAD_USER_INPUT"]);
        let (_, body) = post(&app, None, json!({ "extensions": apq(OTHER) })).await;
        assert_eq!(codes(&body), ["PERSISTED_QUERY_NOT_FOUND"]);
        // The hash with its text registers it.
        let (_, body) = post(&app, None, json!({ "query": OTHER, "extensions": apq(OTHER) })).await;
        let count = body["data"]["organizations"]["totalCount"].clone();
        assert!(count.is_number(), "{body}");
        let (_, body) = post(&app, None, json!({ "extensions": apq(OTHER) })).await;
        assert_eq!(body["data"]["organizations"]["totalCount"], count, "{body}");
        // Over GET too, as Apollo's useGETForHashedQueries sends it.
        let extensions = apq(OTHER).to_string();
        let response = get(&app, None, &[("extensions", &extensions)]).await;
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["data"]["organizations"]["totalCount"], count, "{body}");
        // A manifest document is known by its hash without registering.
        let (_, body) = post(&app, None, json!({ "extensions": apq(AREAS) })).await;
        assert!(body["data"]["strategicAreas"]["totalCount"].is_number(), "{body}");
    }

    async fn under_require_anonymous_callers_without_a_token_run_only_the_manifest(backend) {
        let (app, _file) = app_with(backend, Policy::RequireAnonymous).await;
        let fellow = app.token(Role::Fellow, "mariagrandury");
        // Anonymous: the manifest by id, by hash or by its text; nothing else.
        let (_, body) = post(&app, None, json!({ "documentId": id(DIRECTORY) })).await;
        assert_eq!(body["data"]["fellows"]["totalCount"], 7, "{body}");
        let (_, body) = post(&app, None, json!({ "query": DIRECTORY })).await;
        assert_eq!(body["data"]["fellows"]["totalCount"], 7, "{body}");
        let (status, body) = post(&app, None, json!({ "query": OTHER })).await;
        assert_eq!((status, codes(&body)), (200, vec!["FORBIDDEN".to_owned()]));
        assert!(body.get("data").is_none(), "{body}");
        let response = get(&app, None, &[("query", OTHER)]).await;
        let body: Value = response.json().await.unwrap();
        assert_eq!(codes(&body), ["FORBIDDEN"]);
        let response = get(&app, None, &[("documentId", &id(AREAS))]).await;
        let body: Value = response.json().await.unwrap();
        assert!(body["data"]["strategicAreas"]["totalCount"].is_number(), "{body}");
        // The new media type answers the refusal 400, as any request error.
        let response = app.client.post(app.url("/graphql"))
            .header("accept", "application/graphql-response+json")
            .json(&json!({ "query": OTHER })).send().await.unwrap();
        assert_eq!(response.status().as_u16(), 400);
        // Apollo registration is no way around it: anonymous callers register nothing.
        let (_, body) = post(&app, None, json!({ "query": OTHER, "extensions": apq(OTHER) })).await;
        assert_eq!(codes(&body), ["FORBIDDEN"]);
        let (_, body) = post(&app, None, json!({ "extensions": apq(OTHER) })).await;
        assert_eq!(codes(&body), ["PERSISTED_QUERY_NOT_FOUND"]);
        // A signed-in caller sends anything, and registers; that does not make it
        // trusted for anonymous callers.
        let (_, body) = post(&app, Some(&fellow), json!({ "query": OTHER, "extensions": apq(OTHER) })).await;
        assert!(body["data"]["organizations"]["totalCount"].is_number(), "{body}");
        let (_, body) = post(&app, Some(&fellow), json!({ "extensions": apq(OTHER) })).await;
        assert!(body["data"]["organizations"]["totalCount"].is_number(), "{body}");
        let (_, body) = post(&app, None, json!({ "extensions": apq(OTHER) })).await;
        assert_eq!(codes(&body), ["FORBIDDEN"]);
    }

    async fn under_require_only_staff_send_documents_outside_the_manifest(backend) {
        let (app, _file) = app_with(backend, Policy::Require).await;
        let fellow = app.token(Role::Fellow, "mariagrandury");
        let staff = app.token(Role::Staff, "merve");
        for token in [None, Some(fellow.as_str())] {
            let (_, body) = post(&app, token, json!({ "query": OTHER })).await;
            assert_eq!(codes(&body), ["FORBIDDEN"], "{token:?}");
            let response = get(&app, token, &[("query", OTHER)]).await;
            let body: Value = response.json().await.unwrap();
            assert_eq!(codes(&body), ["FORBIDDEN"], "{token:?}");
            let (_, body) = post(&app, token, json!({ "documentId": id(DIRECTORY) })).await;
            assert_eq!(body["data"]["fellows"]["totalCount"], 7, "{body}");
        }
        let (_, body) = post(&app, Some(&staff), json!({ "query": OTHER })).await;
        assert!(body["data"]["organizations"]["totalCount"].is_number(), "{body}");
        let response = get(&app, Some(&staff), &[("query", OTHER)]).await;
        let body: Value = response.json().await.unwrap();
        assert!(body["data"]["organizations"]["totalCount"].is_number(), "{body}");
        // The introspection query the playground sends works for staff.
        let (_, body) = post(&app, Some(&staff), json!({ "query": "{ __schema { queryType { name } } }" })).await;
        assert_eq!(body["data"]["__schema"]["queryType"]["name"], "Query");
    }

    async fn under_off_no_id_is_known_and_documents_sent_whole_run(backend) {
        let (app, _file) = app_with(backend, Policy::Off).await;
        let (status, body) = post(&app, None, json!({ "documentId": id(DIRECTORY) })).await;
        assert_eq!((status, codes(&body)), (200, vec!["PERSISTED_QUERY_NOT_FOUND".to_owned()]));
        let (_, body) = post(&app, None, json!({ "query": OTHER, "extensions": apq(OTHER) })).await;
        assert!(body["data"]["organizations"]["totalCount"].is_number(), "{body}");
        let (_, body) = post(&app, None, json!({ "extensions": apq(OTHER) })).await;
        assert_eq!(codes(&body), ["PERSISTED_QUERY_NOT_FOUND"], "nothing is registered");
    }

    async fn clients_sending_query_see_no_change_under_the_default(backend) {
        let app = TestApp::with_demo(backend).await;
        let data = app.query(OTHER, json!({})).await;
        assert!(data["organizations"]["totalCount"].is_number());
        let (_, body) = post(&app, None, json!({ "documentId": id(DIRECTORY) })).await;
        assert_eq!(codes(&body), ["PERSISTED_QUERY_NOT_FOUND"], "no manifest");
    }

    async fn a_public_trusted_answer_over_get_is_cacheable_and_revalidates_with_304(backend) {
        let (app, _file) = app_with(backend, Policy::Allow).await;
        let response = get(&app, None, &[("documentId", &id(DIRECTORY))]).await;
        assert_eq!(response.status().as_u16(), 200);
        let headers = response.headers().clone();
        let cache_control = headers["cache-control"].to_str().unwrap();
        assert!(cache_control.starts_with("public, max-age="), "{cache_control}");
        let vary = headers.get_all("vary").iter().map(|v| v.to_str().unwrap().to_owned()).collect::<Vec<_>>().join(", ");
        assert!(vary.contains("Authorization"), "{vary}");
        let etag = headers["etag"].to_str().unwrap().to_owned();
        // Weak: async-graphql may order an object's keys differently from one answer to
        // the next, so the tag names the data, not the bytes.
        assert!(etag.starts_with("W/\"") && etag.ends_with('"'), "a weak validator: {etag}");
        let body = response.bytes().await.unwrap();
        // The same request with the validator: 304, no body, the same headers.
        let again = app.client.get(app.url("/graphql")).query(&[("documentId", &id(DIRECTORY))])
            .header("if-none-match", &etag).send().await.unwrap();
        assert_eq!(again.status().as_u16(), 304);
        assert_eq!(again.headers()["etag"], etag.as_str());
        assert!(again.bytes().await.unwrap().is_empty());
        // Another validator: the whole answer, the same data.
        let other = app.client.get(app.url("/graphql")).query(&[("documentId", &id(DIRECTORY))])
            .header("if-none-match", "\"something-else\"").send().await.unwrap();
        assert_eq!(other.status().as_u16(), 200);
        let parse = |bytes: &[u8]| serde_json::from_slice::<serde_json::Value>(bytes).unwrap();
        assert_eq!(parse(&other.bytes().await.unwrap()), parse(&body));
        // The manifest's text sent whole is as trusted as its id.
        let by_text = get(&app, None, &[("query", DIRECTORY), ("operationName", "Directory")]).await;
        assert_eq!(by_text.headers()["etag"], etag.as_str());
    }

    async fn private_untrusted_signed_in_and_post_answers_are_not_stored(backend) {
        let (app, _file) = app_with(backend, Policy::Allow).await;
        let staff = app.token(Role::Staff, "merve");
        // A manifest document that reads private data (the viewer).
        let private = get(&app, None, &[("documentId", &id(MINE))]).await;
        assert_eq!(private.headers()["cache-control"], "no-store");
        assert!(private.headers().get("etag").is_none());
        // A public document outside the manifest.
        let untrusted = get(&app, None, &[("query", OTHER)]).await;
        assert_eq!(untrusted.headers()["cache-control"], "no-store");
        // A signed-in caller.
        let signed_in = get(&app, Some(&staff), &[("documentId", &id(DIRECTORY))]).await;
        assert_eq!(signed_in.headers()["cache-control"], "no-store");
        assert!(signed_in.headers().get("etag").is_none());
        // An unknown id.
        let unknown = get(&app, None, &[("documentId", &id(OTHER))]).await;
        assert_eq!(unknown.headers()["cache-control"], "no-store");
        // POST is never cached.
        let response = app.client.post(app.url("/graphql"))
            .json(&json!({ "documentId": id(DIRECTORY) })).send().await.unwrap();
        assert!(response.headers().get("etag").is_none());
        assert!(response.headers().get("cache-control").is_none());
    }

    async fn a_websocket_subscribe_names_its_document_by_id_under_the_same_policy(backend) {
        use fellowship_tests::ws::{Received, WsClient};
        let (app, _file) = app_with(backend, Policy::Require).await;
        let fellow = app.token(Role::Fellow, "mariagrandury");
        let mut socket = WsClient::signed_in(&app.address, &fellow).await;
        socket.send(json!({ "id": "1", "type": "subscribe", "payload": { "documentId": id(DIRECTORY) } })).await;
        let payload = socket.next_payload("1", std::time::Duration::from_secs(10)).await;
        assert_eq!(payload["data"]["fellows"]["totalCount"], 7, "{payload}");
        let error_code = |received: Option<Received>| match received {
            Some(Received::Message(message)) if message["type"] == "error" => {
                message["payload"][0]["extensions"]["code"].as_str().unwrap_or("<none>").to_owned()
            }
            other => panic!("expected an error message, got {other:?}"),
        };
        assert_eq!(
            socket.receive(std::time::Duration::from_secs(5)).await,
            Some(Received::Message(json!({ "id": "1", "type": "complete" })))
        );
        socket.send(json!({ "id": "2", "type": "subscribe", "payload": { "query": OTHER } })).await;
        assert_eq!(error_code(socket.receive(std::time::Duration::from_secs(5)).await), "FORBIDDEN");
        socket.send(json!({ "id": "3", "type": "subscribe", "payload": { "documentId": id(OTHER) } })).await;
        assert_eq!(error_code(socket.receive(std::time::Duration::from_secs(5)).await), "PERSISTED_QUERY_NOT_FOUND");
        socket.send(json!({ "id": "4", "type": "subscribe", "payload": { "extensions": apq(AREAS) } })).await;
        let payload = socket.next_payload("4", std::time::Duration::from_secs(10)).await;
        assert!(payload["data"]["strategicAreas"]["totalCount"].is_number(), "{payload}");
    }

    async fn the_metrics_count_documents_by_where_they_came_from(backend) {
        let (app, _file) = app_with(backend, Policy::Allow).await;
        post(&app, None, json!({ "documentId": id(DIRECTORY) })).await;
        post(&app, None, json!({ "query": OTHER })).await;
        let text = app.client.get(app.url("/metrics")).send().await.unwrap().text().await.unwrap();
        assert!(text.contains("fellowship_documents_total{source=\"manifest\"} 1"), "{text}");
        assert!(text.contains("fellowship_documents_total{source=\"text\"} 1"), "{text}");
    }

    async fn the_manifest_is_reloaded_on_sighup_and_a_bad_one_keeps_the_old(backend) {
        let (app, file) = app_with(backend, Policy::RequireAnonymous).await;
        let (_, body) = post(&app, None, json!({ "documentId": id(OTHER) })).await;
        assert_eq!(codes(&body), ["PERSISTED_QUERY_NOT_FOUND"]);
        write_manifest(&file, &[DIRECTORY, OTHER]);
        hang_up().await;
        let body = eventually(|| post(&app, None, json!({ "documentId": id(OTHER) })), |body| {
            body["data"]["organizations"]["totalCount"].is_number()
        }).await;
        assert!(body["data"].is_object(), "{body}");
        // A file whose key is not its text's hash: refused, the manifest stays.
        std::fs::write(&file, serde_json::to_vec(&json!({ id(AREAS): OTHER })).unwrap()).unwrap();
        hang_up().await;
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        let (_, body) = post(&app, None, json!({ "documentId": id(OTHER) })).await;
        assert!(body["data"]["organizations"]["totalCount"].is_number(), "{body}");
        std::fs::remove_file(&file).ok();
    }

    async fn a_manifest_with_a_wrong_key_is_refused_at_start(backend) {
        let file = std::env::temp_dir().join(format!("trusted-{}.json", uuid::Uuid::new_v4()));
        std::fs::write(&file, serde_json::to_vec(&json!({ id(AREAS): OTHER })).unwrap()).unwrap();
        let mut server = test_server_settings();
        server.trusted_documents.file = Some(file.clone());
        let settings = api::config::DatabaseSettings {
            url: api::config::DatabaseUrl::new(TestDatabase::create(backend).await.url.clone()),
            max_connections: Some(2),
            acquire_timeout: std::time::Duration::from_secs(3),
            statement_timeout: std::time::Duration::from_secs(5),
            generic_plans: true,
        };
        let built = api::startup::Application::build(
            &settings,
            &server,
            &api::config::AuthSettings::with_secret(fellowship_tests::TEST_SECRET),
            Default::default(),
        )
        .await;
        let err = format!("{:#}", built.err().expect("refused"));
        assert!(err.contains("not the SHA-256"), "{err}");
        std::fs::remove_file(&file).ok();
    }
}

/// Sends SIGHUP to this process, where the test's server runs (every server of the
/// process reloads its own manifest).
async fn hang_up() {
    let status = std::process::Command::new("kill")
        .args(["-HUP", &std::process::id().to_string()])
        .status()
        .expect("run kill");
    assert!(status.success());
}

/// Repeats `request` until `done` holds of its body (within five seconds).
async fn eventually<F, Fut>(request: F, done: impl Fn(&Value) -> bool) -> Value
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = (u16, Value)>,
{
    let mut last = Value::Null;
    for _ in 0..50 {
        let (_, body) = request().await;
        if done(&body) {
            return body;
        }
        last = body;
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("never came: {last}");
}

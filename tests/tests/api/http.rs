//! The HTTP surface: GraphQL over POST and GET per the GraphQL-over-HTTP spec, the
//! playground, and the probes.

use std::time::Duration;

use api::auth::Role;
use fellowship_tests::{
    admin_postgres_url, on_both_databases, test_server_settings, TestApp, TestDatabase,
    ALLOWED_ORIGIN, TEST_SECRET,
};
use sea_orm::{ConnectionTrait, Database};
use serde_json::{json, Value};

on_both_databases! {
    async fn a_query_runs_over_get(backend) {
        let app = TestApp::with_demo(backend).await;
        let response = app.client.get(app.url("/graphql"))
            .query(&[("query", "{ fellows(first: 2) { totalCount } }")])
            .send().await.unwrap();
        assert_eq!(response.status().as_u16(), 200);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["data"]["fellows"]["totalCount"], 7);
    }

    async fn a_mutation_over_get_is_refused_with_405_and_allow_post(backend) {
        let app = TestApp::with_demo(backend).await;
        let response = app.client.get(app.url("/graphql"))
            .query(&[("query", "mutation { anything }")])
            .send().await.unwrap();
        assert_eq!(response.status().as_u16(), 405);
        assert_eq!(response.headers()["allow"], "POST");
    }

    async fn post_bodies_other_than_json_are_refused(backend) {
        let app = TestApp::with_demo(backend).await;
        let query = r#"{"query":"{ fellows { totalCount } }"}"#;
        let plain = app.client.post(app.url("/graphql")).header("content-type", "text/plain")
            .body(query).send().await.unwrap();
        assert_eq!(plain.status().as_u16(), 415);
        let none = app.client.post(app.url("/graphql")).body(query).send().await.unwrap();
        assert_eq!(none.status().as_u16(), 415);

        let broken = app.client.post(app.url("/graphql")).header("content-type", "application/json")
            .body("{not json").send().await.unwrap();
        assert_eq!(broken.status().as_u16(), 400);
        let body: Value = broken.json().await.unwrap();
        assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");

        let batch = app.client.post(app.url("/graphql"))
            .json(&json!([{ "query": "{ fellows { totalCount } }" }])).send().await.unwrap();
        assert_eq!(batch.status().as_u16(), 400);
    }

    async fn a_body_over_the_limit_is_refused_with_413(backend) {
        let app = TestApp::with_demo(backend).await;
        let padding = " ".repeat(2 * 1024 * 1024);
        let response = app.client.post(app.url("/graphql")).header("content-type", "application/json")
            .body(format!(r#"{{"query":"{{ fellows {{ totalCount }} }}"{padding}}}"#))
            .send().await.unwrap();
        assert_eq!(response.status().as_u16(), 413);
    }

    async fn a_chunked_body_over_the_limit_is_cut_off_with_413(backend) {
        let app = TestApp::with_demo(backend).await;
        let chunks = (0..64).map(|_| Ok::<_, std::io::Error>(vec![b' '; 64 * 1024]));
        let response = app.client.post(app.url("/graphql")).header("content-type", "application/json")
            .body(reqwest::Body::wrap_stream(futures::stream::iter(chunks))).send().await.unwrap();
        assert_eq!(response.status().as_u16(), 413);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
    }

    async fn browsers_on_allowed_origins_may_call_and_others_get_no_cors_headers(backend) {
        let app = TestApp::with_demo(backend).await;
        let preflight = |origin: &'static str| app.client.request(reqwest::Method::OPTIONS, app.url("/graphql"))
            .header("origin", origin).header("access-control-request-method", "POST")
            .header("access-control-request-headers", "authorization, content-type").send();
        let allowed = preflight(ALLOWED_ORIGIN).await.unwrap();
        // A preflight succeeds on any ok status (Fetch standard); actix-cors answers 200.
        assert!(allowed.status().is_success(), "{}", allowed.status());
        assert_eq!(allowed.headers()["access-control-allow-origin"], ALLOWED_ORIGIN);
        assert!(allowed.headers()["access-control-allow-headers"].to_str().unwrap().contains("authorization"));
        let other = preflight("https://evil.example.com").await.unwrap();
        assert!(other.headers().get("access-control-allow-origin").is_none());

        let call = app.client.post(app.url("/graphql")).header("origin", ALLOWED_ORIGIN)
            .json(&json!({ "query": "{ viewer { role } }" })).send().await.unwrap();
        assert_eq!(call.headers()["access-control-allow-origin"], ALLOWED_ORIGIN);
        let foreign = app.client.post(app.url("/graphql")).header("origin", "https://evil.example.com")
            .json(&json!({ "query": "{ viewer { role } }" })).send().await.unwrap();
        assert!(foreign.headers().get("access-control-allow-origin").is_none());
    }

    async fn introspection_can_be_turned_off_for_an_environment(backend) {
        let mut server = test_server_settings();
        server.introspection = false;
        let app = TestApp::builder(TestDatabase::create(backend).await).demo()
            .server(server).spawn().await;
        // The library answers as if the fields were empty: nothing of the schema leaks.
        let response = app.graphql("{ __schema { types { name } } __type(name: \"Fellow\") { name } }", json!({})).await;
        assert_eq!(response.body["data"]["__schema"], Value::Null, "{}", response.body);
        assert_eq!(response.body["data"]["__type"], Value::Null, "{}", response.body);
        assert_eq!(app.query("{ fellows { totalCount } }", json!({})).await["fellows"]["totalCount"], 7);
    }

    async fn the_response_media_type_follows_the_accept_header(backend) {
        let app = TestApp::with_demo(backend).await;
        let send = |accept: &'static str, query: &'static str| {
            app.client.post(app.url("/graphql")).header("accept", accept)
                .json(&json!({ "query": query })).send()
        };
        let modern = send("application/graphql-response+json", "{ fellows { totalCount } }").await.unwrap();
        assert_eq!(modern.status().as_u16(), 200);
        assert!(modern.headers()["content-type"].to_str().unwrap().starts_with("application/graphql-response+json"));

        let legacy = send("application/json", "{ fellows { totalCount } }").await.unwrap();
        assert!(legacy.headers()["content-type"].to_str().unwrap().starts_with("application/json"));

        // A field error is still a 200: the request ran.
        let field_error = send("application/graphql-response+json", "{ nominations { totalCount } }").await.unwrap();
        assert_eq!(field_error.status().as_u16(), 200);

        // A document that cannot run: 400 for the new media type, 200 for the old.
        let invalid_modern = send("application/graphql-response+json", "{ fellows { nope } }").await.unwrap();
        assert_eq!(invalid_modern.status().as_u16(), 400);
        let body: Value = invalid_modern.json().await.unwrap();
        assert!(body.get("data").is_none(), "a request that never ran has no data entry: {body}");
        let invalid_legacy = send("application/json", "{ fellows { nope } }").await.unwrap();
        assert_eq!(invalid_legacy.status().as_u16(), 200);
        let body: Value = invalid_legacy.json().await.unwrap();
        assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
        assert!(!body.to_string().contains("Did you mean"), "field suggestions leak the schema");
    }

    async fn the_playground_is_served_to_browsers_from_our_own_assets(backend) {
        let app = TestApp::with_demo(backend).await;
        let page = app.client.get(app.url("/graphql")).header("accept", "text/html").send().await.unwrap();
        assert_eq!(page.status().as_u16(), 200);
        let csp = page.headers()["content-security-policy"].to_str().unwrap().to_owned();
        assert!(csp.contains("script-src 'self'"));
        let html = page.text().await.unwrap();
        assert!(html.contains("graphiql.min.js"));
        assert!(!html.contains("https://") && !html.contains("http://"), "no asset comes from elsewhere");
        for asset in ["graphiql.min.js", "graphiql.min.css", "react.production.min.js", "react-dom.production.min.js", "init.js"] {
            let response = app.client.get(app.url(&format!("/playground/{asset}"))).send().await.unwrap();
            assert_eq!(response.status().as_u16(), 200, "{asset}");
            assert!(!response.bytes().await.unwrap().is_empty());
        }
        let missing = app.client.get(app.url("/playground/../Cargo.toml")).send().await.unwrap();
        assert_eq!(missing.status().as_u16(), 404);
    }

    async fn health_and_readiness_answer_while_the_database_does(backend) {
        let app = TestApp::with_demo(backend).await;
        let health = app.client.get(app.url("/healthz")).send().await.unwrap();
        assert_eq!(health.status().as_u16(), 200);
        let ready = app.client.get(app.url("/readyz")).send().await.unwrap();
        assert_eq!(ready.status().as_u16(), 200);
        let named = app.client.post(app.url("/graphql"))
            .json(&json!({ "query": "query Directory { fellows { totalCount } }", "operationName": "Directory" }))
            .send().await.unwrap();
        let generated = named.headers()["x-request-id"].to_str().unwrap().to_owned();
        assert!(!generated.is_empty());
        let echoed = app.client.get(app.url("/healthz")).header("x-request-id", "abc-123").send().await.unwrap();
        assert_eq!(echoed.headers()["x-request-id"], "abc-123");
        let replaced = app.client.get(app.url("/healthz")).header("x-request-id", "bad id\twith spaces").send().await.unwrap();
        assert_ne!(replaced.headers()["x-request-id"], "bad id\twith spaces");
        app.graphql("{ nominations { totalCount } }", json!({})).await;
        app.graphql(&format!("{{ fellows {{ totalCount }} }} # {}", "x".repeat(16_000)), json!({})).await;

        let metrics = app.client.get(app.url("/metrics")).send().await.unwrap().text().await.unwrap();
        for line in [
            "# TYPE fellowship_db_statements_total counter",
            "fellowship_graphql_operations_total{operation=\"Directory\",outcome=\"ok\"} 1",
            "fellowship_graphql_operations_total{operation=\"anonymous\",outcome=\"FORBIDDEN\"} 1",
            "fellowship_graphql_errors_total{code=\"FORBIDDEN\"} 1",
            "fellowship_limit_refusals_total{limit=\"length\"} 1",
            "fellowship_graphql_duration_seconds_count 2",
            "# TYPE fellowship_db_pool_connections gauge",
        ] {
            assert!(metrics.contains(line), "/metrics lacks `{line}`:\n{metrics}");
        }
    }

    async fn unknown_paths_and_methods_are_answered_with_a_json_code(backend) {
        let app = TestApp::with_demo(backend).await;
        for (method, path, status, code, allow) in [
            ("GET", "/nothing-here", 404, "NOT_FOUND", None),
            ("POST", "/graphql/extra", 404, "NOT_FOUND", None),
            ("GET", "/playground/missing.js", 404, "NOT_FOUND", None),
            ("PUT", "/graphql", 405, "BAD_USER_INPUT", Some("GET, POST")),
            ("DELETE", "/graphql", 405, "BAD_USER_INPUT", Some("GET, POST")),
            ("POST", "/healthz", 405, "BAD_USER_INPUT", Some("GET")),
            ("PATCH", "/metrics", 405, "BAD_USER_INPUT", Some("GET")),
        ] {
            let response = app.client.request(method.parse().unwrap(), app.url(path)).send().await.unwrap();
            assert_eq!(response.status().as_u16(), status, "{method} {path}");
            assert_eq!(response.headers().get("allow").map(|v| v.to_str().unwrap()), allow, "{method} {path}");
            let body: Value = response.json().await.unwrap_or_else(|_| panic!("{method} {path}: no JSON body"));
            assert_eq!(body["errors"][0]["extensions"]["code"], code, "{method} {path}");
        }
    }

    async fn answers_to_requests_with_credentials_are_never_stored(backend) {
        let app = TestApp::with_demo(backend).await;
        let staff = app.token(Role::Staff, "merve");
        let send = |token: Option<&str>, query: &str| {
            let mut request = app.client.post(app.url("/graphql")).json(&json!({ "query": query }));
            if let Some(token) = token {
                request = request.bearer_auth(token);
            }
            request.send()
        };
        for (token, query) in [
            (Some(staff.as_str()), "{ apiTokens { totalCount } }"),
            (Some(staff.as_str()), "{ fellows { totalCount } }"),
            // Refused tokens too: the answer says something about the credential.
            (Some("not-a-token"), "{ viewer { role } }"),
        ] {
            let response = send(token, query).await.unwrap();
            assert_eq!(response.headers().get("cache-control").map(|v| v.to_str().unwrap()), Some("no-store"), "{query}");
        }
        let over_get = app.client.get(app.url("/graphql")).bearer_auth(&staff)
            .query(&[("query", "{ auditEvents { totalCount } }")]).send().await.unwrap();
        assert_eq!(over_get.headers()["cache-control"], "no-store");
        let anonymous = send(None, "{ fellows { totalCount } }").await.unwrap();
        assert!(anonymous.headers().get("cache-control").is_none());
    }

    async fn client_chosen_operation_names_cannot_flood_the_metrics(backend) {
        let app = TestApp::with_demo(backend).await;
        let run = |name: String| {
            let query = format!("query {name} {{ __typename }}");
            app.client.post(app.url("/graphql"))
                .json(&json!({ "query": query, "operationName": name })).send()
        };
        for i in 0..150 {
            assert_eq!(run(format!("Flood{i}")).await.unwrap().status().as_u16(), 200);
        }
        // Names that are no GraphQL name, or name no operation of the document.
        for name in ["weird-name", "\u{e9}l\u{e8}ve", "NotInTheDocument"] {
            app.client.post(app.url("/graphql"))
                .json(&json!({ "query": "{ __typename }", "operationName": name })).send().await.unwrap();
        }
        let metrics = app.client.get(app.url("/metrics")).send().await.unwrap().text().await.unwrap();
        let labels: std::collections::HashSet<&str> = metrics.lines()
            .filter_map(|line| line.strip_prefix("fellowship_graphql_operations_total{operation=\""))
            .filter_map(|rest| rest.split('"').next())
            .collect();
        assert!(labels.len() <= api::metrics::MAX_OPERATION_NAMES + 2, "{} labels", labels.len());
        assert!(labels.contains("Flood0") && labels.contains("other"), "{labels:?}");
        assert!(!labels.contains("Flood149"));
        assert!(!labels.iter().any(|l| l.contains("weird") || l.contains("lve") || l.contains("NotIn")), "{labels:?}");
    }

    async fn metrics_can_be_kept_off_the_public_listener(backend) {
        let database = TestDatabase::create(backend).await;
        let mut server = test_server_settings();
        server.metrics_bind = Some("127.0.0.1:0".to_owned());
        let settings = api::config::DatabaseSettings {
            url: api::config::DatabaseUrl::new(database.url.clone()),
            max_connections: Some(5),
            acquire_timeout: Duration::from_secs(3),
            statement_timeout: Duration::from_secs(10),
            generic_plans: true,
        };
        let app = api::startup::Application::build(&settings, &server,
            &api::config::AuthSettings::with_secret(TEST_SECRET),
            api::startup::ServeOptions { demo: true, workers: 1 }).await.unwrap();
        let public = format!("http://127.0.0.1:{}", app.port());
        let private = format!("http://127.0.0.1:{}", app.metrics_port().expect("a metrics listener"));
        tokio::spawn(app.run_until_stopped());
        let client = reqwest::Client::new();

        let hidden = client.get(format!("{public}/metrics")).send().await.unwrap();
        assert_eq!(hidden.status().as_u16(), 404);
        let body: Value = hidden.json().await.unwrap();
        assert_eq!(body["errors"][0]["extensions"]["code"], "NOT_FOUND");
        let served = client.post(format!("{public}/graphql"))
            .json(&json!({ "query": "query Directory { fellows { totalCount } }", "operationName": "Directory" }))
            .send().await.unwrap();
        assert_eq!(served.status().as_u16(), 200);

        let scraped = client.get(format!("{private}/metrics")).send().await.unwrap();
        assert_eq!(scraped.status().as_u16(), 200);
        let text = scraped.text().await.unwrap();
        assert!(text.contains("fellowship_graphql_operations_total{operation=\"Directory\",outcome=\"ok\"} 1"), "{text}");
        // Only metrics there: the API is not reachable on the scraper's listener.
        let api = client.post(format!("{private}/graphql"))
            .json(&json!({ "query": "{ fellows { totalCount } }" })).send().await.unwrap();
        assert_eq!(api.status().as_u16(), 404);
        drop(database);
    }
}

/// PostgreSQL only: an embedded SQLite file cannot stop answering while the process runs.
mod database_away {
    use super::*;

    fellowship_tests::on_postgres! {
        async fn readiness_fails_while_postgres_refuses_connections_and_recovers_by_itself(backend) {
            let app = TestApp::with_demo(backend).await;
            let name = app.database.postgres_name().unwrap().to_owned();
            let admin = Database::connect(admin_postgres_url()).await.unwrap();
            admin
                .execute_unprepared(&format!(
                    "ALTER DATABASE \"{name}\" ALLOW_CONNECTIONS false"
                ))
                .await
                .unwrap();
            admin.execute_unprepared(&format!(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}' AND pid <> pg_backend_pid()"
            )).await.unwrap();

            // Readiness reports the background probe, which notices within about a second.
            let mut ready = 0;
            for _ in 0..30 {
                ready = app
                    .client
                    .get(app.url("/readyz"))
                    .send()
                    .await
                    .unwrap()
                    .status()
                    .as_u16();
                if ready == 503 {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            assert_eq!(ready, 503);
            let response = app.graphql("{ fellows { totalCount } }", json!({})).await;
            assert_eq!(response.status, 503, "{}", response.body);
            assert_eq!(response.error_codes(), ["INTERNAL_SERVER_ERROR"]);
            let text = response.body.to_string();
            for leak in ["SELECT", "sqlx", "pg_", ".rs", "postgres://"] {
                assert!(!text.contains(leak), "the error leaks `{leak}`: {text}");
            }

            admin
                .execute_unprepared(&format!("ALTER DATABASE \"{name}\" ALLOW_CONNECTIONS true"))
                .await
                .unwrap();
            let mut recovered = false;
            for _ in 0..50 {
                let ready = app.client.get(app.url("/readyz")).send().await.unwrap();
                if ready.status().as_u16() == 200 {
                    recovered = true;
                    break;
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            assert!(
                recovered,
                "readiness did not come back after the database did"
            );
            let data = app.query("{ fellows { totalCount } }", json!({})).await;
            assert_eq!(data["fellows"]["totalCount"], 7);
        }
    }
}

/// Sends a POST head declaring a 1,000-byte body, then one byte of it, and reads what
/// the server answers (until it closes the connection or `wait` passes).
async fn stalled_post(address: &str, chunked: bool, wait: Duration) -> (String, Duration) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let started = std::time::Instant::now();
    let host = address.trim_start_matches("http://");
    let mut socket = tokio::net::TcpStream::connect(host).await.unwrap();
    let (framing, start) = if chunked {
        ("Transfer-Encoding: chunked", "5\r\n{\"que")
    } else {
        ("Content-Length: 1000", "{")
    };
    socket
        .write_all(
            format!(
                "POST /graphql HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n\
                 {framing}\r\n\r\n{start}"
            )
            .as_bytes(),
        )
        .await
        .unwrap();
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(wait, socket.read_to_end(&mut answer)).await;
    (
        String::from_utf8_lossy(&answer).into_owned(),
        started.elapsed(),
    )
}

mod stalled_bodies {
    use super::*;

    on_both_databases! {
        async fn a_body_that_stalls_is_answered_408_and_its_connection_closed(backend) {
            let mut server = test_server_settings();
            server.body_timeout = Duration::from_secs(1);
            let app = TestApp::builder(TestDatabase::create(backend).await).demo()
                .server(server).spawn().await;

            // Half declare a length, half send chunks; both stall after their first bytes.
            let stalled: Vec<_> = (0..50)
                .map(|i| {
                    let address = app.address.clone();
                    tokio::spawn(async move { stalled_post(&address, i % 2 == 0, Duration::from_secs(8)).await })
                })
                .collect();
            for request in stalled {
                let (answer, took) = request.await.unwrap();
                assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
                assert!(answer.contains("\"BAD_USER_INPUT\""), "{answer}");
                // Answered after the timeout, and the connection closed: read_to_end ended
                // well before the test's own 8 s wait.
                assert!(took >= Duration::from_millis(900) && took < Duration::from_secs(6), "{took:?}");
            }
            let data = app.query("{ fellows { totalCount } }", json!({})).await;
            assert_eq!(data["fellows"]["totalCount"], 7);
        }
    }
}

mod oversized_heads {
    use super::*;

    on_both_databases! {
        async fn too_many_or_too_large_headers_are_answered_431_with_a_json_code(backend) {
            let app = TestApp::with_demo(backend).await;
            let many = (0..70).fold(app.client.post(app.url("/graphql")), |request, i| {
                request.header(format!("x-filler-{i}"), "1")
            });
            let large = app.client.post(app.url("/graphql")).header("x-filler", "a".repeat(40 * 1024));
            for request in [many, large] {
                let response = request
                    .json(&json!({ "query": "{ __typename }" }))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(response.status().as_u16(), 431);
                let body: Value = response.json().await.unwrap();
                assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT", "{body}");
            }
            // Within the limits, the same request is served.
            let within = (0..40).fold(app.client.post(app.url("/graphql")), |request, i| {
                request.header(format!("x-filler-{i}"), "a".repeat(500))
            });
            let response = within.json(&json!({ "query": "{ __typename }" })).send().await.unwrap();
            assert_eq!(response.status().as_u16(), 200);
        }
    }
}

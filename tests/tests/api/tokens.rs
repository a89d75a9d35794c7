//! Token verification: what is accepted, and every forgery refused with 401.

use api::config::AuthSettings;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::Utc;
use entity::{api_token, audit_event};
use fellowship_tests::ws::{endpoint, Received, WsClient};
use fellowship_tests::{key_file, on_both_databases, Backend, TestApp, TestDatabase, TEST_SECRET};
use jsonwebtoken::jwk::{Jwk, JwkSet};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use sea_orm::{ConnectionTrait, EntityTrait, PaginatorTrait};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::Error as WsError;

const VIEWER: &str = "{ viewer { role handle person { name } fellow { handle } scopes } }";
const CREATE_TOKEN: &str = r#"mutation { createApiToken(input: { name: "forged", scopes: ["benefits:read"] }) { token userErrors { code } } }"#;

fn now() -> i64 {
    Utc::now().timestamp()
}

/// Claims of a valid staff token, to be spoiled one way or another.
fn claims() -> Value {
    json!({ "sub": "merve", "role": "STAFF", "iss": "fellowship-api", "aud": "fellowship-api",
            "iat": now(), "nbf": now(), "exp": now() + 600, "jti": "t-1" })
}

fn sign(claims: &Value, header: Header, key: &EncodingKey) -> String {
    jsonwebtoken::encode(&header, claims, key).unwrap()
}

fn hs256(claims: &Value, secret: &str) -> String {
    sign(
        claims,
        Header::new(Algorithm::HS256),
        &EncodingKey::from_secret(secret.as_bytes()),
    )
}

fn pem(name: &str) -> Vec<u8> {
    std::fs::read(key_file(name)).unwrap()
}

async fn assert_refused(app: &TestApp, token: &str, what: &str) {
    let response = app.graphql_as(Some(token), VIEWER, json!({})).await;
    assert_eq!(response.status, 401, "{what}: {}", response.body);
    assert_eq!(response.error_codes(), ["UNAUTHENTICATED"], "{what}");
    let text = response.body.to_string();
    if token.len() > 8 {
        assert!(!text.contains(token), "{what}: the error echoes the token");
    }
    assert!(
        response.body.get("data").is_none_or(Value::is_null),
        "{what}: data came back"
    );
}

async fn counts(app: &TestApp) -> (u64, u64) {
    (
        api_token::Entity::find().count(&app.db).await.unwrap(),
        audit_event::Entity::find().count(&app.db).await.unwrap(),
    )
}

on_both_databases! {
    async fn a_missing_token_is_anonymous_and_a_valid_one_names_the_caller(backend) {
        let app = TestApp::with_demo(backend).await;
        let anonymous = app.query(VIEWER, json!({})).await;
        assert_eq!(anonymous["viewer"]["role"], "ANONYMOUS");
        assert_eq!(anonymous["viewer"]["person"], Value::Null);

        let staff = app.graphql_as(Some(&app.token(api::auth::Role::Staff, "merve")), VIEWER, json!({})).await.expect_ok();
        assert_eq!(staff["viewer"]["role"], "STAFF");
        assert_eq!(staff["viewer"]["person"]["name"], "Merve Noyan");

        let fellow = app.graphql_as(Some(&app.token(api::auth::Role::Fellow, "ceyda")), VIEWER, json!({})).await.expect_ok();
        assert_eq!(fellow["viewer"]["role"], "FELLOW");
        assert_eq!(fellow["viewer"]["fellow"]["handle"], "ceyda");
    }

    async fn every_forged_or_spoiled_token_is_refused_and_changes_nothing(backend) {
        let app = TestApp::with_demo(backend).await;
        let before = counts(&app).await;
        let good = hs256(&claims(), TEST_SECRET);

        let mut forged: Vec<(&str, String)> = Vec::new();
        forged.push(("signed with another key", hs256(&claims(), "another-secret-that-is-long-enough-000000")));
        let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#);
        let payload = URL_SAFE_NO_PAD.encode(claims().to_string());
        forged.push(("alg none", format!("{header}.{payload}.")));
        let mut c = claims(); c["exp"] = json!(now() - 3600);
        forged.push(("expired", hs256(&c, TEST_SECRET)));
        let mut c = claims(); c["nbf"] = json!(now() + 3600);
        forged.push(("not yet valid", hs256(&c, TEST_SECRET)));
        let mut c = claims(); c["exp"] = json!((now() + 600).to_string());
        forged.push(("exp as a string", hs256(&c, TEST_SECRET)));
        let mut c = claims(); c["iss"] = json!("someone-else");
        forged.push(("wrong issuer", hs256(&c, TEST_SECRET)));
        let mut c = claims(); c["aud"] = json!("another-api");
        forged.push(("wrong audience", hs256(&c, TEST_SECRET)));
        let mut c = claims(); c.as_object_mut().unwrap().remove("sub");
        forged.push(("missing sub", hs256(&c, TEST_SECRET)));
        let mut c = claims(); c["iat"] = json!(now() + 3600);
        forged.push(("issued in the future", hs256(&c, TEST_SECRET)));
        let mut c = claims(); c["iat"] = json!("yesterday");
        forged.push(("iat as a string", hs256(&c, TEST_SECRET)));
        let mut c = claims(); c["role"] = json!("ADMIN");
        forged.push(("unknown role", hs256(&c, TEST_SECRET)));
        let mut header = Header::new(Algorithm::HS256); header.kid = Some("unknown-key".into());
        forged.push(("unknown kid", sign(&claims(), header, &EncodingKey::from_secret(TEST_SECRET.as_bytes()))));
        let mut c = claims(); c["role"] = json!("PARTNER"); c["scopes"] = json!(["benefits:read"]); c["jti"] = json!("never-issued");
        forged.push(("a partner token whose jti the database does not know", hs256(&c, TEST_SECRET)));
        let parts: Vec<&str> = good.split('.').collect();
        let mut c = claims(); c["sub"] = json!("espejelomar");
        forged.push(("a tampered payload", format!("{}.{}.{}", parts[0], URL_SAFE_NO_PAD.encode(c.to_string()), parts[2])));
        forged.push(("garbage", "not.a.token".into()));
        forged.push(("empty", "".into()));

        for (what, token) in &forged {
            assert_refused(&app, token, what).await;
            let response = app.graphql_as(Some(token), CREATE_TOKEN, json!({})).await;
            assert_eq!(response.status, 401, "{what}");
        }
        let basic = app.client.post(app.url("/graphql")).header("authorization", "Basic bWVydmU6cGFzcw==")
            .json(&json!({ "query": VIEWER })).send().await.unwrap();
        assert_eq!(basic.status().as_u16(), 401);
        assert_eq!(counts(&app).await, before, "a refused token changed data");

        // The unspoiled token works, so the refusals above are about the spoiling.
        let ok = app.graphql_as(Some(&good), VIEWER, json!({})).await.expect_ok();
        assert_eq!(ok["viewer"]["role"], "STAFF");
    }

    async fn a_disabled_account_or_a_role_the_account_lacks_is_refused(backend) {
        let app = TestApp::with_demo(backend).await;
        // ceyda's account is a fellow's: a staff token for her is not honoured.
        assert_refused(&app, &app.token(api::auth::Role::Staff, "ceyda"), "role the account lacks").await;
        let fellow = app.token(api::auth::Role::Fellow, "ceyda");
        assert_eq!(app.graphql_as(Some(&fellow), VIEWER, json!({})).await.status, 200);
        app.db.execute_unprepared("UPDATE accounts SET disabled_at = '2024-01-01T00:00:00Z' \
            WHERE person_id = (SELECT id FROM people WHERE handle = 'ceyda')").await.unwrap();
        assert_refused(&app, &fellow, "disabled account").await;
    }

    async fn a_revoked_partner_token_is_refused_on_the_very_next_request(backend) {
        let app = TestApp::with_demo(backend).await;
        let staff = app.token(api::auth::Role::Staff, "merve");
        let created = app.graphql_as(Some(&staff), r#"mutation { createApiToken(input: { name: "Partner A", scopes: ["benefits:read"] }) {
            token apiToken { id name scopes active createdBy { handle } } userErrors { field message code } } }"#, json!({})).await.expect_ok();
        let payload = &created["createApiToken"];
        assert_eq!(payload["userErrors"], json!([]));
        assert_eq!(payload["apiToken"]["scopes"], json!(["benefits:read"]));
        assert_eq!(payload["apiToken"]["createdBy"]["handle"], "merve");
        let partner = payload["token"].as_str().unwrap().to_owned();
        let id = payload["apiToken"]["id"].as_str().unwrap().to_owned();

        let viewer = app.graphql_as(Some(&partner), VIEWER, json!({})).await.expect_ok();
        assert_eq!(viewer["viewer"]["role"], "PARTNER");
        assert_eq!(viewer["viewer"]["scopes"], json!(["benefits:read"]));

        // The secret is shown once: the database keeps only a hash and the jti.
        let rows = api_token::Entity::find().all(&app.db).await.unwrap();
        assert!(rows.iter().all(|r| r.secret_hash != partner && !partner.contains(&r.secret_hash)));
        let listed = app.graphql_as(Some(&staff), "{ apiTokens { nodes { name lastUsedAt revokedAt } } }", json!({})).await.expect_ok();
        assert!(!listed.to_string().contains(&partner));
        assert!(listed["apiTokens"]["nodes"][0]["lastUsedAt"].is_string());

        let revoked = app.graphql_as(Some(&staff), r#"mutation($id: ID!) { revokeApiToken(input: { apiTokenId: $id }) { apiToken { active revokedAt } userErrors { code } } }"#,
            json!({ "id": id })).await.expect_ok();
        assert_eq!(revoked["revokeApiToken"]["apiToken"]["active"], false);
        assert_refused(&app, &partner, "revoked partner token").await;

        let audit = app.graphql_as(Some(&staff), "{ auditEvents { nodes { action objectType actor { handle } before after } } }", json!({})).await.expect_ok();
        let actions: Vec<&str> = audit["auditEvents"]["nodes"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
        assert_eq!(actions, ["apiToken.revoke", "apiToken.create"]);
        assert_eq!(audit["auditEvents"]["nodes"][0]["actor"]["handle"], "merve");
        assert!(!audit.to_string().contains(&partner), "the audit log keeps no secret");
    }

    async fn token_creation_validates_its_input_and_writes_nothing_when_refused(backend) {
        let app = TestApp::with_demo(backend).await;
        let staff = app.token(api::auth::Role::Staff, "merve");
        let before = counts(&app).await;
        for (input, field) in [
            (json!({ "name": "", "scopes": ["benefits:read"] }), json!(["input", "name"])),
            (json!({ "name": "x", "scopes": ["everything"] }), json!(["input", "scopes", "0"])),
            (json!({ "name": "x", "scopes": [] }), json!(["input", "scopes"])),
            (json!({ "name": "x", "scopes": ["benefits:read"], "expiresAt": "2001-01-01T00:00:00Z" }), json!(["input", "expiresAt"])),
            (json!({ "name": "x", "scopes": ["benefits:read"], "expiresAt": "2999-01-01T00:00:00Z" }), json!(["input", "expiresAt"])),
        ] {
            let response = app.graphql_as(Some(&staff), r#"mutation($input: CreateApiTokenInput!) { createApiToken(input: $input) { token apiToken { id } userErrors { field code } } }"#,
                json!({ "input": input })).await.expect_ok();
            let payload = &response["createApiToken"];
            assert_eq!(payload["token"], Value::Null);
            assert_eq!(payload["userErrors"][0]["code"], "BAD_USER_INPUT", "{input}");
            assert_eq!(payload["userErrors"][0]["field"], field, "{input}");
        }
        assert_eq!(counts(&app).await, before);
    }

    async fn a_token_without_nbf_or_iat_is_accepted_and_one_from_the_future_is_refused(backend) {
        let app = TestApp::with_demo(backend).await;
        let without = |names: &[&str]| {
            let mut c = claims();
            for name in names {
                c.as_object_mut().unwrap().remove(*name);
            }
            hs256(&c, TEST_SECRET)
        };
        let leeway = api::auth::keys::LEEWAY_SECONDS as i64;
        let with = |name: &str, value: i64| {
            let mut c = claims();
            c[name] = json!(value);
            hs256(&c, TEST_SECRET)
        };
        // What an identity provider issues: no nbf, and sometimes no iat either; and
        // clocks a little ahead of ours.
        for (what, token) in [
            ("no nbf", without(&["nbf"])),
            ("no iat", without(&["iat"])),
            ("neither nbf nor iat", without(&["nbf", "iat"])),
            ("nbf within the leeway", with("nbf", now() + leeway / 2)),
            ("iat within the leeway", with("iat", now() + leeway / 2)),
        ] {
            let response = app.graphql_as(Some(&token), VIEWER, json!({})).await;
            assert_eq!(response.status, 200, "{what}: {}", response.body);
            assert_eq!(response.expect_ok()["viewer"]["role"], "STAFF", "{what}");
        }
        let mut c = claims(); c.as_object_mut().unwrap().remove("iat"); c["nbf"] = json!(now() + 3600);
        assert_refused(&app, &hs256(&c, TEST_SECRET), "nbf in the future, no iat").await;
        let mut c = claims(); c.as_object_mut().unwrap().remove("nbf"); c["iat"] = json!(now() + 3600);
        assert_refused(&app, &hs256(&c, TEST_SECRET), "iat in the future, no nbf").await;
    }

    async fn a_user_token_whose_subject_has_no_account_is_refused_everywhere(backend) {
        let app = TestApp::with_demo(backend).await;
        let before = counts(&app).await;
        // A handle nobody has, and a person the records know but who has no account.
        fellowship_tests::seed::person(&app.db, "Board Representative", Some("board-rep")).await;
        for (what, token) in [
            ("staff, unknown handle", app.token(api::auth::Role::Staff, "nobody-at-all")),
            ("fellow, unknown handle", app.token(api::auth::Role::Fellow, "nobody-at-all")),
            ("staff, person without an account", app.token(api::auth::Role::Staff, "board-rep")),
        ] {
            assert_refused(&app, &token, what).await;
            for query in ["{ auditEvents { totalCount } }", "{ apiTokens { totalCount } }", CREATE_TOKEN] {
                let response = app.graphql_as(Some(&token), query, json!({})).await;
                assert_eq!(response.status, 401, "{what}: {query}: {}", response.body);
                assert_eq!(response.error_codes(), ["UNAUTHENTICATED"], "{what}: {query}");
            }
            let mut socket = WsClient::connect(&app.address).await;
            match socket.init(Some(&token)).await {
                Received::Closed { code, .. } => assert_eq!(code, 4403, "{what}"),
                other => panic!("{what}: the WebSocket was not refused: {other:?}"),
            }
        }
        assert_eq!(counts(&app).await, before, "a refused token changed data");

        // Once the person has an account, the very same kind of token is honoured.
        let staff = app.account_token(api::auth::Role::Staff, "board-rep").await;
        let viewer = app.graphql_as(Some(&staff), VIEWER, json!({})).await.expect_ok();
        assert_eq!(viewer["viewer"]["role"], "STAFF");
        assert_eq!(viewer["viewer"]["person"]["name"], "Board Representative");
    }

    async fn a_request_with_two_authorization_headers_is_refused_over_http_and_on_the_upgrade(backend) {
        let app = TestApp::with_demo(backend).await;
        let before = counts(&app).await;
        let staff = format!("Bearer {}", app.token(api::auth::Role::Staff, "merve"));
        let fellow = format!("Bearer {}", app.token(api::auth::Role::Fellow, "ceyda"));
        for (what, values) in [
            ("the same token twice", [staff.as_str(), staff.as_str()]),
            ("staff first", [staff.as_str(), fellow.as_str()]),
            ("a fellow first", [fellow.as_str(), staff.as_str()]),
            ("garbage first", ["Bearer not.a.token", staff.as_str()]),
        ] {
            let mut request = app.client.post(app.url("/graphql")).json(&json!({ "query": CREATE_TOKEN }));
            for value in values {
                request = request.header("authorization", value);
            }
            let response = request.send().await.unwrap();
            assert_eq!(response.status().as_u16(), 401, "{what}");
            let body: Value = response.json().await.unwrap();
            assert_eq!(body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED", "{what}");
            assert!(body.get("data").is_none_or(Value::is_null), "{what}: {body}");

            let mut upgrade = endpoint(&app.address).into_client_request().unwrap();
            upgrade.headers_mut().insert("Sec-WebSocket-Protocol", HeaderValue::from_static("graphql-transport-ws"));
            for value in values {
                upgrade.headers_mut().append("Authorization", HeaderValue::from_str(value).unwrap());
            }
            match tokio_tungstenite::connect_async(upgrade).await {
                Err(WsError::Http(response)) => assert_eq!(response.status().as_u16(), 401, "{what}"),
                Ok(_) => panic!("{what}: the upgrade was accepted"),
                Err(other) => panic!("{what}: {other}"),
            }
        }
        assert_eq!(counts(&app).await, before, "a refused request changed data");

        // One header of either kind works, so the refusals are about the second one.
        let one = app.client.post(app.url("/graphql")).header("authorization", &staff)
            .json(&json!({ "query": VIEWER })).send().await.unwrap();
        assert_eq!(one.status().as_u16(), 200);
        let mut socket = WsClient::connect_with(&app.address, Some(&staff)).await;
        assert_eq!(socket.init(None).await, Received::Message(json!({ "type": "connection_ack" })));
    }

    async fn a_partner_token_whose_row_has_no_scopes_is_refused(backend) {
        let app = TestApp::with_demo(backend).await;
        let staff = app.token(api::auth::Role::Staff, "merve");
        let created = app.graphql_as(Some(&staff), r#"mutation { createApiToken(input: { name: "Partner B", scopes: ["benefits:read"] }) { token } }"#,
            json!({})).await.expect_ok();
        let partner = created["createApiToken"]["token"].as_str().unwrap().to_owned();
        assert_eq!(app.graphql_as(Some(&partner), VIEWER, json!({})).await.expect_ok()["viewer"]["role"], "PARTNER");
        // A row written before scopes were required, or by hand.
        app.db.execute_unprepared("UPDATE api_tokens SET scopes = '[]'").await.unwrap();
        assert_refused(&app, &partner, "a partner token without scopes").await;
    }

    async fn a_socket_naming_two_credentials_is_refused(backend) {
        let app = TestApp::with_demo(backend).await;
        let staff = app.token(api::auth::Role::Staff, "merve");
        let fellow = app.token(api::auth::Role::Fellow, "mariagrandury");
        let closed_4403 = |received: Received, what: &str| match received {
            Received::Closed { code, .. } => assert_eq!(code, 4403, "{what}"),
            other => panic!("{what}: {other:?}"),
        };
        // The upgrade request's credential and the payload's disagree.
        for upgrade in [format!("Bearer {fellow}"), "Bearer bogus".to_owned()] {
            let mut socket = WsClient::connect_with(&app.address, Some(&upgrade)).await;
            closed_4403(socket.init(Some(&staff)).await, &upgrade);
        }
        // Two spellings of the key in one payload.
        let mut socket = WsClient::connect(&app.address).await;
        socket.send(json!({ "type": "connection_init", "payload": {
            "authorization": format!("Bearer {fellow}"), "Authorization": format!("Bearer {staff}") } })).await;
        let received = socket.receive(std::time::Duration::from_secs(10)).await.expect("an answer");
        closed_4403(received, "two keys");
        // The same credential in both places is one credential.
        let mut socket = WsClient::connect_with(&app.address, Some(&format!("Bearer {staff}"))).await;
        assert_eq!(socket.init(Some(&staff)).await, Received::Message(json!({ "type": "connection_ack" })));
    }
}

async fn app_with_keys(auth: AuthSettings) -> Option<TestApp> {
    let backend = Backend::Sqlite;
    Some(
        TestApp::builder(TestDatabase::create(backend).await)
            .demo()
            .auth(auth)
            .spawn()
            .await,
    )
}

fn public_key_settings(file: std::path::PathBuf) -> AuthSettings {
    AuthSettings {
        jwt_secret: None,
        jwt_public_key_file: Some(file),
        ..AuthSettings::with_secret(TEST_SECRET)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rs256_es256_and_eddsa_public_keys_verify_their_tokens_and_pin_the_algorithm() {
    for (public, private, algorithm) in [
        ("rsa-public.pem", "rsa-private.pem", Algorithm::RS256),
        ("ec-public.pem", "ec-private.pem", Algorithm::ES256),
        ("ed-public.pem", "ed-private.pem", Algorithm::EdDSA),
    ] {
        let app = app_with_keys(public_key_settings(key_file(public)))
            .await
            .unwrap();
        let key = match algorithm {
            Algorithm::RS256 => EncodingKey::from_rsa_pem(&pem(private)).unwrap(),
            Algorithm::ES256 => EncodingKey::from_ec_pem(&pem(private)).unwrap(),
            _ => EncodingKey::from_ed_pem(&pem(private)).unwrap(),
        };
        let token = sign(&claims(), Header::new(algorithm), &key);
        let ok = app
            .graphql_as(Some(&token), VIEWER, json!({}))
            .await
            .expect_ok();
        assert_eq!(ok["viewer"]["role"], "STAFF", "{algorithm:?}");

        // The public key itself used as an HS256 secret: the classic algorithm switch.
        let switched = sign(
            &claims(),
            Header::new(Algorithm::HS256),
            &EncodingKey::from_secret(&pem(public)),
        );
        assert_refused(&app, &switched, "public key as HS256 secret").await;
        // A token of the right algorithm but another key.
        if algorithm == Algorithm::RS256 {
            let other = sign(
                &claims(),
                Header::new(algorithm),
                &EncodingKey::from_rsa_pem(&pem("rsa2-private.pem")).unwrap(),
            );
            assert_refused(&app, &other, "another RSA key").await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_set_keeps_two_keys_live_during_a_rotation_and_refuses_unknown_kids() {
    let old = EncodingKey::from_rsa_pem(&pem("rsa-private.pem")).unwrap();
    let new = EncodingKey::from_rsa_pem(&pem("rsa2-private.pem")).unwrap();
    let mut keys = Vec::new();
    for (kid, key) in [("2025-old", &old), ("2026-new", &new)] {
        let mut jwk = Jwk::from_encoding_key(key, Algorithm::RS256).unwrap();
        jwk.common.key_id = Some(kid.to_owned());
        keys.push(jwk);
    }
    let file = std::env::temp_dir().join(format!("fellowship-jwks-{}.json", uuid::Uuid::new_v4()));
    std::fs::write(&file, serde_json::to_string(&JwkSet { keys }).unwrap()).unwrap();
    let app = app_with_keys(public_key_settings(file.clone()))
        .await
        .unwrap();

    for (kid, key) in [("2025-old", &old), ("2026-new", &new)] {
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(kid.into());
        let ok = app
            .graphql_as(Some(&sign(&claims(), header, key)), VIEWER, json!({}))
            .await
            .expect_ok();
        assert_eq!(ok["viewer"]["role"], "STAFF", "{kid}");
    }
    let mut wrong = Header::new(Algorithm::RS256);
    wrong.kid = Some("2026-new".into());
    assert_refused(
        &app,
        &sign(&claims(), wrong, &old),
        "a kid naming another key",
    )
    .await;
    let mut unknown = Header::new(Algorithm::RS256);
    unknown.kid = Some("2024-retired".into());
    assert_refused(&app, &sign(&claims(), unknown, &old), "an unknown kid").await;
    let _ = std::fs::remove_file(file);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_without_keys_refuses_every_token_but_serves_anonymous_callers() {
    let auth = AuthSettings {
        jwt_secret: None,
        ..AuthSettings::with_secret(TEST_SECRET)
    };
    let app = app_with_keys(auth).await.unwrap();
    assert_eq!(
        app.query(VIEWER, json!({})).await["viewer"]["role"],
        "ANONYMOUS"
    );
    assert_refused(&app, &hs256(&claims(), TEST_SECRET), "no keys configured").await;
}

/// Rotating the keys that verify user tokens, as the README tells operators to: the new
/// secret beside the old one, then the new one alone.
mod rotation {
    use super::*;
    use api::auth::{mint_user_token, KeyRing, Role};
    use fellowship_tests::test_server_settings;

    const NEW_SECRET: &str = "the-new-secret-after-a-rotation-0123456789abcdef";
    const FELLOWS_PAGE: &str = "query($after: String) { fellows(first: 2, after: $after) { nodes { handle } pageInfo { endCursor } } }";
    const GRANTS: &str = "{ fellows(first: 1) { nodes { benefits { kind } } } }";

    /// POSTs `query` to the server at `address` as `token`: the status and the body.
    async fn ask(
        app: &TestApp,
        address: &str,
        token: Option<&str>,
        query: &str,
        variables: Value,
    ) -> (u16, Value) {
        let response = app.graphql_at(address, token, query, variables).await;
        (response.status, response.body)
    }

    async fn role_at(app: &TestApp, address: &str, token: &str) -> Result<String, Value> {
        match ask(app, address, Some(token), VIEWER, json!({})).await {
            (200, body) => Ok(body["data"]["viewer"]["role"].as_str().unwrap().to_owned()),
            (401, body) => {
                assert_eq!(
                    fellowship_tests::error_codes(&body),
                    ["UNAUTHENTICATED"],
                    "{body}"
                );
                Err(body)
            }
            (status, body) => panic!("{status}: {body}"),
        }
    }

    fn auth(secret: &str, previous: Option<&str>) -> AuthSettings {
        let mut auth = AuthSettings::with_secret(secret);
        auth.jwt_secret_previous = previous.map(Into::into);
        auth
    }

    fn staff_token_signed_with(secret: &str) -> String {
        let keys = KeyRing::from_settings(&AuthSettings::with_secret(secret)).unwrap();
        mint_user_token(&keys, Role::Staff, "merve", chrono::Duration::hours(1)).unwrap()
    }

    async fn partner_token(app: &TestApp, address: &str, staff: &str, name: &str) -> String {
        let (status, body) = ask(app, address, Some(staff),
            r#"mutation($name: String!) { createApiToken(input: { name: $name, scopes: ["benefits:read"] }) { token userErrors { code message } } }"#,
            json!({ "name": name })).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(
            body["data"]["createApiToken"]["userErrors"],
            json!([]),
            "{body}"
        );
        body["data"]["createApiToken"]["token"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    on_both_databases! {
        async fn user_tokens_survive_a_secret_rotation_until_the_previous_key_goes_and_partner_tokens_survive_it_all(backend) {
            let app = TestApp::with_demo(backend).await;
            let old_staff = staff_token_signed_with(TEST_SECRET);
            let old_partner = partner_token(&app, &app.address, &old_staff, "before the rotation").await;
            // A cursor issued before, whose key (no CURSOR_SECRET here) follows JWT_SECRET.
            let (_, first) = ask(&app, &app.address, None, FELLOWS_PAGE, json!({})).await;
            let old_cursor = first["data"]["fellows"]["pageInfo"]["endCursor"].clone();
            let (_, second) = ask(&app, &app.address, None, FELLOWS_PAGE, json!({ "after": old_cursor })).await;

            // Step 1: the new secret signs, the old one still verifies.
            let rotating = app.replica_with(test_server_settings(), auth(NEW_SECRET, Some(TEST_SECRET))).await;
            let new_staff = staff_token_signed_with(NEW_SECRET);
            assert_eq!(role_at(&app, &rotating, &old_staff).await.unwrap(), "STAFF");
            assert_eq!(role_at(&app, &rotating, &new_staff).await.unwrap(), "STAFF");
            assert_eq!(role_at(&app, &rotating, &old_partner).await.unwrap(), "PARTNER");
            let (status, resumed) = ask(&app, &rotating, None, FELLOWS_PAGE, json!({ "after": old_cursor })).await;
            // The same page (its own cursor is signed with the new key, so it differs).
            assert_eq!((status, &resumed["data"]["fellows"]["nodes"]), (200, &second["data"]["fellows"]["nodes"]),
                "an old cursor during the rotation: {resumed}");
            // A partner token made now is signed with the new key.
            let new_partner = partner_token(&app, &rotating, &new_staff, "during the rotation").await;
            // A server that has not rotated yet does not take what the new key signed,
            // except the partner's token, which is proved by its hash.
            assert!(role_at(&app, &app.address, &new_staff).await.is_err());
            assert_eq!(role_at(&app, &app.address, &new_partner).await.unwrap(), "PARTNER");

            // Step 3: the previous key is gone, and with it the user tokens it signed.
            let after = app.replica_with(test_server_settings(), auth(NEW_SECRET, None)).await;
            let refused = role_at(&app, &after, &old_staff).await.unwrap_err();
            assert!(refused.to_string().contains("signature"), "{refused}");
            assert_eq!(role_at(&app, &after, &new_staff).await.unwrap(), "STAFF");
            // The WebSocket verifies by the same keys: the old token opens a socket during
            // the rotation and none after it; the new one opens one. (Partners have no
            // subscription to open a socket for.)
            for (address, token, accepted) in [
                (&rotating, &old_staff, true),
                (&after, &old_staff, false),
                (&after, &new_staff, true),
            ] {
                let mut socket = WsClient::connect_with(address, None).await;
                match socket.init(Some(token)).await {
                    Received::Message(ack) if accepted => assert_eq!(ack, json!({ "type": "connection_ack" })),
                    Received::Closed { code, .. } if !accepted => assert_eq!(code, 4403),
                    other => panic!("{address}, accepted {accepted}: {other:?}"),
                }
            }
            // Both partner tokens still work, and still read only what their scope allows.
            for partner in [&old_partner, &new_partner] {
                assert_eq!(role_at(&app, &after, partner).await.unwrap(), "PARTNER");
                let (status, body) = ask(&app, &after, Some(partner), GRANTS, json!({})).await;
                assert_eq!(status, 200, "{body}");
                assert!(body.get("errors").is_none(), "{body}");
                assert!(body["data"]["fellows"]["nodes"][0]["benefits"].is_array(), "{body}");
                let (_, body) = ask(&app, &after, Some(partner), "{ nominations(first: 1) { totalCount } }", json!({})).await;
                assert_eq!(fellowship_tests::error_codes(&body), ["FORBIDDEN"], "{body}");
            }
            // Revoking one still takes effect at once, wherever it is presented.
            let (_, listed) = ask(&app, &after, Some(&new_staff), r#"{ apiTokens { nodes { id name } } }"#, json!({})).await;
            let id = listed["data"]["apiTokens"]["nodes"].as_array().unwrap().iter()
                .find(|n| n["name"] == "before the rotation").unwrap()["id"].clone();
            let (_, revoked) = ask(&app, &after, Some(&new_staff),
                r#"mutation($id: ID!) { revokeApiToken(input: { apiTokenId: $id }) { userErrors { code } } }"#, json!({ "id": id })).await;
            assert_eq!(revoked["data"]["revokeApiToken"]["userErrors"], json!([]), "{revoked}");
            assert!(role_at(&app, &after, &old_partner).await.is_err());
            assert!(role_at(&app, &rotating, &old_partner).await.is_err());
            assert_eq!(role_at(&app, &after, &new_partner).await.unwrap(), "PARTNER");
        }

        async fn a_token_that_claims_to_be_a_partners_is_proved_by_its_hash_alone(backend) {
            let app = TestApp::with_demo(backend).await;
            let staff = staff_token_signed_with(TEST_SECRET);
            let partner = partner_token(&app, &app.address, &staff, "real").await;
            let jti = api_token::Entity::find().all(&app.db).await.unwrap()[0].jti.clone();
            // The real token's claims, re-signed with the server's own secret, or with
            // none: neither is the token the records hold.
            let parts: Vec<&str> = partner.split('.').collect();
            let claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
            assert_eq!(claims["jti"], jti.as_str());
            let mut wider = claims.clone();
            wider["scopes"] = json!(["benefits:read", "nominations:read"]);
            let unsigned = format!("{}.{}.", URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#), parts[1]);
            for (what, token) in [
                ("re-signed with the server's key", hs256(&claims, TEST_SECRET)),
                ("wider scopes, re-signed", hs256(&wider, TEST_SECRET)),
                ("alg none", unsigned),
                ("the signature of another", format!("{}.{}.{}", parts[0], parts[1], "AAAA")),
            ] {
                assert_refused(&app, &token, what).await;
            }
            let mut no_jti = claims.clone();
            no_jti.as_object_mut().unwrap().remove("jti");
            assert_refused(&app, &hs256(&no_jti, TEST_SECRET), "a partner token without a jti").await;
            assert_eq!(role_at(&app, &app.address, &partner).await.unwrap(), "PARTNER");
        }
    }
}

/// A token as identity providers issue them (Keycloak here): the role among realm
/// roles, the handle in `preferred_username`, `sub` an opaque id, `aud` a list, no
/// `nbf`, an `iat` a little ahead of this clock; signed RS256 and ES256.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn claims_are_read_where_the_identity_provider_puts_them() {
    for (public, private, algorithm) in [
        ("rsa-public.pem", "rsa-private.pem", Algorithm::RS256),
        ("ec-public.pem", "ec-private.pem", Algorithm::ES256),
    ] {
        let mut auth = public_key_settings(key_file(public));
        auth.jwt_role_claim = "realm_access.roles".into();
        auth.jwt_handle_claim = "preferred_username".into();
        auth.jwt_staff_role = "fellowship-staff".into();
        auth.jwt_fellow_role = "fellowship-fellow".into();
        let app = app_with_keys(auth).await.unwrap();
        let key = match algorithm {
            Algorithm::RS256 => EncodingKey::from_rsa_pem(&pem(private)).unwrap(),
            _ => EncodingKey::from_ec_pem(&pem(private)).unwrap(),
        };
        let provider = |handle: &str, roles: Value| {
            json!({
                "sub": "3f6c0a52-7d1e-4b8e-9f3a-2c1d0e9b8a71", "preferred_username": handle,
                "realm_access": { "roles": roles }, "iss": "fellowship-api",
                "aud": ["account", "fellowship-api"], "azp": "fellowship-web",
                "iat": now() + 20, "exp": now() + 300, "typ": "Bearer",
            })
        };
        let staff = sign(
            &provider("merve", json!(["offline_access", "fellowship-staff"])),
            Header::new(algorithm),
            &key,
        );
        let viewer = app
            .graphql_as(Some(&staff), VIEWER, json!({}))
            .await
            .expect_ok();
        assert_eq!(viewer["viewer"]["role"], "STAFF", "{algorithm:?}: {viewer}");
        assert_eq!(viewer["viewer"]["handle"], "merve");
        // The same token opens a WebSocket.
        let mut socket = WsClient::connect_with(&app.address, None).await;
        assert_eq!(
            socket.init(Some(&staff)).await,
            Received::Message(json!({ "type": "connection_ack" }))
        );
        // ceyda's account is a fellow's; her provider lists both groups: she acts as a fellow.
        let both = sign(
            &provider("ceyda", json!(["fellowship-fellow", "fellowship-staff"])),
            Header::new(algorithm),
            &key,
        );
        let viewer = app
            .graphql_as(Some(&both), VIEWER, json!({}))
            .await
            .expect_ok();
        assert_eq!(viewer["viewer"]["role"], "FELLOW", "{viewer}");

        for (what, claims) in [
            (
                "no role of this service",
                provider("merve", json!(["offline_access"])),
            ),
            ("the role claim where it is not configured", {
                let mut c = provider("merve", json!([]));
                c["role"] = json!("STAFF");
                c
            }),
            ("no handle", {
                let mut c = provider("merve", json!(["fellowship-staff"]));
                c.as_object_mut().unwrap().remove("preferred_username");
                c
            }),
            (
                "a handle without an account",
                provider("nobody-here", json!(["fellowship-staff"])),
            ),
            ("an audience list without ours", {
                let mut c = provider("merve", json!(["fellowship-staff"]));
                c["aud"] = json!(["account"]);
                c
            }),
            ("issued too far ahead", {
                let mut c = provider("merve", json!(["fellowship-staff"]));
                c["iat"] = json!(now() + 600);
                c
            }),
        ] {
            assert_refused(&app, &sign(&claims, Header::new(algorithm), &key), what).await;
        }
    }
}

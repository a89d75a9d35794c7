//! Sign-in through an identity provider: a provider of the tests' own on a loopback port
//! (`fellowship_tests::oidc`) publishes its keys by OpenID Connect discovery, rotates
//! them, and goes away, while clients call over HTTP and the WebSocket with the RS256
//! and ES256 tokens it signs.

use std::time::{Duration, Instant};

use api::config::{AuthSettings, ProviderSettings};
use fellowship_tests::oidc::{sign_as, TestProvider};
use fellowship_tests::ws::{Received, WsClient};
use fellowship_tests::{Backend, TestApp, TestDatabase, TEST_SECRET};
use serde_json::{json, Value};

const VIEWER: &str = "{ viewer { role handle } }";

/// The settings of a Keycloak realm: roles in `realm_access.roles`, the handle in
/// `preferred_username`, staff as a realm role of its own name.
fn keycloak_like(provider: ProviderSettings) -> AuthSettings {
    AuthSettings {
        // Without the server's own secret: every accepted token is the provider's.
        jwt_secret: None,
        jwt_role_claim: "realm_access.roles".into(),
        jwt_handle_claim: "preferred_username".into(),
        jwt_staff_role: "fellowship-staff".into(),
        jwt_fellow_role: "fellow".into(),
        provider,
        ..AuthSettings::with_secret(TEST_SECRET)
    }
}

async fn app_with(auth: AuthSettings) -> TestApp {
    TestApp::builder(TestDatabase::create(Backend::Sqlite).await)
        .demo()
        .auth(auth)
        .spawn()
        .await
}

/// The viewer a token makes over HTTP, or the refusal's body.
async fn viewer(app: &TestApp, token: &str) -> Result<Value, Value> {
    let response = app.graphql_as(Some(token), VIEWER, json!({})).await;
    if response.status == 200 && response.body["errors"].is_null() {
        Ok(response.body["data"]["viewer"].clone())
    } else {
        assert_eq!(response.status, 401, "{}", response.body);
        assert_eq!(response.error_codes(), ["UNAUTHENTICATED"]);
        Err(response.body)
    }
}

async fn is_staff(app: &TestApp, token: &str) -> bool {
    match viewer(app, token).await {
        Ok(v) => {
            assert_eq!(v, json!({ "role": "STAFF", "handle": "merve" }));
            true
        }
        Err(_) => false,
    }
}

/// The viewer a token makes over the WebSocket (graphql-transport-ws), or the close.
async fn viewer_over_websocket(app: &TestApp, token: &str) -> Result<Value, (u16, String)> {
    let mut socket = WsClient::connect(&app.address).await;
    match socket.init(Some(token)).await {
        Received::Message(ack) => assert_eq!(ack, json!({ "type": "connection_ack" })),
        Received::Closed { code, reason } => return Err((code, reason)),
    }
    socket.subscribe("v", VIEWER, json!({})).await;
    let payload = socket.next_payload("v", Duration::from_secs(10)).await;
    socket.close().await;
    Ok(payload["data"]["viewer"].clone())
}

async fn readiness(app: &TestApp) -> (u16, Value) {
    let response = app.client.get(app.url("/readyz")).send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

/// Polls `check` every 100 ms until it holds, for at most `within`.
async fn eventually<F, Fut>(within: Duration, what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + within;
    while !check().await {
        assert!(
            Instant::now() < deadline,
            "{what} did not happen within {within:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rs256_and_es256_tokens_of_a_discovered_provider_are_honoured_over_http_and_websocket() {
    let provider = TestProvider::start().await;
    let app = app_with(keycloak_like(provider.discovery_settings())).await;
    let claims = provider.claims("merve", &["offline_access", "fellowship-staff"]);
    for kid in ["rsa-1", "ec-1"] {
        let token = provider.sign(kid, &claims);
        assert!(is_staff(&app, &token).await, "{kid} over HTTP");
        assert_eq!(
            viewer_over_websocket(&app, &token).await,
            Ok(json!({ "role": "STAFF", "handle": "merve" })),
            "{kid} over the WebSocket"
        );
    }
    let fellow = provider.sign("ec-1", &provider.claims("lysandre", &["fellow"]));
    // Lysandre Debut is a board representative with no account: the provider's word
    // alone makes nobody a user.
    assert!(viewer(&app, &fellow).await.is_err());

    // `iss` must be the discovered issuer.
    let mut elsewhere = claims.clone();
    elsewhere["iss"] = json!("https://impostor.example.org");
    let refused = viewer(&app, &provider.sign("rsa-1", &elsewhere))
        .await
        .unwrap_err();
    assert!(refused.to_string().contains("issuer"), "{refused}");
    // A key the provider does not publish, under the name of one it does.
    assert!(viewer(&app, &sign_as("rsa-2", "rsa-1", &claims))
        .await
        .is_err());
    // The audience must include ours.
    let mut other_audience = claims.clone();
    other_audience["aud"] = json!(["account"]);
    assert!(viewer(&app, &provider.sign("rsa-1", &other_audience))
        .await
        .is_err());
    // A token the provider signed for another algorithm's key: the key's pin refuses it.
    let (code, _) = viewer_over_websocket(&app, &sign_as("ec-1", "rsa-1", &claims))
        .await
        .unwrap_err();
    assert_eq!(code, 4403);

    let (status, body) = readiness(&app).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["identityProvider"]["status"], "fresh", "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_rotated_in_is_fetched_when_a_token_names_it_and_unknown_kids_cannot_flood_the_provider(
) {
    let provider = TestProvider::start().await;
    let app = app_with(keycloak_like(provider.discovery_settings())).await;
    let claims = provider.claims("merve", &["fellowship-staff"]);
    assert!(is_staff(&app, &provider.sign("rsa-1", &claims)).await);
    let before = provider.key_set_requests();

    // The provider rotates a key in; the first token signed with it is honoured.
    provider.publish(&["rsa-1", "rsa-2", "ec-1", "ec-2"]);
    assert!(is_staff(&app, &provider.sign("rsa-2", &claims)).await);
    assert_eq!(
        provider.key_set_requests(),
        before + 1,
        "one fetch for the new key"
    );
    assert_eq!(
        viewer_over_websocket(&app, &provider.sign("ec-2", &claims)).await,
        Ok(json!({ "role": "STAFF", "handle": "merve" })),
        "ec-2 arrived with the same fetch"
    );
    assert_eq!(provider.key_set_requests(), before + 1);

    // Two hundred tokens naming keys nobody has, all at once: each is refused, and the
    // provider is asked at most once more (the cooldown is two seconds).
    let flood = provider.key_set_requests();
    let started = Instant::now();
    let refusals = futures::future::join_all((0..200).map(|i| {
        let token = sign_as("rsa-1", &format!("made-up-{i}"), &claims);
        let app = &app;
        async move { viewer(app, &token).await.is_err() }
    }))
    .await;
    assert!(refusals.iter().all(|refused| *refused));
    assert!(
        provider.key_set_requests() <= flood + 1,
        "{} fetches for 200 unknown kids",
        provider.key_set_requests() - flood
    );
    assert!(started.elapsed() < Duration::from_secs(10));
    // The server serves everyone else as before.
    assert!(is_staff(&app, &provider.sign("rsa-1", &claims)).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_are_refreshed_in_the_background_as_cache_control_says_within_the_bounds() {
    let provider = TestProvider::start().await;
    provider.set_max_age(Some(1));
    let app = app_with(keycloak_like(provider.discovery_settings())).await;
    let claims = provider.claims("merve", &["fellowship-staff"]);
    let retiring = provider.sign("rsa-1", &claims);
    assert!(is_staff(&app, &retiring).await);

    // The provider retires rsa-1. A token naming a key the server knows triggers no
    // fetch; the background refresh, a second after the last, drops the key.
    provider.publish(&["rsa-2"]);
    eventually(Duration::from_secs(10), "rsa-1 retired", || async {
        viewer(&app, &retiring).await.is_err()
    })
    .await;
    assert!(is_staff(&app, &provider.sign("rsa-2", &claims)).await);

    // A max-age beyond JWKS_REFRESH_MAX is cut to it: at most 2 s here, not a day.
    let capped = provider_and_app(|p| ProviderSettings {
        refresh_max: Duration::from_secs(2),
        ..p.discovery_settings()
    })
    .await;
    capped.0.set_max_age(Some(86_400));
    let first = capped.0.key_set_requests();
    eventually(
        Duration::from_secs(8),
        "a refresh despite max-age=86400",
        || async { capped.0.key_set_requests() >= first + 2 },
    )
    .await;
    // And a max-age of zero is raised to JWKS_REFRESH_MIN: no more than about one fetch
    // a second.
    provider.set_max_age(Some(0));
    tokio::time::sleep(Duration::from_secs(2)).await;
    let zero = provider.key_set_requests();
    tokio::time::sleep(Duration::from_secs(3)).await;
    let fetched = provider.key_set_requests() - zero;
    assert!((1..=4).contains(&fetched), "{fetched} fetches in 3 s");
}

async fn provider_and_app(
    settings: impl Fn(&TestProvider) -> ProviderSettings,
) -> (TestProvider, TestApp) {
    let provider = TestProvider::start().await;
    let app = app_with(keycloak_like(settings(&provider))).await;
    (provider, app)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn while_the_provider_is_down_cached_keys_keep_working_and_readiness_says_so() {
    let provider = TestProvider::start().await;
    provider.set_max_age(Some(1));
    let app = app_with(keycloak_like(ProviderSettings {
        refetch_cooldown: Duration::from_millis(300),
        ..provider.discovery_settings()
    }))
    .await;
    let claims = provider.claims("merve", &["fellowship-staff"]);
    let token = provider.sign("ec-1", &claims);
    assert!(is_staff(&app, &token).await);

    provider.set_down(true);
    eventually(
        Duration::from_secs(10),
        "readiness reporting the outage",
        || async {
            let (status, body) = readiness(&app).await;
            assert_eq!(status, 200, "cached keys keep the server ready: {body}");
            body["identityProvider"]["status"] == "stale"
        },
    )
    .await;
    let (_, body) = readiness(&app).await;
    assert!(
        body["identityProvider"]["reason"]
            .as_str()
            .unwrap()
            .contains("503"),
        "{body}"
    );
    // Operators see the failures in /metrics.
    let metrics = app
        .client
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let failed = metrics
        .lines()
        .find_map(|l| {
            l.strip_prefix("fellowship_identity_provider_fetches_total{outcome=\"failed\"} ")
        })
        .and_then(|n| n.parse::<u64>().ok());
    assert!(failed.is_some_and(|n| n >= 1), "{metrics}");
    // The keys fetched before keep verifying, over HTTP and the WebSocket.
    assert!(is_staff(&app, &token).await);
    assert_eq!(
        viewer_over_websocket(&app, &provider.sign("rsa-1", &claims)).await,
        Ok(json!({ "role": "STAFF", "handle": "merve" }))
    );
    // A key the server never saw cannot be fetched now: refused, promptly.
    let started = Instant::now();
    assert!(viewer(&app, &provider.sign("rsa-2", &claims))
        .await
        .is_err());
    assert!(started.elapsed() < Duration::from_secs(12));

    provider.set_down(false);
    eventually(
        Duration::from_secs(10),
        "readiness seeing the provider back",
        || async { readiness(&app).await.1["identityProvider"]["status"] == "fresh" },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_started_while_the_provider_is_down_is_not_ready_until_its_keys_load() {
    let provider = TestProvider::start().await;
    provider.set_down(true);
    let app = app_with(keycloak_like(ProviderSettings {
        refetch_cooldown: Duration::from_millis(300),
        ..provider.discovery_settings()
    }))
    .await;
    let (status, body) = readiness(&app).await;
    assert_eq!(status, 503, "{body}");
    assert!(
        body["reason"]
            .as_str()
            .unwrap()
            .contains("identity provider"),
        "{body}"
    );
    // Anonymous readers are served; a provider's token is refused with a reason.
    assert_eq!(
        app.query(VIEWER, json!({})).await["viewer"]["role"],
        "ANONYMOUS"
    );
    let token = provider.sign("rsa-1", &provider.claims("merve", &["fellowship-staff"]));
    let refused = viewer(&app, &token).await.unwrap_err();
    assert!(refused.to_string().contains("not loaded"), "{refused}");

    provider.set_down(false);
    eventually(
        Duration::from_secs(10),
        "the server becoming ready",
        || async { readiness(&app).await.0 == 200 },
    )
    .await;
    assert!(is_staff(&app, &token).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_discovery_document_naming_another_issuer_is_not_trusted() {
    let provider = TestProvider::start().await;
    provider.claim_issuer("https://accounts.example.org");
    let app = app_with(keycloak_like(provider.discovery_settings())).await;
    let (status, body) = readiness(&app).await;
    assert_eq!(status, 503, "{body}");
    assert!(
        body["reason"].as_str().unwrap().contains("issuer"),
        "{body}"
    );
    let mut claims = provider.claims("merve", &["fellowship-staff"]);
    for issuer in [
        provider.issuer.clone(),
        "https://accounts.example.org".into(),
    ] {
        claims["iss"] = json!(issuer);
        assert!(viewer(&app, &provider.sign("rsa-1", &claims))
            .await
            .is_err());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_set_by_url_verifies_tokens_that_carry_jwt_issuer() {
    let provider = TestProvider::start().await;
    let mut auth = keycloak_like(ProviderSettings {
        jwt_jwks_url: Some(provider.key_set_url()),
        ..ProviderSettings::NONE
    });
    auth.jwt_issuer = "https://auth.example.org/".into();
    let app = app_with(auth).await;
    let mut claims = provider.claims("merve", &["fellowship-staff"]);
    assert!(viewer(&app, &provider.sign("rsa-1", &claims))
        .await
        .is_err());
    claims["iss"] = json!("https://auth.example.org/");
    assert!(is_staff(&app, &provider.sign("rsa-1", &claims)).await);
    assert!(is_staff(&app, &provider.sign("ec-1", &claims)).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_servers_own_tokens_and_the_providers_are_accepted_side_by_side() {
    let provider = TestProvider::start().await;
    let app = app_with(AuthSettings {
        provider: provider.discovery_settings(),
        ..AuthSettings::with_secret(TEST_SECRET)
    })
    .await;
    // `api token`'s kind, signed with JWT_SECRET, carrying JWT_ISSUER.
    let own = app.token(api::auth::Role::Staff, "merve");
    assert!(is_staff(&app, &own).await);
    // The provider's, with the default claims (`role`, `sub`).
    let now = chrono::Utc::now().timestamp();
    let claims = json!({ "iss": provider.issuer, "sub": "merve", "role": "STAFF",
                         "aud": "fellowship-api", "exp": now + 60 });
    assert!(is_staff(&app, &provider.sign("rsa-1", &claims)).await);
    // Neither issuer stands in for the other.
    let mut crossed = claims.clone();
    crossed["iss"] = json!("fellowship-api");
    assert!(viewer(&app, &provider.sign("rsa-1", &crossed))
        .await
        .is_err());
}

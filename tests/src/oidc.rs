//! A small OpenID Connect provider of the tests' own, on a loopback port: a discovery
//! document, a key set it publishes and rotates on demand, an outage on demand, and
//! tokens signed with its keys (RS256 and ES256), shaped as providers issue them.
//!
//! It speaks just enough HTTP/1.1 for the server's fetches: one request per connection,
//! answered and closed.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use api::config::ProviderSettings;
use jsonwebtoken::jwk::{Jwk, JwkSet};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use crate::key_file;

/// The keys the provider can publish, by `kid`: two RSA and two EC (P-256) key pairs
/// from `tests/fixtures/keys`.
pub const KEYS: [(&str, &str, Algorithm); 4] = [
    ("rsa-1", "rsa-private.pem", Algorithm::RS256),
    ("rsa-2", "rsa2-private.pem", Algorithm::RS256),
    ("ec-1", "ec-private.pem", Algorithm::ES256),
    ("ec-2", "ec2-private.pem", Algorithm::ES256),
];

/// The audience the tests' server expects (`JWT_AUDIENCE`'s default).
pub const AUDIENCE: &str = "fellowship-api";

/// What the provider does, changed by the test while it runs.
#[derive(Debug)]
struct Behaviour {
    /// The `kid`s of [`KEYS`] in the key set.
    published: Vec<&'static str>,
    /// Answer 503 to everything.
    down: bool,
    /// The key set's `Cache-Control: max-age`, if any.
    max_age: Option<u64>,
    /// The issuer the discovery document names (the provider's own unless a test lies).
    document_issuer: String,
    /// Key set requests answered (an outage's 503s included).
    key_set_requests: usize,
}

/// A running provider; it stops when dropped.
pub struct TestProvider {
    /// `http://127.0.0.1:<port>`: the issuer, and `OIDC_ISSUER_URL`.
    pub issuer: String,
    behaviour: Arc<Mutex<Behaviour>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for TestProvider {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl TestProvider {
    /// Starts a provider publishing `rsa-1` and `ec-1`, with `max-age=300`.
    pub async fn start() -> TestProvider {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a loopback port");
        let issuer = format!("http://{}", listener.local_addr().unwrap());
        let behaviour = Arc::new(Mutex::new(Behaviour {
            published: vec!["rsa-1", "ec-1"],
            down: false,
            max_age: Some(300),
            document_issuer: issuer.clone(),
            key_set_requests: 0,
        }));
        let shared = behaviour.clone();
        let own = issuer.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((mut stream, _)) = listener.accept().await else {
                    continue;
                };
                let behaviour = shared.clone();
                let issuer = own.clone();
                tokio::spawn(async move {
                    let mut head = Vec::new();
                    let mut buffer = [0u8; 1024];
                    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 16 * 1024 {
                        match stream.read(&mut buffer).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => head.extend_from_slice(&buffer[..n]),
                        }
                    }
                    let text = String::from_utf8_lossy(&head);
                    let path = text.split_whitespace().nth(1).unwrap_or("/").to_owned();
                    let response = answer(&behaviour, &issuer, &path);
                    let _ = stream.write_all(response.as_bytes()).await;
                    let _ = stream.shutdown().await;
                });
            }
        });
        TestProvider {
            issuer,
            behaviour,
            task,
        }
    }

    /// Publishes exactly these keys from now on (a rotation: add the new, later drop
    /// the old).
    pub fn publish(&self, kids: &[&'static str]) {
        self.behaviour.lock().unwrap().published = kids.to_vec();
    }

    /// Starts or ends an outage: every request answered 503.
    pub fn set_down(&self, down: bool) {
        self.behaviour.lock().unwrap().down = down;
    }

    /// The key set's `max-age` from now on (`None`: no `Cache-Control`).
    pub fn set_max_age(&self, seconds: Option<u64>) {
        self.behaviour.lock().unwrap().max_age = seconds;
    }

    /// Makes the discovery document name another issuer (an impostor's document).
    pub fn claim_issuer(&self, issuer: &str) {
        self.behaviour.lock().unwrap().document_issuer = issuer.to_owned();
    }

    /// How many times the key set was asked for.
    pub fn key_set_requests(&self) -> usize {
        self.behaviour.lock().unwrap().key_set_requests
    }

    /// The server's settings for this provider by discovery, with timing short enough
    /// for a test: refreshes between 1 s and 1 h, unknown-`kid` fetches 2 s apart.
    pub fn discovery_settings(&self) -> ProviderSettings {
        ProviderSettings {
            oidc_issuer_url: Some(self.issuer.clone()),
            refresh_min: Duration::from_secs(1),
            refresh_max: Duration::from_secs(3600),
            refetch_cooldown: Duration::from_secs(2),
            ..ProviderSettings::NONE
        }
    }

    /// The key set's URL, for `JWT_JWKS_URL`.
    pub fn key_set_url(&self) -> String {
        format!("{}/protocol/openid-connect/certs", self.issuer)
    }

    /// Claims as a Keycloak-like provider issues them for `username` in `roles`: an
    /// opaque `sub`, the handle in `preferred_username`, the roles in
    /// `realm_access.roles`, `aud` as an array, `iat` and no `nbf`.
    pub fn claims(&self, username: &str, roles: &[&str]) -> Value {
        let now = chrono::Utc::now().timestamp();
        json!({
            "iss": self.issuer,
            "sub": format!("f:2b0c7a1e:{username}"),
            "aud": ["account", AUDIENCE],
            "exp": now + 300,
            "iat": now,
            "preferred_username": username,
            "realm_access": { "roles": roles },
            "typ": "Bearer",
        })
    }

    /// A token of `claims` signed with key `kid` of [`KEYS`], naming it.
    pub fn sign(&self, kid: &str, claims: &Value) -> String {
        sign_as(kid, kid, claims)
    }
}

/// A token of `claims` signed with key `signed_by`, whose header names `kid` (a forgery
/// when they differ).
pub fn sign_as(signed_by: &str, kid: &str, claims: &Value) -> String {
    let (key, algorithm) = encoding_key(signed_by);
    let mut header = Header::new(algorithm);
    header.kid = Some(kid.to_owned());
    jsonwebtoken::encode(&header, claims, &key).expect("sign a token")
}

fn encoding_key(kid: &str) -> (EncodingKey, Algorithm) {
    let (_, file, algorithm) = KEYS
        .iter()
        .find(|(k, _, _)| *k == kid)
        .unwrap_or_else(|| panic!("no test key {kid}"));
    let pem = std::fs::read(key_file(file)).expect("a test key");
    let key = match algorithm {
        Algorithm::RS256 => EncodingKey::from_rsa_pem(&pem),
        _ => EncodingKey::from_ec_pem(&pem),
    }
    .expect("a private key");
    (key, *algorithm)
}

fn answer(behaviour: &Mutex<Behaviour>, issuer: &str, path: &str) -> String {
    let mut behaviour = behaviour.lock().unwrap();
    let keys_path = "/protocol/openid-connect/certs";
    if path == keys_path {
        behaviour.key_set_requests += 1;
    }
    if behaviour.down {
        return respond("503 Service Unavailable", &[], "{}");
    }
    match path {
        "/.well-known/openid-configuration" => {
            let document = json!({
                "issuer": behaviour.document_issuer,
                "authorization_endpoint": format!("{issuer}/protocol/openid-connect/auth"),
                "token_endpoint": format!("{issuer}/protocol/openid-connect/token"),
                "jwks_uri": format!("{issuer}{keys_path}"),
                "response_types_supported": ["code"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256", "ES256"],
            });
            respond("200 OK", &[], &document.to_string())
        }
        p if p == keys_path => {
            let mut keys = Vec::new();
            for kid in &behaviour.published {
                let (key, algorithm) = encoding_key(kid);
                let mut jwk = Jwk::from_encoding_key(&key, algorithm).expect("a JWK");
                jwk.common.key_id = Some((*kid).to_owned());
                keys.push(jwk);
            }
            let mut set = serde_json::to_value(JwkSet { keys }).unwrap();
            // Providers publish encryption keys beside their signing keys.
            set["keys"].as_array_mut().unwrap().push(json!({
                "kty": "RSA", "use": "enc", "kid": "enc-1", "alg": "RSA-OAEP",
                "n": "sXchDaQebHnPiGvyDOAT4saGEUetSyo9MKLOoWFsueri23bOdgWp4Dy1WlUzewbgBHod5pcM9H95GQRV3JDXboIRROSBigeC5yjU1hGzHHyXss8UDprecbAYxknTcQkhslANGRUZmdTOQ5qTRsLAt6BTYuyvVRdhS8exSZEy_c4gs_7svlJJQ4H9_NxsiIoLwAEk7-Q3UXERGYw_75IDrGA84-lA_-Ct4eTlXHBIY2EaV7t7LjJaynVJCpkv4LKjTTAumiGUIuQhrNhZLuF_RJLqHpM2kgWFLU7-VTdL1VbC2tejvcI2BlMkEpk1BzBZI0KQB0GaDWFLN-aEAw3vRw",
                "e": "AQAB",
            }));
            let cache = behaviour
                .max_age
                .map(|age| format!("Cache-Control: public, max-age={age}"));
            respond("200 OK", cache.as_slice(), &set.to_string())
        }
        _ => respond("404 Not Found", &[], "{}"),
    }
}

fn respond(status: &str, headers: &[String], body: &str) -> String {
    let mut response = format!(
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for header in headers {
        response.push_str(header);
        response.push_str("\r\n");
    }
    response.push_str("\r\n");
    response.push_str(body);
    response
}

//! An identity provider's signing keys, fetched by URL: through OpenID Connect discovery
//! (`OIDC_ISSUER_URL`) or from a key set directly (`JWT_JWKS_URL`).
//!
//! One background task owns the fetching. It loads the keys at start, refreshes them as
//! the provider's `Cache-Control: max-age` says (bounded by `JWKS_REFRESH_MIN` and
//! `JWKS_REFRESH_MAX`), and fetches again at once when a token names a `kid` it does
//! not know: a provider that rotated its keys is believed within one request. Tokens
//! naming unknown keys cannot make it fetch more than once per `JWKS_REFETCH_COOLDOWN`,
//! however many arrive, so they cannot turn this server into a flood against the
//! provider. While the provider is unreachable, the keys last fetched keep working and
//! `/readyz` says that they are stale; a server that never loaded any is not ready.
//!
//! Requests go to the task rather than to an HTTP client of their own because the HTTP
//! workers each run their own event loop, and a client's pooled connections belong to
//! the loop that opened them.

use std::net::IpAddr;
use std::sync::{Arc, Mutex, RwLock, Weak};
use std::time::{Duration, Instant, SystemTime};

use anyhow::{bail, Context};
use jsonwebtoken::jwk::Jwk;
use tokio::sync::{watch, Notify};

use super::keys::VerifyingKey;
use crate::config::ProviderSettings;
use crate::metrics::Metrics;
use crate::telemetry::{self, ClientSpan};

/// How long one fetch (discovery document or key set) may take.
const FETCH_TIMEOUT: Duration = Duration::from_secs(5);
/// Largest discovery document or key set read; a provider's are a few kilobytes.
const MAX_DOCUMENT_BYTES: usize = 512 * 1024;
/// Most keys taken from one key set.
const MAX_KEYS: usize = 100;
/// Most redirects followed, each to an address [`check_url`] accepts.
const MAX_REDIRECTS: usize = 3;

/// Where the keys come from.
#[derive(Debug, Clone)]
enum Source {
    /// `OIDC_ISSUER_URL`: the discovery document names the issuer and the key set.
    Discovery { issuer_url: String },
    /// `JWT_JWKS_URL`: the key set itself; its tokens carry this issuer.
    KeySet { url: String, issuer: String },
}

/// The keys last fetched, and the issuer their tokens must carry.
pub(super) struct KeySet {
    /// The discovered issuer (or `JWT_ISSUER` for a key set by URL); empty until loaded.
    pub issuer: String,
    /// The provider's signing keys.
    pub keys: Vec<VerifyingKey>,
}

/// How the fetching has gone, for `/readyz`.
#[derive(Debug, Clone, Default)]
struct Health {
    /// When keys were last fetched successfully.
    loaded_at: Option<SystemTime>,
    /// Why the last fetch failed, if it did.
    last_error: Option<String>,
    /// When fetches started failing, if the last one did.
    failing_since: Option<SystemTime>,
}

/// What readiness reports about the provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProviderState {
    /// Keys are loaded and the last fetch succeeded.
    Fresh {
        /// Seconds since the keys were fetched.
        age_seconds: u64,
    },
    /// Keys are loaded, but the provider has not answered since `failing_for_seconds`:
    /// the cached keys keep verifying tokens.
    Stale {
        /// Seconds since the keys were fetched.
        age_seconds: u64,
        /// Seconds since fetches began failing.
        failing_for_seconds: u64,
        /// Why the last fetch failed.
        reason: String,
    },
    /// No key has been loaded yet: no provider token can be verified.
    NotLoaded {
        /// Why the last fetch failed, or that none has finished yet.
        reason: String,
    },
}

/// Whether a fetch for an unknown `kid` is under way, and when the last one began.
#[derive(Debug, Default)]
struct Refetch {
    pending: bool,
    last: Option<Instant>,
}

/// The provider's keys as last fetched, shared by every request, and the handle on the
/// task that fetches them.
pub struct ProviderKeys {
    source: Source,
    settings: ProviderSettings,
    current: RwLock<Arc<KeySet>>,
    health: Mutex<Health>,
    refetch: Mutex<Refetch>,
    /// Wakes the task for a fetch out of turn.
    wake: Arc<Notify>,
    /// Counts finished fetches, so that a request can wait for the next one.
    fetched: watch::Sender<u64>,
    /// Dropped with these keys, which ends the task.
    _alive: watch::Sender<()>,
    alive: watch::Receiver<()>,
}

impl std::fmt::Debug for ProviderKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProviderKeys")
            .field("source", &self.source)
            .finish_non_exhaustive()
    }
}

impl ProviderKeys {
    /// The provider the settings name, if any; refuses both sources at once and a URL
    /// [`check_url`] refuses. Nothing is fetched until [`Self::start`].
    pub fn from_settings(
        settings: &ProviderSettings,
        jwt_issuer: &str,
    ) -> anyhow::Result<Option<Arc<ProviderKeys>>> {
        let source = match (&settings.oidc_issuer_url, &settings.jwt_jwks_url) {
            (None, None) => return Ok(None),
            (Some(_), Some(_)) => bail!(
                "OIDC_ISSUER_URL and JWT_JWKS_URL are both set: the issuer's discovery \
                 document names its key set, so set only OIDC_ISSUER_URL"
            ),
            (Some(issuer), None) => {
                check_url("OIDC_ISSUER_URL", issuer)?;
                Source::Discovery {
                    issuer_url: issuer.clone(),
                }
            }
            (None, Some(url)) => {
                check_url("JWT_JWKS_URL", url)?;
                Source::KeySet {
                    url: url.clone(),
                    issuer: jwt_issuer.to_owned(),
                }
            }
        };
        if settings.refresh_min > settings.refresh_max {
            bail!("JWKS_REFRESH_MIN is longer than JWKS_REFRESH_MAX");
        }
        let (alive_sender, alive) = watch::channel(());
        Ok(Some(Arc::new(ProviderKeys {
            source,
            settings: settings.clone(),
            current: RwLock::new(Arc::new(KeySet {
                issuer: String::new(),
                keys: Vec::new(),
            })),
            health: Mutex::new(Health::default()),
            refetch: Mutex::new(Refetch::default()),
            wake: Arc::new(Notify::new()),
            fetched: watch::Sender::new(0),
            _alive: alive_sender,
            alive,
        })))
    }

    /// Starts the task that fetches the keys, and waits for its first fetch (at most a
    /// fetch's timeout). A provider that does not answer is no reason not to start: the
    /// task keeps trying, and readiness says no key is loaded.
    pub async fn start(self: &Arc<Self>, metrics: Arc<Metrics>) -> anyhow::Result<()> {
        let client = reqwest::Client::builder()
            .timeout(FETCH_TIMEOUT)
            .redirect(reqwest::redirect::Policy::custom(|attempt| {
                if attempt.previous().len() >= MAX_REDIRECTS {
                    attempt.error("too many redirects")
                } else if check_url("a redirect", attempt.url().as_str()).is_err() {
                    attempt.error("a redirect to an address that is not accepted")
                } else {
                    attempt.follow()
                }
            }))
            .build()
            .context("could not build the identity provider's HTTP client")?;
        let mut first = self.fetched.subscribe();
        tokio::spawn(refresh_loop(
            Arc::downgrade(self),
            self.wake.clone(),
            self.alive.clone(),
            client,
            metrics,
        ));
        let _ = tokio::time::timeout(FETCH_TIMEOUT * 2, first.changed()).await;
        match self.state() {
            ProviderState::NotLoaded { reason } => tracing::warn!(
                reason,
                "the identity provider's keys could not be loaded; retrying in the background"
            ),
            _ => tracing::info!(
                keys = self.keys().keys.len(),
                "the identity provider's keys are loaded"
            ),
        }
        Ok(())
    }

    /// The keys as last fetched.
    pub(super) fn keys(&self) -> Arc<KeySet> {
        self.current.read().expect("key set lock").clone()
    }

    /// The keys after a fetch for a token naming `kid`, which is not among them: at once
    /// when no fetch began within the cooldown, after the one under way if there is one,
    /// and otherwise the keys as they are.
    pub(super) async fn refetched_for(&self, kid: &str) -> Arc<KeySet> {
        let mut fetched = self.fetched.subscribe();
        let wait = {
            let mut refetch = self.refetch.lock().expect("refetch lock");
            if refetch.pending {
                true
            } else if refetch
                .last
                .is_none_or(|last| last.elapsed() >= self.settings.refetch_cooldown)
            {
                refetch.pending = true;
                refetch.last = Some(Instant::now());
                // Debug-formatted: the kid is the client's text, and must not forge log lines.
                tracing::info!(kid = ?kid, "a token names an unknown key: fetching the key set");
                self.wake.notify_one();
                true
            } else {
                false
            }
        };
        if wait {
            // A request waits at most one fetch's timeout, however slow the provider.
            let _ = tokio::time::timeout(FETCH_TIMEOUT, fetched.changed()).await;
        }
        self.keys()
    }

    /// What readiness reports.
    pub fn state(&self) -> ProviderState {
        let health = self.health.lock().expect("health lock").clone();
        let since = |t: SystemTime| t.elapsed().map(|d| d.as_secs()).unwrap_or(0);
        match (health.loaded_at, health.last_error) {
            (None, reason) => ProviderState::NotLoaded {
                reason: reason.unwrap_or_else(|| "the first fetch has not finished".into()),
            },
            (Some(loaded), None) => ProviderState::Fresh {
                age_seconds: since(loaded),
            },
            (Some(loaded), Some(reason)) => ProviderState::Stale {
                age_seconds: since(loaded),
                failing_for_seconds: health.failing_since.map(since).unwrap_or(0),
                reason,
            },
        }
    }

    /// Fetches the keys once, keeps them if they parse, and says how long until the
    /// next refresh.
    async fn refresh(
        &self,
        client: &reqwest::Client,
        discovered: &mut Option<(String, String)>,
    ) -> Result<Duration, String> {
        let outcome = fetch(client, &self.source, discovered).await;
        let mut health = self.health.lock().expect("health lock");
        match outcome {
            Ok((set, max_age)) => {
                tracing::debug!(keys = set.keys.len(), "identity provider keys fetched");
                *self.current.write().expect("key set lock") = Arc::new(set);
                health.loaded_at = Some(SystemTime::now());
                health.last_error = None;
                health.failing_since = None;
                Ok(max_age
                    .unwrap_or(self.settings.refresh_max)
                    .clamp(self.settings.refresh_min, self.settings.refresh_max))
            }
            Err(reason) => {
                tracing::warn!(reason, "could not fetch the identity provider's keys");
                health.failing_since.get_or_insert_with(SystemTime::now);
                health.last_error = Some(reason.clone());
                Err(reason)
            }
        }
    }

    /// Marks a fetch finished, for the requests waiting on it.
    fn finished(&self) {
        self.refetch.lock().expect("refetch lock").pending = false;
        self.fetched.send_modify(|n| *n += 1);
    }
}

/// The task: fetch, sleep until the next refresh or a wake-up, again. Failures retry
/// after the cooldown, doubling up to `JWKS_REFRESH_MIN`. It holds the keys only while
/// fetching, and ends when they are dropped.
async fn refresh_loop(
    keys: Weak<ProviderKeys>,
    wake: Arc<Notify>,
    mut alive: watch::Receiver<()>,
    client: reqwest::Client,
    metrics: Arc<Metrics>,
) {
    let mut failures: u32 = 0;
    let mut discovered = None;
    loop {
        let next = {
            let Some(keys) = keys.upgrade() else { return };
            let outcome = keys.refresh(&client, &mut discovered).await;
            metrics.record_identity_provider_fetch(outcome.is_err());
            let next = match outcome {
                Ok(next) => {
                    failures = 0;
                    next
                }
                Err(_) => {
                    let backoff = keys
                        .settings
                        .refetch_cooldown
                        .saturating_mul(1 << failures.min(16));
                    failures = failures.saturating_add(1);
                    backoff.min(keys.settings.refresh_min)
                }
            };
            keys.finished();
            next
        };
        tokio::select! {
            _ = tokio::time::sleep(next) => {}
            _ = wake.notified() => {}
            _ = alive.changed() => return,
        }
    }
}

/// Fetches the key set, with the `max-age` its response gave. For an issuer, the
/// discovery document is read first, and again only after a key set fetch failed (the
/// provider may have moved its keys): `discovered` keeps its issuer and `jwks_uri`
/// between refreshes.
async fn fetch(
    client: &reqwest::Client,
    source: &Source,
    discovered: &mut Option<(String, String)>,
) -> Result<(KeySet, Option<Duration>), String> {
    let (issuer, jwks_url) = match (source, discovered.as_ref()) {
        (Source::KeySet { url, issuer }, _) => (issuer.clone(), url.clone()),
        (Source::Discovery { .. }, Some(found)) => found.clone(),
        (Source::Discovery { issuer_url }, None) => {
            let found = discover(client, issuer_url).await?;
            *discovered = Some(found.clone());
            found
        }
    };
    let fetched = match get_json(client, &jwks_url).await {
        Ok((set, max_age)) => signing_keys(&set).map(|keys| (KeySet { issuer, keys }, max_age)),
        Err(err) => Err(err),
    };
    if fetched.is_err() {
        *discovered = None;
    }
    fetched
}

/// Reads the discovery document of `issuer_url`: the issuer it names, which must be
/// identical, and its `jwks_uri`.
async fn discover(client: &reqwest::Client, issuer_url: &str) -> Result<(String, String), String> {
    let url = format!(
        "{}/.well-known/openid-configuration",
        issuer_url.trim_end_matches('/')
    );
    let (document, _) = get_json(client, &url).await?;
    let issuer = document["issuer"]
        .as_str()
        .ok_or("the discovery document names no `issuer`")?;
    // OpenID Connect Discovery 1.0, section 4.3: the issuer must be identical, or an
    // impostor's document could name another issuer's tokens.
    if issuer != issuer_url {
        return Err(format!(
            "the discovery document's issuer `{issuer}` is not OIDC_ISSUER_URL `{issuer_url}`"
        ));
    }
    let jwks_uri = document["jwks_uri"]
        .as_str()
        .ok_or("the discovery document names no `jwks_uri`")?;
    check_url("the discovered jwks_uri", jwks_uri).map_err(|e| e.to_string())?;
    Ok((issuer.to_owned(), jwks_uri.to_owned()))
}

/// GETs a JSON document of at most [`MAX_DOCUMENT_BYTES`], with its `max-age`.
async fn get_json(
    client: &reqwest::Client,
    url: &str,
) -> Result<(serde_json::Value, Option<Duration>), String> {
    // While traces are sent, the fetch is a span, and the provider hears its
    // `traceparent`.
    let span = ClientSpan::start("GET", url);
    let get = client
        .get(url)
        .header(reqwest::header::ACCEPT, "application/json");
    let sent = telemetry::carry(span.as_ref(), get).send().await;
    if let Some(span) = span {
        span.finish(
            sent.as_ref()
                .ok()
                .map(|response| response.status().as_u16()),
        );
    }
    let mut response =
        sent.map_err(|err| format!("{url} did not answer: {}", without_url(&err)))?;
    if !response.status().is_success() {
        return Err(format!("{url} answered {}", response.status()));
    }
    let max_age = response
        .headers()
        .get(reqwest::header::CACHE_CONTROL)
        .and_then(|v| v.to_str().ok())
        .and_then(max_age);
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|err| format!("{url} broke off: {}", without_url(&err)))?
    {
        if body.len() + chunk.len() > MAX_DOCUMENT_BYTES {
            return Err(format!("{url} sent more than {MAX_DOCUMENT_BYTES} bytes"));
        }
        body.extend_from_slice(&chunk);
    }
    let document = serde_json::from_slice(&body).map_err(|_| format!("{url} did not send JSON"))?;
    Ok((document, max_age))
}

fn without_url(err: &reqwest::Error) -> String {
    let mut err = err.to_string();
    if let Some(at) = err.find(" for url (") {
        err.truncate(at);
    }
    err
}

/// The `max-age` of a `Cache-Control` value; `no-cache` and `no-store` are zero (the
/// refresh floor then applies).
pub fn max_age(cache_control: &str) -> Option<Duration> {
    let mut age = None;
    for directive in cache_control.split(',').map(str::trim) {
        let lower = directive.to_ascii_lowercase();
        if lower == "no-cache" || lower == "no-store" {
            return Some(Duration::ZERO);
        }
        if let Some(seconds) = lower.strip_prefix("max-age=") {
            age = seconds
                .trim_matches('"')
                .parse::<u64>()
                .ok()
                .map(Duration::from_secs);
        }
    }
    age
}

/// The signing keys of a key set. Keys this server cannot use (encryption keys, other
/// algorithms, malformed ones) are left out rather than failing the set: providers
/// publish such keys beside their signing keys.
fn signing_keys(set: &serde_json::Value) -> Result<Vec<VerifyingKey>, String> {
    let listed = set["keys"]
        .as_array()
        .ok_or("the key set has no `keys` array")?;
    let mut keys = Vec::new();
    for value in listed.iter().take(MAX_KEYS) {
        if value.get("use").and_then(|u| u.as_str()) == Some("enc") {
            continue;
        }
        let Ok(jwk) = serde_json::from_value::<Jwk>(value.clone()) else {
            continue;
        };
        match VerifyingKey::of_jwk(&jwk) {
            Ok(key) => keys.push(key),
            Err(reason) => tracing::debug!(%reason, "a provider key left out"),
        }
    }
    if keys.is_empty() {
        return Err("the key set holds no signing key this server can use".into());
    }
    Ok(keys)
}

/// Accepts `https://` URLs, and `http://` only to a loopback address (a provider on the
/// same machine, or a test's): anything else would let the network path forge keys.
pub fn check_url(name: &str, url: &str) -> anyhow::Result<()> {
    let parsed =
        reqwest::Url::parse(url).with_context(|| format!("{name} `{url}` is not a URL"))?;
    match parsed.scheme() {
        "https" => Ok(()),
        "http" if parsed.host_str().is_some_and(is_loopback) => Ok(()),
        "http" => bail!(
            "{name} `{url}` is plain http: use https (http is accepted for loopback addresses only)"
        ),
        other => bail!("{name} `{url}`: the scheme `{other}` is not accepted; use https"),
    }
}

fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_is_accepted_for_loopback_addresses_only() {
        for ok in [
            "https://idp.example.org/realms/main",
            "http://127.0.0.1:8081",
            "http://127.5.0.1/x",
            "http://[::1]:9000/",
            "http://localhost:8080/realms/main",
        ] {
            assert!(check_url("OIDC_ISSUER_URL", ok).is_ok(), "{ok}");
        }
        for refused in [
            "http://idp.example.org",
            "http://10.0.0.1",
            "http://127.0.0.1.example.org",
            "ftp://127.0.0.1",
            "file:///etc/keys.json",
            "not a url",
        ] {
            assert!(check_url("OIDC_ISSUER_URL", refused).is_err(), "{refused}");
        }
    }

    #[test]
    fn max_age_is_read_from_cache_control() {
        assert_eq!(
            max_age("public, max-age=300"),
            Some(Duration::from_secs(300))
        );
        assert_eq!(
            max_age("max-age=\"60\", must-revalidate"),
            Some(Duration::from_secs(60))
        );
        assert_eq!(max_age("no-cache"), Some(Duration::ZERO));
        assert_eq!(max_age("public"), None);
        assert_eq!(max_age("max-age=soon"), None);
    }

    #[test]
    fn both_sources_at_once_are_refused() {
        let settings = ProviderSettings {
            oidc_issuer_url: Some("https://idp.example.org".into()),
            jwt_jwks_url: Some("https://idp.example.org/keys".into()),
            ..ProviderSettings::NONE
        };
        assert!(ProviderKeys::from_settings(&settings, "fellowship-api").is_err());
        assert!(ProviderKeys::from_settings(&ProviderSettings::NONE, "x")
            .unwrap()
            .is_none());
    }

    #[test]
    fn a_key_set_keeps_the_signing_keys_it_can_use() {
        let set = serde_json::json!({ "keys": [
            { "kty": "RSA", "use": "enc", "kid": "enc", "n": "AQAB", "e": "AQAB" },
            { "kty": "oct", "kid": "secret", "k": "c2VjcmV0" },
            { "kty": "weird", "kid": "unknown" },
        ]});
        assert!(signing_keys(&set).is_err(), "no usable key");
        assert!(signing_keys(&serde_json::json!({ "nokeys": [] })).is_err());
    }
}

//! Building and running the server: connect, migrate, optionally load the demo data,
//! bind, serve.

use secrecy::ExposeSecret;
use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::{web, App, HttpServer};
use anyhow::Context;

use crate::auth::KeyRing;
use crate::config::{AuthSettings, CursorSettings, DatabaseSettings, ServerSettings};
use crate::error::ServiceError;
use crate::graphql::trusted_documents::TrustedDocuments;
use crate::http::{self, AppState, Phase};
use crate::metrics::Metrics;
use crate::service::nomination_events::feed::EventFeed;
use crate::service::page::CursorKeys;
use crate::service::rate_limits::{Budgets, RateLimiter};
use crate::webhooks::WebhookSender;
use crate::{db, demo, graphql};

/// A server bound to its port, ready to run.
pub struct Application {
    port: u16,
    server: Server,
    /// The listener of `/metrics` alone, when `METRICS_BIND` asks for one.
    metrics: Option<(u16, Server)>,
    phase: Arc<tokio::sync::watch::Sender<Phase>>,
    shutdown_delay: Duration,
    /// Holds spending not yet shared, sent once the server has stopped.
    rate_limits: RateLimiter,
    /// The webhook senders, stopped when draining begins.
    webhooks: WebhookSender,
}

/// What `serve` was asked to do besides serving.
#[derive(Debug, Clone, Copy, Default)]
pub struct ServeOptions {
    /// Load the demo data set after migrating, if the database is empty.
    pub demo: bool,
    /// HTTP worker threads; 0 means one per core.
    pub workers: usize,
}

impl Application {
    /// Checks the settings, connects, migrates the database up, loads the demo data if
    /// asked, starts the background work (rate-limit sharing, the nomination event feed,
    /// the readiness probe) and binds the listeners; serving starts with
    /// [`Self::run_until_signalled`] or [`Self::run_until_stopped`].
    /// A setting that cannot work (a key, a cursor secret, an origin, an address) is an
    /// error here rather than a surprise later.
    pub async fn build(
        database: &DatabaseSettings,
        server: &ServerSettings,
        auth: &AuthSettings,
        options: ServeOptions,
    ) -> anyhow::Result<Self> {
        let keys = Arc::new(KeyRing::from_settings(auth)?);
        if !keys.can_verify() {
            tracing::warn!(
                "no JWT_SECRET, JWT_PUBLIC_KEY_FILE, OIDC_ISSUER_URL or JWT_JWKS_URL is set: \
                 every request carrying a token will be refused, and only anonymous access works"
            );
        }
        let cursors = cursor_keys(&server.cursors, auth)?;
        let trusted_documents = Arc::new(TrustedDocuments::load(
            server.trusted_documents.policy,
            server.trusted_documents.file.as_deref(),
        )?);
        reload_on_hangup(trusted_documents.clone());
        let metrics = Arc::new(Metrics::default());
        keys.start(metrics.clone()).await?;
        let db = db::connect(database, metrics.clone()).await?;
        db::migrate_up(&db).await?;
        if options.demo {
            match demo::load(&db).await.map_err(ServiceError::into_anyhow)? {
                demo::Outcome::Loaded => tracing::info!("demo data loaded"),
                demo::Outcome::DatabaseNotEmpty => tracing::warn!(
                    "the database already holds data, so the demo data was not loaded"
                ),
            }
        }
        let rate_limits = RateLimiter::new(
            Budgets {
                window_seconds: server.rate_limit_window.as_secs().max(1) as i64,
                anonymous: server.rate_limit_anonymous,
                user: server.rate_limit_user,
                partner: server.rate_limit_partner,
            },
            &server.rate_limit_sharing,
            &db,
            metrics.clone(),
        )?;
        rate_limits.start();
        let phase = Arc::new(tokio::sync::watch::Sender::new(Phase::Serving));
        let feed = EventFeed::start(db.clone(), &server.subscriptions)
            .await
            .map_err(ServiceError::into_anyhow)?;
        let webhooks = WebhookSender::start(
            db.clone(),
            &server.webhooks,
            server.subscriptions.event_retention,
            metrics.clone(),
        )?;
        let state = AppState {
            phase: phase.clone(),
            request_timeout: server.request_timeout,
            body_timeout: server.body_timeout,
            rate_limits: rate_limits.clone(),
            trust_forwarded_for: server.trust_forwarded_for,
            subscriptions: server.subscriptions.clone(),
            probe: db::Probe::start(db.clone()).await,
            trusted_documents,
            schema: graphql::build_schema(
                db.clone(),
                keys.clone(),
                feed,
                cursors,
                crate::service::webhooks::endpoints::EndpointRules {
                    allow_private_targets: server.webhooks.allow_private_targets,
                },
                server.introspection,
            ),
            db,
            metrics,
            keys,
            playground: server.playground,
        };
        let metrics_server = match &server.metrics_bind {
            Some(address) => {
                let listener = TcpListener::bind(address)
                    .with_context(|| format!("could not listen on METRICS_BIND {address}"))?;
                let port = listener.local_addr()?.port();
                let state = state.clone();
                let metrics_server = HttpServer::new(move || {
                    App::new()
                        .app_data(web::Data::new(state.clone()))
                        .wrap(actix_web::middleware::from_fn(http::json_error_bodies))
                        .configure(http::metrics_routes)
                })
                .listen(listener)?
                .disable_signals()
                .workers(1)
                .shutdown_timeout(1)
                .run();
                tracing::info!(address = %address, port, "serving /metrics only here");
                Some((port, metrics_server))
            }
            None => None,
        };
        let with_metrics = metrics_server.is_none();
        let cors_origins = http::allowed_origins(&server.cors_allowed_origins)?;
        let listener = TcpListener::bind(&server.bind)
            .with_context(|| format!("could not listen on {}", server.bind))?;
        let port = listener.local_addr()?.port();
        let mut http_server = HttpServer::new(move || {
            App::new()
                .app_data(web::Data::new(state.clone()))
                .wrap(actix_web::middleware::from_fn(
                    http::no_store_when_authenticated,
                ))
                .wrap(actix_web::middleware::from_fn(http::json_error_bodies))
                .wrap(http::cors(&cors_origins))
                .wrap(actix_web::middleware::from_fn(http::request_id))
                .configure(|config| http::routes(config, with_metrics))
        })
        .listen(listener)?
        // Signals are ours to handle (see run_until_signalled): readiness must fail
        // before the listener closes.
        .disable_signals()
        .shutdown_timeout(server.shutdown_timeout.as_secs().max(1));
        if options.workers > 0 {
            http_server = http_server.workers(options.workers);
        }
        tracing::info!(address = %server.bind, port, "serving the Fellowship API on /graphql");
        Ok(Application {
            port,
            server: http_server.run(),
            metrics: metrics_server,
            phase,
            shutdown_delay: server.shutdown_delay,
            rate_limits,
            webhooks,
        })
    }

    /// The port actually bound (useful when asked for port 0).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The port `/metrics` is served on alone, when `METRICS_BIND` is set.
    pub fn metrics_port(&self) -> Option<u16> {
        self.metrics.as_ref().map(|(port, _)| *port)
    }

    /// Serves until the server is stopped (tests stop it by dropping the runtime).
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        match self.metrics {
            Some((_, metrics)) => futures::try_join!(self.server, metrics).map(|_| ()),
            None => self.server.await,
        }
    }

    /// Serves until SIGTERM or SIGINT, then shuts down gracefully: readiness fails at
    /// once, new connections are still served for the shutdown delay (while load
    /// balancers notice), then the listener closes, in-flight requests get the
    /// shutdown timeout to finish, and the process returns.
    pub async fn run_until_signalled(self) -> std::io::Result<()> {
        let handle = self.server.handle();
        let metrics = self.metrics.map(|(_, server)| server);
        let metrics_handle = metrics.as_ref().map(Server::handle);
        let phase = self.phase.clone();
        let delay = self.shutdown_delay;
        let webhooks = self.webhooks;
        tokio::spawn(async move {
            shutdown_signal().await;
            phase.send_replace(Phase::Draining);
            tracing::info!(?delay, "shutdown requested: readiness now fails; draining");
            // The webhook senders stop first, while the HTTP workers still run: pooled
            // database connections opened by a worker live on its event loop, and die
            // with it. Attempts under way finish and are recorded, so the next start
            // repeats none.
            tokio::join!(webhooks.stop(), tokio::time::sleep(delay));
            // Closed now, not at the signal: by now the balancers send new connections
            // elsewhere, so the subscribers that reconnect land on a replica that stays.
            phase.send_replace(Phase::Stopping);
            tracing::info!("no longer accepting connections; finishing requests in flight");
            handle.stop(true).await;
            // Scraped until the end, then stopped with the rest.
            if let Some(metrics) = metrics_handle {
                metrics.stop(true).await;
            }
        });
        match metrics {
            Some(metrics) => {
                futures::try_join!(self.server, metrics)?;
            }
            None => self.server.await?,
        }
        // What the last requests spent counts on the other replicas too.
        self.rate_limits.flush_before_exit().await;
        // And the last requests' spans go to the collector.
        crate::telemetry::flush_before_exit().await;
        tracing::info!("stopped");
        Ok(())
    }
}

/// The keys that sign cursors, by the rule of [`CursorSettings`]: `CURSOR_SECRET`
/// (with `CURSOR_SECRET_PREVIOUS` verifying during a rotation), else a key derived from
/// `JWT_SECRET`, else a random one for this process alone.
fn cursor_keys(cursors: &CursorSettings, auth: &AuthSettings) -> anyhow::Result<CursorKeys> {
    use hmac::{Hmac, Mac};
    let long_enough = |name: &str, secret: &crate::config::Secret| -> anyhow::Result<()> {
        let len = secret.expose_secret().len();
        if len < MIN_CURSOR_SECRET_BYTES {
            anyhow::bail!(
                "{name} is {len} bytes long; it must be at least {MIN_CURSOR_SECRET_BYTES} bytes"
            );
        }
        Ok(())
    };
    let previous = match &cursors.previous_secret {
        Some(previous) => {
            long_enough("CURSOR_SECRET_PREVIOUS", previous)?;
            Some(previous.expose_secret().as_bytes())
        }
        None => None,
    };
    if let Some(secret) = &cursors.secret {
        long_enough("CURSOR_SECRET", secret)?;
        return Ok(CursorKeys::new(secret.expose_secret().as_bytes(), previous));
    }
    if previous.is_some() {
        anyhow::bail!(
            "CURSOR_SECRET_PREVIOUS is set without CURSOR_SECRET: set the new secret too"
        );
    }
    if let Some(jwt) = &auth.jwt_secret {
        // HMAC as a key-derivation function, under a label of its own: the cursor key
        // is independent of the token key, and no cursor tag can serve as a token MAC.
        let derive = |secret: &crate::config::Secret| {
            let mut derive =
                Hmac::<sha2::Sha256>::new_from_slice(secret.expose_secret().as_bytes())
                    .expect("HMAC takes keys of any length");
            derive.update(b"fellowship-api cursor key v1");
            derive.finalize().into_bytes()
        };
        let key = derive(jwt);
        // During a rotation of JWT_SECRET, cursors signed before it still verify.
        let previous = auth.jwt_secret_previous.as_ref().map(derive);
        tracing::info!(
            "no CURSOR_SECRET is set: cursors are signed with a key derived from JWT_SECRET"
        );
        return Ok(CursorKeys::new(&key, previous.as_deref()));
    }
    let mut key = [0u8; 32];
    getrandom::fill(&mut key)
        .map_err(|err| anyhow::anyhow!("no random source for a cursor key: {err}"))?;
    tracing::warn!(
        "no CURSOR_SECRET (nor JWT_SECRET) is set: cursors are signed with a random key of \
         this process, so they stop working after a restart and on other replicas"
    );
    Ok(CursorKeys::new(&key, None))
}

/// As for `JWT_SECRET`: a cursor secret is an HMAC key.
const MIN_CURSOR_SECRET_BYTES: usize = 32;

/// Reads the manifest of trusted documents again on every SIGHUP, as operators expect
/// of a daemon's configuration files; a bad file keeps the manifest loaded before.
fn reload_on_hangup(documents: Arc<TrustedDocuments>) {
    use tokio::signal::unix::{signal, SignalKind};
    let mut hangups = match signal(SignalKind::hangup()) {
        Ok(hangups) => hangups,
        Err(err) => {
            tracing::error!(error = %err, "could not listen for SIGHUP: the manifest of trusted documents is read at start only");
            return;
        }
    };
    tokio::spawn(async move {
        while hangups.recv().await.is_some() {
            match documents.reload() {
                Ok(count) => tracing::info!(documents = count, "SIGHUP: trusted documents reloaded"),
                Err(err) => tracing::error!(
                    error = format!("{err:#}"),
                    "SIGHUP: the manifest of trusted documents was not reloaded; the one loaded before stays"
                ),
            }
        }
    });
}

/// SIGTERM or SIGINT, whichever comes first.
pub(crate) async fn shutdown_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    let (Ok(mut terminate), Ok(mut interrupt)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) else {
        tracing::error!("could not listen for shutdown signals");
        return std::future::pending().await;
    };
    tokio::select! {
        _ = terminate.recv() => {}
        _ = interrupt.recv() => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::page::Cursor;

    fn settings(secret: Option<&str>, previous: Option<&str>) -> CursorSettings {
        CursorSettings {
            secret: secret.map(Into::into),
            previous_secret: previous.map(Into::into),
        }
    }

    const NO_JWT: AuthSettings = AuthSettings {
        jwt_secret: None,
        jwt_secret_previous: None,
        jwt_public_key_file: None,
        jwt_issuer: String::new(),
        jwt_audience: String::new(),
        jwt_role_claim: String::new(),
        jwt_handle_claim: String::new(),
        jwt_staff_role: String::new(),
        jwt_fellow_role: String::new(),
        provider: crate::config::ProviderSettings::NONE,
    };

    const A: &str = "cursor-secret-a-0123456789abcdef0123";
    const B: &str = "cursor-secret-b-0123456789abcdef0123";

    fn agree(one: &CursorKeys, other: &CursorKeys) -> bool {
        let text = one.encode("s/id", &Cursor::by_id(1));
        other.decode("s/id", &text, "after").is_ok()
    }

    #[test]
    fn a_configured_secret_signs_and_its_predecessor_still_verifies() {
        let old = cursor_keys(&settings(Some(A), None), &NO_JWT).unwrap();
        let rotated = cursor_keys(&settings(Some(B), Some(A)), &NO_JWT).unwrap();
        assert!(agree(&old, &rotated));
        assert!(!agree(&rotated, &old));
    }

    #[test]
    fn without_a_cursor_secret_the_key_follows_the_jwt_secret_or_the_process() {
        let jwt = AuthSettings::with_secret(A);
        let one = cursor_keys(&settings(None, None), &jwt).unwrap();
        let two = cursor_keys(&settings(None, None), &jwt).unwrap();
        assert!(agree(&one, &two));
        // Derived, not the JWT secret itself.
        let raw = cursor_keys(&settings(Some(A), None), &NO_JWT).unwrap();
        assert!(!agree(&one, &raw));
        let random = cursor_keys(&settings(None, None), &NO_JWT).unwrap();
        let other = cursor_keys(&settings(None, None), &NO_JWT).unwrap();
        assert!(!agree(&random, &other));
    }

    #[test]
    fn a_key_derived_from_the_jwt_secret_follows_its_rotation() {
        let before = cursor_keys(&settings(None, None), &AuthSettings::with_secret(A)).unwrap();
        let mut rotating = AuthSettings::with_secret(B);
        rotating.jwt_secret_previous = Some(A.into());
        let rotating = cursor_keys(&settings(None, None), &rotating).unwrap();
        let after = cursor_keys(&settings(None, None), &AuthSettings::with_secret(B)).unwrap();
        assert!(
            agree(&before, &rotating),
            "an old cursor during the rotation"
        );
        assert!(agree(&rotating, &after), "a new cursor after it");
        assert!(
            !agree(&before, &after),
            "an old cursor once the previous key is gone"
        );
    }

    #[test]
    fn short_or_lone_previous_secrets_are_refused() {
        assert!(cursor_keys(&settings(Some("short"), None), &NO_JWT).is_err());
        assert!(cursor_keys(&settings(Some(A), Some("short")), &NO_JWT).is_err());
        assert!(cursor_keys(&settings(None, Some(A)), &NO_JWT).is_err());
    }
}

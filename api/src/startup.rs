//! Building and running the server: connect, migrate, optionally load the demo data,
//! bind, serve.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::{web, App, HttpServer};
use anyhow::Context;

use crate::auth::KeyRing;
use crate::config::{AuthSettings, DatabaseSettings, ServerSettings};
use crate::error::ServiceError;
use crate::http::{self, AppState};
use crate::metrics::Metrics;
use crate::service::nomination_events::feed::EventFeed;
use crate::service::rate_limits::Budgets;
use crate::{db, demo, graphql};

/// A server bound to its port, ready to run.
pub struct Application {
    port: u16,
    server: Server,
    draining: Arc<tokio::sync::watch::Sender<bool>>,
    shutdown_delay: Duration,
}

/// What `serve` was asked to do besides serving.
#[derive(Debug, Clone, Copy, Default)]
pub struct ServeOptions {
    pub demo: bool,
    /// HTTP worker threads; 0 means one per core.
    pub workers: usize,
}

impl Application {
    pub async fn build(
        database: &DatabaseSettings,
        server: &ServerSettings,
        auth: &AuthSettings,
        options: ServeOptions,
    ) -> anyhow::Result<Self> {
        let keys = Arc::new(KeyRing::from_settings(auth)?);
        if !keys.can_verify() {
            tracing::warn!(
                "no JWT_SECRET or JWT_PUBLIC_KEY_FILE is set: every request carrying a token \
                 will be refused, and only anonymous access works"
            );
        }
        let metrics = Arc::new(Metrics::default());
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
        let draining = Arc::new(tokio::sync::watch::Sender::new(false));
        let feed = EventFeed::start(db.clone(), &server.subscriptions)
            .await
            .map_err(ServiceError::into_anyhow)?;
        let state = AppState {
            draining: draining.clone(),
            request_timeout: server.request_timeout,
            rate_limits: Budgets {
                window_seconds: server.rate_limit_window.as_secs().max(1) as i64,
                anonymous: server.rate_limit_anonymous,
                user: server.rate_limit_user,
                partner: server.rate_limit_partner,
            },
            trust_forwarded_for: server.trust_forwarded_for,
            subscriptions: server.subscriptions.clone(),
            schema: graphql::build_schema(db.clone(), keys.clone(), feed, server.introspection),
            db,
            metrics,
            keys,
            playground: server.playground,
            cors_origins: Arc::new(
                server
                    .cors_allowed_origins
                    .iter()
                    .map(|o| o.trim().trim_end_matches('/').to_owned())
                    .filter(|o| !o.is_empty())
                    .collect(),
            ),
        };
        let listener = TcpListener::bind(&server.bind)
            .with_context(|| format!("could not listen on {}", server.bind))?;
        let port = listener.local_addr()?.port();
        let mut http_server = HttpServer::new(move || {
            App::new()
                .app_data(web::Data::new(state.clone()))
                .wrap(actix_web::middleware::from_fn(http::cors))
                .wrap(actix_web::middleware::from_fn(http::request_id))
                .configure(http::routes)
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
            draining,
            shutdown_delay: server.shutdown_delay,
        })
    }

    /// The port actually bound (useful when asked for port 0).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until the server is stopped (tests stop it by dropping the runtime).
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }

    /// Serves until SIGTERM or SIGINT, then shuts down gracefully: readiness fails at
    /// once, new connections are still served for the shutdown delay (while load
    /// balancers notice), then the listener closes, in-flight requests get the
    /// shutdown timeout to finish, and the process returns.
    pub async fn run_until_signalled(self) -> std::io::Result<()> {
        let handle = self.server.handle();
        let draining = self.draining.clone();
        let delay = self.shutdown_delay;
        tokio::spawn(async move {
            shutdown_signal().await;
            draining.send_replace(true);
            tracing::info!(?delay, "shutdown requested: readiness now fails; draining");
            tokio::time::sleep(delay).await;
            tracing::info!("no longer accepting connections; finishing requests in flight");
            handle.stop(true).await;
        });
        self.server.await?;
        tracing::info!("stopped");
        Ok(())
    }
}

async fn shutdown_signal() {
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

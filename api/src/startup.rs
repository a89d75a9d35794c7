//! Building and running the server: connect, migrate, optionally load the demo data,
//! bind, serve.

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::dev::Server;
use actix_web::{web, App, HttpServer};
use anyhow::Context;

use crate::auth::KeyRing;
use crate::config::{AuthSettings, DatabaseSettings, ServerSettings};
use crate::error::ServiceError;
use crate::http::{self, AppState};
use crate::metrics::Metrics;
use crate::{db, demo, graphql};

/// A server bound to its port, ready to run.
pub struct Application {
    port: u16,
    server: Server,
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
        let state = AppState {
            schema: graphql::build_schema(db.clone(), keys.clone(), server.introspection),
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
                .configure(http::routes)
        })
        .listen(listener)?;
        if options.workers > 0 {
            http_server = http_server.workers(options.workers);
        }
        tracing::info!(address = %server.bind, port, "serving the Fellowship API on /graphql");
        Ok(Application {
            port,
            server: http_server.run(),
        })
    }

    /// The port actually bound (useful when asked for port 0).
    pub fn port(&self) -> u16 {
        self.port
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

//! The webhook sender: the outbound transport. Each replica runs `WEBHOOK_SENDERS`
//! tasks; each takes the lease of one endpoint with work, turns its new events into
//! deliveries, POSTs its due deliveries in order, records each attempt, and gives the
//! endpoint back. The rules (leases, order, retries, disabling) are the service's,
//! [`crate::service::webhooks::deliveries`]; here are the wire (body, signature, HTTP
//! client) and the loop.
//!
//! Requests of the API never wait for a receiver: the sender runs beside them, holds a
//! database connection only between attempts, and gives every attempt `WEBHOOK_TIMEOUT`.

pub mod payload;
pub mod signature;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use entity::{webhook_delivery, webhook_endpoint};
use sea_orm::DatabaseConnection;
use tokio::sync::watch;

use crate::config::WebhookSettings;
use crate::error::ServiceResult;
use crate::metrics::Metrics;
use crate::service::webhooks::deliveries::{self, Attempt, Lease, Rendered, Retry};
use crate::service::webhooks::{outbox, targets};
use crate::telemetry::{self, ClientSpan};

/// Deliveries one sender makes to one endpoint before it lets others have a turn.
const DELIVERIES_PER_TURN: usize = 20;

/// How often old events and finished deliveries are pruned.
const PRUNE_EVERY: Duration = Duration::from_secs(600);

/// The background senders of one process; stopped with [`WebhookSender::stop`].
pub struct WebhookSender {
    stop: watch::Sender<bool>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
    timeout: Duration,
}

/// What every sender task shares.
struct Shared {
    db: DatabaseConnection,
    client: reqwest::Client,
    settings: WebhookSettings,
    /// This process's name on the leases it takes.
    holder: String,
    /// How long a lease lasts: an attempt's timeout and room for recording it.
    hold: Duration,
    metrics: Arc<Metrics>,
    /// The event retention (`EVENT_RETENTION`), for pruning the outbox.
    retention: Duration,
}

impl WebhookSender {
    /// Starts the senders.
    pub fn start(
        db: DatabaseConnection,
        settings: &WebhookSettings,
        retention: Duration,
        metrics: Arc<Metrics>,
    ) -> anyhow::Result<WebhookSender> {
        let client = client(settings)?;
        // As the rate-limit store does: the senders share the request pool, and their
        // statements serve no request, so they stay out of the request statement count.
        let mut db = db;
        db.set_metric_callback(|_| {});
        let (stop, stopped) = watch::channel(false);
        let shared = Arc::new(Shared {
            db,
            client,
            settings: settings.clone(),
            holder: format!("sender-{}", uuid::Uuid::new_v4().simple()),
            hold: settings.timeout + Duration::from_secs(30),
            metrics,
            retention,
        });
        let tasks = (0..settings.senders)
            .map(|n| {
                let shared = shared.clone();
                let stopped = stopped.clone();
                tokio::spawn(async move { run(shared, stopped, n == 0).await })
            })
            .collect();
        Ok(WebhookSender {
            stop,
            tasks,
            timeout: settings.timeout,
        })
    }

    /// Stops the senders: none starts another attempt, and the attempts under way get
    /// their timeout to finish and be recorded, so a restart neither repeats nor loses
    /// a delivery.
    pub async fn stop(self) {
        self.stop.send_replace(true);
        let all = futures::future::join_all(self.tasks);
        if tokio::time::timeout(self.timeout + Duration::from_secs(5), all)
            .await
            .is_err()
        {
            tracing::warn!("webhook senders did not stop in time; their leases will lapse");
        }
    }
}

/// The HTTP client of the senders: no redirects followed (a redirect is how a public
/// URL would lead inside), no proxy from the environment, and, unless private targets
/// are allowed, a resolver that gives only public addresses.
fn client(settings: &WebhookSettings) -> anyhow::Result<reqwest::Client> {
    let mut builder = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .timeout(settings.timeout)
        .connect_timeout(settings.timeout)
        .pool_max_idle_per_host(2)
        .user_agent(concat!(
            "Fellowship-API-Webhooks/",
            env!("CARGO_PKG_VERSION")
        ));
    if !settings.allow_private_targets {
        builder = builder.dns_resolver(Arc::new(PublicAddressesOnly));
    }
    Ok(builder.build()?)
}

/// Resolves names to their public addresses only: a name that points (or is later
/// pointed) at a private, loopback or link-local address does not connect there.
struct PublicAddressesOnly;

impl reqwest::dns::Resolve for PublicAddressesOnly {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let public: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await?
                .filter(|address| targets::is_public(address.ip()))
                .collect();
            if public.is_empty() {
                return Err("the name resolves to no public address".into());
            }
            Ok(Box::new(public.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

async fn run(shared: Arc<Shared>, mut stopped: watch::Receiver<bool>, prunes: bool) {
    let mut last_prune: Option<Instant> = None;
    // A poll's wait before the first look too: a process just started has nothing of
    // its own to send yet, and a test's server stays at rest.
    let mut worked = false;
    loop {
        if !worked {
            tokio::select! {
                _ = tokio::time::sleep(shared.settings.poll_interval) => {}
                changed = stopped.changed() => {
                    // The sender is gone with its `WebhookSender`: stop too.
                    if changed.is_err() {
                        return;
                    }
                }
            }
        }
        if *stopped.borrow() {
            return;
        }
        if prunes && last_prune.is_none_or(|at| at.elapsed() >= PRUNE_EVERY) {
            last_prune = Some(Instant::now());
            prune(&shared).await;
        }
        worked = match deliveries::claim(&shared.db, &shared.holder, shared.hold).await {
            Ok(Some(lease)) => {
                if let Err(err) = turn(&shared, &lease, &stopped).await {
                    tracing::warn!(endpoint = lease.endpoint.id, error = ?err, "webhook delivery failed on our side; retried later");
                }
                if let Err(err) = deliveries::release(&shared.db, &lease).await {
                    tracing::warn!(endpoint = lease.endpoint.id, error = ?err, "could not release a webhook endpoint; its lease will lapse");
                }
                true
            }
            Ok(None) => false,
            Err(err) => {
                tracing::warn!(error = ?err, "could not look for webhook work");
                false
            }
        };
    }
}

async fn prune(shared: &Shared) {
    match outbox::prune(&shared.db, shared.retention).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(events = n, "pruned old webhook events"),
        Err(err) => tracing::warn!(error = ?err, "could not prune webhook events"),
    }
    if let Err(err) = deliveries::prune(&shared.db).await {
        tracing::warn!(error = ?err, "could not prune old webhook deliveries");
    }
}

/// One turn at one leased endpoint: new events into deliveries, then the due ones sent
/// in order, until one is not due, the turn is used up, or the process stops.
async fn turn(
    shared: &Shared,
    lease: &Lease,
    stopped: &watch::Receiver<bool>,
) -> ServiceResult<()> {
    let render = |event: &entity::webhook_event::Model| {
        Ok(Rendered {
            message_id: format!("msg_{}", uuid::Uuid::new_v4().simple()),
            body: payload::body(event)?,
        })
    };
    if !deliveries::dispatch(&shared.db, lease, render).await? {
        return Ok(());
    }
    for _ in 0..DELIVERIES_PER_TURN {
        if *stopped.borrow() {
            return Ok(());
        }
        let Some(delivery) = deliveries::head(&shared.db, lease.endpoint.id).await? else {
            return Ok(());
        };
        if delivery.next_attempt_at.is_some_and(|at| at > Utc::now()) {
            return Ok(());
        }
        // As it is now: a rotated secret or a new URL applies from the next attempt on.
        let Some(endpoint) = deliveries::renew(&shared.db, lease, shared.hold).await? else {
            return Ok(());
        };
        let attempt = send(&shared.client, &shared.settings, &endpoint, &delivery).await;
        shared.metrics.record_webhook_attempt(attempt.succeeded());
        let now = attempt.at;
        let recorded = deliveries::record(
            &shared.db,
            lease,
            &delivery,
            &attempt,
            |attempts, failing_since| retry(&shared.settings, attempts, failing_since, now),
        )
        .await?;
        if !recorded || !attempt.succeeded() {
            return Ok(());
        }
    }
    Ok(())
}

/// What follows the `attempts`-th failed attempt: the schedule's next wait, varied by
/// up to a fifth, or none once it is spent; and whether the endpoint, failing since
/// `failing_since`, has failed long enough to be disabled (and failed this delivery's
/// retry too).
fn retry(
    settings: &WebhookSettings,
    attempts: i32,
    failing_since: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Retry {
    let wait = usize::try_from(attempts - 1)
        .ok()
        .and_then(|n| settings.retry_schedule.0.get(n));
    let next_attempt_at = wait.map(|wait| {
        let mut random = [0u8; 2];
        let _ = getrandom::fill(&mut random);
        let spread = f64::from(u16::from_le_bytes(random)) / f64::from(u16::MAX);
        let varied = wait.mul_f64(0.8 + 0.4 * spread);
        now + chrono::Duration::from_std(varied).unwrap_or(chrono::Duration::days(1))
    });
    let failing_for = failing_since.map_or(chrono::Duration::zero(), |since| now - since);
    // Failing for long enough, and failing still: this delivery's retry failed too, so
    // one refusal after a quiet spell (a streak begun long ago, with nothing sent since)
    // does not disable a receiver that has recovered.
    let disable = (attempts >= 2 || settings.retry_schedule.0.is_empty())
        && chrono::Duration::from_std(settings.disable_after)
            .is_ok_and(|limit| failing_for >= limit);
    Retry {
        next_attempt_at,
        disable,
    }
}

/// The secrets that sign now: the endpoint's, and during a rotation the one it replaced.
fn signing_secrets(endpoint: &webhook_endpoint::Model, now: DateTime<Utc>) -> Vec<&str> {
    let mut secrets = vec![endpoint.secret.as_str()];
    if let (Some(previous), Some(until)) = (
        endpoint.previous_secret.as_deref(),
        endpoint.previous_secret_expires_at,
    ) {
        if until > now {
            secrets.push(previous);
        }
    }
    secrets
}

/// One attempt: the POST, signed now, and how it went (never the receiver's body).
async fn send(
    client: &reqwest::Client,
    settings: &WebhookSettings,
    endpoint: &webhook_endpoint::Model,
    delivery: &webhook_delivery::Model,
) -> Attempt {
    let at = Utc::now();
    let started = Instant::now();
    let finish = |status: Option<u16>, error: Option<String>| Attempt {
        at,
        status,
        duration: started.elapsed(),
        error,
    };
    // Checked again at each attempt: the rule may have tightened since the URL was saved.
    if let Err(err) = targets::endpoint_url("url", &endpoint.url, settings.allow_private_targets) {
        return finish(None, Some(err.public_message()));
    }
    let timestamp = at.timestamp();
    let signature = signature::header(
        signing_secrets(endpoint, at),
        &delivery.message_id,
        timestamp,
        &delivery.body,
    );
    // While traces are sent, the attempt is a span, and the receiver hears its
    // `traceparent`.
    let span = ClientSpan::start("POST", &endpoint.url);
    let post = client
        .post(&endpoint.url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header("webhook-id", &delivery.message_id)
        .header("webhook-timestamp", timestamp.to_string())
        .header("webhook-signature", signature)
        .body(delivery.body.clone());
    let sent = telemetry::carry(span.as_ref(), post).send().await;
    if let Some(span) = span {
        span.finish(
            sent.as_ref()
                .ok()
                .map(|response| response.status().as_u16()),
        );
    }
    match sent {
        Ok(response) => {
            let status = response.status();
            let code = Some(status.as_u16());
            if status.is_success() {
                finish(code, None)
            } else if status.is_redirection() {
                finish(
                    code,
                    Some(format!(
                        "the receiver answered {status}; redirects are not followed"
                    )),
                )
            } else {
                finish(code, Some(format!("the receiver answered {status}")))
            }
        }
        Err(err) if err.is_timeout() => finish(
            None,
            Some(format!(
                "no answer within {}",
                humantime::format_duration(settings.timeout)
            )),
        ),
        Err(err) if err.is_connect() => {
            finish(None, Some("could not connect to the receiver".into()))
        }
        Err(_) => finish(None, Some("the request to the receiver failed".into())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::RetrySchedule;

    #[test]
    fn retries_follow_the_schedule_with_jitter_then_stop() {
        let settings = WebhookSettings {
            retry_schedule: RetrySchedule(vec![Duration::from_secs(10), Duration::from_secs(100)]),
            ..WebhookSettings::default()
        };
        let now = Utc::now();
        for _ in 0..50 {
            let first = retry(&settings, 1, Some(now), now).next_attempt_at.unwrap();
            assert!(
                first >= now + chrono::Duration::seconds(8)
                    && first <= now + chrono::Duration::seconds(12)
            );
            let second = retry(&settings, 2, Some(now), now).next_attempt_at.unwrap();
            assert!(
                second >= now + chrono::Duration::seconds(80)
                    && second <= now + chrono::Duration::seconds(120)
            );
        }
        assert!(retry(&settings, 3, Some(now), now)
            .next_attempt_at
            .is_none());
    }

    #[test]
    fn an_endpoint_failing_for_long_enough_is_disabled() {
        let settings = WebhookSettings::default();
        let now = Utc::now();
        assert!(!retry(&settings, 2, Some(now - chrono::Duration::days(1)), now).disable);
        assert!(retry(&settings, 2, Some(now - chrono::Duration::days(6)), now).disable);
        // One refusal after a quiet spell: not yet, its retry decides.
        assert!(!retry(&settings, 1, Some(now - chrono::Duration::days(6)), now).disable);
    }
}

//! `fanout`: subscription fan-out at scale. Opens many `nominationEvents` subscribers
//! (graphql-transport-ws, as the `graphql-ws` library speaks it) spread over several
//! replicas of the service on one database, submits nominations on the first replica,
//! and measures, for every event at every subscriber, the time from the mutation's
//! commit (the moment its HTTP response arrived) to the event's delivery.
//!
//! Every subscriber must receive every event; one that misses any fails the run.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use clap::Parser;
use futures::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::Message;

#[derive(Debug, Parser)]
struct Args {
    /// The replicas' base addresses, comma-separated (`http://127.0.0.1:8081,...`);
    /// subscribers are spread over them in turn, nominations go to the first.
    #[arg(long, value_delimiter = ',', required = true)]
    replicas: Vec<String>,
    /// A staff token: staff receive every nomination's events.
    #[arg(long, env = "STAFF_TOKEN")]
    token: String,
    #[arg(long, default_value_t = 1_000)]
    subscribers: usize,
    /// Nominations submitted (and so events awaited at every subscriber).
    #[arg(long, default_value_t = 20)]
    events: usize,
    /// Pause between two submissions.
    #[arg(long, default_value_t = 250)]
    interval_ms: u64,
    /// How long to wait for the last deliveries of one event.
    #[arg(long, default_value_t = 10)]
    timeout_s: u64,
}

const SUBSCRIPTION: &str =
    "subscription { nominationEvents(filter: { kinds: [SUBMITTED] }) { kind nomination { nomineeHandle } } }";

const SUBMIT: &str = "mutation($input: SubmitNominationInput!) { submitNomination(input: $input) { nomination { id } userErrors { message } } }";

/// One delivery: which subscriber, which nominee, when.
struct Delivery {
    subscriber: usize,
    handle: String,
    at: Instant,
}

async fn subscriber(
    index: usize,
    address: String,
    token: String,
    deliveries: mpsc::UnboundedSender<Delivery>,
    ready: mpsc::UnboundedSender<anyhow::Result<usize>>,
) {
    let opened = open(&address, &token).await;
    let mut socket = match opened {
        Ok(socket) => {
            let _ = ready.send(Ok(index));
            socket
        }
        Err(err) => {
            let _ = ready.send(Err(err.context(format!("subscriber {index} on {address}"))));
            return;
        }
    };
    while let Some(frame) = socket.next().await {
        let Ok(Message::Text(text)) = frame else {
            if matches!(frame, Ok(Message::Close(_)) | Err(_)) {
                break;
            }
            continue;
        };
        let at = Instant::now();
        let Ok(message) = serde_json::from_str::<Value>(text.as_str()) else {
            continue;
        };
        match message["type"].as_str() {
            Some("ping") => {
                let _ = socket
                    .send(Message::text(json!({ "type": "pong" }).to_string()))
                    .await;
            }
            Some("next") => {
                let handle = message["payload"]["data"]["nominationEvents"]["nomination"]
                    ["nomineeHandle"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned();
                let _ = deliveries.send(Delivery {
                    subscriber: index,
                    handle,
                    at,
                });
            }
            Some("error") | Some("complete") => {
                eprintln!("subscriber {index}: {message}");
                break;
            }
            _ => {}
        }
    }
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn open(address: &str, token: &str) -> anyhow::Result<Socket> {
    let endpoint = format!("{}/graphql", address.replacen("http://", "ws://", 1));
    let mut request = endpoint.into_client_request()?;
    request.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        HeaderValue::from_static("graphql-transport-ws"),
    );
    let (mut socket, _) = tokio_tungstenite::connect_async(request)
        .await
        .context("the WebSocket upgrade")?;
    let init = json!({ "type": "connection_init", "payload": { "Authorization": format!("Bearer {token}") } });
    socket.send(Message::text(init.to_string())).await?;
    loop {
        let frame = tokio::time::timeout(Duration::from_secs(15), socket.next())
            .await
            .context("no connection_ack within 15 s")?;
        match frame {
            Some(Ok(Message::Text(text))) => {
                let message: Value = serde_json::from_str(text.as_str())?;
                match message["type"].as_str() {
                    Some("connection_ack") => break,
                    Some("ping") => {
                        socket
                            .send(Message::text(json!({ "type": "pong" }).to_string()))
                            .await?;
                    }
                    _ => bail!("expected connection_ack, got {message}"),
                }
            }
            Some(Ok(Message::Close(frame))) => bail!("closed before connection_ack: {frame:?}"),
            Some(Ok(_)) => {}
            Some(Err(err)) => return Err(err.into()),
            None => bail!("closed before connection_ack"),
        }
    }
    let subscribe = json!({ "id": "1", "type": "subscribe", "payload": { "query": SUBSCRIPTION } });
    socket.send(Message::text(subscribe.to_string())).await?;
    Ok(socket)
}

async fn submit(
    http: &reqwest::Client,
    address: &str,
    token: &str,
    handle: &str,
) -> anyhow::Result<()> {
    let body = json!({
        "query": SUBMIT,
        "variables": { "input": {
            "nomineeName": format!("Fan-out Nominee {handle}"),
            "nomineeHandle": handle,
            "nomineeEmail": format!("{handle}@example.org"),
            "rationale": "Measuring how fast every subscriber hears of it.",
        } }
    });
    let response: Value = http
        .post(format!("{address}/graphql"))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    if response.get("errors").is_some()
        || response["data"]["submitNomination"]["nomination"]["id"].is_null()
    {
        bail!("submitNomination failed: {response}");
    }
    Ok(())
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let (deliveries_tx, mut deliveries) = mpsc::unbounded_channel();
    let (ready_tx, mut ready) = mpsc::unbounded_channel();
    let opening = Instant::now();
    // At most a few dozen handshakes at once, as a crowd of browsers reconnecting would
    // arrive, without drowning the accept queue.
    let gate = std::sync::Arc::new(tokio::sync::Semaphore::new(32));
    for index in 0..args.subscribers {
        let address = args.replicas[index % args.replicas.len()].clone();
        let (token, tx, ready_tx, gate) = (
            args.token.clone(),
            deliveries_tx.clone(),
            ready_tx.clone(),
            gate.clone(),
        );
        tokio::spawn(async move {
            let permit = gate.acquire_owned().await;
            let (inner_tx, mut inner_rx) = mpsc::unbounded_channel();
            let task = tokio::spawn(subscriber(index, address, token, tx, inner_tx));
            if let Some(result) = inner_rx.recv().await {
                drop(permit);
                let _ = ready_tx.send(result);
            }
            let _ = task.await;
        });
    }
    drop(ready_tx);
    let mut opened = 0;
    while opened < args.subscribers {
        match ready.recv().await {
            Some(Ok(_)) => opened += 1,
            Some(Err(err)) => return Err(err),
            None => bail!("only {opened} subscribers opened"),
        }
    }
    println!(
        "{} subscribers open on {} replicas in {:.1} s",
        opened,
        args.replicas.len(),
        opening.elapsed().as_secs_f64()
    );

    let http = reqwest::Client::new();
    let nonce = chrono::Utc::now().timestamp_millis() % 100_000_000;
    // A first event, not measured: it proves every subscription is live.
    let warm_up = format!("fanout-{nonce}-w");
    submit(&http, &args.replicas[0], &args.token, &warm_up).await?;
    let mut heard = 0;
    let deadline = Instant::now() + Duration::from_secs(30);
    while heard < args.subscribers {
        match tokio::time::timeout_at(deadline.into(), deliveries.recv()).await {
            Ok(Some(d)) if d.handle == warm_up => heard += 1,
            Ok(Some(_)) => {}
            _ => bail!(
                "only {heard} of {} subscribers heard the first event within 30 s",
                args.subscribers
            ),
        }
    }

    let mut latencies: Vec<f64> = Vec::with_capacity(args.subscribers * args.events);
    let mut early = 0usize;
    for k in 0..args.events {
        let handle = format!("fanout-{nonce}-{k}");
        submit(&http, &args.replicas[0], &args.token, &handle).await?;
        let committed = Instant::now();
        let mut seen: HashMap<usize, Instant> = HashMap::new();
        let deadline = committed + Duration::from_secs(args.timeout_s);
        while seen.len() < args.subscribers {
            match tokio::time::timeout_at(deadline.into(), deliveries.recv()).await {
                Ok(Some(d)) if d.handle == handle => {
                    seen.insert(d.subscriber, d.at);
                }
                Ok(Some(_)) => {}
                _ => bail!(
                    "event {k}: only {} of {} subscribers received it within {} s",
                    seen.len(),
                    args.subscribers,
                    args.timeout_s
                ),
            }
        }
        for at in seen.values() {
            // A delivery may beat the HTTP response to this process: count it as 0.
            if *at < committed {
                early += 1;
            }
            latencies.push(at.saturating_duration_since(committed).as_secs_f64() * 1_000.0);
        }
        tokio::time::sleep(Duration::from_millis(args.interval_ms)).await;
    }
    latencies.sort_by(f64::total_cmp);
    let (p50, p99, max) = (
        percentile(&latencies, 50.0),
        percentile(&latencies, 99.0),
        latencies.last().copied().unwrap_or(f64::NAN),
    );
    println!(
        "{} events x {} subscribers: {} deliveries, all received; commit to delivery p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms ({} before the HTTP response)",
        args.events,
        args.subscribers,
        latencies.len(),
        p50,
        p99,
        max,
        early
    );
    println!(
        "RESULT {}",
        json!({
            "subscribers": args.subscribers, "replicas": args.replicas.len(),
            "events": args.events, "deliveries": latencies.len(),
            "p50_ms": p50, "p99_ms": p99, "max_ms": max, "early": early,
        })
    );
    Ok(())
}

//! `deploy/` as an operator runs it: HAProxy with `deploy/haproxy.cfg`, exactly as it is
//! committed, in front of three `api serve` processes on one PostgreSQL database. Under
//! steady read, write and subscription load through the load balancer, the replicas are
//! restarted one after another the way a rolling deploy does it (SIGTERM, wait for the
//! exit, start the new one, wait until the load balancer has it back): no request
//! fails, every acknowledged write is in the database, every subscriber resumes from its
//! cursor and misses no event, and a client that connects while a replica drains is
//! served by another one.
//!
//! Needs the distribution's `haproxy` (`cargo suite` leaves the module `haproxy` out,
//! visibly, when it is not installed) and PostgreSQL (module `postgres`).

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use api::auth::Role;
use fellowship_tests::nominations::{self, Submitted};
use fellowship_tests::process::{ServeCommand, ServeProcess};
use fellowship_tests::ws::{Received, WsClient, NOMINATION_EVENTS};
use fellowship_tests::{Backend, TestDatabase};
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{json, Value};

const REPLICAS: usize = 3;
const READERS: usize = 3;
const WRITERS: usize = 2;
const SUBSCRIBERS: usize = 3;

/// A port the kernel will not hand out as a connection's source port (below
/// `ip_local_port_range`, 32768 and up by default), free now: a replica is restarted on
/// its port seconds after it let go of it, and an ephemeral port could be taken by any
/// outgoing connection meanwhile.
fn replica_port() -> u16 {
    let start = 20_000 + (std::process::id() % 1_000) as u16 * 10;
    (start..32_000)
        .find(|port| std::net::TcpListener::bind(("127.0.0.1", *port)).is_ok())
        .expect("a free port below the ephemeral range")
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port()
}

/// One replica as the deploy runs it: its own port, the shared database, and the
/// settings `deploy/` sets (the forwarded address trusted, the default shutdown delay
/// and timeout). The anonymous budget and the WebSocket cap per caller are raised: the
/// readers all come from one address, and every subscriber is the same staff member.
async fn start_replica(database_url: &str, port: u16, demo: bool, log: &Path) -> ServeProcess {
    let command = ServeCommand::new(env!("CARGO_BIN_EXE_api"), database_url)
        .port(port)
        .env("TRUST_FORWARDED_FOR", "true")
        .env("RATE_LIMIT_ANONYMOUS", "100000000")
        .env("WS_MAX_CONNECTIONS_PER_CALLER", "100")
        .env("RUST_LOG", "info")
        .log_to(log);
    if demo { command.demo() } else { command }.start().await
}

/// HAProxy on `deploy/haproxy.cfg`, in the foreground, logging to `log`.
struct LoadBalancer {
    child: Child,
    /// `http://127.0.0.1:<port>`, where clients connect.
    address: String,
    stats: String,
    log: PathBuf,
}

impl LoadBalancer {
    async fn start(replica_ports: &[u16], log: PathBuf) -> LoadBalancer {
        let config = Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy/haproxy.cfg");
        let (listen, stats) = (free_port(), free_port());
        let mut command = Command::new("haproxy");
        command
            .args(["-db", "-f"])
            .arg(&config)
            .env("FELLOWSHIP_LISTEN", format!("127.0.0.1:{listen}"))
            .env("FELLOWSHIP_STATS", format!("127.0.0.1:{stats}"))
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&log).expect("the HAProxy log"))
            .stderr(std::fs::File::options().append(true).open(&log).unwrap());
        for (n, port) in replica_ports.iter().enumerate() {
            command.env(
                format!("FELLOWSHIP_REPLICA_{}", n + 1),
                format!("127.0.0.1:{port}"),
            );
        }
        let balancer = LoadBalancer {
            child: command
                .spawn()
                .expect("start haproxy (apt-get install haproxy)"),
            address: format!("http://127.0.0.1:{listen}"),
            stats: format!("http://127.0.0.1:{stats}"),
            log,
        };
        for n in 1..=REPLICAS {
            balancer.wait_until(&format!("replica{n}"), "UP").await;
        }
        balancer
    }

    /// The status HAProxy's health checks give the server `name` (UP, DOWN, ...).
    async fn status(&self, name: &str) -> Option<String> {
        let csv = reqwest::get(format!("{}/;csv", self.stats))
            .await
            .ok()?
            .text()
            .await
            .ok()?;
        let mut lines = csv.lines();
        let header: Vec<&str> = lines.next()?.trim_start_matches("# ").split(',').collect();
        let status = header.iter().position(|column| *column == "status")?;
        lines
            .map(|line| line.split(',').collect::<Vec<_>>())
            .find(|row| row.first() == Some(&"replicas") && row.get(1) == Some(&name))
            .and_then(|row| row.get(status).map(|s| (*s).to_owned()))
    }

    /// Waits until the health checks say `status` of `name` (`UP` may read `UP 1/2`
    /// while rising: only a settled status counts).
    async fn wait_until(&self, name: &str, status: &str) {
        for _ in 0..300 {
            if self.status(name).await.as_deref() == Some(status) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!(
            "HAProxy did not report {name} {status} within 30 s (now {:?}); its log: {}",
            self.status(name).await,
            self.log.display()
        );
    }
}

impl LoadBalancer {
    /// The requests HAProxy's log shows failing: an answer other than 200 (101 for a
    /// WebSocket), or a stream it ended for a reason on the server's or its own side
    /// (a termination state other than `-` or `C`, the client closing).
    fn failed_requests(&self) -> Vec<String> {
        let log = std::fs::read_to_string(&self.log).unwrap_or_default();
        log.lines()
            .filter(|line| {
                line.contains(" fellowship replicas/") || line.contains(" fellowship fellowship/")
            })
            .filter(|line| {
                let fields: Vec<&str> = line.split_whitespace().collect();
                let status = fields.get(5).copied().unwrap_or("");
                let termination = fields.get(9).and_then(|t| t.chars().next()).unwrap_or('?');
                !matches!(status, "200" | "101") || !matches!(termination, '-' | 'C')
            })
            .map(str::to_owned)
            .collect()
    }
}

impl Drop for LoadBalancer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What went wrong under load, kept to be shown all at once.
#[derive(Default)]
struct Failures(Mutex<Vec<String>>);

impl Failures {
    fn record(&self, what: String) {
        self.0.lock().unwrap().push(what);
    }

    fn take(&self) -> Vec<String> {
        std::mem::take(&mut self.0.lock().unwrap())
    }
}

/// Reads the first page of fellows through the load balancer until told to stop,
/// alternating GET and POST; every answer must be a 200 with the page.
///
/// A read whose keep-alive connection *to the load balancer* was closed under it as it
/// was sent is sent again once on a new connection, as browsers and HTTP libraries do
/// for a request that never got an answer on a reused connection (seen once in a CI run,
/// with no request in HAProxy's log failing). It is counted in `resent`; what the
/// replicas did is judged from HAProxy's log, where every request must have succeeded
/// (see [`LoadBalancer::failed_requests`]).
async fn read_until(
    address: String,
    stop: Arc<AtomicBool>,
    failures: Arc<Failures>,
    count: Arc<AtomicUsize>,
    resent: Arc<AtomicUsize>,
) {
    const QUERY: &str = "query FirstFellows { fellows(first: 5) { edges { node { id handle } } } }";
    let client = reqwest::Client::new();
    let mut n = 0u64;
    while !stop.load(Ordering::Relaxed) {
        n += 1;
        let request = || {
            if n.is_multiple_of(2) {
                client
                    .get(format!("{address}/graphql"))
                    .query(&[("query", QUERY)])
            } else {
                client
                    .post(format!("{address}/graphql"))
                    .json(&json!({ "query": QUERY }))
            }
        };
        let sent = match request().send().await {
            Err(err) if err.is_request() => {
                resent.fetch_add(1, Ordering::Relaxed);
                request()
                    .send()
                    .await
                    .map_err(|again| format!("{err:?}, and sent again: {again:?}"))
            }
            other => other.map_err(|err| format!("{err:?}")),
        };
        match sent {
            Ok(response) => {
                let status = response.status();
                let body: Value = response.json().await.unwrap_or(Value::Null);
                let edges = body["data"]["fellows"]["edges"].as_array().map(Vec::len);
                if !status.is_success() || body.get("errors").is_some() || edges != Some(5) {
                    failures.record(format!("read answered {status}: {body}"));
                }
            }
            Err(err) => failures.record(format!("read failed: {err}")),
        }
        count.fetch_add(1, Ordering::Relaxed);
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// Submits nominations through the load balancer until told to stop, and answers the
/// ones acknowledged. Writer 0 sends an `Idempotency-Key` with each, as a careful
/// client does; the others send none, so nothing may ever need repeating.
async fn write_until(
    address: String,
    token: String,
    writer: usize,
    stop: Arc<AtomicBool>,
    failures: Arc<Failures>,
) -> Vec<Submitted> {
    let client = reqwest::Client::new();
    let mut acknowledged = Vec::new();
    let mut n = 0;
    while !stop.load(Ordering::Relaxed) {
        n += 1;
        let handle = format!("rolling-{writer}-{n}");
        let key = format!("rolling-restart-{writer}-{n}");
        let headers: &[(&str, &str)] = if writer == 0 {
            &[("Idempotency-Key", &key)]
        } else {
            &[]
        };
        let (status, body) = nominations::post(&client, &address, &token, headers, &handle).await;
        match Submitted::from_body(&body) {
            Some(submitted) if status == 200 => acknowledged.push(submitted),
            _ => failures.record(format!("write of {handle} answered {status}: {body}")),
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    acknowledged
}

/// A subscriber that does what the graphql-ws client does when its socket closes:
/// connects again (through the load balancer) and subscribes from the last cursor it
/// read. Runs until it has read an event for every id in `expected`, once that is known.
async fn subscribe_until(
    address: String,
    token: String,
    from: String,
    expected: tokio::sync::watch::Receiver<Option<HashSet<String>>>,
    failures: Arc<Failures>,
) -> (Vec<String>, usize) {
    let resume = |cursor: String| {
        let (address, token) = (address.clone(), token.clone());
        async move {
            let mut client = WsClient::signed_in(&address, &token).await;
            client
                .subscribe(
                    "events",
                    NOMINATION_EVENTS,
                    json!({ "filter": { "after": cursor } }),
                )
                .await;
            client
        }
    };
    let mut cursor = from;
    let mut client = resume(cursor.clone()).await;
    let mut received = Vec::new();
    let mut reconnects = 0;
    loop {
        if let Some(expected) = expected.borrow().as_ref() {
            let seen: HashSet<&String> = received.iter().collect();
            if expected.iter().all(|id| seen.contains(id)) {
                return (received, reconnects);
            }
        }
        match client.receive(Duration::from_millis(500)).await {
            Some(Received::Message(message)) if message["type"] == "next" => {
                let event = &message["payload"]["data"]["nominationEvents"];
                match (event["nomination"]["id"].as_str(), event["cursor"].as_str()) {
                    (Some(id), Some(at)) => {
                        received.push(id.to_owned());
                        cursor = at.to_owned();
                    }
                    _ => failures.record(format!("an event without id or cursor: {message}")),
                }
            }
            Some(Received::Closed { code, reason }) => {
                // A replica going away says so (1001); anything else is a failure, but
                // the subscriber still resumes, to show what else would be missed.
                if code != 1001 {
                    failures.record(format!("subscription closed with {code}: {reason}"));
                }
                reconnects += 1;
                client = resume(cursor.clone()).await;
            }
            Some(Received::Message(other)) => {
                failures.record(format!("unexpected message: {other}"));
            }
            None => {}
        }
    }
}

mod postgres {
    mod haproxy {
        use super::super::*;

        #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
        async fn replicas_restarted_one_by_one_behind_the_load_balancer_lose_nothing() {
            let backend = Backend::postgres().await;
            let database = TestDatabase::create(backend).await;
            // Kept after a failure, for the replicas' and HAProxy's own account.
            let logs = std::env::temp_dir()
                .join(format!("fellowship-rolling-restart-{}", std::process::id()));
            std::fs::create_dir_all(&logs).unwrap();
            let log = |name: &str| logs.join(name);
            let mut ports: Vec<u16> = Vec::new();
            while ports.len() < REPLICAS {
                let port = replica_port();
                // Held by nothing yet, so the search finds the same one again: step past.
                let port = (port..32_000)
                    .find(|p| {
                        !ports.contains(p) && std::net::TcpListener::bind(("127.0.0.1", *p)).is_ok()
                    })
                    .expect("a free port");
                ports.push(port);
            }
            let mut replicas = Vec::new();
            for (n, port) in ports.iter().enumerate() {
                let log = log(&format!("replica{}-start0.log", n + 1));
                replicas.push(start_replica(&database.url, *port, n == 0, &log).await);
            }
            let balancer = LoadBalancer::start(&ports, log("haproxy.log")).await;
            let lb = balancer.address.clone();
            let token = fellowship_tests::user_token(Role::Staff, "merve");
            let from = fellowship_tests::events_cursor(&reqwest::Client::new(), &lb, &token).await;

            let stop = Arc::new(AtomicBool::new(false));
            let failures = Arc::new(Failures::default());
            let reads = Arc::new(AtomicUsize::new(0));
            let resent = Arc::new(AtomicUsize::new(0));
            let (expected_tx, expected_rx) = tokio::sync::watch::channel(None);
            let subscribers: Vec<_> = (0..SUBSCRIBERS)
                .map(|_| {
                    tokio::spawn(subscribe_until(
                        lb.clone(),
                        token.clone(),
                        from.clone(),
                        expected_rx.clone(),
                        failures.clone(),
                    ))
                })
                .collect();
            let readers: Vec<_> = (0..READERS)
                .map(|_| {
                    tokio::spawn(read_until(
                        lb.clone(),
                        stop.clone(),
                        failures.clone(),
                        reads.clone(),
                        resent.clone(),
                    ))
                })
                .collect();
            let writers: Vec<_> = (0..WRITERS)
                .map(|writer| {
                    tokio::spawn(write_until(
                        lb.clone(),
                        token.clone(),
                        writer,
                        stop.clone(),
                        failures.clone(),
                    ))
                })
                .collect();
            tokio::time::sleep(Duration::from_secs(2)).await;

            for n in 0..REPLICAS {
                let name = format!("replica{}", n + 1);
                let draining = replicas[n].address.clone();
                replicas[n].terminate();
                // While it drains it still serves, WebSocket upgrades included (the
                // graphql-ws client gives up for good on a refused upgrade)...
                tokio::time::sleep(Duration::from_millis(200)).await;
                let mut direct = WsClient::signed_in(&draining, &token).await;
                // ...and once the health checks have noticed, clients connecting through
                // the load balancer are served by the others: they are still being
                // served after it has gone.
                balancer.wait_until(&name, "DOWN").await;
                let now =
                    fellowship_tests::events_cursor(&reqwest::Client::new(), &lb, &token).await;
                let mut probes = Vec::new();
                for _ in 0..2 * REPLICAS {
                    let mut probe = WsClient::signed_in(&lb, &token).await;
                    probe
                        .subscribe(
                            "probe",
                            NOMINATION_EVENTS,
                            json!({ "filter": { "after": now } }),
                        )
                        .await;
                    probes.push(probe);
                }
                // Polled, not waited for: a blocked worker would stall the load's tasks.
                let exit = loop {
                    if let Some(exit) = replicas[n].try_wait() {
                        break exit;
                    }
                    tokio::time::sleep(Duration::from_millis(50)).await;
                };
                assert!(exit.success(), "{name} exited with {exit}");
                // Its own clients were told to go (1001), after the delay.
                let (code, reason) = direct.expect_close(Duration::from_secs(1)).await;
                assert_eq!(
                    code, 1001,
                    "{name} closed a WebSocket with {code}: {reason}"
                );
                for probe in &mut probes {
                    probe.next_event("probe").await;
                }
                for probe in probes {
                    probe.close().await;
                }
                let log = log(&format!("{name}-start1.log"));
                replicas[n] = start_replica(&database.url, ports[n], false, &log).await;
                balancer.wait_until(&name, "UP").await;
            }
            tokio::time::sleep(Duration::from_secs(2)).await;

            stop.store(true, Ordering::Relaxed);
            for reader in readers {
                reader.await.unwrap();
            }
            let mut acknowledged = Vec::new();
            for writer in writers {
                acknowledged.extend(writer.await.unwrap());
            }
            let acknowledged_ids: HashSet<String> =
                acknowledged.iter().map(|s| s.id.clone()).collect();
            expected_tx.send_replace(Some(acknowledged_ids.clone()));
            let mut received = Vec::new();
            let mut reconnect_counts = Vec::new();
            for subscriber in subscribers {
                let outcome = tokio::time::timeout(Duration::from_secs(30), subscriber).await;
                let (events, reconnects) = outcome
                    .unwrap_or_else(|_| {
                        panic!(
                            "a subscriber had not caught up 30 s after the writes ended; \
                             failures so far: {:?}",
                            failures.take()
                        )
                    })
                    .unwrap();
                assert!(reconnects >= 1, "a subscriber was never moved");
                reconnect_counts.push(reconnects);
                received.push(events);
            }

            let failed = failures.take();
            let refused_by_replicas = balancer.failed_requests();
            assert!(
                refused_by_replicas.is_empty(),
                "HAProxy logged failed requests:\n{}",
                refused_by_replicas.join("\n")
            );
            let resent = resent.load(Ordering::Relaxed);
            assert!(
                resent <= 3,
                "{resent} reads lost their connection to the load balancer"
            );
            assert!(
                failed.is_empty(),
                "{} failures under load ({} reads, {} writes); logs in {}:\n{}",
                failed.len(),
                reads.load(Ordering::Relaxed),
                acknowledged.len(),
                logs.display(),
                failed.join("\n")
            );
            assert!(
                acknowledged.len() >= 50,
                "only {} writes",
                acknowledged.len()
            );
            eprintln!(
                "rolling restart: {} reads ({} sent again on a new connection) and {} writes \
                 through the load balancer, none failed; {} subscribers resumed {:?} times",
                reads.load(Ordering::Relaxed),
                resent,
                acknowledged.len(),
                SUBSCRIBERS,
                reconnect_counts,
            );

            // Every acknowledged write is in the database, and the outbox holds an event
            // for each submission, in commit order.
            let db = database.connect().await;
            let outbox: Vec<String> = db
                .query_all_raw(Statement::from_string(
                    db.get_database_backend(),
                    "SELECT e.nomination_id FROM nomination_events e \
                     JOIN nominations n ON n.id = e.nomination_id \
                     WHERE n.nominee_handle LIKE 'rolling-%' ORDER BY e.id",
                ))
                .await
                .unwrap()
                .into_iter()
                .map(|row| {
                    let id: i64 = row.try_get_by_index(0).unwrap();
                    api::graphql::ids::encode(api::graphql::ids::NodeType::Nomination, id).0
                })
                .collect();
            let stored: HashSet<&String> = outbox.iter().collect();
            for id in &acknowledged_ids {
                assert!(stored.contains(id), "acknowledged {id} is not stored");
            }
            // Each subscriber read every event once, in the outbox's order, across its
            // reconnections.
            for events in received {
                assert_eq!(
                    events, outbox,
                    "a subscriber's events differ from the outbox"
                );
            }
            let _ = std::fs::remove_dir_all(&logs);
        }
    }
}

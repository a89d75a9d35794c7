//! A steady write load over HTTP against a running server, recording which writes were
//! acknowledged and when, so that a test can ask of a backup (or a restored database)
//! whether it holds every write acknowledged before some moment.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::nominations::{post, Submitted};

/// A write the server acknowledged: the nomination it created, and when the answer
/// arrived (so the commit happened before then).
#[derive(Debug, Clone)]
pub struct Acknowledged {
    /// When the answer arrived.
    pub at: Instant,
    /// The nomination's GraphQL id.
    pub id: String,
}

/// Writers submitting nominations (`load-<n>`) to one server until stopped.
pub struct WriteLoad {
    stop: Arc<AtomicBool>,
    acknowledged: Arc<Mutex<Vec<Acknowledged>>>,
    refused: Arc<Mutex<Vec<String>>>,
    writers: Vec<tokio::task::JoinHandle<()>>,
}

impl WriteLoad {
    /// Starts `writers` concurrent writers against the server at `address`, as `token`.
    pub fn start(address: &str, token: &str, writers: usize) -> WriteLoad {
        let stop = Arc::new(AtomicBool::new(false));
        let acknowledged = Arc::new(Mutex::new(Vec::new()));
        let refused = Arc::new(Mutex::new(Vec::new()));
        let next = Arc::new(AtomicUsize::new(0));
        let writers = (0..writers)
            .map(|_| {
                let (stop, acknowledged, refused, next) = (
                    stop.clone(),
                    acknowledged.clone(),
                    refused.clone(),
                    next.clone(),
                );
                let (address, token) = (address.to_owned(), token.to_owned());
                tokio::spawn(async move {
                    let client = reqwest::Client::new();
                    while !stop.load(Ordering::Relaxed) {
                        let n = next.fetch_add(1, Ordering::Relaxed);
                        let (status, body) =
                            post(&client, &address, &token, &[], &format!("load-{n}")).await;
                        match Submitted::from_body(&body) {
                            Some(submitted) => acknowledged.lock().unwrap().push(Acknowledged {
                                at: Instant::now(),
                                id: submitted.id,
                            }),
                            None => refused.lock().unwrap().push(format!("{status}: {body}")),
                        }
                    }
                })
            })
            .collect();
        WriteLoad {
            stop,
            acknowledged,
            refused,
            writers,
        }
    }

    /// How many writes have been acknowledged so far.
    pub fn acknowledged_count(&self) -> usize {
        self.acknowledged.lock().unwrap().len()
    }

    /// Waits until at least `count` writes have been acknowledged (at most a minute).
    pub async fn wait_for(&self, count: usize) {
        let give_up = Instant::now() + Duration::from_secs(60);
        while self.acknowledged_count() < count {
            assert!(
                Instant::now() < give_up,
                "the load made no progress: {} acknowledged, refusals: {:?}",
                self.acknowledged_count(),
                self.refused.lock().unwrap().first()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Stops the writers, waits for their last requests, and answers every
    /// acknowledged write; panics when the server refused any (the load is one the
    /// server must carry).
    pub async fn stop(self) -> Vec<Acknowledged> {
        self.stop.store(true, Ordering::Relaxed);
        for writer in self.writers {
            writer.await.expect("a writer");
        }
        let refused = self.refused.lock().unwrap();
        assert!(
            refused.is_empty(),
            "writes were refused: {:?}",
            &refused[..]
        );
        let acknowledged = self.acknowledged.lock().unwrap().clone();
        acknowledged
    }
}

/// The ids among `ids` that `node(id:)` does not find on the server at `address` (as
/// `token`, who must be allowed to see them), asked fifty at a time.
pub async fn missing_nodes(address: &str, token: &str, ids: &[String]) -> Vec<String> {
    let client = reqwest::Client::new();
    let mut missing = Vec::new();
    for chunk in ids.chunks(50) {
        let fields: String = chunk
            .iter()
            .enumerate()
            .map(|(i, id)| format!("n{i}: node(id: {}) {{ id }} ", Value::String(id.clone())))
            .collect();
        let body: Value = client
            .post(format!("{address}/graphql"))
            .bearer_auth(token)
            .json(&json!({ "query": format!("{{ {fields} }}") }))
            .send()
            .await
            .expect("POST /graphql")
            .json()
            .await
            .expect("a JSON body");
        assert!(body["errors"].is_null(), "{body}");
        for (i, id) in chunk.iter().enumerate() {
            if body["data"][format!("n{i}")]["id"].as_str() != Some(id) {
                missing.push(id.clone());
            }
        }
    }
    missing
}

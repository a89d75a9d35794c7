//! A webhook receiver of the tests' own, on a loopback port: it records every delivery
//! (headers and body), answers with the statuses a test scripts (fail, then recover),
//! and checks signatures with the Standard Webhooks reference library
//! (`standardwebhooks`), not with the server's own code.
//!
//! It speaks just enough HTTP/1.1: one request per connection, read to its
//! `Content-Length`, answered with `Connection: close`.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// One request the receiver got.
#[derive(Debug, Clone)]
pub struct Delivery {
    /// The request's headers, names in lower case, in order.
    pub headers: Vec<(String, String)>,
    /// The body as sent.
    pub body: String,
    /// The status the receiver answered it with.
    pub answered: u16,
}

impl Delivery {
    /// The value of header `name` (lower case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// `webhook-id`.
    pub fn id(&self) -> &str {
        self.header("webhook-id").expect("a webhook-id header")
    }

    /// The body, parsed.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).expect("a JSON body")
    }

    /// The body's `type`.
    pub fn event_type(&self) -> String {
        self.json()["type"].as_str().unwrap_or_default().to_owned()
    }

    /// Checks the signature with the reference implementation and `secret`.
    pub fn verify(&self, secret: &str) -> Result<(), String> {
        let mut headers = http::HeaderMap::new();
        for (name, value) in &self.headers {
            if let (Ok(name), Ok(value)) = (
                http::HeaderName::from_bytes(name.as_bytes()),
                http::HeaderValue::from_str(value),
            ) {
                headers.append(name, value);
            }
        }
        standardwebhooks::Webhook::new(secret)
            .map_err(|err| format!("secret: {err:?}"))?
            .verify(self.body.as_bytes(), &headers)
            .map_err(|err| format!("{err:?}"))
    }
}

#[derive(Default)]
struct State {
    received: Vec<Delivery>,
    /// Statuses to answer the next requests with, in order; 200 once empty.
    script: VecDeque<u16>,
    /// How long to take over each answer (a slow receiver).
    delay: Duration,
}

/// A running receiver; it stops when dropped.
pub struct TestReceiver {
    /// `http://127.0.0.1:<port>/hooks`.
    pub url: String,
    state: Arc<Mutex<State>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for TestReceiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl TestReceiver {
    /// Starts a receiver that answers 200 until told otherwise.
    pub async fn start() -> TestReceiver {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a loopback port");
        let url = format!("http://{}/hooks", listener.local_addr().unwrap());
        let state = Arc::new(Mutex::new(State::default()));
        let shared = state.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((mut stream, _)) = listener.accept().await else {
                    continue;
                };
                let state = shared.clone();
                tokio::spawn(async move {
                    let Some((headers, body)) = read_request(&mut stream).await else {
                        return;
                    };
                    let delay = state.lock().unwrap().delay;
                    tokio::time::sleep(delay).await;
                    let answered = {
                        let mut state = state.lock().unwrap();
                        let status = state.script.pop_front().unwrap_or(200);
                        state.received.push(Delivery {
                            headers,
                            body,
                            answered: status,
                        });
                        status
                    };
                    let response = format!(
                        "HTTP/1.1 {answered} Scripted\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok"
                    );
                    let _ = stream.write_all(response.as_bytes()).await;
                    let _ = stream.shutdown().await;
                });
            }
        });
        TestReceiver { url, state, task }
    }

    /// Answers the next requests with these statuses, in order, then 200 again.
    pub fn answer_next(&self, statuses: &[u16]) {
        self.state.lock().unwrap().script.extend(statuses);
    }

    /// Takes `delay` over every answer from now on (recorded once answered).
    pub fn answer_after(&self, delay: Duration) {
        self.state.lock().unwrap().delay = delay;
    }

    /// Every request received so far, in arrival order.
    pub fn received(&self) -> Vec<Delivery> {
        self.state.lock().unwrap().received.clone()
    }

    /// The requests it answered 2xx, in order.
    pub fn accepted(&self) -> Vec<Delivery> {
        self.received()
            .into_iter()
            .filter(|d| (200..300).contains(&d.answered))
            .collect()
    }

    /// Waits until at least `count` requests were answered 2xx; panics after `within`.
    pub async fn wait_for_accepted(&self, count: usize, within: Duration) -> Vec<Delivery> {
        let started = Instant::now();
        loop {
            let accepted = self.accepted();
            if accepted.len() >= count {
                return accepted;
            }
            assert!(
                started.elapsed() < within,
                "{} of {count} deliveries accepted within {within:?}: {:?}",
                accepted.len(),
                self.received()
                    .iter()
                    .map(|d| (d.event_type(), d.answered))
                    .collect::<Vec<_>>()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// Reads one request: its headers and its body (to `Content-Length`, at most 1 MiB).
async fn read_request(
    stream: &mut tokio::net::TcpStream,
) -> Option<(Vec<(String, String)>, String)> {
    let mut data = Vec::new();
    let mut buffer = [0u8; 8192];
    let head_end = loop {
        if let Some(at) = data.windows(4).position(|w| w == b"\r\n\r\n") {
            break at;
        }
        if data.len() > 64 * 1024 {
            return None;
        }
        match stream.read(&mut buffer).await {
            Ok(0) | Err(_) => return None,
            Ok(n) => data.extend_from_slice(&buffer[..n]),
        }
    };
    let head = String::from_utf8_lossy(&data[..head_end]).to_string();
    let headers: Vec<(String, String)> = head
        .lines()
        .skip(1)
        .filter_map(|line| line.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let length: usize = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0)
        .min(1 << 20);
    let mut body = data[head_end + 4..].to_vec();
    while body.len() < length {
        match stream.read(&mut buffer).await {
            Ok(0) | Err(_) => return None,
            Ok(n) => body.extend_from_slice(&buffer[..n]),
        }
    }
    Some((headers, String::from_utf8_lossy(&body).to_string()))
}

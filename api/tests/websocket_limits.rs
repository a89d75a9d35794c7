//! WebSocket memory, measured on the real `api serve` process: a frame whose header
//! declares far more than a message may hold is refused at the header (1009) instead of
//! being buffered, a socket that has not sent `connection_init` may hold only a few
//! kilobytes and only until `WS_INIT_TIMEOUT`, and the fragments of a message count
//! together. The server runs as a process of its own so that its resident memory
//! (`VmRSS` in /proc) is what these sockets cost; the clients write raw frames over TCP,
//! as an attacker would. Each test runs on SQLite and on PostgreSQL.

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use api::auth::Role;
use fellowship_tests::process::{ServeCommand, ServeProcess};
use fellowship_tests::ws::{WsClient, NOMINATION_EVENTS};
use fellowship_tests::{on_both_databases, Backend, TestDatabase};
use serde_json::{json, Value};

const MIB: u64 = 1024 * 1024;

/// What a 200 MiB frame header claims.
const HUGE: u64 = 200 * MIB;

/// How much the server's resident memory may grow while being attacked.
const ALLOWED_GROWTH: u64 = 20 * MIB;

/// One `api serve` process on a fresh database with the demo data.
struct Server {
    process: ServeProcess,
    port: u16,
    address: String,
    /// Keeps the database until the server is gone.
    _database: TestDatabase,
}

impl Server {
    async fn start(backend: Backend, init_timeout: &str) -> Server {
        let database = TestDatabase::create(backend).await;
        let process = ServeCommand::new(env!("CARGO_BIN_EXE_api"), &database.url)
            .demo()
            .env("WS_INIT_TIMEOUT", init_timeout)
            .start()
            .await;
        Server {
            port: process.port,
            address: process.address.clone(),
            process,
            _database: database,
        }
    }

    /// The server's resident memory, in bytes.
    fn rss(&self) -> u64 {
        rss_of(self.process.id())
    }

    /// Samples the server's resident memory until the returned sampler is stopped.
    fn watch_memory(&self) -> PeakMemory {
        let pid = self.process.id();
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = stop.clone();
        let thread = std::thread::spawn(move || {
            let mut peak = 0;
            while !stopped.load(Ordering::Relaxed) {
                peak = peak.max(rss_of(pid));
                std::thread::sleep(Duration::from_millis(10));
            }
            peak.max(rss_of(pid))
        });
        PeakMemory { stop, thread }
    }

    /// The server still answers: `/healthz`, and a subscription delivers an event.
    async fn still_serves(&self, nominee: &str) {
        let client = reqwest::Client::new();
        let health = client
            .get(format!("{}/healthz", self.address))
            .send()
            .await
            .expect("GET /healthz");
        assert_eq!(health.status().as_u16(), 200);

        let token = staff_token();
        // Subscribed after where the events stand now, the submission's event arrives
        // however soon it commits: nothing waits for the subscription to be live.
        let cursor = fellowship_tests::events_cursor(&client, &self.address, &token).await;
        let mut subscriber = WsClient::signed_in(&self.address, &token).await;
        subscriber
            .subscribe_after("events", NOMINATION_EVENTS, json!({}), &cursor)
            .await;
        submit(&client, &self.address, &token, nominee).await;
        let event = subscriber.next_event("events").await;
        assert_eq!(event["kind"], "SUBMITTED");
        assert_eq!(event["nomination"]["nomineeHandle"], nominee);
        subscriber.close().await;
    }
}

fn rss_of(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|kib| kib.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kib| kib * 1024)
}

struct PeakMemory {
    stop: Arc<AtomicBool>,
    thread: JoinHandle<u64>,
}

impl PeakMemory {
    fn stop(self) -> u64 {
        self.stop.store(true, Ordering::Relaxed);
        self.thread.join().unwrap()
    }
}

fn staff_token() -> String {
    fellowship_tests::user_token(Role::Staff, "merve")
}

async fn submit(client: &reqwest::Client, address: &str, token: &str, handle: &str) {
    fellowship_tests::nominations::submit_to(client, address, token, handle).await;
}

const TEXT: u8 = 0x1;
const CONTINUATION: u8 = 0x0;
const MASK: [u8; 4] = [0x5A, 0x13, 0xC7, 0x08];

/// The header of a masked client frame declaring `len` bytes of payload.
fn header(fin: bool, opcode: u8, len: u64) -> Vec<u8> {
    let mut out = vec![if fin { 0x80 } else { 0 } | opcode];
    match len {
        0..=125 => out.push(0x80 | len as u8),
        126..=0xFFFF => {
            out.push(0x80 | 126);
            out.extend_from_slice(&(len as u16).to_be_bytes());
        }
        _ => {
            out.push(0x80 | 127);
            out.extend_from_slice(&len.to_be_bytes());
        }
    }
    out.extend_from_slice(&MASK);
    out
}

/// A whole masked client frame.
fn frame(fin: bool, opcode: u8, payload: &[u8]) -> Vec<u8> {
    let mut out = header(fin, opcode, payload.len() as u64);
    out.extend(payload.iter().enumerate().map(|(i, b)| b ^ MASK[i % 4]));
    out
}

/// A TCP connection upgraded to a `graphql-transport-ws` WebSocket, spoken raw.
fn upgrade(port: u16) -> TcpStream {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream
        .set_write_timeout(Some(Duration::from_secs(2)))
        .unwrap();
    write!(
        stream,
        "GET /graphql HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n\
         Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
         Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: graphql-transport-ws\r\n\r\n"
    )
    .unwrap();
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        stream.read_exact(&mut byte).expect("the upgrade response");
        head.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&head);
    assert!(head.starts_with("HTTP/1.1 101"), "{head}");
    stream
}

/// One server frame: its opcode and payload.
fn read_frame(stream: &mut TcpStream) -> (u8, Vec<u8>) {
    let mut start = [0u8; 2];
    stream.read_exact(&mut start).expect("a server frame");
    let len = match start[1] & 0x7F {
        126 => {
            let mut b = [0u8; 2];
            stream.read_exact(&mut b).unwrap();
            u64::from(u16::from_be_bytes(b))
        }
        127 => {
            let mut b = [0u8; 8];
            stream.read_exact(&mut b).unwrap();
            u64::from_be_bytes(b)
        }
        n => u64::from(n),
    };
    let mut payload = vec![0u8; len as usize];
    stream.read_exact(&mut payload).unwrap();
    (start[0] & 0x0F, payload)
}

/// An upgraded socket that has sent `connection_init` and read `connection_ack`.
fn initialised(port: u16) -> TcpStream {
    let mut stream = upgrade(port);
    let init = json!({ "type": "connection_init", "payload": { "Authorization": format!("Bearer {}", staff_token()) } });
    stream
        .write_all(&frame(true, TEXT, init.to_string().as_bytes()))
        .unwrap();
    let (opcode, payload) = read_frame(&mut stream);
    assert_eq!(opcode, TEXT);
    let ack: Value = serde_json::from_slice(&payload).unwrap();
    assert_eq!(ack["type"], "connection_ack");
    stream
}

/// How the server ended a socket, seen from the client.
#[derive(Debug)]
struct Ending {
    /// The code of the server's close frame, if one came.
    close_code: Option<u16>,
    /// When the server ended the connection (EOF or reset), after the watch began;
    /// `None` if it stayed open for the whole watch.
    ended_after: Option<Duration>,
}

/// Reads everything the server sends on `stream` for up to `within`, until it ends the
/// connection.
fn watch(stream: &TcpStream, within: Duration) -> JoinHandle<Ending> {
    let mut stream = stream.try_clone().unwrap();
    std::thread::spawn(move || {
        let started = Instant::now();
        let mut received = Vec::new();
        let mut ended_after = None;
        let mut chunk = [0u8; 4096];
        stream
            .set_read_timeout(Some(Duration::from_millis(100)))
            .unwrap();
        while started.elapsed() < within {
            match stream.read(&mut chunk) {
                Ok(0) => {
                    ended_after = Some(started.elapsed());
                    break;
                }
                Ok(n) => received.extend_from_slice(&chunk[..n]),
                Err(err) if matches!(err.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
                Err(_) => {
                    ended_after = Some(started.elapsed());
                    break;
                }
            }
        }
        // The server sends nothing else to these sockets: the first frame is the close.
        let close_code = match received.as_slice() {
            [first, len, high, low, ..] if first & 0x0F == 0x8 && len & 0x7F >= 2 => {
                Some(u16::from_be_bytes([*high, *low]))
            }
            _ => None,
        };
        Ending {
            close_code,
            ended_after,
        }
    })
}

/// Writes pieces of `piece` bytes, one every `every`, until `total` bytes are written,
/// `within` has passed, the server stops reading, or the connection ends. Returns how
/// many were written.
fn stream_payload(
    stream: &TcpStream,
    total: u64,
    piece: usize,
    every: Duration,
    within: Duration,
) -> u64 {
    let mut stream = stream.try_clone().unwrap();
    let filler = vec![b'x'; piece];
    let mut written = 0;
    let started = Instant::now();
    while written < total && started.elapsed() < within {
        match stream.write(&filler) {
            Ok(n) => written += n as u64,
            // Timed out (the server reads no more) or closed.
            Err(_) => break,
        }
        if !every.is_zero() {
            std::thread::sleep(every);
        }
    }
    written
}

/// One attacking socket: what it sent after its opening bytes, and how it ended.
struct Attack {
    sent: u64,
    ending: Ending,
}

/// Opens `stream`'s attack: writes `opening`, then streams payload as
/// [`stream_payload`] does, watching how the server ends the socket.
fn attack(
    stream: TcpStream,
    opening: Vec<u8>,
    total: u64,
    piece: usize,
    every: Duration,
    watch_for: Duration,
) -> JoinHandle<Attack> {
    std::thread::spawn(move || {
        let watcher = watch(&stream, watch_for);
        let mut writer = stream.try_clone().unwrap();
        writer.write_all(&opening).unwrap();
        let sent = stream_payload(&stream, total, piece, every, watch_for);
        let ending = watcher.join().unwrap();
        Attack { sent, ending }
    })
}

on_both_databases! {
    async fn frames_declaring_200_mib_are_refused_at_their_header_and_never_buffered(backend) {
        // An init timeout well past "promptly": these sockets must be closed for their
        // header, not for their silence.
        let server = Server::start(backend, "10s").await;
        server.still_serves("warm-up").await;
        let port = server.port;
        let before = server.rss();
        let peak = server.watch_memory();

        // Three sockets that never send connection_init and one that did; each declares
        // a 200 MiB text frame and then streams 24 MiB of it as fast as the server takes.
        let attacks = tokio::task::spawn_blocking(move || {
            let sockets = vec![upgrade(port), upgrade(port), upgrade(port), initialised(port)];
            let attacks: Vec<_> = sockets
                .into_iter()
                .map(|socket| {
                    attack(socket, header(true, TEXT, HUGE), 24 * MIB, 64 * 1024, Duration::ZERO, Duration::from_secs(9))
                })
                .collect();
            attacks.into_iter().map(|a| a.join().unwrap()).collect::<Vec<_>>()
        })
        .await
        .unwrap();
        let peak = peak.stop();

        let sent: u64 = attacks.iter().map(|a| a.sent).sum();
        let grew = peak.saturating_sub(before);
        eprintln!("the server grew by {} KiB while the clients sent {} KiB", grew / 1024, sent / 1024);
        assert!(
            grew < ALLOWED_GROWTH,
            "the server grew by {} MiB while the clients sent {} MiB",
            grew / MIB,
            sent / MIB
        );
        for attack in &attacks {
            assert_eq!(attack.ending.close_code, Some(1009), "{:?}", attack.ending);
            let ended = attack.ending.ended_after.expect("the server kept the socket open");
            assert!(ended < Duration::from_secs(5), "{:?}", attack.ending);
        }
        server.still_serves("after-huge-frames").await;
    }

    async fn sockets_that_never_initialise_hold_a_few_kilobytes_and_only_until_the_init_timeout(backend) {
        let server = Server::start(backend, "3s").await;
        server.still_serves("warm-up").await;
        let port = server.port;
        let before = server.rss();
        let peak = server.watch_memory();

        let attacks = tokio::task::spawn_blocking(move || {
            let watch_for = Duration::from_secs(8);
            let trickle = Duration::from_millis(100);
            let mut attacks = Vec::new();
            // Six sockets trickle a 200 MiB frame at 2.5 MiB/s each.
            for _ in 0..6 {
                attacks.push(attack(upgrade(port), header(true, TEXT, HUGE), 16 * MIB, 256 * 1024, trickle, watch_for));
            }
            // A frame within the message limit but over what a socket may send before
            // connection_init, trickled a byte at a time.
            attacks.push(attack(upgrade(port), header(true, TEXT, 32 * 1024), 64, 1, trickle, watch_for));
            // The same in two fragments, each within the bound but not together.
            let mut fragments = frame(false, TEXT, &[b' '; 12 * 1024]);
            fragments.extend(header(true, CONTINUATION, 12 * 1024));
            attacks.push(attack(upgrade(port), fragments, 64, 1, trickle, watch_for));
            let bounded = attacks.len();
            // A frame within the bound, trickled a byte at a time: the init timeout ends it.
            attacks.push(attack(upgrade(port), header(true, TEXT, 8 * 1024), 8 * 1024, 1, trickle, watch_for));
            let attacks: Vec<_> = attacks.into_iter().map(|a| a.join().unwrap()).collect();
            (attacks, bounded)
        })
        .await
        .unwrap();
        let peak = peak.stop();
        let (attacks, bounded) = attacks;

        let sent: u64 = attacks.iter().map(|a| a.sent).sum();
        let grew = peak.saturating_sub(before);
        eprintln!("the server grew by {} KiB while the clients sent {} KiB", grew / 1024, sent / 1024);
        assert!(
            grew < ALLOWED_GROWTH,
            "the server grew by {} MiB while the clients sent {} MiB",
            grew / MIB,
            sent / MIB
        );
        for attack in &attacks[..bounded] {
            assert_eq!(attack.ending.close_code, Some(1009), "{:?}", attack.ending);
            let ended = attack.ending.ended_after.expect("the server kept the socket open");
            assert!(ended < Duration::from_secs(3), "{:?}", attack.ending);
        }
        let slow = &attacks[bounded].ending;
        assert_eq!(slow.close_code, Some(4408), "{slow:?}");
        let ended = slow.ended_after.expect("the server kept the trickling socket open");
        assert!(ended >= Duration::from_millis(2900) && ended < Duration::from_secs(7), "{slow:?}");
        server.still_serves("after-trickles").await;
    }

    async fn the_fragments_of_a_message_count_together_against_the_limit(backend) {
        let server = Server::start(backend, "10s").await;
        let port = server.port;

        let (fits, over, too_many) = tokio::task::spawn_blocking(move || {
            // A subscribe of about 60 KiB in four fragments is read and answered.
            let mut socket = initialised(port);
            let padding = " ".repeat(60 * 1024);
            let subscribe = json!({ "id": "1", "type": "subscribe", "payload": { "query": format!("{{ viewer {{ handle }} }}{padding}") } }).to_string();
            let pieces: Vec<&[u8]> = subscribe.as_bytes().chunks(subscribe.len() / 4 + 1).collect();
            for (i, piece) in pieces.iter().enumerate() {
                let opcode = if i == 0 { TEXT } else { CONTINUATION };
                socket.write_all(&frame(i == pieces.len() - 1, opcode, piece)).unwrap();
            }
            let (opcode, answer) = read_frame(&mut socket);
            assert_eq!(opcode, TEXT, "{}", String::from_utf8_lossy(&answer));
            let fits: Value = serde_json::from_slice(&answer).unwrap();

            // Five fragments of 16 KiB: each is small, together they are over 64 KiB.
            let socket = initialised(port);
            let mut opening = Vec::new();
            for i in 0..4 {
                opening.extend(frame(false, if i == 0 { TEXT } else { CONTINUATION }, &[b' '; 16 * 1024]));
            }
            opening.extend(header(true, CONTINUATION, 16 * 1024));
            let over = attack(socket, opening, 0, 1, Duration::ZERO, Duration::from_secs(5));

            // Empty fragments without end.
            let socket = initialised(port);
            let mut opening = frame(false, TEXT, b"");
            for _ in 0..1000 {
                opening.extend(frame(false, CONTINUATION, b""));
            }
            let too_many = attack(socket, opening, 0, 1, Duration::ZERO, Duration::from_secs(5));
            (fits, over.join().unwrap().ending, too_many.join().unwrap().ending)
        })
        .await
        .unwrap();

        assert_eq!(fits["id"], "1", "{fits}");
        assert!(matches!(fits["type"].as_str(), Some("next" | "error")), "{fits}");
        assert_eq!(over.close_code, Some(1009), "{over:?}");
        assert!(over.ended_after.is_some(), "{over:?}");
        assert_eq!(too_many.close_code, Some(1009), "{too_many:?}");
        assert!(too_many.ended_after.is_some(), "{too_many:?}");
        server.still_serves("after-fragments").await;
    }
}

//! A `graphql-transport-ws` client over a real socket, as the `graphql-ws` library
//! speaks it, for tests of subscriptions.

use std::time::Duration;

use futures::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// The subscription every test uses, with the fields a staff dashboard shows.
pub const NOMINATION_EVENTS: &str = r#"subscription($filter: NominationEventFilter) {
  nominationEvents(filter: $filter) {
    cursor kind occurredAt actor { handle }
    nomination { id status version nomineeHandle nomineeEmail nominator { handle } }
  }
}"#;

/// What arrived on the socket.
#[derive(Debug, Clone, PartialEq)]
pub enum Received {
    /// A protocol message other than a ping, parsed from its text frame.
    Message(Value),
    /// The socket closed.
    Closed {
        /// The close frame's code; 1005 when it carried none, 1006 when the
        /// connection dropped or failed without a close frame.
        code: u16,
        /// The close frame's reason.
        reason: String,
    },
}

/// One WebSocket to a server's `/graphql`, the subprotocol agreed; it insists on that
/// agreement when it connects.
pub struct WsClient {
    socket: WebSocketStream<MaybeTlsStream<TcpStream>>,
    /// Answer the server's protocol pings (as the graphql-ws library does).
    pub answer_pings: bool,
    /// Protocol pings received so far.
    pub pings: usize,
}

/// `ws://host:port/graphql` for a server's `http://host:port`.
pub fn endpoint(address: &str) -> String {
    format!("{}/graphql", address.replacen("http://", "ws://", 1))
}

/// The upgrade request: the subprotocol offered, and an `Authorization` header when
/// given.
fn request(
    address: &str,
    authorization: Option<&str>,
) -> tokio_tungstenite::tungstenite::handshake::client::Request {
    let headers: Vec<(&str, &str)> = authorization
        .map(|value| ("Authorization", value))
        .into_iter()
        .collect();
    request_with(address, &headers)
}

/// The upgrade request: the subprotocol offered, and `headers`.
fn request_with(
    address: &str,
    headers: &[(&'static str, &str)],
) -> tokio_tungstenite::tungstenite::handshake::client::Request {
    let mut request = endpoint(address)
        .into_client_request()
        .expect("a WebSocket request");
    request.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        HeaderValue::from_static("graphql-transport-ws"),
    );
    for (name, value) in headers {
        request
            .headers_mut()
            .insert(*name, HeaderValue::from_str(value).expect("a header value"));
    }
    request
}

impl WsClient {
    /// Opens a socket offering `graphql-transport-ws`, with an `Authorization` header
    /// on the upgrade request when given.
    pub async fn connect_with(address: &str, authorization: Option<&str>) -> WsClient {
        let (socket, response) = tokio_tungstenite::connect_async(request(address, authorization))
            .await
            .expect("the WebSocket upgrade");
        Self::accepted(socket, response)
    }

    /// Opens a socket offering `graphql-transport-ws`, with `headers` on the upgrade
    /// request (a `traceparent`, say).
    pub async fn connect_with_headers(address: &str, headers: &[(&'static str, &str)]) -> WsClient {
        let (socket, response) = tokio_tungstenite::connect_async(request_with(address, headers))
            .await
            .expect("the WebSocket upgrade");
        Self::accepted(socket, response)
    }

    /// Opens a socket whose receive buffer is a few kilobytes, so that a client that
    /// stops reading is noticed by the server after a few messages, not megabytes.
    pub async fn connect_with_small_buffer(address: &str) -> WsClient {
        let host = address.trim_start_matches("http://");
        let target: std::net::SocketAddr = host.parse().expect("a socket address");
        let tcp = tokio::net::TcpSocket::new_v4().expect("a TCP socket");
        tcp.set_recv_buffer_size(4096).expect("SO_RCVBUF");
        let stream = tcp.connect(target).await.expect("a TCP connection");
        let (socket, response) =
            tokio_tungstenite::client_async(request(address, None), MaybeTlsStream::Plain(stream))
                .await
                .expect("the WebSocket upgrade");
        Self::accepted(socket, response)
    }

    fn accepted(
        socket: WebSocketStream<MaybeTlsStream<TcpStream>>,
        response: tokio_tungstenite::tungstenite::handshake::client::Response,
    ) -> WsClient {
        assert_eq!(
            response
                .headers()
                .get("sec-websocket-protocol")
                .and_then(|v| v.to_str().ok()),
            Some("graphql-transport-ws")
        );
        WsClient {
            socket,
            answer_pings: true,
            pings: 0,
        }
    }

    /// Opens a socket offering `graphql-transport-ws`, with no credentials on the upgrade
    /// request.
    pub async fn connect(address: &str) -> WsClient {
        Self::connect_with(address, None).await
    }

    /// Connects and initialises with the token in the `connection_init` payload,
    /// insisting on `connection_ack`.
    pub async fn signed_in(address: &str, token: &str) -> WsClient {
        let mut client = Self::connect(address).await;
        let reply = client.init(Some(token)).await;
        assert_eq!(
            reply,
            Received::Message(json!({ "type": "connection_ack" })),
            "connection_init was not acknowledged"
        );
        client
    }

    /// Sends `message` as one text frame; panics when it cannot be sent.
    pub async fn send(&mut self, message: Value) {
        self.socket
            .send(Message::text(message.to_string()))
            .await
            .expect("send on the WebSocket");
    }

    /// Sends `connection_init` (with `{"Authorization": "Bearer <token>"}` when given)
    /// and returns what came back: `connection_ack`, or the close.
    pub async fn init(&mut self, token: Option<&str>) -> Received {
        let payload = match token {
            Some(token) => json!({ "Authorization": format!("Bearer {token}") }),
            None => json!({}),
        };
        self.send(json!({ "type": "connection_init", "payload": payload }))
            .await;
        self.receive(Duration::from_secs(10))
            .await
            .expect("an answer to connection_init")
    }

    /// Sends `subscribe` for operation `id` with `query` and `variables`, waiting for
    /// nothing back.
    pub async fn subscribe(&mut self, id: &str, query: &str, variables: Value) {
        self.send(json!({ "id": id, "type": "subscribe", "payload": { "query": query, "variables": variables } }))
            .await;
    }

    /// Subscribes `id` to `query` with `filter` (a `NominationEventFilter`) and `after:
    /// cursor`. With a cursor read from `nominationEventsCursor` before a change, the
    /// change's event arrives however soon after the subscribe it commits: the API's
    /// own way to miss nothing, so that no test waits for a subscription to be live.
    pub async fn subscribe_after(
        &mut self,
        id: &str,
        query: &str,
        mut filter: Value,
        cursor: &str,
    ) {
        filter["after"] = json!(cursor);
        self.subscribe(id, query, json!({ "filter": filter })).await;
    }

    /// The next protocol message or the close, answering and skipping the server's
    /// pings; `None` if nothing came within `within`.
    pub async fn receive(&mut self, within: Duration) -> Option<Received> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let frame = tokio::time::timeout_at(deadline, self.socket.next())
                .await
                .ok()?;
            match frame {
                None | Some(Err(_)) => {
                    return Some(Received::Closed {
                        code: 1006,
                        reason: "the connection dropped without a close frame".into(),
                    })
                }
                Some(Ok(Message::Text(text))) => {
                    let message: Value =
                        serde_json::from_str(text.as_str()).expect("a JSON message");
                    if message["type"] == "ping" {
                        self.pings += 1;
                        if self.answer_pings {
                            self.send(json!({ "type": "pong" })).await;
                        }
                        continue;
                    }
                    return Some(Received::Message(message));
                }
                Some(Ok(Message::Close(frame))) => {
                    return Some(match frame {
                        Some(frame) => Received::Closed {
                            code: u16::from(frame.code),
                            reason: frame.reason.to_string(),
                        },
                        None => Received::Closed {
                            code: 1005,
                            reason: String::new(),
                        },
                    })
                }
                Some(Ok(_)) => {}
            }
        }
    }

    /// The payload of the next `next` message for operation `id`.
    pub async fn next_payload(&mut self, id: &str, within: Duration) -> Value {
        match self.receive(within).await {
            Some(Received::Message(message))
                if message["type"] == "next" && message["id"] == id =>
            {
                message["payload"].clone()
            }
            other => panic!("expected `next` for {id}, got {other:?}"),
        }
    }

    /// The next nomination event of operation `id`.
    pub async fn next_event(&mut self, id: &str) -> Value {
        let payload = self.next_payload(id, Duration::from_secs(15)).await;
        assert!(payload.get("errors").is_none(), "{payload}");
        payload["data"]["nominationEvents"].clone()
    }

    /// Insists that nothing arrives for `within`.
    pub async fn expect_silence(&mut self, within: Duration) {
        if let Some(received) = self.receive(within).await {
            panic!("expected nothing, got {received:?}");
        }
    }

    /// Waits for the server to close the socket, passing over any messages before;
    /// returns the code and reason.
    pub async fn expect_close(&mut self, within: Duration) -> (u16, String) {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match self.receive(left).await {
                Some(Received::Closed { code, reason }) => return (code, reason),
                Some(Received::Message(_)) => {}
                None => panic!("the server did not close the socket within {within:?}"),
            }
        }
    }

    /// Closes the socket from this side.
    pub async fn close(mut self) {
        let _ = self.socket.close(None).await;
    }
}

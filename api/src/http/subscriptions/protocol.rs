//! The messages and close codes of `graphql-transport-ws`, the protocol the
//! `graphql-ws` client library speaks.

use serde::{Deserialize, Serialize};
use serde_json::Value;

pub const SUBPROTOCOL: &str = "graphql-transport-ws";

/// Why the server closes a socket. The 44xx codes are the protocol's own; 1001 and 1013
/// are WebSocket codes that the graphql-ws client retries (it gives up on most other
/// 1xxx codes, 1008 among them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Close {
    /// A frame that is not a protocol message.
    BadRequest,
    /// `subscribe` before the connection was acknowledged.
    Unauthorized,
    /// No token, a refused token, one that expired or was revoked, or a caller who may
    /// not subscribe.
    Forbidden,
    /// No `connection_init` within the init timeout.
    InitTimeout,
    /// A second `subscribe` with an id still in use.
    SubscriberExists,
    /// A second `connection_init`.
    TooManyInits,
    /// The server is shutting down; reconnect (to another replica) and resume.
    GoingAway,
    /// The client read too slowly, or stopped answering pings: reconnect and resume.
    TooSlow,
    /// The caller holds too many connections, or the database is unavailable.
    TryAgainLater,
    /// A message (or a frame's declared length) over the limit; the payload is not read.
    TooBig,
}

impl Close {
    pub fn code(self) -> u16 {
        match self {
            Close::BadRequest => 4400,
            Close::Unauthorized => 4401,
            Close::Forbidden => 4403,
            Close::InitTimeout => 4408,
            Close::SubscriberExists => 4409,
            Close::TooManyInits => 4429,
            Close::GoingAway => 1001,
            Close::TooSlow => 1013,
            Close::TryAgainLater => 1013,
            Close::TooBig => 1009,
        }
    }
}

/// What a client sends.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientMessage {
    ConnectionInit {
        #[serde(default)]
        payload: Option<Value>,
    },
    Ping {
        #[serde(default)]
        #[allow(dead_code)]
        payload: Option<Value>,
    },
    Pong {
        #[serde(default)]
        #[allow(dead_code)]
        payload: Option<Value>,
    },
    Subscribe {
        id: String,
        payload: Value,
    },
    Complete {
        id: String,
    },
}

impl ClientMessage {
    pub fn parse(text: &str) -> Option<ClientMessage> {
        match serde_json::from_str::<ClientMessage>(text).ok()? {
            ClientMessage::Subscribe { id, .. } | ClientMessage::Complete { id }
                if id.is_empty() =>
            {
                None
            }
            message => Some(message),
        }
    }
}

/// What the server sends.
#[derive(Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerMessage<'a> {
    ConnectionAck,
    Ping,
    Pong,
    Next { id: &'a str, payload: Value },
    Error { id: &'a str, payload: Vec<Value> },
    Complete { id: &'a str },
}

impl ServerMessage<'_> {
    pub fn to_text(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| r#"{"type":"ping"}"#.to_owned())
    }
}

/// The `Authorization` value a `connection_init` payload carries, as the contract
/// puts it (`{"Authorization": "Bearer ..."}`); the key's case does not matter, and a
/// `headers` object (as some clients nest it) is looked into too. A payload naming
/// more than one credential (two spellings of the key, or one at the top and one in
/// `headers`), or one that is not text, is refused: which one counted would be a guess.
pub fn authorization(payload: Option<&Value>) -> Result<Option<String>, &'static str> {
    let Some(object) = payload.and_then(Value::as_object) else {
        return Ok(None);
    };
    let found = |object: &serde_json::Map<String, Value>| -> Vec<Value> {
        object
            .iter()
            .filter(|(key, _)| key.eq_ignore_ascii_case("authorization"))
            .map(|(_, value)| value.clone())
            .collect()
    };
    let mut credentials = found(object);
    for (_, headers) in object
        .iter()
        .filter(|(key, _)| key.eq_ignore_ascii_case("headers"))
    {
        if let Some(headers) = headers.as_object() {
            credentials.extend(found(headers));
        }
    }
    match credentials.as_slice() {
        [] => Ok(None),
        [Value::String(text)] => Ok(Some(text.clone())),
        [_] => Err("the connection_init Authorization is not text"),
        _ => Err("the connection_init payload names more than one Authorization"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn client_messages_parse_and_bad_ones_do_not() {
        assert!(matches!(
            ClientMessage::parse(r#"{"type":"connection_init"}"#),
            Some(ClientMessage::ConnectionInit { payload: None })
        ));
        assert!(matches!(
            ClientMessage::parse(r#"{"type":"subscribe","id":"1","payload":{"query":"{a}"}}"#),
            Some(ClientMessage::Subscribe { .. })
        ));
        assert!(ClientMessage::parse(r#"{"type":"subscribe","id":"","payload":{}}"#).is_none());
        assert!(ClientMessage::parse(r#"{"type":"start","id":"1"}"#).is_none());
        assert!(ClientMessage::parse("not json").is_none());
    }

    #[test]
    fn server_messages_have_the_protocol_shape() {
        assert_eq!(
            ServerMessage::ConnectionAck.to_text(),
            r#"{"type":"connection_ack"}"#
        );
        assert_eq!(
            ServerMessage::Next {
                id: "7",
                payload: json!({"data": null})
            }
            .to_text(),
            r#"{"type":"next","id":"7","payload":{"data":null}}"#
        );
        assert_eq!(
            ServerMessage::Complete { id: "7" }.to_text(),
            r#"{"type":"complete","id":"7"}"#
        );
    }

    #[test]
    fn the_token_is_found_however_the_client_spells_the_key() {
        let bearer = Some("Bearer abc".to_owned());
        assert_eq!(
            authorization(Some(&json!({"Authorization": "Bearer abc"}))).unwrap(),
            bearer
        );
        assert_eq!(
            authorization(Some(&json!({"authorization": "Bearer abc"}))).unwrap(),
            bearer
        );
        assert_eq!(
            authorization(Some(&json!({"headers": {"Authorization": "Bearer abc"}}))).unwrap(),
            bearer
        );
        assert_eq!(authorization(Some(&json!({}))), Ok(None));
        assert_eq!(authorization(None), Ok(None));
        for two in [
            json!({"Authorization": "Bearer a", "authorization": "Bearer b"}),
            json!({"Authorization": "Bearer a", "headers": {"Authorization": "Bearer a"}}),
        ] {
            assert!(authorization(Some(&two)).is_err(), "{two}");
        }
        assert!(authorization(Some(&json!({"Authorization": 7}))).is_err());
    }
}

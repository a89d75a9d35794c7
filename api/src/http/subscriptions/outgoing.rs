//! The socket's sending side: the upgrade response's body, which the HTTP/1 dispatcher
//! pulls only as fast as the client reads.
//!
//! actix-ws's `Session` is not used to send: it feeds a channel of 32 messages, and its
//! body encodes whatever that channel holds in order, so a close frame waits behind up
//! to 32 unread messages, and once the channel is full `Session::close` cannot even queue
//! it. A slow consumer then never received its close: the server gave up waiting,
//! dropped the session, and the connection ended without a close frame after the
//! backlog (1006 at the client, which the graphql-ws client does not treat as "too
//! slow"). Here the connection's queues are read directly, one message each time the
//! dispatcher has room, the connection's own messages first; a close is taken before
//! anything else, drops what is still queued (the client resumes from the last cursor it
//! saw) and ends the body. Only what the dispatcher and the kernel already hold is in
//! front of it.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use actix_web::web::{Bytes, BytesMut};
use futures::Stream;
use tokio::sync::{mpsc, oneshot};

/// Longest close reason (a control frame carries at most 125 bytes, two of them the
/// code; RFC 6455 §5.5).
const MAX_CLOSE_REASON_BYTES: usize = 123;

/// One of the connection's own frames, sent ahead of the operations' messages.
#[derive(Debug)]
pub enum Control {
    Text(String),
    /// The answer to a client's WebSocket ping, with its payload.
    Pong(Bytes),
}

/// How the connection ends: a close code and reason, or a close frame without them.
pub type CloseFrame = Option<(u16, String)>;

pub struct Outgoing {
    control: mpsc::Receiver<Control>,
    outbound: mpsc::Receiver<String>,
    close: oneshot::Receiver<CloseFrame>,
    ended: bool,
}

impl Outgoing {
    pub fn new(
        control: mpsc::Receiver<Control>,
        outbound: mpsc::Receiver<String>,
        close: oneshot::Receiver<CloseFrame>,
    ) -> Outgoing {
        Outgoing {
            control,
            outbound,
            close,
            ended: false,
        }
    }
}

impl Stream for Outgoing {
    type Item = Result<Bytes, Infallible>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if this.ended {
            return Poll::Ready(None);
        }
        match Pin::new(&mut this.close).poll(cx) {
            Poll::Ready(close) => {
                this.ended = true;
                // Whatever is still queued is dropped with the queues' receivers: the
                // operations have stopped, and the client resumes from its cursor.
                this.control.close();
                this.outbound.close();
                return Poll::Ready(match close {
                    Ok(close) => Some(Ok(close_frame(close.as_ref()))),
                    // The connection's task is gone without a word (it cannot be, short
                    // of a panic): end the body.
                    Err(_) => None,
                });
            }
            Poll::Pending => {}
        }
        if let Poll::Ready(Some(frame)) = this.control.poll_recv(cx) {
            return Poll::Ready(Some(Ok(match frame {
                Control::Text(text) => frame_bytes(OPCODE_TEXT, text.as_bytes()),
                Control::Pong(payload) => frame_bytes(OPCODE_PONG, &payload),
            })));
        }
        if let Poll::Ready(Some(text)) = this.outbound.poll_recv(cx) {
            return Poll::Ready(Some(Ok(frame_bytes(OPCODE_TEXT, text.as_bytes()))));
        }
        // Both queues outlive the connection's task only until the close arrives.
        Poll::Pending
    }
}

const OPCODE_TEXT: u8 = 0x1;
const OPCODE_CLOSE: u8 = 0x8;
const OPCODE_PONG: u8 = 0xA;

/// A close frame: the code and the reason, cut to fit a control frame at a character
/// boundary.
fn close_frame(close: Option<&(u16, String)>) -> Bytes {
    let Some((code, reason)) = close else {
        return frame_bytes(OPCODE_CLOSE, &[]);
    };
    let mut end = reason.len().min(MAX_CLOSE_REASON_BYTES);
    while !reason.is_char_boundary(end) {
        end -= 1;
    }
    let mut payload = Vec::with_capacity(2 + end);
    payload.extend_from_slice(&code.to_be_bytes());
    payload.extend_from_slice(&reason.as_bytes()[..end]);
    frame_bytes(OPCODE_CLOSE, &payload)
}

/// One unfragmented, unmasked frame, as a server sends it (RFC 6455 §5.2).
fn frame_bytes(opcode: u8, payload: &[u8]) -> Bytes {
    let mut frame = BytesMut::with_capacity(payload.len() + 10);
    frame.extend_from_slice(&[0x80 | opcode]);
    match payload.len() {
        len if len < 126 => frame.extend_from_slice(&[len as u8]),
        len if len <= usize::from(u16::MAX) => {
            frame.extend_from_slice(&[126]);
            frame.extend_from_slice(&(len as u16).to_be_bytes());
        }
        len => {
            frame.extend_from_slice(&[127]);
            frame.extend_from_slice(&(len as u64).to_be_bytes());
        }
    }
    frame.extend_from_slice(payload);
    frame.freeze()
}

#[cfg(test)]
mod tests {
    use futures::StreamExt;

    use super::*;

    fn queues() -> (
        mpsc::Sender<Control>,
        mpsc::Sender<String>,
        oneshot::Sender<CloseFrame>,
        Outgoing,
    ) {
        let (control, control_queue) = mpsc::channel(4);
        let (outbound, outbound_queue) = mpsc::channel(4);
        let (close, close_queue) = oneshot::channel();
        (
            control,
            outbound,
            close,
            Outgoing::new(control_queue, outbound_queue, close_queue),
        )
    }

    #[test]
    fn frames_carry_their_length_in_the_shortest_form() {
        assert_eq!(&frame_bytes(OPCODE_TEXT, b"hi")[..], b"\x81\x02hi");
        let medium = frame_bytes(OPCODE_TEXT, &[b'a'; 300]);
        assert_eq!(&medium[..4], &[0x81, 126, 0x01, 0x2C]);
        assert_eq!(medium.len(), 304);
        let long = frame_bytes(OPCODE_TEXT, &vec![b'a'; 70_000]);
        assert_eq!(&long[..10], &[0x81, 127, 0, 0, 0, 0, 0, 0x01, 0x11, 0x70]);
        assert_eq!(long.len(), 70_010);
    }

    #[test]
    fn a_close_reason_is_cut_to_a_control_frame_at_a_character_boundary() {
        let frame = close_frame(Some(&(1013, "é".repeat(100))));
        assert_eq!(frame[0], 0x88);
        let len = usize::from(frame[1]);
        assert!(len <= 125);
        assert_eq!(&frame[2..4], &1013u16.to_be_bytes());
        assert!(std::str::from_utf8(&frame[4..]).is_ok());
        assert_eq!(&close_frame(None)[..], &[0x88, 0]);
    }

    #[tokio::test]
    async fn the_connections_own_messages_go_first() {
        let (control, outbound, _close, mut body) = queues();
        outbound.send("event".into()).await.unwrap();
        control.send(Control::Text("pong".into())).await.unwrap();
        assert_eq!(&body.next().await.unwrap().unwrap()[2..], b"pong");
        assert_eq!(&body.next().await.unwrap().unwrap()[2..], b"event");
    }

    #[tokio::test]
    async fn a_close_goes_before_a_full_backlog_and_ends_the_body() {
        let (control, outbound, close, mut body) = queues();
        for n in 0..4 {
            outbound.send(format!("event {n}")).await.unwrap();
        }
        control.send(Control::Text("ping".into())).await.unwrap();
        close.send(Some((1013, "Slow consumer".into()))).unwrap();
        let frame = body.next().await.unwrap().unwrap();
        assert_eq!(frame[0], 0x88);
        assert_eq!(&frame[2..4], &1013u16.to_be_bytes());
        assert!(body.next().await.is_none());
        // The backlog was dropped, so nothing waits on it any more.
        assert!(outbound.send("late".into()).await.is_err());
    }
}

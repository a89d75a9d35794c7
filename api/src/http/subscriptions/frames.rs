//! A client's WebSocket frames, read with bounded memory.
//!
//! actix-ws's `MessageStream` does not bound what it holds: it copies everything the
//! connection delivers into one buffer before its codec looks at it, and the codec
//! (actix-http's `ws::Parser::parse`) compares a frame's declared length with
//! `max_frame_size` only once the whole payload is in that buffer (until then it
//! answers "need more bytes"). A header declaring 200 MiB therefore made the server
//! hold 200 MiB for the socket. This reader replaces it:
//!
//! - a frame's declared length is judged as soon as the header's length field has
//!   arrived, before one byte of its payload is read: a data frame that would take its
//!   message past the limit is [`FrameError::TooBig`] (close 1009), a control frame
//!   over 125 bytes a protocol error;
//! - bytes are read from the connection only while the frame in hand is incomplete, so
//!   a socket holds at most the limit plus one chunk of what the connection delivered;
//! - the fragments of a message count against the same limit together, and a message
//!   may have at most [`MAX_FRAGMENTS`] of them (empty fragments cost no memory but
//!   would let a client keep the server parsing forever).
//!
//! The limit can change while the connection lives: a socket that has not sent
//! `connection_init` gets a smaller one.

use actix_web::web::{Bytes, BytesMut};
use futures::{Stream, StreamExt};

/// Most fragments one message may arrive in.
pub const MAX_FRAGMENTS: usize = 64;

/// Longest payload of a control frame (RFC 6455 §5.5).
const MAX_CONTROL_PAYLOAD: u64 = 125;

/// A complete message from the client.
#[derive(Debug, PartialEq, Eq)]
pub enum Incoming {
    Text(String),
    /// A binary message; graphql-transport-ws has none, so its content is not kept.
    Binary,
    Ping(Bytes),
    Pong,
    Close,
}

/// Why the client's frames cannot be read further.
#[derive(Debug, PartialEq, Eq)]
pub enum FrameError {
    /// A message longer than the limit, or in too many fragments.
    TooBig,
    /// Not a valid sequence of client frames (RFC 6455), or text that is not UTF-8.
    Protocol(&'static str),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Opcode {
    Continuation,
    Text,
    Binary,
    Close,
    Ping,
    Pong,
}

impl Opcode {
    fn from_bits(bits: u8) -> Result<Opcode, FrameError> {
        Ok(match bits {
            0x0 => Opcode::Continuation,
            0x1 => Opcode::Text,
            0x2 => Opcode::Binary,
            0x8 => Opcode::Close,
            0x9 => Opcode::Ping,
            0xA => Opcode::Pong,
            _ => return Err(FrameError::Protocol("unknown opcode")),
        })
    }

    fn is_control(self) -> bool {
        matches!(self, Opcode::Close | Opcode::Ping | Opcode::Pong)
    }
}

/// A frame's header, once all of it has arrived.
struct Header {
    fin: bool,
    opcode: Opcode,
    /// Bytes of header before the payload.
    size: usize,
    len: usize,
    mask: [u8; 4],
}

/// A data message arriving in fragments.
struct Fragments {
    text: bool,
    data: BytesMut,
    frames: usize,
}

/// The messages of one connection, read from its request payload.
pub struct Frames<S> {
    payload: S,
    /// Bytes read from the connection and not yet taken as a frame.
    buffer: BytesMut,
    limit: usize,
    message: Option<Fragments>,
}

impl<S, E> Frames<S>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
{
    /// Reads `payload` (the upgraded request's body), allowing messages of at most
    /// `limit` bytes.
    pub fn new(payload: S, limit: usize) -> Frames<S> {
        Frames {
            payload,
            buffer: BytesMut::new(),
            limit,
            message: None,
        }
    }

    /// Allows messages of at most `limit` bytes from now on.
    pub fn set_limit(&mut self, limit: usize) {
        self.limit = limit;
    }

    /// The next message, an error after which nothing more can be read, or `None` when
    /// the connection ended. Cancel-safe: what was read stays buffered for the next call.
    pub async fn next(&mut self) -> Option<Result<Incoming, FrameError>> {
        loop {
            match self.parse() {
                Ok(Some(incoming)) => return Some(Ok(incoming)),
                Ok(None) => {}
                Err(err) => return Some(Err(err)),
            }
            match self.payload.next().await {
                Some(Ok(chunk)) => self.buffer.extend_from_slice(&chunk),
                Some(Err(_)) | None => return None,
            }
        }
    }

    /// Takes frames from the buffer until one completes a message; `None` when more
    /// bytes are needed.
    fn parse(&mut self) -> Result<Option<Incoming>, FrameError> {
        loop {
            let Some(header) = self.header()? else {
                return Ok(None);
            };
            if self.buffer.len() - header.size < header.len {
                return Ok(None);
            }
            let _ = self.buffer.split_to(header.size);
            let mut payload = self.buffer.split_to(header.len);
            for (i, byte) in payload.iter_mut().enumerate() {
                *byte ^= header.mask[i % 4];
            }
            if let Some(incoming) = self.take(&header, payload)? {
                return Ok(Some(incoming));
            }
        }
    }

    /// The header at the start of the buffer; `None` while it is incomplete. The
    /// declared length is judged as soon as it can be read.
    fn header(&self) -> Result<Option<Header>, FrameError> {
        let buf = &self.buffer[..];
        let [first, second, ..] = *buf else {
            return Ok(None);
        };
        if first & 0x70 != 0 {
            return Err(FrameError::Protocol("reserved bits set"));
        }
        let fin = first & 0x80 != 0;
        let opcode = Opcode::from_bits(first & 0x0F)?;
        if second & 0x80 == 0 {
            return Err(FrameError::Protocol("a client frame must be masked"));
        }
        let (len, mut size) = match second & 0x7F {
            126 => match buf.get(2..4) {
                Some(&[high, low]) => (u64::from(u16::from_be_bytes([high, low])), 4),
                _ => return Ok(None),
            },
            127 => match buf.get(2..10).and_then(|b| <[u8; 8]>::try_from(b).ok()) {
                Some(bytes) => (u64::from_be_bytes(bytes), 10),
                None => return Ok(None),
            },
            short => (u64::from(short), 2),
        };
        self.admit(fin, opcode, len)?;
        let Some(mask) = buf
            .get(size..size + 4)
            .and_then(|b| <[u8; 4]>::try_from(b).ok())
        else {
            return Ok(None);
        };
        size += 4;
        Ok(Some(Header {
            fin,
            opcode,
            size,
            // Within the limit, a usize.
            len: usize::try_from(len).map_err(|_| FrameError::TooBig)?,
            mask,
        }))
    }

    /// Whether a frame with this header may be read at all.
    fn admit(&self, fin: bool, opcode: Opcode, len: u64) -> Result<(), FrameError> {
        if opcode.is_control() {
            if !fin {
                return Err(FrameError::Protocol("a control frame cannot be fragmented"));
            }
            if len > MAX_CONTROL_PAYLOAD {
                return Err(FrameError::Protocol("a control frame over 125 bytes"));
            }
            return Ok(());
        }
        let held = match (opcode, &self.message) {
            (Opcode::Continuation, Some(message)) => {
                if message.frames >= MAX_FRAGMENTS {
                    return Err(FrameError::TooBig);
                }
                message.data.len()
            }
            (Opcode::Continuation, None) => {
                return Err(FrameError::Protocol(
                    "a continuation frame without a message",
                ))
            }
            (_, Some(_)) => {
                return Err(FrameError::Protocol(
                    "a new message inside a fragmented one",
                ))
            }
            (_, None) => 0,
        };
        let room = self.limit.saturating_sub(held);
        if len > u64::try_from(room).unwrap_or(u64::MAX) {
            return Err(FrameError::TooBig);
        }
        Ok(())
    }

    /// A complete frame's payload, unmasked; the message when it completes one.
    fn take(&mut self, header: &Header, payload: BytesMut) -> Result<Option<Incoming>, FrameError> {
        let (text, data) = match header.opcode {
            Opcode::Close => return Ok(Some(Incoming::Close)),
            Opcode::Ping => return Ok(Some(Incoming::Ping(payload.freeze()))),
            Opcode::Pong => return Ok(Some(Incoming::Pong)),
            Opcode::Text | Opcode::Binary if !header.fin => {
                self.message = Some(Fragments {
                    text: header.opcode == Opcode::Text,
                    data: payload,
                    frames: 1,
                });
                return Ok(None);
            }
            Opcode::Text | Opcode::Binary => (header.opcode == Opcode::Text, payload),
            Opcode::Continuation => {
                let Some(message) = self.message.as_mut() else {
                    return Err(FrameError::Protocol(
                        "a continuation frame without a message",
                    ));
                };
                message.data.extend_from_slice(&payload);
                message.frames += 1;
                if !header.fin {
                    return Ok(None);
                }
                match self.message.take() {
                    Some(message) => (message.text, message.data),
                    None => return Ok(None),
                }
            }
        };
        if !text {
            return Ok(Some(Incoming::Binary));
        }
        match std::str::from_utf8(&data) {
            Ok(text) => Ok(Some(Incoming::Text(text.to_owned()))),
            Err(_) => Err(FrameError::Protocol("text that is not UTF-8")),
        }
    }

    /// Bytes this reader holds for the connection.
    #[cfg(test)]
    fn held(&self) -> usize {
        self.buffer.len() + self.message.as_ref().map_or(0, |m| m.data.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::convert::Infallible;

    const MASK: [u8; 4] = [0x37, 0xFA, 0x21, 0x3D];

    /// The header of a masked client frame declaring `len` bytes.
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

    fn frame(fin: bool, opcode: u8, payload: &[u8]) -> Vec<u8> {
        let mut out = header(fin, opcode, payload.len() as u64);
        out.extend(payload.iter().enumerate().map(|(i, b)| b ^ MASK[i % 4]));
        out
    }

    fn reader(
        chunks: Vec<Vec<u8>>,
        limit: usize,
    ) -> Frames<impl Stream<Item = Result<Bytes, Infallible>> + Unpin> {
        Frames::new(
            futures::stream::iter(chunks.into_iter().map(|c| Ok(Bytes::from(c)))),
            limit,
        )
    }

    /// A payload that never ends: the header, then as much filler as is asked for.
    fn endless(first: Vec<u8>) -> impl Stream<Item = Result<Bytes, Infallible>> + Unpin {
        futures::stream::iter([Ok(Bytes::from(first))]).chain(futures::stream::repeat_with(|| {
            Ok(Bytes::from(vec![0u8; 16 * 1024]))
        }))
    }

    #[tokio::test]
    async fn a_text_frame_is_unmasked_into_its_message() {
        let mut frames = reader(vec![frame(true, 1, br#"{"type":"ping"}"#)], 1024);
        assert_eq!(
            frames.next().await,
            Some(Ok(Incoming::Text(r#"{"type":"ping"}"#.into())))
        );
        assert_eq!(frames.next().await, None);
    }

    #[tokio::test]
    async fn frames_split_anywhere_and_many_in_one_chunk_read_alike() {
        let mut bytes = frame(true, 1, b"first");
        bytes.extend(frame(true, 9, b"p"));
        bytes.extend(frame(true, 1, &[b'x'; 300]));
        let one_byte_chunks = bytes.iter().map(|b| vec![*b]).collect();
        for chunks in [vec![bytes.clone()], one_byte_chunks] {
            let mut frames = reader(chunks, 1024);
            assert_eq!(
                frames.next().await,
                Some(Ok(Incoming::Text("first".into())))
            );
            assert_eq!(
                frames.next().await,
                Some(Ok(Incoming::Ping(Bytes::from_static(b"p"))))
            );
            assert_eq!(
                frames.next().await,
                Some(Ok(Incoming::Text("x".repeat(300))))
            );
            assert_eq!(frames.next().await, None);
        }
    }

    #[tokio::test]
    async fn a_frame_declaring_more_than_the_limit_is_refused_at_its_header() {
        // The payload never ends: had the reader waited for it, this would not finish.
        let mut frames = Frames::new(endless(header(true, 1, 200 * 1024 * 1024)), 64 * 1024);
        assert_eq!(frames.next().await, Some(Err(FrameError::TooBig)));
        assert_eq!(frames.held(), 14);
        // The length alone decides, before the mask key has arrived.
        let mut frames = reader(vec![header(true, 1, 1 << 40)[..10].to_vec()], 64 * 1024);
        assert_eq!(frames.next().await, Some(Err(FrameError::TooBig)));
        // A 63-bit length with its top bit set is refused too, without overflowing.
        let mut frames = reader(vec![header(true, 2, u64::MAX)], 64 * 1024);
        assert_eq!(frames.next().await, Some(Err(FrameError::TooBig)));
    }

    #[tokio::test]
    async fn a_frame_of_exactly_the_limit_is_read() {
        let mut frames = reader(vec![frame(true, 1, &[b'a'; 4096])], 4096);
        assert_eq!(
            frames.next().await,
            Some(Ok(Incoming::Text("a".repeat(4096))))
        );
        let mut frames = reader(vec![frame(true, 1, &[b'a'; 4097])], 4096);
        assert_eq!(frames.next().await, Some(Err(FrameError::TooBig)));
    }

    #[tokio::test]
    async fn fragments_are_joined_and_count_together_against_the_limit() {
        let mut frames = reader(
            vec![
                frame(false, 1, b"ab"),
                frame(true, 10, b""),
                frame(false, 0, b"cd"),
                frame(true, 0, b"e"),
            ],
            1024,
        );
        // A control frame may come between fragments.
        assert_eq!(frames.next().await, Some(Ok(Incoming::Pong)));
        assert_eq!(
            frames.next().await,
            Some(Ok(Incoming::Text("abcde".into())))
        );

        let mut frames = reader(
            vec![frame(false, 1, &[b'a'; 600]), header(false, 0, 600)],
            1024,
        );
        assert_eq!(frames.next().await, Some(Err(FrameError::TooBig)));
        assert_eq!(
            frames.held(),
            600 + 8,
            "the second fragment's payload was not awaited"
        );
    }

    #[tokio::test]
    async fn a_message_in_too_many_fragments_is_refused_even_when_they_are_empty() {
        let mut chunks = vec![frame(false, 1, b"")];
        chunks.extend((0..MAX_FRAGMENTS).map(|_| frame(false, 0, b"")));
        let mut frames = reader(chunks, 1024);
        assert_eq!(frames.next().await, Some(Err(FrameError::TooBig)));
    }

    #[tokio::test]
    async fn a_raised_limit_applies_to_the_next_frame() {
        let mut frames = reader(
            vec![frame(true, 1, b"hi"), frame(true, 1, &[b'a'; 100])],
            16,
        );
        assert_eq!(frames.next().await, Some(Ok(Incoming::Text("hi".into()))));
        frames.set_limit(128);
        assert_eq!(
            frames.next().await,
            Some(Ok(Incoming::Text("a".repeat(100))))
        );
    }

    #[tokio::test]
    async fn frames_that_break_the_protocol_are_refused() {
        let unmasked = vec![0x81, 0x02, b'h', b'i'];
        let reserved = {
            let mut f = frame(true, 1, b"hi");
            f[0] |= 0x40;
            f
        };
        let cases = [
            vec![unmasked],
            vec![reserved],
            vec![frame(true, 3, b"")],
            vec![frame(false, 9, b"")],
            vec![header(true, 9, 126)],
            vec![frame(true, 0, b"orphan")],
            vec![frame(false, 1, b"a"), frame(true, 1, b"b")],
            vec![frame(true, 1, &[0xFF, 0xFE])],
        ];
        for chunks in cases {
            let mut frames = reader(chunks.clone(), 1024);
            assert!(
                matches!(frames.next().await, Some(Err(FrameError::Protocol(_)))),
                "{chunks:?}"
            );
        }
    }

    #[tokio::test]
    async fn binary_and_close_frames_are_told_apart() {
        let mut frames = reader(
            vec![frame(true, 2, &[0, 1]), frame(true, 8, &[0x03, 0xE8])],
            1024,
        );
        assert_eq!(frames.next().await, Some(Ok(Incoming::Binary)));
        assert_eq!(frames.next().await, Some(Ok(Incoming::Close)));
    }
}

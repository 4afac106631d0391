//! Text messages written straight to the TCP stream: a frame header from the stack and the
//! shared payload, in one vectored write. tungstenite would first copy each frame into the
//! socket's own write buffer and keep that buffer's capacity for the socket's life: the size
//! of the largest message it ever sent, for every one of 19,000 sockets. Here nothing is copied
//! and nothing is kept between messages.

use std::io::{self, IoSlice};
use std::pin::Pin;
use std::task::{ready, Context, Poll};
use tokio::io::AsyncWrite;

use crate::hub::Outgoing;

/// Longest server frame header: FIN/opcode, length marker, 64-bit length (no mask).
const MAX_HEADER: usize = 10;

/// One text message on its way out, as one unfragmented frame (RFC 6455 §5.2).
pub struct DirectWrite {
    out: Outgoing,
    header: [u8; MAX_HEADER],
    header_len: u8,
    /// Bytes of header and payload already written.
    written: usize,
}

impl DirectWrite {
    pub fn new(out: Outgoing) -> Self {
        let (header, header_len) = text_frame_header(out.text.len());
        DirectWrite {
            out,
            header,
            header_len,
            written: 0,
        }
    }

    /// Whether any byte has gone out yet.
    pub fn started(&self) -> bool {
        self.written > 0
    }

    pub fn message(&self) -> &Outgoing {
        &self.out
    }

    /// Writes until the whole frame is out (or the stream would block: the waker is then
    /// registered and the progress kept).
    pub fn poll_write<W: AsyncWrite + Unpin>(
        &mut self,
        io: &mut W,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<()>> {
        let header = &self.header[..usize::from(self.header_len)];
        let payload = self.out.text.as_bytes();
        let total = header.len() + payload.len();
        while self.written < total {
            let n = if self.written < header.len() {
                let parts = [IoSlice::new(&header[self.written..]), IoSlice::new(payload)];
                ready!(Pin::new(&mut *io).poll_write_vectored(cx, &parts))?
            } else {
                let rest = &payload[self.written - header.len()..];
                ready!(Pin::new(&mut *io).poll_write(cx, rest))?
            };
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.written += n;
        }
        Pin::new(io).poll_flush(cx)
    }
}

/// The header of a final, unmasked text frame carrying `len` bytes.
fn text_frame_header(len: usize) -> ([u8; MAX_HEADER], u8) {
    let mut header = [0u8; MAX_HEADER];
    header[0] = 0x80 | 0x1; // FIN, text
    let header_len = if len < 126 {
        header[1] = len as u8;
        2
    } else if let Ok(len) = u16::try_from(len) {
        header[1] = 126;
        header[2..4].copy_from_slice(&len.to_be_bytes());
        4
    } else {
        header[1] = 127;
        header[2..10].copy_from_slice(&(len as u64).to_be_bytes());
        10
    };
    (header, header_len)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncReadExt;
    use tokio::time::Instant;
    use tungstenite::protocol::frame::FrameHeader;

    fn parsed(len: usize) -> (FrameHeader, u64) {
        let (header, n) = text_frame_header(len);
        let mut cursor = std::io::Cursor::new(&header[..usize::from(n)]);
        let (parsed, length) = FrameHeader::parse(&mut cursor)
            .expect("a valid header")
            .expect("complete");
        assert_eq!(cursor.position(), u64::from(n), "no bytes left over");
        (parsed, length)
    }

    #[test]
    fn headers_use_the_shortest_length_encoding_tungstenite_reads_back() {
        for (len, header_bytes) in [(0, 2), (125, 2), (126, 4), (65_535, 4), (65_536, 10)] {
            let (header, length) = parsed(len);
            assert_eq!(length, len as u64);
            assert!(header.is_final);
            assert_eq!(header.mask, None, "server frames are not masked");
            assert_eq!(text_frame_header(len).1, header_bytes, "length {len}");
        }
    }

    #[tokio::test]
    async fn a_frame_written_a_few_bytes_at_a_time_arrives_whole() {
        // A pipe of 7 bytes: the write is split mid-header and mid-payload.
        let (mut client, mut server) = tokio::io::duplex(7);
        let text = "x".repeat(300);
        let mut write = DirectWrite::new(Outgoing::new(text.clone().into(), Instant::now()));
        let writer = tokio::spawn(async move {
            std::future::poll_fn(|cx| write.poll_write(&mut server, cx)).await
        });
        let mut frame = Vec::new();
        let mut chunk = [0u8; 64];
        while frame.len() < 4 + 300 {
            let n = client.read(&mut chunk).await.expect("read");
            frame.extend_from_slice(&chunk[..n]);
        }
        writer.await.expect("joined").expect("written");
        assert_eq!(&frame[..4], &[0x81, 126, 0x01, 0x2c]);
        assert_eq!(&frame[4..], text.as_bytes());
    }
}

//! The server side of one WebSocket: tungstenite's protocol state (framing, masking, control
//! frames, the closing handshake, size limits) driven straight from the connection's own poll.
//!
//! tokio-tungstenite's `WebSocketStream` does the same behind `Stream` and `Sink`, with two
//! reference-counted waker proxies per socket (one for reads, one for writes) so that two tasks
//! may drive the two halves. A [`super::connection::Connection`] is one task, so its own waker
//! serves both. Measured (issue 28, heaptrack and `perf`, 15,000 agent sockets): the proxies
//! were 128 bytes a socket, and every read wake-up went through one (4.4 % of the hub's samples
//! under heartbeats).

use std::io::{self, Read, Write};
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tungstenite::error::Error;
use tungstenite::protocol::{Role, WebSocketConfig, WebSocketContext};
use tungstenite::Message;

/// A WebSocket over the byte stream `S` (the upgraded HTTP connection, or a pipe in tests).
pub struct WsSocket<S> {
    io: S,
    protocol: WebSocketContext,
    /// The connection closed or failed, and that was reported once: nothing more is read.
    ended: bool,
}

impl<S> WsSocket<S>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    /// The server's end of a connection whose handshake is done.
    pub fn server(io: S, config: WebSocketConfig) -> Self {
        WsSocket {
            io,
            protocol: WebSocketContext::new(Role::Server, Some(config)),
            ended: false,
        }
    }

    /// The next message; `None` once the closing handshake is over (or the connection was
    /// already closed). tungstenite answers pings and Close frames itself: the answers go out
    /// with this read or the next flush.
    pub fn poll_next(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Message, Error>>> {
        if self.ended {
            return Poll::Ready(None);
        }
        match self.protocol.read(&mut NonBlocking::new(&mut self.io, cx)) {
            Ok(msg) => Poll::Ready(Some(Ok(msg))),
            Err(Error::Io(e)) if e.kind() == io::ErrorKind::WouldBlock => Poll::Pending,
            Err(Error::AlreadyClosed | Error::ConnectionClosed) => {
                self.ended = true;
                Poll::Ready(None)
            }
            Err(e) => {
                self.ended = true;
                Poll::Ready(Some(Err(e)))
            }
        }
    }

    /// Hands a frame to tungstenite, which writes it at once as far as the stream takes it;
    /// the rest goes with [`Self::poll_flush`]. A stream that is full is not an error here.
    pub fn send(&mut self, cx: &mut Context<'_>, msg: Message) -> Result<(), Error> {
        match self
            .protocol
            .write(&mut NonBlocking::new(&mut self.io, cx), msg)
        {
            Err(Error::Io(e)) if e.kind() == io::ErrorKind::WouldBlock => Ok(()),
            other => other,
        }
    }

    /// Writes out what tungstenite holds (frames, answers to pings and Close).
    pub fn poll_flush(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        match self.protocol.flush(&mut NonBlocking::new(&mut self.io, cx)) {
            // The closing handshake just completed: everything went out.
            Ok(()) | Err(Error::ConnectionClosed) => Poll::Ready(Ok(())),
            Err(Error::Io(e)) if e.kind() == io::ErrorKind::WouldBlock => Poll::Pending,
            Err(e) => Poll::Ready(Err(e)),
        }
    }

    /// The stream itself, for frames written without tungstenite (see `direct_write.rs`).
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.io
    }
}

/// The async stream seen as a non-blocking `std::io` one, which is what tungstenite reads
/// and writes: `Pending` becomes `WouldBlock`, with the task's waker registered by the poll.
struct NonBlocking<'a, 'c, S> {
    io: &'a mut S,
    cx: &'a mut Context<'c>,
}

impl<'a, 'c, S> NonBlocking<'a, 'c, S> {
    fn new(io: &'a mut S, cx: &'a mut Context<'c>) -> Self {
        NonBlocking { io, cx }
    }
}

fn would_block<T>(poll: Poll<io::Result<T>>) -> io::Result<T> {
    match poll {
        Poll::Ready(result) => result,
        Poll::Pending => Err(io::ErrorKind::WouldBlock.into()),
    }
}

impl<S: AsyncRead + Unpin> Read for NonBlocking<'_, '_, S> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut buf = ReadBuf::new(buf);
        would_block(Pin::new(&mut *self.io).poll_read(self.cx, &mut buf))?;
        Ok(buf.filled().len())
    }
}

impl<S: AsyncWrite + Unpin> Write for NonBlocking<'_, '_, S> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        would_block(Pin::new(&mut *self.io).poll_write(self.cx, buf))
    }

    fn flush(&mut self) -> io::Result<()> {
        would_block(Pin::new(&mut *self.io).poll_flush(self.cx))
    }
}

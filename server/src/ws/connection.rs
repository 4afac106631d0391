//! The life of one socket: queue → socket, socket → handler, limits, close codes. Agent and
//! tab sockets share it; they differ only in their message handler.
//!
//! A connection is a hand-written future rather than an `async fn` with a `select!` loop: an
//! async state machine keeps room for every branch's future at once (send, close, error reply,
//! each with its timeout), which measured 3.9 KiB per socket; this struct is the socket, the
//! registration and a few words. Keep-alive is the hub's ([`crate::hub::Hub::keep_alive`]), and
//! a write timer exists only while a write is stuck.

use bytes::Bytes;
use governor::clock::MonotonicClock;
use governor::middleware::NoOpMiddleware;
use governor::state::{InMemoryState, NotKeyed};
use governor::{Quota, RateLimiter};
use std::future::Future;
use std::num::NonZeroU32;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::time::{Instant, Sleep};

use tungstenite::error::ProtocolError;
use tungstenite::protocol::frame::coding::CloseCode;
use tungstenite::protocol::frame::CloseFrame;
use tungstenite::Message;

use super::direct_write::DirectWrite;
use super::socket::WsSocket;
use crate::hub::{CloseCause, ConnEvent, Hub, Outgoing, PeerKind, Registration};
use shared::protocol::{close_code, SocketError};

#[derive(Debug, Clone, Copy)]
pub struct SocketLimits {
    pub ping_every: Duration,
    pub idle_timeout: Duration,
    pub messages_per_second: u32,
    /// A socket whose write does not complete in this time is dropped.
    pub write_timeout: Duration,
}

/// Largest accepted message (and frame).
pub const MAX_MESSAGE_BYTES: usize = 16 * 1024;

/// How long a closing handshake may take: the hub's Close frame going out, then the client's
/// answer coming back (RFC 6455 §7.1.1: the server closes TCP once it has both, or gives up).
pub const CLOSE_TIMEOUT: Duration = Duration::from_secs(1);

/// Close code for invalid UTF-8 in a text message (RFC 6455 §7.4.1).
const INVALID_PAYLOAD: u16 = 1007;
/// Close code for a protocol error (RFC 6455 §7.4.1).
const PROTOCOL_ERROR: u16 = 1002;

/// A socket's message rate limit on the standard library's clock. Governor's default clock
/// (quanta) keeps 32 more bytes in every limiter; this struct lives in every connection's task,
/// which tokio allocates in 128-byte steps: with it and `write_timeout_ms` the connection
/// future went from 544 to 504 bytes and each socket's task from 768 to 640 bytes (issue 28,
/// heaptrack: 11.2 MB of task allocations for 14,594 agent sockets).
type MessageLimiter =
    RateLimiter<NotKeyed, InMemoryState, MonotonicClock, NoOpMiddleware<std::time::Instant>>;

/// Decides what an incoming text message means; an error is reported back to the client.
pub trait MessageHandler {
    fn on_text(&mut self, text: &str) -> Result<(), SocketError>;
}

/// Why a connection ended (logged, and what the unit tests check).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    /// The client sent a Close frame and got the hub's answer.
    ClientClosed,
    /// The hub closed it; `answered` when the client's Close came back in time.
    ClosedByHub { cause: CloseCause, answered: bool },
    /// The client broke the protocol: the hub sent Close `code` and dropped the connection.
    Failed { code: u16 },
    /// The TCP connection failed or a write did not go through in time.
    Broken,
}

/// A closing handshake under way; nothing new is pushed meanwhile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Closing {
    /// The hub's Close frame goes out (`sent` once flushed), then the client's answer is awaited.
    ByHub { cause: CloseCause, sent: bool },
    /// The client's Close came in; tungstenite queued the answer, which is flushed, then done.
    ByClient,
    /// A protocol error: Close `code` goes out, then the connection is dropped without waiting
    /// for an answer (RFC 6455 §7.1.7, "Fail the WebSocket Connection").
    Failed { code: u16 },
}

/// One registered socket, driven until it ends; unregistered from the hub when dropped.
/// `S` is the byte stream under the WebSocket: the upgraded HTTP connection, or an in-memory
/// pipe in the unit tests.
pub struct Connection<H, S> {
    socket: WsSocket<S>,
    reg: Registration,
    hub: Arc<Hub>,
    handler: H,
    limiter: MessageLimiter,
    /// `SocketLimits::write_timeout` in milliseconds (a `Duration` is 16 bytes: see
    /// [`MessageLimiter`] for why bytes here count).
    write_timeout_ms: u32,
    /// A pushed message being written (nothing is read meanwhile: see `poll_read`).
    writing: Option<DirectWrite>,
    /// A ping or close frame handed to tungstenite and not flushed yet.
    unflushed: bool,
    /// Armed while a write waits for the client, and for the whole closing handshake.
    write_deadline: Option<Pin<Box<Sleep>>>,
    closing: Option<Closing>,
}

impl<H, S> Connection<H, S>
where
    H: MessageHandler + Unpin,
    S: AsyncRead + AsyncWrite + Unpin,
{
    pub fn new(
        socket: WsSocket<S>,
        reg: Registration,
        hub: Arc<Hub>,
        handler: H,
        limits: SocketLimits,
    ) -> Self {
        let per_second =
            NonZeroU32::new(limits.messages_per_second.max(1)).unwrap_or(NonZeroU32::MIN);
        let burst = per_second.saturating_mul(NonZeroU32::new(2).unwrap_or(NonZeroU32::MIN));
        Connection {
            socket,
            reg,
            hub,
            handler,
            limiter: RateLimiter::direct_with_clock(
                Quota::per_second(per_second).allow_burst(burst),
                MonotonicClock,
            ),
            write_timeout_ms: u32::try_from(limits.write_timeout.as_millis()).unwrap_or(u32::MAX),
            writing: None,
            unflushed: false,
            write_deadline: None,
            closing: None,
        }
    }

    /// Moves the writing side on as far as it goes: finishes what was started, then takes the
    /// next event off the queue. `Ok(true)` when something happened, `Ok(false)` when it waits
    /// (wakers registered).
    ///
    /// Pushed messages bypass tungstenite ([`DirectWrite`]); pings and close frames go through
    /// it, as do its own replies to the client's pings and Close. The two never interleave: a
    /// direct write starts only once tungstenite has flushed everything, and nothing is read
    /// (so tungstenite writes no reply) until the direct write is complete.
    fn poll_write(&mut self, cx: &mut Context<'_>) -> Result<bool, Ended> {
        let mut progress = false;
        loop {
            if let Some(write) = &mut self.writing {
                if !write.started() {
                    match self.socket.poll_flush(cx) {
                        Poll::Ready(Ok(())) => {}
                        Poll::Ready(Err(_)) => return Err(self.broken()),
                        Poll::Pending => return self.wait_for_write(cx, progress),
                    }
                }
                match write.poll_write(self.socket.get_mut(), cx) {
                    Poll::Ready(Ok(())) => {
                        let metrics = &self.hub.metrics;
                        metrics.messages_out.inc();
                        metrics
                            .push_latency_seconds
                            .observe(write.message().created.elapsed().as_secs_f64());
                        self.writing = None;
                        self.write_deadline = None;
                        progress = true;
                    }
                    Poll::Ready(Err(_)) => return Err(self.broken()),
                    Poll::Pending => return self.wait_for_write(cx, progress),
                }
            }
            if self.unflushed {
                match self.socket.poll_flush(cx) {
                    Poll::Ready(Ok(())) => {
                        self.unflushed = false;
                        progress = true;
                        match &mut self.closing {
                            None => self.write_deadline = None,
                            Some(Closing::ByClient) => return Err(Ended::ClientClosed),
                            Some(Closing::Failed { code }) => {
                                return Err(Ended::Failed { code: *code })
                            }
                            // Now the client's answer is read (`poll_read`), within what is
                            // left of the same deadline.
                            Some(Closing::ByHub { sent, .. }) => *sent = true,
                        }
                    }
                    Poll::Ready(Err(_)) => return Err(self.broken()),
                    Poll::Pending => return self.wait_for_write(cx, progress),
                }
            }
            if self.closing.is_some() {
                return self.wait_for_write(cx, progress);
            }
            let event = match self.reg.control.poll_next(cx) {
                Poll::Ready(event) => event,
                Poll::Pending => return Ok(progress),
            };
            progress = true;
            match event {
                ConnEvent::Send(out) => self.writing = Some(DirectWrite::new(out)),
                ConnEvent::Ping => {
                    self.start_send(cx, Message::Ping(Bytes::new()))?;
                    self.unflushed = true;
                }
                ConnEvent::Close(cause) => {
                    self.begin_close(
                        cx,
                        Closing::ByHub { cause, sent: false },
                        cause.code(),
                        cause.reason(),
                    )?;
                }
            }
        }
    }

    /// Hands our Close frame to tungstenite and arms the closing handshake's deadline.
    fn begin_close(
        &mut self,
        cx: &mut Context<'_>,
        closing: Closing,
        code: u16,
        reason: &'static str,
    ) -> Result<(), Ended> {
        self.leave_hub();
        self.closing = Some(closing);
        self.write_deadline = Some(Box::pin(tokio::time::sleep(CLOSE_TIMEOUT)));
        let frame = CloseFrame {
            code: CloseCode::from(code),
            reason: reason.into(),
        };
        self.start_send(cx, Message::Close(Some(frame)))?;
        self.unflushed = true;
        Ok(())
    }

    /// The socket is closing: the hub forgets it now (presence, counts, pushes) rather than
    /// when the closing handshake is over, which may take [`CLOSE_TIMEOUT`]. Dropping the
    /// connection detaches it again, which then does nothing.
    fn leave_hub(&self) {
        self.hub.detach(&self.reg);
    }

    /// Hands one frame to the socket (written at once when the client keeps up; otherwise the
    /// next flush finishes it).
    fn start_send(&mut self, cx: &mut Context<'_>, msg: Message) -> Result<(), Ended> {
        self.socket.send(cx, msg).map_err(|_| self.broken())
    }

    /// A write (or the closing handshake) waits for the client: it has `write_timeout`
    /// ([`CLOSE_TIMEOUT`] for a close) to go through.
    fn wait_for_write(&mut self, cx: &mut Context<'_>, progress: bool) -> Result<bool, Ended> {
        let timeout = Duration::from_millis(u64::from(self.write_timeout_ms));
        let deadline = self
            .write_deadline
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(timeout)));
        match deadline.as_mut().poll(cx) {
            Poll::Ready(()) => Err(self.broken()),
            Poll::Pending => Ok(progress),
        }
    }

    /// How a connection ends when its socket fails or its time runs out: a close under way
    /// still ends as that close.
    fn broken(&self) -> Ended {
        match self.closing {
            Some(Closing::ByHub { cause, .. }) => Ended::ClosedByHub {
                cause,
                answered: false,
            },
            Some(Closing::Failed { code }) => Ended::Failed { code },
            Some(Closing::ByClient) => Ended::ClientClosed,
            None => Ended::Broken,
        }
    }

    /// Reads one message and acts on it. `Ok(true)` when one was read, `Ok(false)` when none
    /// is there (waker registered) or nothing more is to be read.
    fn poll_read(&mut self, cx: &mut Context<'_>) -> Result<bool, Ended> {
        if self.writing.is_some() {
            return Ok(false);
        }
        match self.closing {
            None => {}
            Some(Closing::ByHub { cause, sent: true }) => return self.poll_close_answer(cx, cause),
            Some(_) => return Ok(false),
        }
        let msg = match self.socket.poll_next(cx) {
            Poll::Pending => return Ok(false),
            // Only after a closing handshake; a TCP drop without one is an error below.
            Poll::Ready(None) => return Err(Ended::ClientClosed),
            Poll::Ready(Some(Ok(msg))) => msg,
            Poll::Ready(Some(Err(e))) => return self.fail(cx, e),
        };
        self.reg.control.heard();
        let error = match msg {
            Message::Close(_) => {
                // tungstenite queued the answer (the client's code echoed, or 1002 for a code
                // that may not be sent); it goes out with the next flush.
                self.leave_hub();
                self.closing = Some(Closing::ByClient);
                self.write_deadline = Some(Box::pin(tokio::time::sleep(CLOSE_TIMEOUT)));
                self.unflushed = true;
                return Ok(true);
            }
            Message::Ping(_) | Message::Pong(_) | Message::Frame(_) => None,
            Message::Text(text) => {
                if self.over_rate() {
                    return Ok(true);
                }
                self.handler.on_text(text.as_str()).err()
            }
            Message::Binary(_) => {
                if self.over_rate() {
                    return Ok(true);
                }
                Some(SocketError {
                    code: "binary_not_supported".into(),
                    message: "Send JSON text frames.".into(),
                })
            }
        };
        if let Some(error) = error {
            let text = serde_json::json!({"type": "error", "error": error}).to_string();
            // Through the queue like every other message: it stays bounded.
            let _ = self
                .reg
                .control
                .push(&Outgoing::new(text.into(), Instant::now()));
        }
        Ok(true)
    }

    /// After the hub's Close went out: reads until the client's Close (anything else the
    /// client still sends is dropped unread).
    fn poll_close_answer(
        &mut self,
        cx: &mut Context<'_>,
        cause: CloseCause,
    ) -> Result<bool, Ended> {
        match self.socket.poll_next(cx) {
            Poll::Pending => Ok(false),
            Poll::Ready(Some(Ok(Message::Close(_)))) => Err(Ended::ClosedByHub {
                cause,
                answered: true,
            }),
            Poll::Ready(Some(Ok(_))) => Ok(true),
            Poll::Ready(None | Some(Err(_))) => Err(Ended::ClosedByHub {
                cause,
                answered: false,
            }),
        }
    }

    /// A read failed. A protocol error is answered with its Close code and reason before the
    /// connection is dropped; a broken TCP connection just ends.
    fn fail(&mut self, cx: &mut Context<'_>, error: tungstenite::Error) -> Result<bool, Ended> {
        let (code, reason) = match &error {
            tungstenite::Error::Capacity(_) => (close_code::MESSAGE_TOO_BIG, "message too big"),
            tungstenite::Error::Utf8(_) => (INVALID_PAYLOAD, "invalid UTF-8 in a text message"),
            tungstenite::Error::Protocol(e) => match protocol_reason(e) {
                Some(reason) => (PROTOCOL_ERROR, reason),
                None => return Err(Ended::Broken),
            },
            _ => return Err(Ended::Broken),
        };
        tracing::debug!(user_id = self.reg.user_id, %error, code, "protocol error");
        self.hub.metrics.protocol_errors(code).inc();
        self.begin_close(cx, Closing::Failed { code }, code, reason)?;
        Ok(true)
    }

    /// Counts a data message; past the limit the socket is closed with 1008.
    fn over_rate(&mut self) -> bool {
        let metrics = &self.hub.metrics;
        match self.reg.kind {
            PeerKind::Agent => metrics.agent_messages_in.inc(),
            PeerKind::Tab => metrics.tab_messages_in.inc(),
        }
        if self.limiter.check().is_ok() {
            return false;
        }
        self.reg.control.close(CloseCause::RateLimited);
        true
    }
}

/// The reason sent with Close 1002 for what the client did wrong; `None` when the connection
/// simply broke (no frame can reach the client).
pub fn protocol_reason(error: &ProtocolError) -> Option<&'static str> {
    Some(match error {
        ProtocolError::NonZeroReservedBits => "reserved bits set without an extension",
        ProtocolError::UnmaskedFrameFromClient => "client frames must be masked",
        ProtocolError::FragmentedControlFrame => "fragmented control frame",
        ProtocolError::ControlFrameTooBig => "control frame longer than 125 bytes",
        ProtocolError::UnknownControlFrameType(_)
        | ProtocolError::UnknownDataFrameType(_)
        | ProtocolError::InvalidOpcode(_) => "reserved opcode",
        ProtocolError::UnexpectedContinueFrame => "continuation frame with nothing to continue",
        ProtocolError::ExpectedFragment(_) => "new message before the fragmented one ended",
        ProtocolError::InvalidCloseSequence => "invalid Close frame payload",
        ProtocolError::ReceivedAfterClosing => "frame after Close",
        ProtocolError::ResetWithoutClosingHandshake => return None,
        _ => "protocol error",
    })
}

impl<H, S> Future for Connection<H, S>
where
    H: MessageHandler + Unpin,
    S: AsyncRead + AsyncWrite + Unpin,
{
    type Output = Ended;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Ended> {
        let this = self.get_mut();
        loop {
            let wrote = match this.poll_write(cx) {
                Ok(progress) => progress,
                Err(ended) => return this.finish(ended),
            };
            let read = match this.poll_read(cx) {
                Ok(progress) => progress,
                Err(ended) => return this.finish(ended),
            };
            if !wrote && !read {
                return Poll::Pending;
            }
        }
    }
}

impl<H, S> Connection<H, S> {
    fn finish(&self, ended: Ended) -> Poll<Ended> {
        let reg = &self.reg;
        tracing::debug!(user_id = reg.user_id, kind = ?reg.kind, ?ended, "socket closed");
        Poll::Ready(ended)
    }
}

impl<H, S> Drop for Connection<H, S> {
    fn drop(&mut self) {
        self.hub.detach(&self.reg);
    }
}

#[cfg(test)]
mod tests;

//! The life of one socket: queue → socket, socket → handler, limits, close codes. Agent and
//! tab sockets share it; they differ only in their message handler.
//!
//! A connection is a hand-written future rather than an `async fn` with a `select!` loop: an
//! async state machine keeps room for every branch's future at once (send, close, error reply,
//! each with its timeout), which measured 3.9 KiB per socket; this struct is the socket, the
//! registration and a few words. Keep-alive is the hub's ([`crate::hub::Hub::keep_alive`]), and
//! a write timer exists only while a write is stuck.

use bytes::Bytes;
use futures_util::{Sink, Stream};
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use std::future::Future;
use std::num::NonZeroU32;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::time::{Instant, Sleep};

use tungstenite::protocol::frame::coding::CloseCode;
use tungstenite::protocol::frame::CloseFrame;
use tungstenite::Message;

use super::direct_write::DirectWrite;
use super::upgrade::Socket;
use crate::hub::{ConnEvent, Hub, Outgoing, PeerKind, Registration};
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

/// How long a close frame may take to leave before the socket is simply dropped.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(1);

/// Decides what an incoming text message means; an error is reported back to the client.
pub trait MessageHandler {
    fn on_text(&mut self, text: &str) -> Result<(), SocketError>;
}

/// Why a connection ended (logged).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    ClientClosed,
    ClosedByHub(u16),
    Broken,
}

/// One registered socket, driven until it ends; unregistered from the hub when dropped.
pub struct Connection<H> {
    socket: Socket,
    reg: Registration,
    hub: Arc<Hub>,
    handler: H,
    limiter: DefaultDirectRateLimiter,
    write_timeout: Duration,
    /// A pushed message being written (nothing is read meanwhile: see `poll_read`).
    writing: Option<DirectWrite>,
    /// A ping or close frame handed to tungstenite and not flushed yet.
    unflushed: bool,
    /// Armed while a write waits for the client (or while closing), not otherwise.
    write_deadline: Option<Pin<Box<Sleep>>>,
    /// The close code being sent; nothing is read any more.
    closing: Option<u16>,
}

impl<H: MessageHandler + Unpin> Connection<H> {
    pub fn new(
        socket: Socket,
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
            limiter: RateLimiter::direct(Quota::per_second(per_second).allow_burst(burst)),
            write_timeout: limits.write_timeout,
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
    /// it, as do its own replies to the client's pings. The two never interleave: a direct
    /// write starts only once tungstenite has flushed everything, and nothing is read (so
    /// tungstenite writes no reply) until the direct write is complete.
    fn poll_write(&mut self, cx: &mut Context<'_>) -> Result<bool, Ended> {
        let mut progress = false;
        loop {
            if let Some(write) = &mut self.writing {
                if !write.started() {
                    match Pin::new(&mut self.socket).poll_flush(cx) {
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
                match Pin::new(&mut self.socket).poll_flush(cx) {
                    Poll::Ready(Ok(())) => {
                        self.unflushed = false;
                        progress = true;
                        if let Some(code) = self.closing {
                            return Err(Ended::ClosedByHub(code));
                        }
                        self.write_deadline = None;
                    }
                    Poll::Ready(Err(_)) => return Err(self.broken()),
                    Poll::Pending => return self.wait_for_write(cx, progress),
                }
            }
            let event = match self.reg.control.poll_next(cx) {
                Poll::Ready(event) => event,
                Poll::Pending => return Ok(progress),
            };
            progress = true;
            match event {
                ConnEvent::Send(out) => self.writing = Some(DirectWrite::new(out)),
                ConnEvent::Ping => {
                    self.start_send(Message::Ping(Bytes::new()))?;
                    self.unflushed = true;
                }
                ConnEvent::Close(code) => {
                    self.closing = Some(code);
                    self.write_deadline = Some(Box::pin(tokio::time::sleep(
                        self.write_timeout.min(CLOSE_TIMEOUT),
                    )));
                    let frame = CloseFrame {
                        code: CloseCode::from(code),
                        reason: close_reason(code).into(),
                    };
                    // Best effort: a client that does not read will not get it, and that is fine.
                    if self.start_send(Message::Close(Some(frame))).is_err() {
                        return Err(Ended::ClosedByHub(code));
                    }
                    self.unflushed = true;
                }
            }
        }
    }

    /// Hands one frame to the socket (written at once when the client keeps up; otherwise the
    /// next flush finishes it).
    fn start_send(&mut self, msg: Message) -> Result<(), Ended> {
        Pin::new(&mut self.socket)
            .start_send(msg)
            .map_err(|_| self.broken())
    }

    /// A write waits for the client: it has `write_timeout` (a close, less) to go through.
    fn wait_for_write(&mut self, cx: &mut Context<'_>, progress: bool) -> Result<bool, Ended> {
        let timeout = self.write_timeout;
        let deadline = self
            .write_deadline
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(timeout)));
        match deadline.as_mut().poll(cx) {
            Poll::Ready(()) => Err(self.broken()),
            Poll::Pending => Ok(progress),
        }
    }

    /// How a connection ends when its socket fails: a close already under way still counts as
    /// the hub's close.
    fn broken(&self) -> Ended {
        match self.closing {
            Some(code) => Ended::ClosedByHub(code),
            None => Ended::Broken,
        }
    }

    /// Reads one message and acts on it. `Ok(true)` when one was read, `Ok(false)` when none
    /// is there (waker registered) or the connection is closing.
    fn poll_read(&mut self, cx: &mut Context<'_>) -> Result<bool, Ended> {
        if self.closing.is_some() || self.writing.is_some() {
            return Ok(false);
        }
        let msg = match Pin::new(&mut self.socket).poll_next(cx) {
            Poll::Pending => return Ok(false),
            Poll::Ready(None) => return Err(Ended::ClientClosed),
            Poll::Ready(Some(Ok(msg))) => msg,
            Poll::Ready(Some(Err(tungstenite::Error::Capacity(_)))) => {
                self.reg.control.close(close_code::MESSAGE_TOO_BIG);
                return Ok(true);
            }
            Poll::Ready(Some(Err(_))) => return Err(Ended::Broken),
        };
        self.reg.control.heard();
        let error = match msg {
            Message::Close(_) => return Err(Ended::ClientClosed),
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
        self.reg.control.close(close_code::POLICY_VIOLATION);
        true
    }
}

impl<H: MessageHandler + Unpin> Future for Connection<H> {
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

impl<H> Connection<H> {
    fn finish(&self, ended: Ended) -> Poll<Ended> {
        let reg = &self.reg;
        tracing::debug!(user_id = reg.user_id, kind = ?reg.kind, ?ended, "socket closed");
        Poll::Ready(ended)
    }
}

impl<H> Drop for Connection<H> {
    fn drop(&mut self) {
        self.hub.detach(&self.reg);
    }
}

fn close_reason(code: u16) -> &'static str {
    match code {
        close_code::TRY_AGAIN_LATER => "slow consumer: messages were not read",
        close_code::UNAUTHORIZED => "logged out",
        close_code::SERVICE_RESTART => "service restart",
        close_code::GOING_AWAY => "idle timeout",
        close_code::MESSAGE_TOO_BIG => "message too big",
        close_code::POLICY_VIOLATION => "rate limit: too many messages a second",
        _ => "closed by the hub",
    }
}

//! The life of one socket: queue → socket, socket → handler, keep-alive, limits, close codes.
//! Agent and tab sockets share it; they differ only in their message handler.

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use governor::{Quota, RateLimiter};
use std::num::NonZeroU32;
use std::time::Duration;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use tungstenite::protocol::frame::coding::{CloseCode, Data, OpCode};
use tungstenite::protocol::frame::{CloseFrame, Frame};
use tungstenite::{Message, Utf8Bytes};

use super::upgrade::Socket;
use crate::hub::{ConnEvent, Registration};
use crate::metrics::Metrics;
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

/// Messages longer than this go out as several frames. tungstenite keeps the capacity of the
/// largest frame it ever wrote for the socket's life: a tab that received one 90 KiB presence
/// snapshot of a 1,000-user organization kept 90 KiB. In fragments the buffer stays near this.
pub const FRAGMENT_BYTES: usize = 4096;

pub async fn drive(
    mut socket: Socket,
    reg: &Registration,
    handler: &mut impl MessageHandler,
    limits: SocketLimits,
    shutdown: &CancellationToken,
    metrics: &Metrics,
    messages_in: &prometheus::IntCounter,
) -> Ended {
    let per_second = NonZeroU32::new(limits.messages_per_second.max(1)).unwrap_or(NonZeroU32::MIN);
    let burst = per_second.saturating_mul(NonZeroU32::new(2).unwrap_or(NonZeroU32::MIN));
    let limiter = RateLimiter::direct(Quota::per_second(per_second).allow_burst(burst));
    let mut ping = tokio::time::interval_at(Instant::now() + limits.ping_every, limits.ping_every);
    ping.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last_heard = Instant::now();
    let control = &reg.control;

    loop {
        tokio::select! {
            biased;
            _ = shutdown.cancelled() => {
                return close(&mut socket, close_code::SERVICE_RESTART, "service restart", limits).await;
            }
            event = control.next() => match event {
                ConnEvent::Close(code) => {
                    let reason = match code {
                        close_code::TRY_AGAIN_LATER => "slow consumer: messages were not read",
                        close_code::UNAUTHORIZED => "logged out",
                        close_code::SERVICE_RESTART => "service restart",
                        _ => "closed by the hub",
                    };
                    return close(&mut socket, code, reason, limits).await;
                }
                ConnEvent::Send(out) => {
                    match tokio::time::timeout(limits.write_timeout, send_text(&mut socket, &out.text)).await {
                        Ok(Ok(())) => {
                            metrics.messages_out.inc();
                            metrics.push_latency_seconds.observe(out.created.elapsed().as_secs_f64());
                        }
                        _ => return Ended::Broken,
                    }
                }
            },
            incoming = socket.next() => {
                let msg = match incoming {
                    None => return Ended::ClientClosed,
                    Some(Ok(msg)) => msg,
                    Some(Err(tungstenite::Error::Capacity(_))) => {
                        return close(&mut socket, close_code::MESSAGE_TOO_BIG, "message too big", limits).await;
                    }
                    Some(Err(_)) => return Ended::Broken,
                };
                last_heard = Instant::now();
                let error = match msg {
                    Message::Close(_) => return Ended::ClientClosed,
                    Message::Ping(_) | Message::Pong(_) | Message::Frame(_) => None,
                    Message::Text(text) => {
                        messages_in.inc();
                        if limiter.check().is_err() {
                            return close(&mut socket, close_code::POLICY_VIOLATION, "rate limit: too many messages a second", limits).await;
                        }
                        handler.on_text(text.as_str()).err()
                    }
                    Message::Binary(_) => {
                        messages_in.inc();
                        if limiter.check().is_err() {
                            return close(&mut socket, close_code::POLICY_VIOLATION, "rate limit: too many messages a second", limits).await;
                        }
                        Some(SocketError { code: "binary_not_supported".into(), message: "Send JSON text frames.".into() })
                    }
                };
                if let Some(error) = error {
                    let text = serde_json::json!({"type": "error", "error": error}).to_string();
                    if send_timed(&mut socket, Message::Text(text.into()), limits).await.is_err() {
                        return Ended::Broken;
                    }
                }
            }
            _ = ping.tick() => {
                if last_heard.elapsed() > limits.idle_timeout {
                    return close(&mut socket, close_code::GOING_AWAY, "idle timeout", limits).await;
                }
                if send_timed(&mut socket, Message::Ping(Default::default()), limits).await.is_err() {
                    return Ended::Broken;
                }
            }
        }
    }
}

/// Writes one text message, in fragments of [`FRAGMENT_BYTES`] when it is longer (RFC 6455
/// §5.4: the client reassembles them; a fragment may end inside a UTF-8 character).
async fn send_text(socket: &mut Socket, text: &Utf8Bytes) -> Result<(), tungstenite::Error> {
    if text.len() <= FRAGMENT_BYTES {
        return socket.send(Message::Text(text.clone())).await;
    }
    let bytes = Bytes::from(text.clone());
    let mut start = 0;
    while start < bytes.len() {
        let end = (start + FRAGMENT_BYTES).min(bytes.len());
        let opcode = if start == 0 {
            OpCode::Data(Data::Text)
        } else {
            OpCode::Data(Data::Continue)
        };
        let fragment = Frame::message(bytes.slice(start..end), opcode, end == bytes.len());
        // `feed` writes each frame out before taking the next (the write buffer size is 0).
        socket.feed(Message::Frame(fragment)).await?;
        start = end;
    }
    socket.flush().await
}

async fn send_timed(socket: &mut Socket, msg: Message, limits: SocketLimits) -> Result<(), ()> {
    match tokio::time::timeout(limits.write_timeout, socket.send(msg)).await {
        Ok(Ok(())) => Ok(()),
        _ => Err(()),
    }
}

/// Takes the socket by reference: moving it into this future would give every connection's
/// task room for a second copy of the socket (the task is sized for its largest state).
async fn close(
    socket: &mut Socket,
    code: u16,
    reason: &'static str,
    limits: SocketLimits,
) -> Ended {
    let frame = CloseFrame {
        code: CloseCode::from(code),
        reason: reason.into(),
    };
    // Best effort: a client that does not read will not get it, and that is fine.
    let _ = tokio::time::timeout(
        limits.write_timeout.min(Duration::from_secs(1)),
        socket.send(Message::Close(Some(frame))),
    )
    .await;
    Ended::ClosedByHub(code)
}

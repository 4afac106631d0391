//! The life of one socket: queue → socket, socket → handler, keep-alive, limits, close codes.
//! Agent and tab sockets share it; they differ only in their message handler.

use axum::extract::ws::{CloseFrame, Message, WebSocket};
use governor::{Quota, RateLimiter};
use std::num::NonZeroU32;
use std::time::Duration;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::hub::Registration;
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

pub async fn drive(
    mut socket: WebSocket,
    reg: &mut Registration,
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
    let control = reg.control.clone();

    loop {
        tokio::select! {
            biased;
            _ = shutdown.cancelled() => {
                return close(&mut socket, close_code::SERVICE_RESTART, "service restart", limits).await;
            }
            code = control.closed() => {
                let reason = match code {
                    close_code::TRY_AGAIN_LATER => "slow consumer: messages were not read",
                    close_code::UNAUTHORIZED => "logged out",
                    close_code::SERVICE_RESTART => "service restart",
                    _ => "closed by the hub",
                };
                return close(&mut socket, code, reason, limits).await;
            }
            out = reg.rx.recv() => {
                let Some(out) = out else { return close(&mut socket, close_code::NORMAL, "closed", limits).await };
                match tokio::time::timeout(limits.write_timeout, socket.send(Message::Text(out.text.clone()))).await {
                    Ok(Ok(())) => {
                        metrics.messages_out.inc();
                        metrics.push_latency_seconds.observe(out.created.elapsed().as_secs_f64());
                    }
                    _ => return Ended::Broken,
                }
            }
            incoming = socket.recv() => {
                let msg = match incoming {
                    None => return Ended::ClientClosed,
                    Some(Ok(msg)) => msg,
                    Some(Err(e)) => {
                        return if is_capacity_error(e) {
                            close(&mut socket, close_code::MESSAGE_TOO_BIG, "message too big", limits).await
                        } else {
                            Ended::Broken
                        };
                    }
                };
                last_heard = Instant::now();
                let error = match msg {
                    Message::Close(_) => return Ended::ClientClosed,
                    Message::Ping(_) | Message::Pong(_) => None,
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

async fn send_timed(socket: &mut WebSocket, msg: Message, limits: SocketLimits) -> Result<(), ()> {
    match tokio::time::timeout(limits.write_timeout, socket.send(msg)).await {
        Ok(Ok(())) => Ok(()),
        _ => Err(()),
    }
}

/// Takes the socket by reference: moving it into this future would give every connection's
/// task room for a second copy of the socket (the task is sized for its largest state).
async fn close(
    socket: &mut WebSocket,
    code: u16,
    reason: &'static str,
    limits: SocketLimits,
) -> Ended {
    let frame = CloseFrame {
        code,
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

fn is_capacity_error(e: axum::Error) -> bool {
    e.into_inner()
        .downcast::<tungstenite::Error>()
        .is_ok_and(|e| matches!(*e, tungstenite::Error::Capacity(_)))
}

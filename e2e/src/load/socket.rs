//! One generated socket: heartbeats (agents) or activity (tabs) at the current rates, every
//! incoming message peeked at and reported with its receive time, until the rates say stop.

use futures_util::{SinkExt, StreamExt};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot, watch};
use tokio::time::{Instant, Interval, MissedTickBehavior};
use tokio_tungstenite::tungstenite::{Message, Utf8Bytes};

use super::clock::now_ns;
use super::connect::{SocketKind, Ws};
use super::observe::{Observer, Peek};

const HEARTBEAT: &str = r#"{"type":"heartbeat","idle_seconds":0}"#;
const ACTIVITY: &str = r#"{"type":"activity"}"#;

/// How often sockets send, shared by every socket of a process and changed while they run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rates {
    /// An agent's heartbeat period (0 = none).
    pub heartbeat_ms: u64,
    /// Each agent socket's own period is drawn once in `heartbeat_ms ± heartbeat_jitter_ms`
    /// (the side-by-side comparison's "every 1–5 s"); 0 = all the same.
    #[serde(default)]
    pub heartbeat_jitter_ms: u64,
    /// A tab's activity period (0 = none).
    pub activity_ms: u64,
    /// Close every socket.
    pub stop: bool,
}

impl Rates {
    fn period(&self, kind: SocketKind) -> Option<Duration> {
        let ms = match kind {
            SocketKind::Agent => self.heartbeat_ms,
            SocketKind::Tab => self.activity_ms,
        };
        (ms > 0).then(|| Duration::from_millis(ms))
    }

    /// This socket's period: [`Rates::period`], moved by up to the jitter for agents.
    fn own_period(&self, kind: SocketKind) -> Option<Duration> {
        let base = self.period(kind)?;
        let jitter = self
            .heartbeat_jitter_ms
            .min(self.heartbeat_ms.saturating_sub(1));
        if kind != SocketKind::Agent || jitter == 0 {
            return Some(base);
        }
        let ms = rand::random_range(self.heartbeat_ms - jitter..=self.heartbeat_ms + jitter);
        Some(Duration::from_millis(ms))
    }
}

/// A periodic timer starting at a random point of its first period, so that thousands of
/// sockets spread their messages evenly instead of sending in step.
fn spread_interval(period: Duration) -> Interval {
    let offset = rand::random_range(0..period.as_micros().max(1) as u64);
    let mut tick = tokio::time::interval_at(Instant::now() + Duration::from_micros(offset), period);
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    tick
}

async fn next_tick(tick: &mut Option<Interval>) {
    match tick {
        Some(t) => {
            t.tick().await;
        }
        None => std::future::pending().await,
    }
}

/// A request to send one message now; answered with the send time ([`now_ns`] just before
/// the frame is written), which is where a push-latency measurement starts.
pub type Kick = oneshot::Sender<u64>;

async fn next_kick(kicks: &mut Option<mpsc::UnboundedReceiver<Kick>>) -> Option<Kick> {
    match kicks {
        Some(k) => k.recv().await,
        None => std::future::pending().await,
    }
}

/// Runs an open socket until the rates say stop or the hub closes it. `kicks`, when given,
/// sends one extra message per request (the measured sockets of the benchmark).
pub async fn run<O: Observer>(
    index: usize,
    mut ws: Ws,
    kind: SocketKind,
    mut rates: watch::Receiver<Rates>,
    observer: Arc<O>,
    mut kicks: Option<mpsc::UnboundedReceiver<Kick>>,
) {
    let outgoing = Utf8Bytes::from_static(match kind {
        SocketKind::Agent => HEARTBEAT,
        SocketKind::Tab => ACTIVITY,
    });
    let mut current = *rates.borrow_and_update();
    let mut tick = current.own_period(kind).map(spread_interval);
    loop {
        if current.stop {
            let _ = tokio::time::timeout(Duration::from_secs(1), ws.close(None)).await;
            observer.closed(index, None, "stopped");
            return;
        }
        tokio::select! {
            incoming = ws.next() => match incoming {
                Some(Ok(Message::Text(text))) => {
                    let at = now_ns();
                    match serde_json::from_str::<Peek>(text.as_str()) {
                        Ok(peek) => observer.received(index, at, &peek),
                        Err(_) => observer.unreadable(index),
                    }
                }
                Some(Ok(Message::Close(frame))) => {
                    let code = frame.as_ref().map(|f| u16::from(f.code));
                    let why = frame.map(|f| f.reason.to_string()).unwrap_or_default();
                    observer.closed(index, code, &why);
                    return;
                }
                Some(Ok(_)) => {}
                Some(Err(e)) => {
                    observer.closed(index, None, &e.to_string());
                    return;
                }
                None => {
                    observer.closed(index, None, "connection closed");
                    return;
                }
            },
            _ = next_tick(&mut tick) => {
                match ws.send(Message::Text(outgoing.clone())).await {
                    Ok(()) => observer.sent(index),
                    Err(e) => {
                        observer.closed(index, None, &format!("send failed: {e}"));
                        return;
                    }
                }
            }
            kick = next_kick(&mut kicks) => {
                let Some(kick) = kick else { kicks = None; continue };
                let at = now_ns();
                if let Err(e) = ws.send(Message::Text(outgoing.clone())).await {
                    observer.closed(index, None, &format!("send failed: {e}"));
                    return;
                }
                observer.sent(index);
                let _ = kick.send(at);
            }
            changed = rates.changed() => {
                let next = if changed.is_err() { Rates { stop: true, ..current } } else { *rates.borrow_and_update() };
                if next.period(kind) != current.period(kind)
                    || next.heartbeat_jitter_ms != current.heartbeat_jitter_ms
                {
                    tick = next.own_period(kind).map(spread_interval);
                }
                current = next;
            }
        }
    }
}

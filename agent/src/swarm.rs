//! `presence-agent swarm --count N`: N simulated agents for load tests — the real socket code,
//! heartbeats at a set rate, no window, no capture.

use shared::protocol::{AgentToServer, ServerToAgent};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

use crate::client::api::HubApi;
use crate::client::socket::{self, SocketEvent, SocketSettings};

#[derive(Debug, Default)]
pub struct SwarmCounters {
    pub connected: AtomicU64,
    pub hellos: AtomicU64,
    pub messages: AtomicU64,
    pub heartbeats: AtomicU64,
}

/// What one simulated agent saw, for `swarm --events` (fault tests time reconnections by it).
#[derive(Debug, Clone, serde::Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum SwarmEvent {
    /// A `hello`: whose it is and the running session it carries.
    Hello {
        agent: usize,
        at_ms: i64,
        user_id: i64,
        session_id: Option<i64>,
    },
    /// The socket ended (the hub's close code and reason, or what broke).
    Disconnected {
        agent: usize,
        at_ms: i64,
        reason: String,
    },
}

fn unix_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// How the simulated agents behave.
#[derive(Debug, Clone)]
pub struct SwarmOptions {
    pub heartbeat_every: Duration,
    pub duration: Duration,
    /// Acknowledge `hello` and each `config_updated` with `config_applied`, as a real agent
    /// does; off, the agents look like ones that never apply a new policy.
    pub ack_config: bool,
    /// The hub's base URL: the agents act out the demo's people there
    /// ([`crate::swarm_demo`]); `None`, they only send heartbeats.
    pub demo: Option<String>,
}

/// The OS a simulated agent reports.
pub const SWARM_OS: &str = "Simulated (presence-agent swarm)";

/// Runs `count` agents with the given tokens (cycled) for `options.duration`; each `hello`
/// and each disconnection also goes to `events` when given.
pub async fn run(
    ws_url: String,
    tokens: Vec<String>,
    count: usize,
    options: SwarmOptions,
    events_out: Option<mpsc::UnboundedSender<SwarmEvent>>,
) -> Arc<SwarmCounters> {
    let SwarmOptions {
        heartbeat_every,
        duration,
        ack_config,
        demo,
    } = options;
    let counters = Arc::new(SwarmCounters::default());
    let (_, max_delay) = tokio::sync::watch::channel(Duration::from_secs(10));
    let mut tasks = Vec::new();
    for i in 0..count {
        let Some(token) = tokens.get(i % tokens.len().max(1)).cloned() else {
            break;
        };
        let mut script = demo
            .as_deref()
            .map(|base| crate::swarm_demo::Script::new(i, HubApi::new(base, Some(token.clone()))));
        let settings = SocketSettings {
            url: ws_url.clone(),
            token,
            max_delay: max_delay.clone(),
        };
        let counters = counters.clone();
        let events_out = events_out.clone();
        let report = move |event: SwarmEvent| {
            if let Some(out) = &events_out {
                let _ = out.send(event);
            }
        };
        tasks.push(tokio::spawn(async move {
            let (events_tx, mut events) = mpsc::channel(16);
            let (out_tx, out_rx) = mpsc::channel(4);
            tokio::spawn(socket::run(settings, events_tx, out_rx));
            let mut beat = tokio::time::interval(heartbeat_every);
            // Version and OS go in the first heartbeat after each hello, as a real agent's.
            let mut announce = false;
            loop {
                tokio::select! {
                    event = events.recv() => match event {
                        Some(SocketEvent::Connected) => { counters.connected.fetch_add(1, Ordering::Relaxed); }
                        Some(SocketEvent::Message(m)) => match *m {
                            ServerToAgent::Hello { user, active_session, config_version, .. } => {
                                counters.hellos.fetch_add(1, Ordering::Relaxed);
                                announce = true;
                                if ack_config {
                                    let _ = out_tx.try_send(AgentToServer::ConfigApplied { config_version });
                                }
                                report(SwarmEvent::Hello {
                                    agent: i,
                                    at_ms: unix_ms(),
                                    user_id: user.id,
                                    session_id: active_session.map(|s| s.id),
                                });
                            }
                            ServerToAgent::ConfigUpdated(update) => {
                                counters.messages.fetch_add(1, Ordering::Relaxed);
                                if ack_config {
                                    let _ = out_tx.try_send(AgentToServer::ConfigApplied {
                                        config_version: update.config_version,
                                    });
                                }
                            }
                            _ => { counters.messages.fetch_add(1, Ordering::Relaxed); }
                        },
                        Some(SocketEvent::Disconnected(reason)) => {
                            report(SwarmEvent::Disconnected { agent: i, at_ms: unix_ms(), reason });
                        }
                        Some(SocketEvent::Unauthorized) | None => return,
                    },
                    _ = beat.tick() => {
                        let idle = match script.as_mut() {
                            Some(script) => script.beat(heartbeat_every).await,
                            None => 0,
                        };
                        let mut msg = AgentToServer::idle_heartbeat(idle);
                        if let AgentToServer::Heartbeat { agent_version, os, capture, .. } = &mut msg {
                            if announce {
                                *agent_version = Some(crate::engine::AGENT_VERSION.to_string());
                                *os = Some(SWARM_OS.to_string());
                                *capture = script.as_ref().and_then(|s| s.capture_error()).map(|error| {
                                    shared::fleet::CaptureReport { at: chrono::Utc::now(), error: Some(error) }
                                });
                            }
                        }
                        if out_tx.try_send(msg).is_ok() {
                            announce = false;
                            counters.heartbeats.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                }
            }
        }));
    }
    tokio::time::sleep(duration).await;
    for t in tasks {
        t.abort();
    }
    counters
}

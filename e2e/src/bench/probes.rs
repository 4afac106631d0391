//! The measured sockets, held by the coordinator itself so that a latency's start (the HTTP
//! request, the activity frame) and its end (the push received) are read in one process.

use anyhow::bail;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot, watch};

use crate::load::connect::{self, SocketKind};
use crate::load::observe::{Observer, Peek};
use crate::load::socket::{self, Kick, Rates};

/// What the measured sockets saw.
#[derive(Debug, Default)]
pub struct ProbeLog {
    pub greeted: HashSet<usize>,
    /// Session id → when its `session_ended` first arrived (at any probe).
    pub session_ended: HashMap<i64, u64>,
    /// Session id → when its `session_started` first arrived (at any probe).
    pub session_started: HashMap<i64, u64>,
    /// User id → (probe index, receive time) of every `presence_diff` entry about that user.
    pub diffs: HashMap<i64, Vec<(usize, u64)>>,
    /// User id → (probe index, receive time) of the `presence_diff` entries that said `offline`.
    pub offline: HashMap<i64, Vec<(usize, u64)>>,
    /// Probe index → the hub that took it, when it was opened through the cluster's load
    /// balancer (its `X-Presence-Node` header).
    pub nodes: HashMap<usize, String>,
    pub received_by_type: BTreeMap<String, u64>,
    pub closed: Vec<(usize, Option<u16>, String)>,
    pub failed: Vec<String>,
}

#[derive(Default)]
pub struct ProbeObserver {
    log: Mutex<ProbeLog>,
}

impl ProbeObserver {
    pub fn log(&self) -> MutexGuard<'_, ProbeLog> {
        match self.log.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        }
    }
}

impl Observer for ProbeObserver {
    fn failed(&self, _index: usize, error: &anyhow::Error) {
        self.log().failed.push(format!("{error:#}"));
    }

    fn opened(&self, _index: usize) {}

    fn received(&self, index: usize, at_ns: u64, message: &Peek<'_>) {
        let mut log = self.log();
        log.greeted.insert(index);
        *log.received_by_type
            .entry(message.kind.to_string())
            .or_default() += 1;
        match message.kind {
            "session_ended" => {
                if let Some(id) = message.session_id {
                    log.session_ended.entry(id).or_insert(at_ns);
                }
            }
            "session_started" => {
                if let Some(session) = &message.session {
                    log.session_started.entry(session.id).or_insert(at_ns);
                }
            }
            "presence_diff" => {
                for change in &message.changes {
                    log.diffs
                        .entry(change.user_id)
                        .or_default()
                        .push((index, at_ns));
                    if change.status == Some("offline") {
                        log.offline
                            .entry(change.user_id)
                            .or_default()
                            .push((index, at_ns));
                    }
                }
            }
            _ => {}
        }
    }

    fn unreadable(&self, _index: usize) {}

    fn sent(&self, _index: usize) {}

    fn closed(&self, index: usize, by_hub: Option<u16>, why: &str) {
        self.log().closed.push((index, by_hub, why.to_string()));
    }
}

/// A measured socket to open.
#[derive(Debug, Clone)]
pub struct ProbeSpec {
    pub kind: SocketKind,
    pub token: String,
    pub user_id: i64,
    pub session_id: Option<i64>,
    /// Sends heartbeats / activity at the background rates; otherwise only when kicked.
    pub periodic: bool,
}

pub struct Probe {
    pub spec: ProbeSpec,
    kicks: mpsc::UnboundedSender<Kick>,
}

pub struct Probes {
    pub observer: Arc<ProbeObserver>,
    pub sockets: Vec<Probe>,
    rates: watch::Sender<Rates>,
    quiet: watch::Sender<Rates>,
}

impl Probes {
    /// Opens every probe, `ramp_per_second` at a time, spread over `sources`. `hub` may be
    /// the cluster's load balancer: which hub took each probe is then in [`ProbeLog::nodes`].
    pub async fn open(
        hub: SocketAddr,
        sources: &[Ipv4Addr],
        specs: Vec<ProbeSpec>,
        ramp_per_second: u32,
        rates: Rates,
    ) -> anyhow::Result<Probes> {
        let observer = Arc::new(ProbeObserver::default());
        let (rates_tx, rates_rx) = watch::channel(rates);
        let (quiet_tx, quiet_rx) = watch::channel(Rates {
            heartbeat_jitter_ms: 0,
            heartbeat_ms: 0,
            activity_ms: 0,
            stop: false,
        });
        let started = tokio::time::Instant::now();
        let mut sockets = Vec::new();
        let mut opening = Vec::new();
        for (index, spec) in specs.into_iter().enumerate() {
            let due =
                started + Duration::from_secs_f64(index as f64 / f64::from(ramp_per_second.max(1)));
            tokio::time::sleep_until(due).await;
            let (kicks, kick_rx) = mpsc::unbounded_channel();
            let source = sources.get(index % sources.len().max(1)).copied();
            let rates = if spec.periodic {
                rates_rx.clone()
            } else {
                quiet_rx.clone()
            };
            let observer = observer.clone();
            let (kind, token) = (spec.kind, spec.token.clone());
            opening.push(tokio::spawn(async move {
                let opened =
                    connect::open_with_node(hub, source, kind, &token, Duration::from_secs(20))
                        .await;
                match opened {
                    Ok((ws, node)) => {
                        if let Some(node) = node {
                            observer.log().nodes.insert(index, node);
                        }
                        tokio::spawn(socket::run(index, ws, kind, rates, observer, Some(kick_rx)));
                        Ok(())
                    }
                    Err(e) => {
                        observer.failed(index, &e);
                        Err(e)
                    }
                }
            }));
            sockets.push(Probe { spec, kicks });
        }
        for o in opening {
            o.await??;
        }
        Ok(Probes {
            observer,
            sockets,
            rates: rates_tx,
            quiet: quiet_tx,
        })
    }

    /// Waits until every probe has its greeting.
    pub async fn wait_greeted(&self, timeout: Duration) -> anyhow::Result<()> {
        let n = self.sockets.len();
        if !wait_until(timeout, || self.observer.log().greeted.len() >= n).await {
            let log = self.observer.log();
            bail!(
                "only {} of {n} measured sockets were greeted within {timeout:?}; closed: {:?}",
                log.greeted.len(),
                log.closed.iter().take(5).collect::<Vec<_>>()
            );
        }
        Ok(())
    }

    /// The hub that took probe `index` through the load balancer (see [`Probes::open`]).
    pub fn node_of(&self, index: usize) -> Option<String> {
        self.observer.log().nodes.get(&index).cloned()
    }

    /// Makes probe `index` send one message now; returns the send time.
    pub async fn kick(&self, index: usize) -> anyhow::Result<u64> {
        let (tx, rx) = oneshot::channel();
        if self.sockets[index].kicks.send(tx).is_err() {
            bail!("measured socket {index} has ended");
        }
        Ok(rx.await?)
    }

    /// Closes every probe.
    pub async fn stop(self) {
        self.rates.send_modify(|r| r.stop = true);
        self.quiet.send_modify(|r| r.stop = true);
        let n = self.sockets.len();
        let _ = wait_until(Duration::from_secs(3), || {
            self.observer.log().closed.len() >= n
        })
        .await;
    }
}

/// Polls `done` every millisecond until it holds or `timeout` passes. (The measured times are
/// taken by the sockets when messages arrive, not by this poll.)
pub async fn wait_until(timeout: Duration, mut done: impl FnMut() -> bool) -> bool {
    let started = Instant::now();
    loop {
        if done() {
            return true;
        }
        if started.elapsed() > timeout {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

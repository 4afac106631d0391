//! One worker process of the load generator. It reads its [`WorkerSpec`] as the first line of
//! stdin, opens its sockets at the ramp rate on a single-threaded runtime (small per-socket
//! memory), applies rate changes read as further stdin lines, prints a [`WorkerReport`] line on
//! stdout every half second, and stops by itself after `max_duration_secs` (or when stdin
//! closes: its coordinator is gone).

use anyhow::Context;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::Write;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::AsyncBufReadExt;
use tokio::sync::watch;

use super::connect::{self, SocketKind};
use super::observe::{Observer, Peek};
use super::socket::{self, Rates};

/// How often a worker reports.
pub const REPORT_EVERY: Duration = Duration::from_millis(500);
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(20);

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SocketSpec {
    pub kind: SocketKind,
    pub token: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WorkerSpec {
    pub hub: SocketAddr,
    /// Source addresses, used in turn.
    pub sources: Vec<Ipv4Addr>,
    pub sockets: Vec<SocketSpec>,
    /// New sockets a second.
    pub ramp_per_second: u32,
    pub rates: Rates,
    /// The worker stops by itself after this long.
    pub max_duration_secs: u64,
}

/// A worker's totals so far (cumulative), plus the `config_updated` receive times that are new
/// since its previous report.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct WorkerReport {
    pub opened: u64,
    pub failed: u64,
    /// Sockets that received their first message (hello / snapshot).
    pub greeted: u64,
    pub closed: u64,
    /// Closed by the hub, by close code.
    pub closed_by_hub: BTreeMap<u16, u64>,
    pub sent: u64,
    pub received: u64,
    pub received_by_type: BTreeMap<String, u64>,
    pub unreadable: u64,
    /// `config_version` → receive times ([`super::clock::now_ns`]) new since the last report.
    pub config_updated_at: BTreeMap<i64, Vec<u64>>,
    /// The first few errors, for the log.
    pub errors: Vec<String>,
    pub done: bool,
}

#[derive(Default)]
struct Tally {
    report: WorkerReport,
    greeted: Vec<bool>,
}

/// Counts what the worker's sockets report.
#[derive(Default)]
pub struct WorkerObserver {
    tally: Mutex<Tally>,
}

impl WorkerObserver {
    fn with<R>(&self, f: impl FnOnce(&mut Tally) -> R) -> R {
        let mut guard = match self.tally.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        f(&mut guard)
    }

    fn note_error(tally: &mut Tally, error: String) {
        if tally.report.errors.len() < 5 {
            tally.report.errors.push(error);
        }
    }

    /// The report to print now; resets the per-report receive times.
    pub fn take_report(&self) -> WorkerReport {
        self.with(|t| {
            let report = t.report.clone();
            t.report.config_updated_at.clear();
            t.report.errors.clear();
            report
        })
    }

    pub fn open_sockets(&self) -> u64 {
        self.with(|t| t.report.opened - t.report.closed)
    }
}

impl Observer for WorkerObserver {
    fn failed(&self, _index: usize, error: &anyhow::Error) {
        self.with(|t| {
            t.report.failed += 1;
            Self::note_error(t, format!("{error:#}"));
        });
    }

    fn opened(&self, _index: usize) {
        self.with(|t| t.report.opened += 1);
    }

    fn received(&self, index: usize, at_ns: u64, message: &Peek<'_>) {
        self.with(|t| {
            if t.greeted.len() <= index {
                t.greeted.resize(index + 1, false);
            }
            if !t.greeted[index] {
                t.greeted[index] = true;
                t.report.greeted += 1;
            }
            t.report.received += 1;
            *t.report
                .received_by_type
                .entry(message.kind.to_string())
                .or_default() += 1;
            if message.kind == "config_updated" {
                if let Some(version) = message.config_version {
                    t.report
                        .config_updated_at
                        .entry(version)
                        .or_default()
                        .push(at_ns);
                }
            }
        });
    }

    fn unreadable(&self, _index: usize) {
        self.with(|t| t.report.unreadable += 1);
    }

    fn sent(&self, _index: usize) {
        self.with(|t| t.report.sent += 1);
    }

    fn closed(&self, _index: usize, by_hub: Option<u16>, why: &str) {
        self.with(|t| {
            t.report.closed += 1;
            if let Some(code) = by_hub {
                *t.report.closed_by_hub.entry(code).or_default() += 1;
            }
            if why != "stopped" {
                Self::note_error(t, format!("closed: {why}"));
            }
        });
    }
}

/// A stdin line after the spec: new rates for every socket of the worker.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WorkerCommand {
    pub rates: Rates,
}

fn print_report(report: &WorkerReport) {
    if let Ok(line) = serde_json::to_string(report) {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{line}");
        let _ = out.flush();
    }
}

/// The worker process's main: reads the spec from stdin and runs it to the end.
pub fn main() -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let result = runtime.block_on(run());
    // Stdin is read on a blocking thread that only returns at the end of input (the
    // coordinator keeps it open): do not wait for it.
    runtime.shutdown_background();
    result
}

async fn run() -> anyhow::Result<()> {
    let mut lines = tokio::io::BufReader::new(tokio::io::stdin()).lines();
    let first = lines
        .next_line()
        .await?
        .context("the worker expects its spec as the first line of stdin")?;
    let spec: WorkerSpec = serde_json::from_str(&first).context("parse the worker spec")?;
    let observer = Arc::new(WorkerObserver::default());
    let (rates_tx, rates) = watch::channel(spec.rates);
    let rates_tx = Arc::new(rates_tx);

    // Commands (and the end of stdin, which means stop).
    let commands = {
        let rates_tx = rates_tx.clone();
        tokio::spawn(async move {
            loop {
                match lines.next_line().await {
                    Ok(Some(line)) => match serde_json::from_str::<WorkerCommand>(&line) {
                        Ok(cmd) => {
                            let _ = rates_tx.send(cmd.rates);
                        }
                        Err(e) => eprintln!("worker: ignoring command {line:?}: {e}"),
                    },
                    Ok(None) | Err(_) => {
                        rates_tx.send_modify(|r| r.stop = true);
                        return;
                    }
                }
            }
        })
    };

    // Ramp: socket i starts at i / ramp_per_second.
    let ramp = {
        let observer = observer.clone();
        let rates = rates.clone();
        let spec = spec.clone();
        tokio::spawn(async move {
            let started = tokio::time::Instant::now();
            let per_second = f64::from(spec.ramp_per_second.max(1));
            for (index, socket_spec) in spec.sockets.into_iter().enumerate() {
                if rates.borrow().stop {
                    return;
                }
                let due = started + Duration::from_secs_f64(index as f64 / per_second);
                tokio::time::sleep_until(due).await;
                let source = spec.sources.get(index % spec.sources.len().max(1)).copied();
                let observer = observer.clone();
                let rates = rates.clone();
                let hub = spec.hub;
                tokio::spawn(async move {
                    match connect::open(
                        hub,
                        source,
                        socket_spec.kind,
                        &socket_spec.token,
                        HANDSHAKE_TIMEOUT,
                    )
                    .await
                    {
                        Ok(ws) => {
                            observer.opened(index);
                            socket::run(index, ws, socket_spec.kind, rates, observer, None).await;
                        }
                        Err(e) => observer.failed(index, &e),
                    }
                });
            }
        })
    };

    let deadline = tokio::time::Instant::now() + Duration::from_secs(spec.max_duration_secs);
    let mut report_tick = tokio::time::interval(REPORT_EVERY);
    let mut stop_rx = rates.clone();
    loop {
        tokio::select! {
            _ = report_tick.tick() => print_report(&observer.take_report()),
            _ = tokio::time::sleep_until(deadline) => {
                rates_tx.send_modify(|r| r.stop = true);
            }
            changed = stop_rx.changed() => {
                if changed.is_err() || stop_rx.borrow().stop {
                    break;
                }
            }
        }
    }
    ramp.abort();
    // Give the sockets a moment to send their close frames.
    let closing = tokio::time::Instant::now() + Duration::from_secs(3);
    while observer.open_sockets() > 0 && tokio::time::Instant::now() < closing {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    commands.abort();
    let mut last = observer.take_report();
    last.done = true;
    print_report(&last);
    Ok(())
}

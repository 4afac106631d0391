//! The coordinator's side of the workers: splits sockets over worker processes, starts them
//! (`<program> worker`, the spec on stdin), changes their rates, and adds up their reports.

use anyhow::{bail, Context};
use std::collections::BTreeMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt};
use tokio::process::{Child, ChildStdin, Command};

use super::socket::Rates;
use super::worker::{SocketSpec, WorkerCommand, WorkerReport, WorkerSpec};

/// How the sockets are spread and driven.
#[derive(Debug, Clone)]
pub struct FleetPlan {
    pub hub: SocketAddr,
    pub sources: Vec<Ipv4Addr>,
    pub workers: usize,
    /// New sockets a second, over all workers.
    pub ramp_per_second: u32,
    pub rates: Rates,
    pub max_duration: Duration,
}

impl FleetPlan {
    /// Deals `sockets` round-robin to the workers; each ramps at its share of the rate.
    pub fn specs(&self, sockets: Vec<SocketSpec>) -> Vec<WorkerSpec> {
        let n = self.workers.clamp(1, sockets.len().max(1));
        let mut dealt: Vec<Vec<SocketSpec>> = vec![Vec::new(); n];
        for (i, s) in sockets.into_iter().enumerate() {
            dealt[i % n].push(s);
        }
        dealt
            .into_iter()
            .enumerate()
            .map(|(w, sockets)| WorkerSpec {
                hub: self.hub,
                // Each worker starts at a different source so the addresses fill evenly.
                sources: rotate(&self.sources, w),
                sockets,
                ramp_per_second: (self.ramp_per_second / n as u32).max(1),
                rates: self.rates,
                max_duration_secs: self.max_duration.as_secs().max(1),
            })
            .collect()
    }
}

fn rotate(sources: &[Ipv4Addr], by: usize) -> Vec<Ipv4Addr> {
    let mut v = sources.to_vec();
    if !v.is_empty() {
        let k = by % v.len();
        v.rotate_left(k);
    }
    v
}

/// Everything the workers reported, added up.
#[derive(Debug, Clone, Default)]
pub struct FleetTotals {
    pub sockets: u64,
    pub opened: u64,
    pub failed: u64,
    pub greeted: u64,
    pub closed: u64,
    pub closed_by_hub: BTreeMap<u16, u64>,
    pub sent: u64,
    pub received: u64,
    pub received_by_type: BTreeMap<String, u64>,
    pub unreadable: u64,
    pub workers_done: usize,
    pub errors: Vec<String>,
}

#[derive(Default)]
struct Shared {
    latest: Vec<WorkerReport>,
    config_updated_at: BTreeMap<i64, Vec<u64>>,
    errors: Vec<String>,
}

struct Worker {
    child: Child,
    stdin: ChildStdin,
}

pub struct Fleet {
    workers: Vec<Worker>,
    sockets: u64,
    shared: Arc<Mutex<Shared>>,
}

fn lock(shared: &Mutex<Shared>) -> std::sync::MutexGuard<'_, Shared> {
    match shared.lock() {
        Ok(g) => g,
        Err(poisoned) => poisoned.into_inner(),
    }
}

impl Fleet {
    /// Starts one `program worker` process per spec; their stderr goes to
    /// `<log_dir>/<label>-worker-<n>.log`.
    pub async fn start(
        program: &Path,
        specs: Vec<WorkerSpec>,
        log_dir: &Path,
        label: &str,
    ) -> anyhow::Result<Fleet> {
        let shared = Arc::new(Mutex::new(Shared {
            latest: vec![WorkerReport::default(); specs.len()],
            ..Shared::default()
        }));
        let sockets = specs.iter().map(|s| s.sockets.len() as u64).sum();
        let mut workers = Vec::new();
        for (n, spec) in specs.into_iter().enumerate() {
            let log: PathBuf = log_dir.join(format!("{label}-worker-{n}.log"));
            let log =
                std::fs::File::create(&log).with_context(|| format!("create {}", log.display()))?;
            let mut child = Command::new(program)
                .arg("worker")
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(log)
                .kill_on_drop(true)
                .spawn()
                .with_context(|| format!("start {} worker", program.display()))?;
            let mut stdin = child.stdin.take().context("worker stdin")?;
            let stdout = child.stdout.take().context("worker stdout")?;
            let mut line = serde_json::to_vec(&spec)?;
            line.push(b'\n');
            stdin.write_all(&line).await?;
            stdin.flush().await?;
            let shared = shared.clone();
            tokio::spawn(async move {
                let mut lines = tokio::io::BufReader::new(stdout).lines();
                while let Ok(Some(line)) = lines.next_line().await {
                    let Ok(report) = serde_json::from_str::<WorkerReport>(&line) else {
                        continue;
                    };
                    let mut s = lock(&shared);
                    for (version, times) in &report.config_updated_at {
                        s.config_updated_at
                            .entry(*version)
                            .or_default()
                            .extend(times);
                    }
                    for e in &report.errors {
                        if s.errors.len() < 20 {
                            s.errors.push(format!("worker {n}: {e}"));
                        }
                    }
                    s.latest[n] = report;
                }
            });
            workers.push(Worker { child, stdin });
        }
        Ok(Fleet {
            workers,
            sockets,
            shared,
        })
    }

    pub fn totals(&self) -> FleetTotals {
        let s = lock(&self.shared);
        let mut t = FleetTotals {
            sockets: self.sockets,
            errors: s.errors.clone(),
            ..FleetTotals::default()
        };
        for r in &s.latest {
            t.opened += r.opened;
            t.failed += r.failed;
            t.greeted += r.greeted;
            t.closed += r.closed;
            t.sent += r.sent;
            t.received += r.received;
            t.unreadable += r.unreadable;
            t.workers_done += usize::from(r.done);
            for (k, v) in &r.closed_by_hub {
                *t.closed_by_hub.entry(*k).or_default() += v;
            }
            for (k, v) in &r.received_by_type {
                *t.received_by_type.entry(k.clone()).or_default() += v;
            }
        }
        t
    }

    /// Every `config_updated` receive time of `version` reported so far.
    pub fn config_updated_at(&self, version: i64) -> Vec<u64> {
        lock(&self.shared)
            .config_updated_at
            .get(&version)
            .cloned()
            .unwrap_or_default()
    }

    /// Waits until every socket has its greeting (or fails: a socket refused or closed).
    pub async fn wait_greeted(&self, timeout: Duration) -> anyhow::Result<FleetTotals> {
        let started = Instant::now();
        loop {
            let t = self.totals();
            if t.greeted >= self.sockets {
                return Ok(t);
            }
            if t.failed > 0 || t.closed > 0 {
                bail!(
                    "{} of {} sockets failed and {} closed while ramping up; first errors: {:?}",
                    t.failed,
                    self.sockets,
                    t.closed,
                    t.errors
                );
            }
            if started.elapsed() > timeout {
                bail!(
                    "only {} of {} sockets were greeted within {timeout:?}",
                    t.greeted,
                    self.sockets
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Changes the rates of every socket of every worker.
    pub async fn set_rates(&mut self, rates: Rates) -> anyhow::Result<()> {
        let mut line = serde_json::to_vec(&WorkerCommand { rates })?;
        line.push(b'\n');
        for w in &mut self.workers {
            w.stdin.write_all(&line).await?;
            w.stdin.flush().await?;
        }
        Ok(())
    }

    /// Stops every socket and waits for the workers to exit (killing any that hang).
    pub async fn stop(mut self) -> FleetTotals {
        let _ = self
            .set_rates(Rates {
                heartbeat_jitter_ms: 0,
                heartbeat_ms: 0,
                activity_ms: 0,
                stop: true,
            })
            .await;
        for w in &mut self.workers {
            if tokio::time::timeout(Duration::from_secs(10), w.child.wait())
                .await
                .is_err()
            {
                let _ = w.child.kill().await;
            }
        }
        // Let the report readers take the last lines.
        tokio::time::sleep(Duration::from_millis(100)).await;
        self.totals()
    }

    /// Waits for the workers to stop by themselves (their set time).
    pub async fn wait(mut self) -> FleetTotals {
        for w in &mut self.workers {
            let _ = w.child.wait().await;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        self.totals()
    }
}

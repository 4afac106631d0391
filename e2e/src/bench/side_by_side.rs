//! The side-by-side comparison (`bench --peer DIR`, issue 28): the same client, on the same
//! machine, with the same socket count, against a fresh release hub and then a fresh peer
//! server (`DIR/run.sh --listen HOST:PORT`, e.g. `../shared/peers/bun-ws`, Bun's uWebSockets).
//!
//! Both speak the subset of SPEC §4/§6/§7/§8 the scenario needs: demo logins, `/ws/agent`
//! (hello, heartbeats), `POST /api/sessions/start` and an admin's
//! `POST /api/sessions/{id}/end` pushing `session_ended`. The scenario, per server:
//! - the server alone, then `sockets − 1` agent sockets of Alice from the load generator's
//!   worker processes, each heartbeating at its own period in 1–5 s, and one measured agent
//!   socket of Bob held here (it heartbeats too);
//! - memory: the server's RSS growth per socket once they are all greeted and settled;
//! - CPU: the server's user + system time over a window of heartbeats only, as % of one core;
//! - force-ends: Bob starts a session, the admin ends it; from the POST to `session_ended` on
//!   Bob's socket, `force_ends` times (the hub commits the end to SQLite before it pushes).
//!
//! Prints both rows and the hub ÷ peer ratios, and writes them as JSON, a file per run, under
//! `e2e/output/bench/` so that the next change can be compared.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use serde::Serialize;
use serde_json::{json, Value};

use super::probes::{wait_until, ProbeSpec, Probes};
use super::readings::{cpu_seconds, machine, rss_kib, Machine};
use super::report::write_json;
use crate::api::ApiSession;
use crate::load::clock::{now_ns, ns_to_ms};
use crate::load::connect::{loopback_sources, SocketKind};
use crate::load::fleet::{Fleet, FleetPlan};
use crate::load::socket::Rates;
use crate::load::stats::{summarize, Summary};
use crate::load::worker::SocketSpec;
use crate::{free_port, output_dir, Hub, HubOptions};

#[derive(Debug, Clone, clap::Args, Serialize)]
pub struct SideBySideOptions {
    /// The peer server's folder: its `run.sh --listen HOST:PORT` starts it.
    #[arg(long)]
    pub peer: PathBuf,
    /// Agent sockets held against each server.
    #[arg(long, default_value_t = 15_000)]
    pub sockets: usize,
    /// Shortest heartbeat period of a socket (each draws its own in the range).
    #[arg(long, default_value_t = 1_000)]
    pub heartbeat_min_ms: u64,
    /// Longest heartbeat period of a socket.
    #[arg(long, default_value_t = 5_000)]
    pub heartbeat_max_ms: u64,
    /// Admin force-ends measured per server.
    #[arg(long, default_value_t = 20)]
    pub force_ends: usize,
    /// The window the server's CPU is measured over, heartbeats only.
    #[arg(long, default_value_t = 20)]
    pub cpu_seconds: u64,
    /// Wait after the last socket's greeting before memory is read.
    #[arg(long, default_value_t = 5)]
    pub settle_seconds: u64,
    /// Worker processes of the load generator.
    #[arg(long, default_value_t = 4)]
    pub workers: usize,
    /// Loopback source addresses (127.0.0.2 and up).
    #[arg(long, default_value_t = 8)]
    pub sources: usize,
    /// New sockets a second while ramping up.
    #[arg(long, default_value_t = 1_500)]
    pub ramp_per_second: u32,
    /// Where each run's JSON goes (`side-by-side-<time>.json`).
    #[arg(long, default_value = "e2e/output/bench")]
    pub out_dir: PathBuf,
}

/// One server's figures.
#[derive(Debug, Clone, Serialize)]
pub struct ServerRow {
    pub server: String,
    pub sockets: usize,
    pub rss_idle_kib: u64,
    pub rss_loaded_kib: u64,
    pub kib_per_socket: f64,
    /// User + system time over the heartbeat window, % of one core.
    pub cpu_percent: f64,
    pub heartbeats_per_second: f64,
    /// POST `/api/sessions/{id}/end` → `session_ended` on the agent's socket.
    pub force_end: Summary,
}

#[derive(Debug, Clone, Serialize)]
pub struct Ratios {
    pub kib_per_socket: f64,
    pub force_end_p50: f64,
    pub force_end_p99: f64,
    pub cpu: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct SideBySide {
    pub started_at: String,
    pub machine: Machine,
    pub options: SideBySideOptions,
    pub hub: ServerRow,
    pub peer: ServerRow,
    /// hub ÷ peer: below 1 the hub is ahead.
    pub ratios: Ratios,
}

/// A server under test: its process and where it answers.
struct Server {
    name: String,
    base: String,
    addr: std::net::SocketAddr,
    pid: u32,
    stop: Box<dyn FnOnce() -> anyhow::Result<()>>,
}

async fn start_hub(sockets: usize) -> anyhow::Result<Server> {
    let hub = Hub::start(HubOptions {
        label: "side-by-side-hub".into(),
        demo: true,
        offline_grace_ms: 10_000,
        start_timeout: Duration::from_secs(60),
        env: vec![
            ("RUST_LOG".into(), "warn".into()),
            ("HUB_DEMO_AGENTS".into(), "0".into()),
            // Both users hold thousands of sockets: this measures sockets, not the limit.
            (
                "HUB_MAX_SOCKETS_PER_USER".into(),
                (sockets + 10).to_string(),
            ),
        ],
        ..HubOptions::default()
    })
    .await?;
    Ok(Server {
        name: "presence-hub".into(),
        base: hub.url.clone(),
        addr: hub.addr()?,
        pid: hub.pid(),
        stop: Box::new(move || hub.stop()),
    })
}

async fn start_peer(dir: &Path) -> anyhow::Result<Server> {
    let port = free_port()?;
    let log = output_dir().join("side-by-side-peer.log");
    let log = std::fs::File::create(&log).with_context(|| format!("create {}", log.display()))?;
    let script = dir.join("run.sh");
    // `run.sh` installs the peer's runtime if needed, then `exec`s it: this pid is the server.
    let mut child = std::process::Command::new("bash")
        .arg(&script)
        .arg("--listen")
        .arg(format!("127.0.0.1:{port}"))
        .stdout(log.try_clone()?)
        .stderr(log)
        .stdin(Stdio::null())
        .spawn()
        .with_context(|| format!("start {}", script.display()))?;
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    let started = Instant::now();
    loop {
        if let Ok(res) = http.get(format!("{base}/healthz")).send().await {
            if res.status().is_success() {
                break;
            }
        }
        if let Some(status) = child.try_wait()? {
            bail!(
                "the peer exited ({status}) before answering; see e2e/output/side-by-side-peer.log"
            );
        }
        if started.elapsed() > Duration::from_secs(300) {
            let _ = child.kill();
            bail!("the peer did not answer /healthz within 5 minutes");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_else(|| "peer".into());
    Ok(Server {
        name: format!("{name} peer"),
        addr: format!("127.0.0.1:{port}").parse()?,
        base,
        pid: child.id(),
        stop: Box::new(move || {
            // SAFETY: signalling our own child by its pid.
            unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
            let deadline = Instant::now() + Duration::from_secs(5);
            while child.try_wait()?.is_none() {
                if Instant::now() > deadline {
                    child.kill()?;
                    break;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            Ok(())
        }),
    })
}

async fn measure(
    o: &SideBySideOptions,
    server: &Server,
    worker_program: &Path,
) -> anyhow::Result<ServerRow> {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()?;
    let login = |email| ApiSession::login(&server.base, email, crate::hub::DEMO_PASSWORD);
    let alice = login("alice@demo.test").await?.token;
    let bob = login("bob@demo.test").await?;
    let (bob, bob_id) = (bob.token, bob.user_id);
    let admin = login("admin@demo.test").await?.token;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let rss_idle = rss_kib(server.pid)?;
    let span = o.heartbeat_max_ms.saturating_sub(o.heartbeat_min_ms) / 2;
    let rates = Rates {
        heartbeat_jitter_ms: span,
        heartbeat_ms: o.heartbeat_min_ms + span,
        activity_ms: 0,
        stop: false,
    };
    let sources = loopback_sources(o.sources);
    let probes = Probes::open(
        server.addr,
        &sources,
        vec![ProbeSpec {
            kind: SocketKind::Agent,
            token: bob.clone(),
            user_id: bob_id,
            session_id: None,
            periodic: true,
        }],
        1,
        rates,
    )
    .await?;
    probes.wait_greeted(Duration::from_secs(10)).await?;
    let plan = FleetPlan {
        hub: server.addr,
        sources,
        workers: o.workers,
        ramp_per_second: o.ramp_per_second,
        rates,
        max_duration: Duration::from_secs(900),
    };
    let specs = (1..o.sockets)
        .map(|_| SocketSpec {
            kind: SocketKind::Agent,
            token: alice.clone(),
        })
        .collect();
    let label = format!("side-by-side-{}", server.name.replace(' ', "-"));
    let fleet = Fleet::start(worker_program, plan.specs(specs), &output_dir(), &label).await?;
    let ramp = Duration::from_secs_f64(o.sockets as f64 / f64::from(o.ramp_per_second.max(1)));
    fleet.wait_greeted(ramp + Duration::from_secs(120)).await?;
    tokio::time::sleep(Duration::from_secs(o.settle_seconds)).await;
    let rss_loaded = rss_kib(server.pid)?;

    let (cpu_before, sent_before) = (cpu_seconds(server.pid)?, fleet.totals().sent);
    let window = Instant::now();
    tokio::time::sleep(Duration::from_secs(o.cpu_seconds)).await;
    let elapsed = window.elapsed().as_secs_f64();
    let cpu_percent = (cpu_seconds(server.pid)? - cpu_before) / elapsed * 100.0;
    let heartbeats_per_second = (fleet.totals().sent - sent_before) as f64 / elapsed;

    let mut ends = Vec::with_capacity(o.force_ends);
    for _ in 0..o.force_ends {
        let started: Value = http
            .post(format!("{}/api/sessions/start", server.base))
            .bearer_auth(&bob)
            .json(&json!({}))
            .send()
            .await?
            .json()
            .await?;
        let id = started["id"]
            .as_i64()
            .with_context(|| format!("a session of Bob: {started}"))?;
        // Let the start's own pushes pass before the end is timed.
        tokio::time::sleep(Duration::from_millis(150)).await;
        let sent = now_ns();
        let res = http
            .post(format!("{}/api/sessions/{id}/end", server.base))
            .bearer_auth(&admin)
            .json(&json!({"reason": "side-by-side force-end"}))
            .send()
            .await?;
        let status = res.status();
        let _ = res.bytes().await?;
        if !status.is_success() {
            bail!(
                "{}: the force-end of session {id} answered {status}",
                server.name
            );
        }
        let arrived = wait_until(Duration::from_secs(5), || {
            probes.observer.log().session_ended.contains_key(&id)
        })
        .await;
        let at = probes.observer.log().session_ended.get(&id).copied();
        match (arrived, at) {
            (true, Some(at)) => ends.push(ns_to_ms(at.saturating_sub(sent))),
            _ => bail!(
                "{}: session_ended of session {id} never reached Bob's socket",
                server.name
            ),
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let totals = fleet.stop().await;
    probes.stop().await;
    if totals.closed_by_hub.values().sum::<u64>() > 0 {
        bail!(
            "{} closed sockets during the run: {:?}",
            server.name,
            totals.closed_by_hub
        );
    }
    Ok(ServerRow {
        server: server.name.clone(),
        sockets: o.sockets,
        rss_idle_kib: rss_idle,
        rss_loaded_kib: rss_loaded,
        kib_per_socket: rss_loaded.saturating_sub(rss_idle) as f64 / o.sockets as f64,
        cpu_percent,
        heartbeats_per_second,
        force_end: summarize(ends),
    })
}

fn say(text: &str) {
    eprintln!("[side-by-side] {text}");
}

pub async fn run(o: SideBySideOptions, worker_program: &Path) -> anyhow::Result<SideBySide> {
    let started_at = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string();
    if !o.peer.join("run.sh").is_file() {
        bail!("{} has no run.sh", o.peer.display());
    }
    let mut rows = Vec::new();
    for which in ["hub", "peer"] {
        let server = if which == "hub" {
            start_hub(o.sockets).await?
        } else {
            start_peer(&o.peer).await?
        };
        say(&format!(
            "{} at {} (pid {})",
            server.name, server.base, server.pid
        ));
        let measured = measure(&o, &server, worker_program).await;
        let stopped = (server.stop)();
        let row = measured?;
        stopped?;
        say(&format!(
            "{}: {:.2} KiB a socket, force-end p50 {:.2} ms p99 {:.2} ms, CPU {:.1} %",
            row.server,
            row.kib_per_socket,
            row.force_end.p50_ms,
            row.force_end.p99_ms,
            row.cpu_percent
        ));
        rows.push(row);
        // Let the closed sockets' ports and the machine settle before the next server.
        tokio::time::sleep(Duration::from_secs(3)).await;
    }
    let peer = rows.pop().context("the peer's row")?;
    let hub = rows.pop().context("the hub's row")?;
    let ratio = |a: f64, b: f64| if b > 0.0 { a / b } else { f64::NAN };
    let ratios = Ratios {
        kib_per_socket: ratio(hub.kib_per_socket, peer.kib_per_socket),
        force_end_p50: ratio(hub.force_end.p50_ms, peer.force_end.p50_ms),
        force_end_p99: ratio(hub.force_end.p99_ms, peer.force_end.p99_ms),
        cpu: ratio(hub.cpu_percent, peer.cpu_percent),
    };
    Ok(SideBySide {
        started_at,
        machine: machine(),
        options: o,
        hub,
        peer,
        ratios,
    })
}

/// The table as Markdown.
pub fn markdown(r: &SideBySide) -> String {
    let row = |s: &ServerRow| {
        format!(
            "| {} | {:.2} | {:.2} | {:.2} | {:.1} | {:.0} |",
            s.server,
            s.kib_per_socket,
            s.force_end.p50_ms,
            s.force_end.p99_ms,
            s.cpu_percent,
            s.heartbeats_per_second
        )
    };
    let x = &r.ratios;
    [
        "| server | KiB a socket | force-end p50 ms | force-end p99 ms | CPU % (one core) | heartbeats/s |"
            .to_string(),
        "|---|---|---|---|---|---|".to_string(),
        row(&r.hub),
        row(&r.peer),
        format!(
            "| hub ÷ peer | {:.2}× | {:.2}× | {:.2}× | {:.2}× | |",
            x.kib_per_socket, x.force_end_p50, x.force_end_p99, x.cpu
        ),
    ]
    .join("\n")
}

/// Prints the table and writes the run's JSON under `out_dir`; answers its path.
pub fn publish(r: &SideBySide) -> anyhow::Result<PathBuf> {
    println!(
        "\nSide by side — {} cores ({}), {} /ws/agent sockets, heartbeats every {}–{} s, {} force-ends\n",
        r.machine.nproc,
        r.machine.cpu_model,
        r.options.sockets,
        r.options.heartbeat_min_ms as f64 / 1000.0,
        r.options.heartbeat_max_ms as f64 / 1000.0,
        r.options.force_ends
    );
    println!("{}", markdown(r));
    let path = r.options.out_dir.join(format!(
        "side-by-side-{}.json",
        r.started_at.replace(':', "")
    ));
    write_json(r, &path)?;
    println!("written to {}", path.display());
    Ok(path)
}

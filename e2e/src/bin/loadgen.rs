//! `loadgen`: opens agent and tab sockets against a running hub, spread over worker processes
//! and loopback source addresses, ramped, sending at set rates, stopping after a set time.
//!
//! ```sh
//! bench-seed --database-url sqlite://… --agents 5000 --out seed.json   # then start the hub
//! loadgen run --hub 127.0.0.1:3000 --manifest seed.json --agents 5000 --tabs 100 --duration-secs 60
//! ```

use anyhow::{bail, Context};
use clap::{Parser, Subcommand};
use e2e::load::connect::{loopback_sources, SocketKind};
use e2e::load::fleet::{Fleet, FleetPlan};
use e2e::load::manifest::Manifest;
use e2e::load::socket::Rates;
use e2e::load::worker::{self, SocketSpec};
use shared::Role;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Duration, Instant};

#[derive(Parser)]
#[command(name = "loadgen", about = "Presence Hub load generator")]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Open the sockets, hold them for the set time, print totals.
    Run(RunArgs),
    /// (internal) One worker process: its spec and commands come on stdin.
    #[command(hide = true)]
    Worker,
}

#[derive(clap::Args)]
struct RunArgs {
    /// The hub's address (loopback).
    #[arg(long, default_value = "127.0.0.1:3000")]
    hub: SocketAddr,
    /// The file `bench-seed` wrote: users and their tokens.
    #[arg(long)]
    manifest: PathBuf,
    /// Agent sockets (members' device tokens, in turn).
    #[arg(long, default_value_t = 1000)]
    agents: usize,
    /// Tab sockets (supervisors', admins' and owners' tokens, in turn).
    #[arg(long, default_value_t = 0)]
    tabs: usize,
    /// Worker processes (each must stay under its open-files limit).
    #[arg(long, default_value_t = 4)]
    workers: usize,
    /// Loopback source addresses, 127.0.0.2 and up.
    #[arg(long, default_value_t = 8)]
    sources: usize,
    /// New sockets a second, over all workers.
    #[arg(long, default_value_t = 1000)]
    ramp_per_second: u32,
    /// Each agent's heartbeat period (0 = none).
    #[arg(long, default_value_t = 10_000)]
    heartbeat_ms: u64,
    /// Each tab's activity period (0 = none).
    #[arg(long, default_value_t = 0)]
    activity_ms: u64,
    /// Stop after this long.
    #[arg(long, default_value_t = 60)]
    duration_secs: u64,
}

fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Cmd::Worker => worker::main(),
        Cmd::Run(args) => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?
            .block_on(run(args)),
    }
}

async fn run(args: RunArgs) -> anyhow::Result<()> {
    if !args.hub.ip().is_loopback() {
        bail!("the load generator only talks to loopback addresses");
    }
    let manifest = Manifest::load(&args.manifest)?;
    let accounts: Vec<_> = manifest.orgs.iter().flat_map(|o| &o.users).collect();
    let members: Vec<&str> = accounts
        .iter()
        .filter(|a| a.role == Role::Member.as_str())
        .map(|a| a.token.as_str())
        .collect();
    let viewers: Vec<&str> = manifest
        .orgs
        .iter()
        .flat_map(|o| std::iter::once(&o.admin).chain(&o.users))
        .filter(|a| a.role != Role::Member.as_str())
        .map(|a| a.token.as_str())
        .collect();
    if (args.agents > 0 && members.is_empty()) || (args.tabs > 0 && viewers.is_empty()) {
        bail!("the manifest has no members (agents) or no supervisors and up (tabs)");
    }
    let mut sockets = Vec::new();
    for i in 0..args.agents {
        sockets.push(SocketSpec {
            kind: SocketKind::Agent,
            token: members[i % members.len()].to_string(),
        });
    }
    for i in 0..args.tabs {
        sockets.push(SocketSpec {
            kind: SocketKind::Tab,
            token: viewers[i % viewers.len()].to_string(),
        });
    }
    let plan = FleetPlan {
        hub: args.hub,
        sources: loopback_sources(args.sources),
        workers: args.workers,
        ramp_per_second: args.ramp_per_second,
        rates: Rates {
            heartbeat_jitter_ms: 0,
            heartbeat_ms: args.heartbeat_ms,
            activity_ms: args.activity_ms,
            stop: false,
        },
        max_duration: Duration::from_secs(args.duration_secs),
    };
    let program = std::env::current_exe().context("find the loadgen binary")?;
    let log_dir = e2e::output_dir();
    let fleet = Fleet::start(&program, plan.specs(sockets), &log_dir, "loadgen").await?;
    let started = Instant::now();
    let end = Duration::from_secs(args.duration_secs);
    while started.elapsed() < end {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let t = fleet.totals();
        println!(
            "{:>5.1}s  opened {:>6}/{}  greeted {:>6}  failed {:>4}  closed {:>4}  sent {:>9}  received {:>9}",
            started.elapsed().as_secs_f64(),
            t.opened,
            t.sockets,
            t.greeted,
            t.failed,
            t.closed,
            t.sent,
            t.received
        );
    }
    let t = fleet.wait().await;
    println!("done: {t:#?}");
    Ok(())
}

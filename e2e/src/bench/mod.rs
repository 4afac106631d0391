//! The benchmark (`bench` binary, `e2e/scripts/bench.sh`): seeds a database, starts the
//! release hub on it, holds ~19,000 sockets and measures the SPEC §14 scenarios.
//!
//! Layout of the sockets (defaults):
//! - organization `policy`: 10,000 agents in the workers — the policy change goes to them;
//! - organization `dashboard` (1,000 users): 1,000 viewer tabs of 10 supervisors and 20 actor
//!   tabs of members, held by the coordinator — the presence scenario and `/`;
//! - organization `load`: 200 measured agents with running sessions, held by the coordinator
//!   (force-ends), and the rest of the agents in the workers.
//!
//! Last, with the load stopped, the reconnect storm: 10,000 desktop agents (`presence-agent
//! swarm`) and a hub restart under them.

pub mod cluster;
pub mod probes;
pub mod readings;
pub mod report;
pub mod run;
pub mod scenario;
pub mod setup;
pub mod side_by_side;

use std::path::PathBuf;

/// The benchmark's settings; the defaults are the SPEC §14 scenario.
#[derive(Debug, Clone, clap::Args, serde::Serialize)]
pub struct BenchOptions {
    /// `postgres://…` to run on PostgreSQL (an existing database); default: a fresh SQLite file.
    #[arg(long)]
    pub database_url: Option<String>,
    /// Sockets in all.
    #[arg(long, default_value_t = 19_000)]
    pub sockets: usize,
    /// Agents of the organization whose policy changes.
    #[arg(long, default_value_t = 10_000)]
    pub policy_agents: usize,
    /// Users of the dashboard organization (the status table's size).
    #[arg(long, default_value_t = 1_000)]
    pub dashboard_users: usize,
    /// Open dashboards (tabs of supervisors) receiving presence diffs.
    #[arg(long, default_value_t = 1_000)]
    pub viewer_tabs: usize,
    /// Supervisors the viewer tabs belong to.
    #[arg(long, default_value_t = 10)]
    pub viewers: usize,
    /// Users whose activity is measured (one sample each).
    #[arg(long, default_value_t = 20)]
    pub actors: usize,
    /// Admin force-ends measured.
    #[arg(long, default_value_t = 200)]
    pub force_ends: usize,
    /// Policy changes measured.
    #[arg(long, default_value_t = 3)]
    pub policy_changes: usize,
    /// `GET /` requests measured.
    #[arg(long, default_value_t = 200)]
    pub page_requests: usize,
    /// Worker processes of the load generator.
    #[arg(long, default_value_t = 4)]
    pub workers: usize,
    /// Loopback source addresses (127.0.0.2 and up).
    #[arg(long, default_value_t = 8)]
    pub sources: usize,
    /// New sockets a second while ramping up.
    #[arg(long, default_value_t = 1_500)]
    pub ramp_per_second: u32,
    /// Each agent's heartbeat period under the background load.
    #[arg(long, default_value_t = 10_000)]
    pub heartbeat_ms: u64,
    /// Each viewer tab's activity period under the background load.
    #[arg(long, default_value_t = 30_000)]
    pub activity_ms: u64,
    /// Each worker agent's heartbeat period during the ingestion scenario (below the hub's
    /// per-socket limit of 20 a second).
    #[arg(long, default_value_t = 200)]
    pub ingest_heartbeat_ms: u64,
    /// Length of the ingestion measurement.
    #[arg(long, default_value_t = 15)]
    pub ingest_seconds: u64,
    /// Agents of the reconnect storm (a hub restart under them, at the end; the `load`
    /// organization's agents with sessions first, then the `policy` organization's).
    #[arg(long, default_value_t = 10_000)]
    pub storm_agents: usize,
    /// Seconds to let the hub settle after the ramp-up before reading its memory.
    #[arg(long, default_value_t = 5)]
    pub settle_seconds: u64,
    /// Where to write the results as JSON.
    #[arg(long, default_value = "e2e/output/bench.json")]
    pub json: PathBuf,
}

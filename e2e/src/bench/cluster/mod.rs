//! The cluster benchmark (`bench --cluster`, `e2e/scripts/bench.sh --cluster`): SPEC §13's
//! layout — three `presence-hub` processes on one fresh PostgreSQL server, HAProxy in front
//! (the harness of [`crate::cluster`]) — seeded by [`crate::load::seed`] before the hubs start,
//! under the single-node benchmark's load (~19,000 sockets heartbeating), measuring what only a
//! cluster has:
//!
//! 1. **cross-node force-end**: an admin ends a session on one hub, the agent connected to
//!    another receives `session_ended` (request sent → push received);
//! 2. **policy fan-out** to 10,000 agents spread over the hubs: `PUT /api/policy` on hub-1 →
//!    the last of them has `config_updated`;
//! 3. **the bus ceiling**: session starts (on hub-1) and stops (on hub-2) at increasing offered
//!    rates, each delivered to its agent on hub-3; the highest rate whose delivery p99 stays
//!    under a bound ([`ceiling`] defines it exactly);
//! 4. **fail-over**: hub-3 is killed with SIGKILL; how long until its users show offline on the
//!    dashboards of the other hubs (last: it destroys a node).
//!
//! **Where the sockets go.** HAProxy proxies each socket with two file descriptors and one
//! process may hold 20,000 here, so it could carry at most ~9,500: the full count does not go
//! through it. The bulk (the workers' sockets, [`crate::load::fleet`]) connects straight to
//! the hubs, spread evenly over them — as HAProxy's `balance leastconn` would spread them — and
//! only the measured sockets go through HAProxy: the 200 force-ended agents and the dashboard
//! tabs watching the fail-over (which hub took each is read from HAProxy's `X-Presence-Node`
//! header). The bus ceiling's agents must sit on the reading hub, so they connect straight to
//! hub-3. The admin's and the owner's HTTP requests go straight to the hub they are meant for.
//!
//! Everything is on loopback, bounded in count and time, and stops by itself: the hubs,
//! HAProxy and PostgreSQL with the [`crate::Cluster`], the workers when their coordinator goes
//! away or after 30 minutes.

pub mod ceiling;
pub mod failover;
pub mod layout;
pub mod report;
pub mod run;

use std::path::PathBuf;

/// The cluster benchmark's settings; the defaults are the SPEC §14 cluster scenario.
#[derive(Debug, Clone, clap::Args, serde::Serialize)]
pub struct ClusterBenchOptions {
    /// Hub processes (at least 3): the bus ceiling writes on hub-1 and hub-2 and reads on the
    /// last one, which is killed at the end.
    #[arg(long, default_value_t = 3)]
    pub nodes: usize,
    /// Sockets in all, over every hub (the workers' bulk, straight to the hubs, plus the
    /// measured ones).
    #[arg(long, default_value_t = 19_000)]
    pub sockets: usize,
    /// Agents of the organization whose policy changes (spread over the hubs).
    #[arg(long, default_value_t = 10_000)]
    pub policy_agents: usize,
    /// Policy changes measured.
    #[arg(long, default_value_t = 3)]
    pub policy_changes: usize,
    /// Force-ends measured: agents through HAProxy, each ended on another hub than its own.
    #[arg(long, default_value_t = 200)]
    pub force_ends: usize,
    /// Users whose agents are spread over the hubs and watched when the last hub is killed.
    #[arg(long, default_value_t = 600)]
    pub watched_users: usize,
    /// Dashboard tabs through HAProxy watching those users (of 3 supervisors).
    #[arg(long, default_value_t = 6)]
    pub watch_tabs: usize,
    /// Agents on the last hub whose sessions the bus ceiling starts and stops.
    #[arg(long, default_value_t = 400)]
    pub bus_users: usize,
    /// The bus ceiling's offered rates, events a second over both writing hubs, in order.
    #[arg(
        long,
        value_delimiter = ',',
        default_values_t = [100u32, 200, 300, 400, 500, 600, 700, 800, 1000, 1200, 1500, 2000, 3000]
    )]
    pub bus_rates: Vec<u32>,
    /// Length of each step of the bus ceiling.
    #[arg(long, default_value_t = 5)]
    pub bus_step_seconds: u64,
    /// The bus ceiling's bound on delivery p99, in ms.
    #[arg(long, default_value_t = 100)]
    pub bus_bound_ms: u64,
    /// Worker processes of the load generator per hub.
    #[arg(long, default_value_t = 2)]
    pub workers_per_node: usize,
    /// Loopback source addresses (127.0.0.2 and up).
    #[arg(long, default_value_t = 8)]
    pub sources: usize,
    /// New sockets a second while ramping up (over all hubs).
    #[arg(long, default_value_t = 1_500)]
    pub ramp_per_second: u32,
    /// Each agent's heartbeat period.
    #[arg(long, default_value_t = 10_000)]
    pub heartbeat_ms: u64,
    /// Each tab's activity period.
    #[arg(long, default_value_t = 30_000)]
    pub activity_ms: u64,
    /// Seconds to let the hubs settle after the ramp-up before reading them.
    #[arg(long, default_value_t = 5)]
    pub settle_seconds: u64,
    /// Where to write the results as JSON.
    #[arg(long, default_value = "e2e/output/bench-cluster.json")]
    pub json: PathBuf,
}

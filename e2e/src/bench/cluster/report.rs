//! The cluster benchmark's results: one table like the single-node one (Markdown, as in the
//! README) and everything as JSON.

use serde::Serialize;
use std::path::Path;

use super::ceiling::CeilingResult;
use super::failover::FailoverResult;
use crate::bench::readings::Machine;
use crate::bench::report::{markdown, thousands, write_json, Row};
use crate::bench::scenario::force_end::ForceEndResult;
use crate::bench::scenario::policy::PolicyResult;

/// One hub after the ramp-up.
#[derive(Debug, Clone, Serialize)]
pub struct NodeReading {
    pub node: String,
    pub agents_open: u64,
    pub tabs_open: u64,
    pub rss_before_kib: u64,
    pub rss_after_kib: u64,
    pub kib_per_socket: f64,
}

impl NodeReading {
    pub fn sockets(&self) -> u64 {
        self.agents_open + self.tabs_open
    }
}

/// One hub's bus counters at the end (before the kill).
#[derive(Debug, Clone, Serialize)]
pub struct BusCounters {
    pub node: String,
    pub published: f64,
    pub received: f64,
    pub caught_up: f64,
    pub duplicate: f64,
    pub reconnects: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct ClusterBenchResults {
    pub started_at: String,
    pub machine: Machine,
    pub database: String,
    pub settings: serde_json::Value,
    pub seed_seconds: f64,
    pub ramp_seconds: f64,
    pub nodes: Vec<NodeReading>,
    /// Sockets HAProxy proxied after the ramp-up (its `show stat` `scur`, over every hub).
    pub through_haproxy: u64,
    pub force_end: ForceEndResult,
    pub policy: PolicyResult,
    pub bus_ceiling: CeilingResult,
    pub bus_counters: Vec<BusCounters>,
    pub failover: FailoverResult,
    pub table: Vec<Row>,
}

fn row(what: &str, measured: String, target: &str, met: bool) -> Row {
    Row {
        what: what.into(),
        measured,
        target: target.into(),
        met,
    }
}

#[allow(clippy::too_many_arguments)]
pub fn table(
    target_sockets: u64,
    nodes: &[NodeReading],
    through_haproxy: u64,
    ramp_seconds: f64,
    force_end: &ForceEndResult,
    policy: &PolicyResult,
    ceiling: &CeilingResult,
    failover: &FailoverResult,
) -> Vec<Row> {
    let held: u64 = nodes.iter().map(NodeReading::sockets).sum();
    let per_node = nodes
        .iter()
        .map(|n| format!("{} {}", n.node, thousands(n.sockets() as f64)))
        .collect::<Vec<_>>()
        .join(", ");
    let kib = nodes.iter().map(|n| n.kib_per_socket).sum::<f64>() / nodes.len().max(1) as f64;
    let last_max = policy.runs.iter().map(|r| r.last_ms).fold(0.0, f64::max);
    let all_policy = policy.runs.iter().all(|r| r.received >= policy.agents);
    let p99_max = policy
        .runs
        .iter()
        .map(|r| r.per_agent.p99_ms)
        .fold(0.0, f64::max);
    let (at, above) = ceiling.at_and_above();
    let ceiling_text = match (ceiling.ceiling_per_second, at) {
        (Some(rate), Some(at)) => format!(
            "{}{} events/s: delivery p50 {:.1} ms, p99 {:.1} ms, bus lag p99 ≤ {} ms on {}",
            if ceiling.reached { "" } else { "≥ " },
            thousands(f64::from(rate)),
            at.delivery.p50_ms,
            at.delivery.p99_ms,
            at.bus_lag_p99_le_ms
                .map(|ms| format!("{ms:.0}"))
                .unwrap_or_else(|| "?".into()),
            ceiling.reader
        ),
        _ => "none of the offered rates passed".into(),
    };
    let above_text = above
        .map(|s| {
            format!(
                "; at {}/s: {} (HTTP answer p99 {:.1} ms, bus lag p99 ≤ {} ms; both cores {:.0} % busy: PostgreSQL {:.0} %, the hubs {:.0} % of a core)",
                thousands(f64::from(s.offered_per_second)),
                s.failed_because.as_deref().unwrap_or("failed"),
                s.http.p99_ms,
                s.bus_lag_p99_le_ms
                    .map(|ms| format!("{ms:.0}"))
                    .unwrap_or_else(|| "?".into()),
                s.machine_cpu_percent,
                s.postgres_cpu_percent,
                s.hub_cpu_percent.iter().map(|(_, c)| c).sum::<f64>()
            )
        })
        .unwrap_or_default();
    vec![
        row(
            "cluster: WebSockets held by 3 hubs (workers straight to the hubs, measured sockets through HAProxy)",
            format!(
                "{} ({per_node}; {} through HAProxy), ramped in {ramp_seconds:.1} s; {kib:.2} KiB a socket",
                thousands(held as f64),
                thousands(through_haproxy as f64)
            ),
            "19,000 spread evenly (HAProxy ≤ ~9,500: 2 fds a socket)",
            held >= target_sockets,
        ),
        row(
            "cluster: force-end on node B → agent on node A receives session_ended",
            format!(
                "p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms ({}/{} received, every one on another hub)",
                force_end.push.p50_ms,
                force_end.push.p99_ms,
                force_end.push.max_ms,
                force_end.received,
                force_end.requested
            ),
            "p50 ≤ 10 ms, p99 ≤ 50 ms",
            force_end.received == force_end.requested
                && force_end.push.p50_ms <= 10.0
                && force_end.push.p99_ms <= 50.0,
        ),
        row(
            "cluster: policy change on hub-1 → last of the agents on 3 hubs receives config_updated",
            format!(
                "{:.1} ms median of {} changes (worst {last_max:.1} ms; per agent p99 ≤ {p99_max:.1} ms) for {} agents",
                policy.median_last_ms(),
                policy.runs.len(),
                thousands(policy.agents as f64)
            ),
            "none for the cluster (single hub: ≤ 200 ms)",
            all_policy && policy.median_last_ms() <= 200.0,
        ),
        row(
            "cluster: bus ceiling (session starts on hub-1, stops on hub-2, delivered on hub-3)",
            format!("{ceiling_text}{above_text}"),
            &format!(
                "none; defined: highest rate with delivery p99 ≤ {:.0} ms, all delivered",
                ceiling.bound_ms
            ),
            ceiling.ceiling_per_second.is_some(),
        ),
        row(
            "cluster: a killed node's users shown offline on the other nodes",
            format!(
                "p50 {:.2} s, last {:.2} s for {} users at {} tabs ({}/{}; a survivor's /healthz lists it dead after {}; {} others wrongly offline)",
                failover.offline.p50_ms / 1000.0,
                failover.offline.max_ms / 1000.0,
                failover.users,
                failover.watching_tabs.len(),
                failover.received,
                failover.expected,
                failover
                    .declared_dead_ms
                    .map(|ms| format!("{:.2} s", ms / 1000.0))
                    .unwrap_or_else(|| "?".into()),
                failover.others_offline
            ),
            "≤ 15 s",
            failover.received == failover.expected
                && failover.offline.max_ms <= 15_000.0
                && failover.others_offline == 0,
        ),
    ]
}

/// Prints the table and writes the JSON.
pub fn publish(results: &ClusterBenchResults, json: &Path) -> anyhow::Result<()> {
    println!(
        "\nPresence Hub cluster benchmark — {} hubs behind HAProxy on {}; {} cores ({}), {} GiB, {}\n",
        results.nodes.len(),
        results.database,
        results.machine.nproc,
        results.machine.cpu_model,
        results.machine.memory_gib,
        results.machine.kernel,
    );
    println!("{}", markdown(&results.table));
    println!("bus ceiling: {}", results.bus_ceiling.definition);
    write_json(results, json)?;
    println!("written to {}", json.display());
    Ok(())
}

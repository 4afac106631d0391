//! Heartbeat ingestion: every worker agent heartbeats fast enough to saturate the CPU; the
//! hub's own counters say how many messages it absorbed and how many presence rows it wrote
//! (coalesced) meanwhile.

use serde::Serialize;
use std::time::{Duration, Instant};

use crate::bench::readings::{cpu_seconds, machine_cpu, HubMetrics};
use crate::load::fleet::Fleet;
use crate::load::socket::Rates;

#[derive(Debug, Clone, Serialize)]
pub struct IngestResult {
    pub agents: u64,
    pub heartbeat_ms: u64,
    pub seconds: f64,
    /// Heartbeats the generator sent a second.
    pub offered_per_second: f64,
    /// Messages the hub read a second (its `messages_in` counters).
    pub absorbed_per_second: f64,
    /// The hub's CPU use (100 % = one core).
    pub hub_cpu_percent: f64,
    /// The whole machine's CPU use (100 % = every core busy).
    pub machine_cpu_percent: f64,
    /// Messages per second of hub CPU time: the hub's cost per message.
    pub per_hub_cpu_second: f64,
    pub presence_rows_per_second: f64,
    pub db_transactions_per_second: f64,
    /// Sockets the hub closed for exceeding the per-socket message rate (1008).
    pub closed_by_rate_limit: u64,
}

#[allow(clippy::too_many_arguments)]
pub async fn run(
    http: &reqwest::Client,
    base: &str,
    hub_pid: u32,
    fleet: &mut Fleet,
    background: Rates,
    heartbeat_ms: u64,
    warmup: Duration,
    window: Duration,
) -> anyhow::Result<IngestResult> {
    fleet
        .set_rates(Rates {
            heartbeat_ms,
            ..background
        })
        .await?;
    tokio::time::sleep(warmup).await;
    let (m0, cpu0, mach0, sent0) = (
        HubMetrics::scrape(http, base).await?,
        cpu_seconds(hub_pid)?,
        machine_cpu()?,
        fleet.totals().sent,
    );
    let t0 = Instant::now();
    tokio::time::sleep(window).await;
    let (m1, cpu1, mach1, t1) = (
        HubMetrics::scrape(http, base).await?,
        cpu_seconds(hub_pid)?,
        machine_cpu()?,
        fleet.totals(),
    );
    let seconds = t0.elapsed().as_secs_f64();
    fleet.set_rates(background).await?;
    let absorbed = (m1.messages_in() - m0.messages_in()) / seconds;
    let hub_cpu = (cpu1 - cpu0) / seconds;
    Ok(IngestResult {
        agents: t1.opened - t1.closed,
        heartbeat_ms,
        seconds,
        offered_per_second: (t1.sent - sent0) as f64 / seconds,
        absorbed_per_second: absorbed,
        hub_cpu_percent: hub_cpu * 100.0,
        machine_cpu_percent: (mach1.0 - mach0.0) as f64 / (mach1.1 - mach0.1).max(1) as f64 * 100.0,
        per_hub_cpu_second: absorbed / hub_cpu.max(1e-9),
        presence_rows_per_second: (m1.presence_rows_written() - m0.presence_rows_written())
            / seconds,
        db_transactions_per_second: (m1.db_writes() - m0.db_writes()) / seconds,
        closed_by_rate_limit: t1.closed_by_hub.get(&1008).copied().unwrap_or(0),
    })
}

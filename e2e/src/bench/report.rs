//! The benchmark's results: one table (Markdown, as in the README) and the same as JSON.

use serde::Serialize;

use super::readings::Machine;
use super::scenario::force_end::ForceEndResult;
use super::scenario::ingest::IngestResult;
use super::scenario::memory::MemoryResult;
use super::scenario::page::PageResult;
use super::scenario::policy::PolicyResult;
use super::scenario::presence::PresenceResult;
use super::scenario::storm::StormResult;

#[derive(Debug, Clone, Serialize)]
pub struct BenchResults {
    pub started_at: String,
    pub machine: Machine,
    pub database: String,
    pub settings: serde_json::Value,
    pub memory: MemoryResult,
    pub force_end: ForceEndResult,
    pub policy: PolicyResult,
    pub presence: PresenceResult,
    pub page: PageResult,
    pub ingest: IngestResult,
    pub storm: StormResult,
    pub table: Vec<Row>,
}

/// One line of the table.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub what: String,
    pub measured: String,
    pub target: String,
    pub met: bool,
}

fn row(what: &str, measured: String, target: &str, met: bool) -> Row {
    Row {
        what: what.into(),
        measured,
        target: target.into(),
        met,
    }
}

/// `19000` → `19,000`.
pub fn thousands(n: f64) -> String {
    let s = format!("{:.0}", n);
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 && c != '-' {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[allow(clippy::too_many_arguments)]
pub fn table(
    target_sockets: u64,
    memory: &MemoryResult,
    force_end: &ForceEndResult,
    policy: &PolicyResult,
    presence: &PresenceResult,
    page: &PageResult,
    ingest: &IngestResult,
    storm: &StormResult,
) -> Vec<Row> {
    let held = memory.hub_agents_open + memory.hub_tabs_open;
    let last_max = policy.runs.iter().map(|r| r.last_ms).fold(0.0, f64::max);
    let all_policy = policy.runs.iter().all(|r| r.received >= policy.agents);
    vec![
        row(
            "concurrent WebSockets held by one hub",
            format!(
                "{} ({} agents + {} tabs), ramped in {:.1} s",
                thousands(held as f64),
                thousands(memory.hub_agents_open as f64),
                thousands(memory.hub_tabs_open as f64),
                memory.ramp_seconds
            ),
            "19,000",
            held >= target_sockets,
        ),
        row(
            "hub memory per connection",
            format!(
                "{:.2} KiB (RSS {:.1} → {:.1} MiB)",
                memory.kib_per_socket,
                memory.rss_before_kib as f64 / 1024.0,
                memory.rss_after_kib as f64 / 1024.0
            ),
            "≤ 2 KiB",
            memory.kib_per_socket <= 2.0,
        ),
        row(
            "admin force-end → agent receives session_ended",
            format!(
                "p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms ({}/{} received)",
                force_end.push.p50_ms,
                force_end.push.p99_ms,
                force_end.push.max_ms,
                force_end.received,
                force_end.requested
            ),
            "p50 ≤ 2 ms, p99 ≤ 10 ms",
            force_end.received == force_end.requested
                && force_end.push.p50_ms <= 2.0
                && force_end.push.p99_ms <= 10.0,
        ),
        row(
            "policy change → last agent receives config_updated",
            format!(
                "{:.1} ms median of {} changes (worst {:.1} ms) for {} agents",
                policy.median_last_ms(),
                policy.runs.len(),
                last_max,
                thousands(policy.agents as f64)
            ),
            "≤ 200 ms",
            all_policy && policy.median_last_ms() <= 200.0,
        ),
        row(
            "activity → presence_diff at open dashboards",
            format!(
                "p50 {:.2} ms, p99 {:.2} ms at {} tabs ({} of {} diffs)",
                presence.latency.p50_ms,
                presence.latency.p99_ms,
                thousands(presence.tabs as f64),
                thousands(presence.received as f64),
                thousands(presence.expected as f64)
            ),
            "p99 ≤ 20 ms",
            presence.received == presence.expected && presence.latency.p99_ms <= 20.0,
        ),
        row(
            "heartbeats ingested (CPU saturated)",
            format!(
                "{}/s (hub CPU {:.0} %, machine {:.0} %; {}/s per hub core); DB: {} presence rows/s in {:.1} transactions/s",
                thousands(ingest.absorbed_per_second),
                ingest.hub_cpu_percent,
                ingest.machine_cpu_percent,
                thousands(ingest.per_hub_cpu_second),
                thousands(ingest.presence_rows_per_second),
                ingest.db_transactions_per_second
            ),
            "≥ 50,000/s, bounded DB writes",
            ingest.absorbed_per_second >= 50_000.0,
        ),
        row(
            "`/` server-rendered",
            format!(
                "p50 {:.2} ms, p99 {:.2} ms for {} users ({} KiB)",
                page.latency.p50_ms,
                page.latency.p99_ms,
                thousands(page.users as f64),
                page.bytes / 1024
            ),
            "p50 ≤ 10 ms",
            page.latency.p50_ms <= 10.0,
        ),
        row(
            "reconnect storm: agents back after a hub restart",
            format!(
                "{} agents, {} told 1012; 99 % back with a correct hello {:.2} s after the hub was up again \
                 ({:.2} s after SIGTERM; stop {} ms, start {} ms), {}; {} lost, {} wrong hellos",
                thousands(storm.agents as f64),
                thousands(storm.told_1012 as f64),
                storm.p99_after_up_s,
                storm.p99_after_sigterm_s,
                storm.stop_ms,
                storm.restart_ms,
                storm
                    .all_after_sigterm_s
                    .map_or("not all back".to_string(), |s| format!("all {s:.2} s after SIGTERM")),
                storm.lost(),
                storm.wrong_hello
            ),
            "99 % within 15 s, none lost",
            storm.p99_after_up_s <= 15.0 && storm.lost() == 0 && storm.wrong_hello == 0,
        ),
    ]
}

/// Writes `value` as pretty JSON to `path`, making its folder first.
pub fn write_json<T: Serialize>(value: &T, path: &std::path::Path) -> anyhow::Result<()> {
    use anyhow::Context;
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).with_context(|| format!("create {}", parent.display()))?;
    }
    std::fs::write(path, serde_json::to_vec_pretty(value)?)
        .with_context(|| format!("write {}", path.display()))
}

/// The table as Markdown.
pub fn markdown(rows: &[Row]) -> String {
    let mut out = String::from("| what | measured | target | met |\n|---|---|---|---|\n");
    for r in rows {
        out.push_str(&format!(
            "| {} | {} | {} | {} |\n",
            r.what,
            r.measured,
            r.target,
            if r.met { "yes" } else { "**no**" }
        ));
    }
    out
}

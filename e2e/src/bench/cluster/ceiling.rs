//! The bus ceiling: how many events a second the cluster bus carries before delivery falls
//! behind. Each step offers one rate for a few seconds, open loop (a write is sent on schedule
//! whether or not the earlier ones were answered): users of the `bus` organization, whose agents
//! are on the reading hub, start a work session on the first writing hub and stop it on the
//! second, in turn — each write commits one event (`session_started`, `session_ended`) with its
//! outbox row, and the reading hub must bring it to the user's agent.
//!
//! A step passes when every acknowledged write reached its agent, the writes kept up (no HTTP
//! error, at least 95 % of the offered rate acknowledged, never every user busy), and the p99
//! of delivery (request sent → agent received) is within the bound. The ceiling is the highest
//! offered rate of a passing step before the first failing one. The reading hub's
//! `presence_hub_bus_lag_seconds` (commit → read from the outbox) is reported beside it.

use serde::Serialize;
use serde_json::{json, Value};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use tokio::task::JoinSet;

use crate::bench::probes::{wait_until, Probes};
use crate::bench::readings::{
    bucket_quantile, cpu_seconds, machine_cpu, process_tree_cpu_seconds, HubMetrics,
};
use crate::load::clock::{now_ns, ns_to_ms};
use crate::load::stats::{summarize, Summary};

const LAG_HISTOGRAM: &str = "presence_hub_bus_lag_seconds";
/// How long after the last answer an event may still arrive before it counts as lost.
const DELIVERY_GRACE: Duration = Duration::from_secs(3);
/// The share of the offered rate that must be acknowledged for a step to pass.
const KEEP_UP: f64 = 0.95;

/// Where the ceiling writes and reads.
pub struct BusTarget<'a> {
    pub http: &'a reqwest::Client,
    /// Base URL and name of the hub that takes the session starts.
    pub starts: (String, String),
    /// Base URL and name of the hub that takes the session stops.
    pub stops: (String, String),
    /// Base URL and name of the hub whose agents receive the events.
    pub reader: (String, String),
    /// The agents on the reading hub, one per user of the `bus` organization.
    pub probes: &'a Probes,
    /// Every hub's name and process id, for their CPU use.
    pub hubs: Vec<(String, u32)>,
    /// The PostgreSQL server's postmaster, for its (and its backends') CPU use.
    pub postgres: u32,
}

#[derive(Debug, Clone, Serialize)]
pub struct CeilingStep {
    /// Events a second offered (writes sent on schedule, over both writing hubs).
    pub offered_per_second: u32,
    pub sent: usize,
    /// Scheduled writes not sent because every user still waited for an answer.
    pub skipped: usize,
    pub http_errors: usize,
    pub first_error: Option<String>,
    /// Writes acknowledged, a second, over the step (first send → last answer).
    pub acknowledged_per_second: f64,
    /// Acknowledged events that reached their agent.
    pub delivered: usize,
    /// Request sent → event received by the agent on the reading hub.
    pub delivery: Summary,
    /// Request sent → HTTP answer read.
    pub http: Summary,
    /// The reading hub's bus lag (commit → read from the outbox), p99 as the upper bound of
    /// its histogram bucket, in ms.
    pub bus_lag_p99_le_ms: Option<f64>,
    /// Events the reading hub read from the outbox during the step.
    pub read_by_reader: f64,
    /// CPU use over the step (100 % = one core): the whole machine (100 % = every core busy),
    /// each hub, PostgreSQL (server and backends), and this coordinator (the writes' client
    /// and the agents). The rest is the workers, HAProxy and the kernel.
    pub machine_cpu_percent: f64,
    pub hub_cpu_percent: Vec<(String, f64)>,
    pub postgres_cpu_percent: f64,
    pub coordinator_cpu_percent: f64,
    pub passed: bool,
    /// Why the step failed.
    pub failed_because: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CeilingResult {
    pub definition: String,
    pub writers: Vec<String>,
    pub reader: String,
    pub users: usize,
    pub step_seconds: u64,
    pub bound_ms: f64,
    pub steps: Vec<CeilingStep>,
    /// The highest passing offered rate before the first failing step.
    pub ceiling_per_second: Option<u32>,
    /// False when every offered rate passed: the ceiling is at least the highest rate tried.
    pub reached: bool,
}

impl CeilingResult {
    /// The step at the ceiling, and the first failing one.
    pub fn at_and_above(&self) -> (Option<&CeilingStep>, Option<&CeilingStep>) {
        let at = self
            .steps
            .iter()
            .rev()
            .find(|s| s.passed && Some(s.offered_per_second) == self.ceiling_per_second);
        (at, self.steps.iter().find(|s| !s.passed))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Start,
    Stop,
}

struct User {
    token: String,
    session: Option<i64>,
}

struct Write {
    kind: Kind,
    sent: u64,
    answered: u64,
    /// The session started or stopped, when the write was acknowledged.
    session: Option<i64>,
    error: Option<String>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    match m.lock() {
        Ok(g) => g,
        Err(poisoned) => poisoned.into_inner(),
    }
}

/// Runs the steps at `rates` in order, stopping after the first failing one.
pub async fn run(
    target: &BusTarget<'_>,
    rates: &[u32],
    step: Duration,
    bound: Duration,
) -> anyhow::Result<CeilingResult> {
    let users: Arc<Mutex<VecDeque<User>>> = Arc::new(Mutex::new(
        target
            .probes
            .sockets
            .iter()
            .map(|p| User {
                token: p.spec.token.clone(),
                session: None,
            })
            .collect(),
    ));
    let bound_ms = bound.as_secs_f64() * 1000.0;
    let mut steps = Vec::new();
    for &rate in rates {
        let result = one_step(target, &users, rate, step, bound_ms).await?;
        eprintln!(
            "[bench] bus at {rate}/s: {} sent, {} delivered, p99 {:.1} ms (HTTP p99 {:.1} ms), \
             {:.0}/s acknowledged, CPU: machine {:.0} %, PostgreSQL {:.0} %{}",
            result.sent,
            result.delivered,
            result.delivery.p99_ms,
            result.http.p99_ms,
            result.acknowledged_per_second,
            result.machine_cpu_percent,
            result.postgres_cpu_percent,
            result
                .failed_because
                .as_deref()
                .map(|w| format!(" — failed: {w}"))
                .unwrap_or_default()
        );
        let passed = result.passed;
        steps.push(result);
        if !passed {
            break;
        }
        // Let the hubs and PostgreSQL go quiet before the next rate.
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
    let first_failure = steps.iter().position(|s| !s.passed);
    let ceiling = steps[..first_failure.unwrap_or(steps.len())]
        .iter()
        .map(|s| s.offered_per_second)
        .max();
    Ok(CeilingResult {
        definition: format!(
            "the highest offered rate R (events a second: session starts written on {} and stops \
             on {}, alternating per user, open loop for {} s per step) at which every \
             acknowledged event reached its agent on {}, the writes kept up (no HTTP error, \
             ≥ {:.0} % of R acknowledged) and delivery p99 (request sent → agent received) \
             ≤ {bound_ms:.0} ms",
            target.starts.1,
            target.stops.1,
            step.as_secs(),
            target.reader.1,
            KEEP_UP * 100.0
        ),
        writers: vec![target.starts.1.clone(), target.stops.1.clone()],
        reader: target.reader.1.clone(),
        users: target.probes.sockets.len(),
        step_seconds: step.as_secs(),
        bound_ms,
        ceiling_per_second: ceiling,
        reached: first_failure.is_some(),
        steps,
    })
}

async fn one_step(
    target: &BusTarget<'_>,
    users: &Arc<Mutex<VecDeque<User>>>,
    rate: u32,
    length: Duration,
    bound_ms: f64,
) -> anyhow::Result<CeilingStep> {
    let before = HubMetrics::scrape(target.http, &target.reader.0).await?;
    let cpu_before = CpuReading::now(target)?;
    let writes: Arc<Mutex<Vec<Write>>> = Arc::default();
    let total = (f64::from(rate) * length.as_secs_f64()).round() as u64;
    let mut pending = JoinSet::new();
    let mut skipped = 0;
    let started = tokio::time::Instant::now();
    let first_sent = now_ns();
    for k in 0..total {
        let due = started + Duration::from_secs_f64(k as f64 / f64::from(rate.max(1)));
        tokio::time::sleep_until(due).await;
        while pending.try_join_next().is_some() {}
        let Some(user) = lock(users).pop_front() else {
            skipped += 1;
            continue;
        };
        pending.spawn(write(
            target.http.clone(),
            target.starts.0.clone(),
            target.stops.0.clone(),
            user,
            users.clone(),
            writes.clone(),
        ));
    }
    while pending.join_next().await.is_some() {}
    let cpu = CpuReading::now(target)?.since(&cpu_before, &target.hubs);

    // Every acknowledged write's event, at its agent.
    let arrival = |w: &Write| -> Option<u64> {
        let log = target.probes.observer.log();
        let id = w.session?;
        match w.kind {
            Kind::Start => log.session_started.get(&id).copied(),
            Kind::Stop => log.session_ended.get(&id).copied(),
        }
    };
    wait_until(DELIVERY_GRACE, || {
        lock(&writes)
            .iter()
            .filter(|w| w.session.is_some())
            .all(|w| arrival(w).is_some())
    })
    .await;
    let after = HubMetrics::scrape(target.http, &target.reader.0).await?;

    let writes = lock(&writes);
    let acknowledged: Vec<&Write> = writes.iter().filter(|w| w.session.is_some()).collect();
    let errors: Vec<&Write> = writes.iter().filter(|w| w.error.is_some()).collect();
    let delivery: Vec<f64> = acknowledged
        .iter()
        .filter_map(|w| arrival(w).map(|at| ns_to_ms(at.saturating_sub(w.sent))))
        .collect();
    let http: Vec<f64> = writes
        .iter()
        .map(|w| ns_to_ms(w.answered.saturating_sub(w.sent)))
        .collect();
    let last_answer = writes
        .iter()
        .map(|w| w.answered)
        .max()
        .unwrap_or(first_sent);
    // The schedule's length, or longer when the answers came in later than it.
    let seconds =
        (ns_to_ms(last_answer.saturating_sub(first_sent)) / 1000.0).max(length.as_secs_f64());
    let acknowledged_per_second = acknowledged.len() as f64 / seconds.max(1e-9);
    let delivered = delivery.len();
    let delivery = summarize(delivery);

    let mut failed_because = Vec::new();
    if !errors.is_empty() {
        failed_because.push(format!("{} HTTP errors", errors.len()));
    }
    if skipped > 0 {
        failed_because.push(format!(
            "{skipped} writes not sent: all {} users waited for an answer",
            target.probes.sockets.len()
        ));
    }
    if acknowledged_per_second < KEEP_UP * f64::from(rate) {
        failed_because.push(format!(
            "{acknowledged_per_second:.0}/s acknowledged of {rate}/s offered"
        ));
    }
    if delivered < acknowledged.len() {
        failed_because.push(format!(
            "{} of {} events not delivered within {DELIVERY_GRACE:?}",
            acknowledged.len() - delivered,
            acknowledged.len()
        ));
    }
    if delivery.p99_ms > bound_ms {
        failed_because.push(format!(
            "delivery p99 {:.1} ms > {bound_ms:.0} ms",
            delivery.p99_ms
        ));
    }
    Ok(CeilingStep {
        offered_per_second: rate,
        sent: writes.len(),
        skipped,
        http_errors: errors.len(),
        first_error: errors.first().and_then(|w| w.error.clone()),
        acknowledged_per_second,
        delivered,
        delivery,
        http: summarize(http),
        bus_lag_p99_le_ms: bucket_quantile(&before, &after, LAG_HISTOGRAM, 0.99)
            .map(|s| s * 1000.0),
        read_by_reader: after.get("presence_hub_bus_events_received_total")
            - before.get("presence_hub_bus_events_received_total"),
        machine_cpu_percent: cpu.machine,
        hub_cpu_percent: cpu.hubs,
        postgres_cpu_percent: cpu.postgres,
        coordinator_cpu_percent: cpu.coordinator,
        passed: failed_because.is_empty(),
        failed_because: (!failed_because.is_empty()).then(|| failed_because.join("; ")),
    })
}

/// CPU times at one moment: the machine's busy and total jiffies; each hub's, PostgreSQL's
/// and this process's CPU seconds.
struct CpuReading {
    at: Instant,
    machine: (u64, u64),
    hubs: Vec<f64>,
    postgres: f64,
    coordinator: f64,
}

/// CPU use between two readings, in percent of one core (the machine's: of all of them).
struct CpuUse {
    machine: f64,
    hubs: Vec<(String, f64)>,
    postgres: f64,
    coordinator: f64,
}

impl CpuReading {
    fn now(target: &BusTarget<'_>) -> anyhow::Result<CpuReading> {
        Ok(CpuReading {
            at: Instant::now(),
            machine: machine_cpu()?,
            hubs: target
                .hubs
                .iter()
                .map(|(_, pid)| cpu_seconds(*pid))
                .collect::<anyhow::Result<_>>()?,
            postgres: process_tree_cpu_seconds(target.postgres)?,
            coordinator: cpu_seconds(std::process::id())?,
        })
    }

    fn since(&self, earlier: &CpuReading, hubs: &[(String, u32)]) -> CpuUse {
        let seconds = self.at.duration_since(earlier.at).as_secs_f64().max(1e-9);
        let percent = |now: f64, then: f64| (now - then) / seconds * 100.0;
        CpuUse {
            machine: (self.machine.0 - earlier.machine.0) as f64
                / (self.machine.1 - earlier.machine.1).max(1) as f64
                * 100.0,
            hubs: hubs
                .iter()
                .zip(self.hubs.iter().zip(&earlier.hubs))
                .map(|((name, _), (now, then))| (name.clone(), percent(*now, *then)))
                .collect(),
            postgres: percent(self.postgres, earlier.postgres),
            coordinator: percent(self.coordinator, earlier.coordinator),
        }
    }
}

/// One write for `user`: a start on the first writing hub when they have no session, else a
/// stop of it on the second; `user` goes back to the pool afterwards.
async fn write(
    http: reqwest::Client,
    starts: String,
    stops: String,
    mut user: User,
    users: Arc<Mutex<VecDeque<User>>>,
    writes: Arc<Mutex<Vec<Write>>>,
) {
    let sent = now_ns();
    let (kind, request) = match user.session {
        None => (
            Kind::Start,
            http.post(format!("{starts}/api/sessions/start"))
                .json(&json!({ "note": "bus ceiling" })),
        ),
        Some(id) => (
            Kind::Stop,
            http.post(format!("{stops}/api/sessions/stop"))
                .json(&json!({ "session_id": id })),
        ),
    };
    let outcome = answer(request.bearer_auth(&user.token).send().await).await;
    let answered = now_ns();
    let (session, error) = match outcome {
        Ok(id) => (Some(id), None),
        Err(e) => (None, Some(e)),
    };
    user.session = match (kind, session) {
        (Kind::Start, started) => started,
        // Stopped, or the stop failed: either way the next write for this user is a start.
        (Kind::Stop, _) => None,
    };
    lock(&writes).push(Write {
        kind,
        sent,
        answered,
        session,
        error,
    });
    lock(&users).push_back(user);
}

/// The session id of a 200/201 answer, or what went wrong.
async fn answer(response: reqwest::Result<reqwest::Response>) -> Result<i64, String> {
    let response = response.map_err(|e| format!("request: {e}"))?;
    let status = response.status();
    let body: Value = response
        .json()
        .await
        .map_err(|e| format!("HTTP {status}, unreadable answer: {e}"))?;
    if !status.is_success() {
        return Err(format!("HTTP {status}: {body}"));
    }
    body["id"]
        .as_i64()
        .ok_or_else(|| format!("HTTP {status} without a session id: {body}"))
}

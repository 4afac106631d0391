//! Cluster mode (SPEC §13, issue 14): three `presence-hub` processes on one PostgreSQL server,
//! behind HAProxy, started by `e2e::cluster::Cluster` (PostgreSQL of its own, HAProxy from
//! `e2e/cluster/haproxy.cfg.template`). Each scenario prints its measured figures on one
//! `[cluster] …` line.
//!
//! Agents are put on a chosen node by connecting them straight to it (`node_ws_url`) and the
//! admin's REST calls go to another node, so every event has to cross processes; the policy
//! scenario and the agents' fail-over go through HAProxy only (which names the hub that took a
//! request or socket in `X-Presence-Node`).
//!
//! Needs PostgreSQL's server binaries and HAProxy (`e2e/scripts/prepare.sh test`) and the hub
//! binary (`cargo build -p server --bin presence-hub`). They are `#[ignore]`d so that a plain
//! `cargo test --workspace` does not run them; run them with
//!
//! ```sh
//! cargo test -p e2e --test cluster -- --ignored --nocapture
//! ```
//!
//! One cluster runs at a time (`Cluster::start` waits for the previous one to be dropped), so
//! the test threads of this file effectively run one after the other. One module per scenario;
//! this file holds what they share.

use anyhow::{bail, ensure, Context};
use e2e::cluster::{Cluster, ClusterOptions, NODE_HEADER};
use e2e::hub::DEMO_PASSWORD;
use e2e::{AgentSocket, ApiSession, TabSocket};
use reqwest::Method;
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::http::HeaderMap;

/// The liveness settings of every hub in these tests (the defaults of the contract).
const HEARTBEAT_MS: u64 = 2_000;
const LEASE_MS: u64 = 9_000;
/// SPEC §13 / §14: a stopped node's users are offline on the other nodes within this.
const DEAD_WITHIN: Duration = Duration::from_secs(15);
/// `HUB_OFFLINE_GRACE_MS` of the cluster's hubs (ClusterOptions' default).
const OFFLINE_GRACE: Duration = Duration::from_millis(1_500);
/// How long an event that should cross nodes may take in these tests before it counts as lost
/// (the target is 50 ms at p99; this is only the give-up point).
const DELIVERY_TIMEOUT: Duration = Duration::from_secs(5);
/// After the last expected message: how long to keep listening for a duplicate.
const QUIET: Duration = Duration::from_millis(1_500);

fn options(label: &str) -> ClusterOptions {
    ClusterOptions {
        label: label.into(),
        nodes: 3,
        env: vec![
            ("HUB_NODE_HEARTBEAT_MS".into(), HEARTBEAT_MS.to_string()),
            ("HUB_NODE_LEASE_MS".into(), LEASE_MS.to_string()),
        ],
        ..ClusterOptions::default()
    }
}

/// Starts the cluster, runs `scenario`, and on failure panics with the error and the tail of
/// every log (hubs, HAProxy).
async fn run<F>(label: &str, scenario: F)
where
    F: for<'c> AsyncFnOnce(&'c mut Cluster) -> anyhow::Result<()>,
{
    let mut cluster = Cluster::start(options(label))
        .await
        .unwrap_or_else(|e| panic!("the cluster did not start: {e:#}"));
    let outcome = scenario(&mut cluster).await;
    if let Err(e) = outcome {
        let logs = cluster.logs_tail(25);
        drop(cluster);
        panic!("{e:#}\n\nlogs (tails; full logs in e2e/output/{label}-*.log):\n{logs}");
    }
}

// ---------------------------------------------------------------------------------------------
// Helpers

/// Which hub HAProxy sent a request or socket to.
fn served_by(headers: &HeaderMap) -> Option<String> {
    headers
        .get(NODE_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

async fn login(base: &str, email: &str) -> anyhow::Result<ApiSession> {
    ApiSession::login(base, email, DEMO_PASSWORD)
        .await
        .with_context(|| format!("login of {email} at {base}"))
}

/// Creates `n` members (`{prefix}-{k}@demo.test`, password `demo-pass-1`) through `base` as
/// the admin, and signs each in there.
async fn new_members(
    admin: &ApiSession,
    base: &str,
    prefix: &str,
    n: usize,
) -> anyhow::Result<Vec<ApiSession>> {
    let mut members = Vec::new();
    for k in 1..=n {
        let email = format!("{prefix}-{k}@demo.test");
        let (status, body) = admin
            .send_json(
                Method::POST,
                base,
                "/api/users",
                &json!({
                    "name": format!("{prefix} member {k}"),
                    "email": email,
                    "password": DEMO_PASSWORD,
                    "role": "member",
                }),
            )
            .await?;
        ensure!(status == 201, "creating {email}: {status} {body}");
        members.push(login(base, &email).await?);
    }
    Ok(members)
}

/// `POST /api/sessions/start` as `user` on `base`: the new session's id.
async fn start_session(user: &ApiSession, base: &str) -> anyhow::Result<i64> {
    let (status, body) = user
        .send_json(
            Method::POST,
            base,
            "/api/sessions/start",
            &json!({ "note": "cluster e2e" }),
        )
        .await?;
    ensure!(status == 201, "session start at {base}: {status} {body}");
    body["id"].as_i64().context("session without id")
}

/// `POST /api/sessions/{id}/end` as the admin on `base`: status and body.
async fn force_end(
    admin: &ApiSession,
    base: &str,
    session_id: i64,
    reason: &str,
) -> anyhow::Result<(u16, Value)> {
    admin
        .send_json(
            Method::POST,
            base,
            &format!("/api/sessions/{session_id}/end"),
            &json!({ "reason": reason }),
        )
        .await
}

/// An agent socket with everything it received, each message with its arrival time.
struct Agent {
    who: String,
    /// The hub that holds the socket.
    node: String,
    socket: AgentSocket,
    inbox: Vec<(Instant, Value)>,
}

impl Agent {
    /// Connects straight to `ws_url` (a node, or HAProxy: then the node is read from
    /// `X-Presence-Node`), heartbeating every 2 s as the real agent does.
    async fn connect(
        user: &ApiSession,
        ws_url: &str,
        node: Option<String>,
    ) -> anyhow::Result<Agent> {
        let who = user.user["email"].as_str().unwrap_or("?").to_string();
        let socket = AgentSocket::connect(ws_url, &user.token, Some(Duration::from_secs(2)))
            .await
            .with_context(|| format!("agent of {who} at {ws_url}"))?;
        let node = node
            .or_else(|| served_by(&socket.handshake_headers))
            .unwrap_or_else(|| "?".into());
        Ok(Agent {
            who,
            node,
            socket,
            inbox: Vec::new(),
        })
    }

    fn pump(&mut self) {
        self.inbox.extend(self.socket.drain_received_at());
    }

    /// Waits for a message matching `pred` (looking at everything received so far, too).
    async fn wait_for(
        &mut self,
        timeout: Duration,
        pred: impl Fn(&Value) -> bool,
    ) -> Option<(Instant, Value)> {
        let deadline = Instant::now() + timeout;
        loop {
            self.pump();
            if let Some(hit) = self.inbox.iter().find(|(_, m)| pred(m)) {
                return Some(hit.clone());
            }
            if Instant::now() >= deadline {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }

    /// How many received messages match `pred`.
    fn count(&mut self, pred: impl Fn(&Value) -> bool) -> usize {
        self.pump();
        self.inbox.iter().filter(|(_, m)| pred(m)).count()
    }
}

fn is_session_ended(m: &Value, session_id: i64) -> bool {
    m["type"] == "session_ended" && m["session_id"] == session_id
}

fn is_config_version(m: &Value, version: i64) -> bool {
    m["type"] == "config_updated" && m["config_version"] == version
}

fn online(status: &str) -> bool {
    status != "offline"
}

fn offline(status: &str) -> bool {
    status == "offline"
}

/// The first few of a long list, and how many more there are.
fn listing(items: &[String]) -> String {
    const SHOWN: usize = 8;
    let mut out = items
        .iter()
        .take(SHOWN)
        .cloned()
        .collect::<Vec<_>>()
        .join("; ");
    if items.len() > SHOWN {
        out.push_str(&format!("; … and {} more", items.len() - SHOWN));
    }
    out
}

/// "p50 X ms, p99 Y ms, max Z ms" of a set of latencies.
fn summary(latencies: &[Duration]) -> String {
    if latencies.is_empty() {
        return "no samples".into();
    }
    let mut ms: Vec<f64> = latencies.iter().map(|d| d.as_secs_f64() * 1e3).collect();
    ms.sort_by(f64::total_cmp);
    let at = |q: f64| ms[((ms.len() - 1) as f64 * q).round() as usize];
    format!(
        "p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        at(0.5),
        at(0.99),
        ms[ms.len() - 1]
    )
}

/// Node `i`'s `/healthz` must be the cluster JSON; the value of `field(body)`.
async fn health_field<T>(
    cluster: &Cluster,
    i: usize,
    what: &str,
    field: impl Fn(&e2e::cluster::Healthz) -> Option<T>,
) -> anyhow::Result<T> {
    let health = cluster.healthz(i).await?;
    match field(&health) {
        Some(v) => Ok(v),
        None => bail!(
            "/healthz of {} has no {what} (the cluster /healthz of SPEC §13 is missing): {health}",
            cluster.node_name(i)
        ),
    }
}

/// Whether every node's `/healthz` answers `status` now.
async fn every_health(c: &Cluster, status: u16) -> anyhow::Result<bool> {
    for i in 1..=c.len() {
        if c.healthz(i).await?.http_status != status {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Whether node `watcher` lists `node` as alive in its `/healthz` (an error if it lists none).
async fn sees_alive(c: &Cluster, watcher: usize, node: &str) -> anyhow::Result<bool> {
    health_field(c, watcher, &format!("cluster.nodes[{node}].alive"), |h| {
        h.sees_alive(node)
    })
    .await
}

/// Whether every node's `/healthz` says `bus.listening: true`.
async fn every_listening(c: &Cluster) -> anyhow::Result<bool> {
    for i in 1..=c.len() {
        let listening = health_field(c, i, "bus.listening", |h| {
            h.body["bus"]["listening"].as_bool()
        })
        .await?;
        if !listening {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Polls `probe` every 100 ms until it holds; how long it took.
async fn until<F, Fut>(what: &str, timeout: Duration, mut probe: F) -> anyhow::Result<Duration>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = anyhow::Result<bool>>,
{
    let started = Instant::now();
    let mut last_error = None;
    loop {
        match probe().await {
            Ok(true) => return Ok(started.elapsed()),
            Ok(false) => {}
            Err(e) => last_error = Some(e),
        }
        if started.elapsed() >= timeout {
            return Err(match last_error {
                Some(e) => e.context(format!("timed out after {timeout:?} waiting for {what}")),
                None => anyhow::anyhow!("timed out after {timeout:?} waiting for {what}"),
            });
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

mod database_faults;
mod failover;
mod force_end;
mod harness;
mod policy;
mod presence;
mod webhooks;

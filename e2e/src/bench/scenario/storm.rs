//! The reconnect storm: `agents` desktop agents (`presence-agent swarm --events`, the agent's
//! own socket code with its backoff and jitter) connected to the hub, the hub restarted
//! (SIGTERM: every socket told 1012), and every agent's way back timed until its `hello` —
//! which must be its own user's and carry its running session.

use anyhow::Context;
use serde::Serialize;
use std::time::Duration;

use crate::load::manifest::Account;
use crate::swarm::{AgentLog, Swarm};
use crate::{Hub, HubOptions};

/// How long the agents get to come back before the missing ones count as lost.
const BACK_WITHIN: Duration = Duration::from_secs(60);

#[derive(Debug, Clone, Serialize)]
pub struct StormResult {
    pub agents: usize,
    /// Agents whose socket was closed with 1012 "service restart".
    pub told_1012: usize,
    /// Agents back with a correct `hello` within [`BACK_WITHIN`].
    pub back: usize,
    /// Agents back with another user's hello or another running session than before.
    pub wrong_hello: usize,
    /// SIGTERM → the hub process gone.
    pub stop_ms: i64,
    /// The hub gone → serving again (`/healthz`).
    pub restart_ms: i64,
    /// The hub serving again → 99 % of the agents back.
    pub p99_after_up_s: f64,
    /// SIGTERM → 99 % of the agents back.
    pub p99_after_sigterm_s: f64,
    /// SIGTERM → the last agent back (when all came back).
    pub all_after_sigterm_s: Option<f64>,
}

impl StormResult {
    /// Agents that did not come back at all.
    pub fn lost(&self) -> usize {
        self.agents - self.back - self.wrong_hello
    }
}

fn unix_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// The moment (unix ms) by which `share` of `times` had happened.
fn quantile(times: &mut [i64], share: f64) -> Option<i64> {
    if times.is_empty() {
        return None;
    }
    times.sort_unstable();
    let rank = ((times.len() as f64 * share).ceil() as usize).clamp(1, times.len());
    Some(times[rank - 1])
}

/// Connects one agent per account, restarts `hub` with `options` and measures the way back.
/// Returns the restarted hub.
pub async fn run(
    hub: Hub,
    options: &HubOptions,
    accounts: &[&Account],
    password: &str,
) -> anyhow::Result<(Hub, StormResult)> {
    let first = accounts.first().context("the storm needs accounts")?;
    let tokens: Vec<String> = accounts.iter().map(|a| a.token.clone()).collect();
    let mut swarm = Swarm::start(
        "bench-storm-swarm",
        &hub.url,
        &first.email,
        password,
        &tokens,
        600,
    )
    .await?;
    swarm
        .wait_until(
            Duration::from_secs(180),
            "every storm agent's first hello",
            |logs| logs.iter().all(|l| l.hello_count() >= 1),
        )
        .await?;
    // A few heartbeats' worth of calm, as in a fleet that has been up for a while.
    tokio::time::sleep(Duration::from_secs(3)).await;

    let sigterm_at = unix_ms();
    let stopped = tokio::task::spawn_blocking(move || hub.stop_for_restart()).await??;
    let down_at = unix_ms();
    let hub = stopped.start(options).await?;
    let up_at = unix_ms();
    let back = |l: &AgentLog| l.hello_count() >= 2;
    // Lost agents are this scenario's finding, not an error: counted below.
    let _ = swarm
        .wait_until(BACK_WITHIN, "every storm agent back", |logs| {
            logs.iter().all(back)
        })
        .await;
    let logs = swarm.logs();
    drop(swarm);

    let told_1012 = logs
        .iter()
        .filter(|l| {
            l.first_close_reason()
                .is_some_and(|r| r.contains("1012 service restart"))
        })
        .count();
    let mut returns = Vec::new();
    let mut wrong_hello = 0;
    for (log, account) in logs.iter().zip(accounts) {
        let hellos = log.hellos();
        let (Some(&(_, _, before)), Some(&(at, user_id, session_id))) =
            (hellos.first(), hellos.get(1))
        else {
            continue;
        };
        // The same user, and the session that ran before the restart (the force-end scenario
        // ended the seeded sessions of some of these accounts).
        if user_id != account.user_id || session_id != before {
            wrong_hello += 1;
            continue;
        }
        returns.push(at);
    }
    let back = returns.len();
    let p99 = if back * 100 >= accounts.len() * 99 {
        quantile(&mut returns, 0.99 * accounts.len() as f64 / back as f64)
    } else {
        None
    };
    let all = (back == accounts.len())
        .then(|| quantile(&mut returns, 1.0))
        .flatten();
    let seconds =
        |from: i64, to: Option<i64>| to.map_or(f64::INFINITY, |t| (t - from) as f64 / 1000.0);
    Ok((
        hub,
        StormResult {
            agents: accounts.len(),
            told_1012,
            back,
            wrong_hello,
            stop_ms: down_at - sigterm_at,
            restart_ms: up_at - down_at,
            p99_after_up_s: seconds(up_at, p99),
            p99_after_sigterm_s: seconds(sigterm_at, p99),
            all_after_sigterm_s: all.map(|t| (t - sigterm_at) as f64 / 1000.0),
        },
    ))
}

//! A policy change → every agent of the organization receives `config_updated`. The agents live
//! in the worker processes; their receive times and the request's send time are on the same
//! system-wide monotonic clock.

use anyhow::{bail, Context};
use serde::Serialize;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

use crate::load::clock::{now_ns, ns_to_ms};
use crate::load::fleet::Fleet;
use crate::load::stats::{summarize, Summary};

#[derive(Debug, Clone, Serialize)]
pub struct PolicyRun {
    pub config_version: i64,
    pub received: usize,
    /// Request sent → the last agent received it.
    pub last_ms: f64,
    pub per_agent: Summary,
}

#[derive(Debug, Clone, Serialize)]
pub struct PolicyResult {
    pub agents: usize,
    pub runs: Vec<PolicyRun>,
}

impl PolicyResult {
    /// The median over the runs of the time until the last agent had it.
    pub fn median_last_ms(&self) -> f64 {
        let mut v: Vec<f64> = self.runs.iter().map(|r| r.last_ms).collect();
        v.sort_by(f64::total_cmp);
        v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
    }
}

/// Changes the screenshot interval `changes` times, waiting each time for all `agents`.
pub async fn run(
    http: &reqwest::Client,
    base: &str,
    owner_token: &str,
    fleet: &Fleet,
    agents: usize,
    changes: usize,
) -> anyhow::Result<PolicyResult> {
    let mut runs = Vec::new();
    for _ in 0..changes {
        let current: Value = http
            .get(format!("{base}/api/config"))
            .bearer_auth(owner_token)
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        let interval = current["config"]["screenshot_interval_seconds"]
            .as_i64()
            .context("config without screenshot_interval_seconds")?;
        let next = if interval == 600 { 900 } else { 600 };
        let sent = now_ns();
        let res = http
            .put(format!("{base}/api/policy"))
            .bearer_auth(owner_token)
            .json(&json!({ "screenshot_interval_seconds": next }))
            .send()
            .await?;
        if res.status() != 200 {
            bail!("PUT /api/policy: HTTP {}", res.status());
        }
        let saved: Value = res.json().await?;
        let version = saved["config_version"]
            .as_i64()
            .context("policy answer without config_version")?;
        let waiting = Instant::now();
        let mut times = fleet.config_updated_at(version);
        while times.len() < agents && waiting.elapsed() < Duration::from_secs(30) {
            tokio::time::sleep(Duration::from_millis(50)).await;
            times = fleet.config_updated_at(version);
        }
        let latencies: Vec<f64> = times
            .iter()
            .map(|t| ns_to_ms(t.saturating_sub(sent)))
            .collect();
        runs.push(PolicyRun {
            config_version: version,
            received: times.len(),
            last_ms: latencies.iter().copied().fold(0.0, f64::max),
            per_agent: summarize(latencies),
        });
        // Let the workers' report of this change settle before the next.
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    Ok(PolicyResult { agents, runs })
}

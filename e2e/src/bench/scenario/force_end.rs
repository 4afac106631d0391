//! Admin force-ends under full load: from the HTTP request `POST /api/sessions/{id}/end`
//! until the user's agent socket (held by the coordinator) receives `session_ended`.

use serde::Serialize;
use serde_json::json;
use std::time::Duration;

use crate::bench::probes::{wait_until, Probes};
use crate::load::clock::{now_ns, ns_to_ms};
use crate::load::stats::{summarize, Summary};

#[derive(Debug, Clone, Serialize)]
pub struct ForceEndResult {
    pub requested: usize,
    pub received: usize,
    /// Request sent → `session_ended` received by the agent.
    pub push: Summary,
    /// Request sent → HTTP response read.
    pub http: Summary,
}

/// Ends each measured agent's session in turn, `gap` apart, through the hub at `base`.
pub async fn run(
    http: &reqwest::Client,
    base: &str,
    admin_token: &str,
    probes: &Probes,
    measured: &[usize],
    gap: Duration,
) -> anyhow::Result<ForceEndResult> {
    let targets: Vec<(usize, String)> = measured.iter().map(|&i| (i, base.to_string())).collect();
    run_on(http, admin_token, probes, &targets, gap).await
}

/// Ends each measured agent's session in turn, `gap` apart: `(probe index, base URL of the hub
/// that receives the admin's request)` — in a cluster, another hub than the agent's.
pub async fn run_on(
    http: &reqwest::Client,
    admin_token: &str,
    probes: &Probes,
    targets: &[(usize, String)],
    gap: Duration,
) -> anyhow::Result<ForceEndResult> {
    let mut push = Vec::new();
    let mut http_ms = Vec::new();
    for (i, base) in targets {
        let i = *i;
        let Some(session_id) = probes.sockets[i].spec.session_id else {
            continue;
        };
        let sent = now_ns();
        let res = http
            .post(format!("{base}/api/sessions/{session_id}/end"))
            .bearer_auth(admin_token)
            .json(&json!({ "reason": "benchmark force-end" }))
            .send()
            .await?;
        let status = res.status();
        let _ = res.bytes().await?;
        http_ms.push(ns_to_ms(now_ns() - sent));
        if status != 200 {
            anyhow::bail!("force-end of session {session_id}: HTTP {status}");
        }
        let arrived = wait_until(Duration::from_secs(5), || {
            probes
                .observer
                .log()
                .session_ended
                .contains_key(&session_id)
        })
        .await;
        if arrived {
            if let Some(at) = probes.observer.log().session_ended.get(&session_id) {
                push.push(ns_to_ms(at.saturating_sub(sent)));
            }
        }
        tokio::time::sleep(gap).await;
    }
    Ok(ForceEndResult {
        requested: targets.len(),
        received: push.len(),
        push: summarize(push),
        http: summarize(http_ms),
    })
}

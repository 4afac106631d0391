//! A hub dies: SIGKILL, no goodbye. Its users' agents (worker sockets straight to it) are cut
//! and do not reconnect, so they must turn offline on the dashboards of the other hubs once
//! those declare it dead (its heartbeat row silent past `HUB_NODE_LEASE_MS`). Measured from
//! just before the kill to each `presence_diff` saying `offline`, for every watched user of
//! the killed hub at every watching tab on a surviving hub; users on the surviving hubs must
//! not turn offline.

use anyhow::bail;
use serde::Serialize;
use std::collections::HashSet;
use std::time::{Duration, Instant};

use crate::bench::probes::Probes;
use crate::load::clock::{now_ns, ns_to_ms};
use crate::load::stats::{summarize, Summary};
use crate::Cluster;

#[derive(Debug, Clone, Serialize)]
pub struct FailoverResult {
    pub killed: String,
    /// Users whose agent was on the killed hub.
    pub users: usize,
    /// Dashboard tabs on the surviving hubs (name of the hub of each).
    pub watching_tabs: Vec<String>,
    /// Of `users`, how many the watching tabs had seen online before the kill.
    pub seen_online_before: usize,
    /// (tab, user) pairs expected to turn offline, and those that did in time.
    pub expected: usize,
    pub received: usize,
    /// Kill → `presence_diff` `offline` at a watching tab, over every pair.
    pub offline: Summary,
    /// Kill → a surviving hub's `/healthz` no longer lists the killed one alive.
    pub declared_dead_ms: Option<f64>,
    /// Users on the surviving hubs that a watching tab was told went offline (should be 0).
    pub others_offline: usize,
}

/// Kills hub `kill` and waits (at most `timeout`) until every watching tab among `tabs` has
/// seen every user of `victims` offline; `bystanders` are users on the other hubs.
pub async fn run(
    cluster: &mut Cluster,
    probes: &Probes,
    tabs: &[usize],
    victims: &[i64],
    bystanders: &[i64],
    kill: usize,
    timeout: Duration,
) -> anyhow::Result<FailoverResult> {
    let killed = cluster.node_name(kill);
    let watchers: Vec<(usize, String)> = tabs
        .iter()
        .filter_map(|&t| probes.node_of(t).map(|node| (t, node)))
        .filter(|(_, node)| *node != killed)
        .collect();
    if watchers.is_empty() {
        bail!("no watching tab is on a hub other than {killed}: HAProxy put them all there");
    }
    if victims.is_empty() {
        bail!("no watched user is on {killed}");
    }
    let watcher_set: HashSet<usize> = watchers.iter().map(|(t, _)| *t).collect();
    let seen_online_before = {
        let log = probes.observer.log();
        victims
            .iter()
            .filter(|v| {
                log.diffs
                    .get(v)
                    .is_some_and(|d| d.iter().any(|(t, _)| watcher_set.contains(t)))
                    && !log.offline.contains_key(v)
            })
            .count()
    };
    let survivor = (1..=cluster.len()).find(|&i| i != kill).unwrap_or(1);

    let killed_at = now_ns();
    cluster.kill9(kill);
    eprintln!(
        "[bench] killed {killed}; watching from {} tabs",
        watchers.len()
    );

    // (tab, user) → when the tab heard that the user went offline.
    let offline_times = || -> Vec<u64> {
        let log = probes.observer.log();
        let mut times = Vec::new();
        for v in victims {
            let seen = log.offline.get(v);
            for (tab, _) in &watchers {
                let first = seen
                    .into_iter()
                    .flatten()
                    .filter(|(t, at)| t == tab && *at >= killed_at)
                    .map(|(_, at)| *at)
                    .min();
                times.extend(first);
            }
        }
        times
    };
    let expected = victims.len() * watchers.len();
    let mut declared_dead_ms = None;
    let started = Instant::now();
    loop {
        if declared_dead_ms.is_none() {
            if let Ok(h) = cluster.healthz(survivor).await {
                if h.sees_alive(&killed) == Some(false) {
                    declared_dead_ms = Some(ns_to_ms(now_ns() - killed_at));
                }
            }
        }
        let done = offline_times().len() >= expected;
        if (done && declared_dead_ms.is_some()) || started.elapsed() > timeout {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Anyone on the surviving hubs wrongly dropped would show by now.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let others_offline = {
        let log = probes.observer.log();
        bystanders
            .iter()
            .filter(|b| {
                log.offline.get(b).is_some_and(|d| {
                    d.iter()
                        .any(|(t, at)| watcher_set.contains(t) && *at >= killed_at)
                })
            })
            .count()
    };
    let times = offline_times();
    Ok(FailoverResult {
        killed,
        users: victims.len(),
        watching_tabs: watchers.into_iter().map(|(_, node)| node).collect(),
        seen_online_before,
        expected,
        received: times.len(),
        offline: summarize(
            times
                .into_iter()
                .map(|at| ns_to_ms(at - killed_at))
                .collect(),
        ),
        declared_dead_ms,
        others_offline,
    })
}

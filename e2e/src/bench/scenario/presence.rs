//! One user's activity → `presence_diff` at every open dashboard. Each actor is a member whose
//! tab is connected and idle; it sends `activity` once (turning active), and every viewer tab
//! (supervisors, held by the coordinator) must receive a diff about that user.

use serde::Serialize;
use std::time::Duration;

use crate::bench::probes::{wait_until, Probes};
use crate::load::clock::ns_to_ms;
use crate::load::stats::{summarize, Summary};

#[derive(Debug, Clone, Serialize)]
pub struct PresenceResult {
    pub tabs: usize,
    pub actors: usize,
    /// Diffs expected (tabs × actors) and received.
    pub expected: usize,
    pub received: usize,
    /// `activity` sent → `presence_diff` received, over every tab and actor.
    pub latency: Summary,
}

pub async fn run(
    probes: &Probes,
    actors: &[usize],
    viewers: &[usize],
    gap: Duration,
) -> anyhow::Result<PresenceResult> {
    let mut latencies = Vec::new();
    for &actor in actors {
        let user_id = probes.sockets[actor].spec.user_id;
        let sent = probes.kick(actor).await?;
        let seen_by = |log: &crate::bench::probes::ProbeLog| -> Vec<(usize, u64)> {
            let mut first = std::collections::HashMap::new();
            for &(tab, at) in log.diffs.get(&user_id).into_iter().flatten() {
                if at >= sent {
                    first.entry(tab).or_insert(at);
                }
            }
            viewers
                .iter()
                .filter_map(|v| first.get(v).map(|at| (*v, *at)))
                .collect()
        };
        wait_until(Duration::from_secs(5), || {
            seen_by(&probes.observer.log()).len() >= viewers.len()
        })
        .await;
        let seen = seen_by(&probes.observer.log());
        latencies.extend(seen.iter().map(|(_, at)| ns_to_ms(at - sent)));
        tokio::time::sleep(gap).await;
    }
    Ok(PresenceResult {
        tabs: viewers.len(),
        actors: actors.len(),
        expected: viewers.len() * actors.len(),
        received: latencies.len(),
        latency: summarize(latencies),
    })
}

//! What the cluster benchmark seeds, and where each socket goes: which hub each worker socket
//! connects to (evenly spread), and the coordinator's measured sockets (through HAProxy, or
//! straight to the reading hub for the bus ceiling).

use anyhow::{bail, ensure};
use shared::Role;

use super::ClusterBenchOptions;
use crate::bench::probes::ProbeSpec;
use crate::load::connect::SocketKind;
use crate::load::manifest::{Account, Manifest};
use crate::load::seed::{GroupPlan, OrgPlan};
use crate::load::worker::SocketSpec;

/// 10,000 agents; its policy changes.
pub const POLICY_ORG: &str = "policy";
/// The force-ended agents and the filler agents.
pub const LOAD_ORG: &str = "load";
/// Users spread over the hubs and the supervisors whose dashboards watch them.
pub const WATCHED_ORG: &str = "watched";
/// The bus ceiling's users, all on the last hub.
pub const BUS_ORG: &str = "bus";
/// Supervisors whose tabs watch the fail-over.
const SUPERVISORS: usize = 3;

/// Sockets through HAProxy: the force-ended agents and the watching tabs.
fn balanced(o: &ClusterBenchOptions) -> usize {
    o.force_ends + o.watch_tabs
}

/// Agents of the `load` organization in the workers: whatever the scenarios leave of `--sockets`.
pub fn filler_agents(o: &ClusterBenchOptions) -> anyhow::Result<usize> {
    ensure!(
        o.nodes >= 3,
        "--nodes {}: the cluster benchmark needs at least 3 hubs",
        o.nodes
    );
    ensure!(o.watch_tabs > 0, "--watch-tabs must be at least 1");
    ensure!(
        o.watched_users >= o.nodes,
        "--watched-users must put at least one user on every hub"
    );
    let measured = o.policy_agents + balanced(o) + o.watched_users + o.bus_users;
    if o.sockets < measured {
        bail!(
            "--sockets {} is fewer than the scenarios need ({measured})",
            o.sockets
        );
    }
    Ok(o.sockets - measured)
}

pub fn plans(o: &ClusterBenchOptions) -> anyhow::Result<Vec<OrgPlan>> {
    Ok(vec![
        OrgPlan {
            label: POLICY_ORG.into(),
            groups: vec![GroupPlan::new("agents", Role::Member, o.policy_agents)],
        },
        OrgPlan {
            label: LOAD_ORG.into(),
            groups: vec![
                GroupPlan::new("measured", Role::Member, o.force_ends).with_sessions(),
                GroupPlan::new("agents", Role::Member, filler_agents(o)?),
            ],
        },
        OrgPlan {
            label: WATCHED_ORG.into(),
            groups: vec![
                GroupPlan::new("viewers", Role::Supervisor, SUPERVISORS),
                GroupPlan::new("people", Role::Member, o.watched_users),
            ],
        },
        OrgPlan {
            label: BUS_ORG.into(),
            groups: vec![GroupPlan::new("agents", Role::Member, o.bus_users)],
        },
    ])
}

/// The workers' sockets per hub (index 0 is hub-1), and the watched users per hub.
pub struct WorkerLayout {
    pub sockets: Vec<Vec<SocketSpec>>,
    /// User ids of the `watched` organization whose agent is on each hub.
    pub watched: Vec<Vec<i64>>,
}

fn agent(a: &Account) -> SocketSpec {
    SocketSpec {
        kind: SocketKind::Agent,
        token: a.token.clone(),
    }
}

/// Deals the policy agents and the watched users round-robin over the hubs, then the filler
/// agents to whichever hub holds the fewest sockets so far, counting the measured ones (those
/// through HAProxy a share each, the bus users on the last hub): every hub ends with the same
/// count, give or take one.
pub fn workers(o: &ClusterBenchOptions, m: &Manifest) -> anyhow::Result<WorkerLayout> {
    let n = o.nodes;
    let mut sockets: Vec<Vec<SocketSpec>> = vec![Vec::new(); n];
    let mut watched: Vec<Vec<i64>> = vec![Vec::new(); n];
    for (i, a) in m.org(POLICY_ORG)?.group("agents").into_iter().enumerate() {
        sockets[i % n].push(agent(a));
    }
    for (i, a) in m.org(WATCHED_ORG)?.group("people").into_iter().enumerate() {
        sockets[i % n].push(agent(a));
        watched[i % n].push(a.user_id);
    }
    let share = balanced(o) as f64 / n as f64;
    let mut load: Vec<f64> = sockets.iter().map(|s| s.len() as f64 + share).collect();
    load[n - 1] += o.bus_users as f64;
    for a in m.org(LOAD_ORG)?.group("agents") {
        let (least, _) = load
            .iter()
            .enumerate()
            .min_by(|x, y| x.1.total_cmp(y.1))
            .unwrap_or((0, &0.0));
        sockets[least].push(agent(a));
        load[least] += 1.0;
    }
    Ok(WorkerLayout { sockets, watched })
}

/// The coordinator's sockets through HAProxy: the force-ended agents, then the watching tabs.
pub struct BalancedProbes {
    pub specs: Vec<ProbeSpec>,
    pub force_ended: Vec<usize>,
    pub tabs: Vec<usize>,
}

pub fn balanced_probes(o: &ClusterBenchOptions, m: &Manifest) -> anyhow::Result<BalancedProbes> {
    let mut specs: Vec<ProbeSpec> = m
        .org(LOAD_ORG)?
        .group("measured")
        .into_iter()
        .map(|a| ProbeSpec {
            kind: SocketKind::Agent,
            token: a.token.clone(),
            user_id: a.user_id,
            session_id: a.session_id,
            periodic: true,
        })
        .collect();
    let force_ended: Vec<usize> = (0..specs.len()).collect();
    let viewers = m.org(WATCHED_ORG)?.group("viewers");
    for i in 0..o.watch_tabs {
        let v = viewers[i % viewers.len()];
        specs.push(ProbeSpec {
            kind: SocketKind::Tab,
            token: v.token.clone(),
            user_id: v.user_id,
            session_id: None,
            periodic: true,
        });
    }
    let tabs: Vec<usize> = (force_ended.len()..specs.len()).collect();
    Ok(BalancedProbes {
        specs,
        force_ended,
        tabs,
    })
}

/// The bus ceiling's agents (straight to the last hub), in the order of
/// [`Manifest`]'s `bus` organization.
pub fn bus_probes(m: &Manifest) -> anyhow::Result<Vec<ProbeSpec>> {
    Ok(m.org(BUS_ORG)?
        .group("agents")
        .into_iter()
        .map(|a| ProbeSpec {
            kind: SocketKind::Agent,
            token: a.token.clone(),
            user_id: a.user_id,
            session_id: None,
            periodic: true,
        })
        .collect())
}

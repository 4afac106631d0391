//! What the benchmark seeds and how its sockets are split between the coordinator (measured)
//! and the workers (bulk load).

use anyhow::bail;
use shared::Role;

use super::probes::ProbeSpec;
use super::BenchOptions;
use crate::load::connect::SocketKind;
use crate::load::manifest::{Account, Manifest};
use crate::load::seed::{GroupPlan, OrgPlan};
use crate::load::worker::SocketSpec;

pub const POLICY_ORG: &str = "policy";
pub const DASHBOARD_ORG: &str = "dashboard";
pub const LOAD_ORG: &str = "load";

/// Agents of the `load` organization held by the workers.
pub fn load_agents(o: &BenchOptions) -> anyhow::Result<usize> {
    let measured = o.policy_agents + o.viewer_tabs + o.actors + o.force_ends;
    if o.sockets < measured {
        bail!(
            "--sockets {} is fewer than the scenarios need ({measured})",
            o.sockets
        );
    }
    if o.dashboard_users < o.viewers + o.actors + 2 {
        bail!("--dashboard-users must cover the viewers, actors, owner and admin");
    }
    Ok(o.sockets - measured)
}

pub fn plans(o: &BenchOptions) -> anyhow::Result<Vec<OrgPlan>> {
    let others = o.dashboard_users - o.viewers - o.actors - 2;
    Ok(vec![
        OrgPlan {
            label: POLICY_ORG.into(),
            groups: vec![GroupPlan::new("agents", Role::Member, o.policy_agents)],
        },
        OrgPlan {
            label: DASHBOARD_ORG.into(),
            groups: vec![
                GroupPlan::new("viewers", Role::Supervisor, o.viewers),
                GroupPlan::new("actors", Role::Member, o.actors),
                GroupPlan::new("others", Role::Member, others),
            ],
        },
        OrgPlan {
            label: LOAD_ORG.into(),
            groups: vec![
                GroupPlan::new("measured", Role::Member, o.force_ends).with_sessions(),
                GroupPlan::new("agents", Role::Member, load_agents(o)?),
            ],
        },
    ])
}

/// The coordinator's sockets: viewer tabs, then actor tabs, then measured agents; and which
/// indices are which.
pub struct ProbeLayout {
    pub specs: Vec<ProbeSpec>,
    pub viewers: Vec<usize>,
    pub actors: Vec<usize>,
    pub measured: Vec<usize>,
}

pub fn probes(o: &BenchOptions, m: &Manifest) -> anyhow::Result<ProbeLayout> {
    let dashboard = m.org(DASHBOARD_ORG)?;
    let load = m.org(LOAD_ORG)?;
    let viewers = dashboard.group("viewers");
    let mut specs = Vec::new();
    for i in 0..o.viewer_tabs {
        let v = viewers[i % viewers.len()];
        specs.push(ProbeSpec {
            kind: SocketKind::Tab,
            token: v.token.clone(),
            user_id: v.user_id,
            session_id: None,
            periodic: true,
        });
    }
    let viewer_idx: Vec<usize> = (0..specs.len()).collect();
    for a in dashboard.group("actors") {
        specs.push(ProbeSpec {
            kind: SocketKind::Tab,
            token: a.token.clone(),
            user_id: a.user_id,
            session_id: None,
            periodic: false,
        });
    }
    let actor_idx: Vec<usize> = (viewer_idx.len()..specs.len()).collect();
    for a in load.group("measured") {
        specs.push(ProbeSpec {
            kind: SocketKind::Agent,
            token: a.token.clone(),
            user_id: a.user_id,
            session_id: a.session_id,
            periodic: true,
        });
    }
    let measured_idx: Vec<usize> = (viewer_idx.len() + actor_idx.len()..specs.len()).collect();
    Ok(ProbeLayout {
        specs,
        viewers: viewer_idx,
        actors: actor_idx,
        measured: measured_idx,
    })
}

/// The workers' sockets: every agent of `policy` and the `agents` group of `load`.
pub fn worker_sockets(m: &Manifest) -> anyhow::Result<Vec<SocketSpec>> {
    let agents = m
        .org(POLICY_ORG)?
        .group("agents")
        .into_iter()
        .chain(m.org(LOAD_ORG)?.group("agents"));
    Ok(agents
        .map(|a| SocketSpec {
            kind: SocketKind::Agent,
            token: a.token.clone(),
        })
        .collect())
}

/// The reconnect storm's agents: the `load` organization's measured agents (running
/// sessions, which their `hello` must carry again), then the `policy` organization's.
pub fn storm_accounts(m: &Manifest, count: usize) -> anyhow::Result<Vec<&Account>> {
    let accounts: Vec<&Account> = m
        .org(LOAD_ORG)?
        .group("measured")
        .into_iter()
        .chain(m.org(POLICY_ORG)?.group("agents"))
        .take(count)
        .collect();
    if accounts.len() < count {
        bail!(
            "--storm-agents {count}: only {} agents are seeded for it (--force-ends + --policy-agents)",
            accounts.len()
        );
    }
    Ok(accounts)
}

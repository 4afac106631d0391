//! What the hub needs to know of an organization (policy, members, running sessions), read
//! from the store and handed over: every organization at start-up, and later one the hub has
//! not seen yet (made from the command line while it runs). The hub itself reads no database.

use std::sync::Arc;

use super::bus::Bus;
use super::MemberInfo;
use crate::hub::{GameContext, Hub, OrgDirectory, OrgHub, PolicyState};
use crate::store::{
    ms_to_time, OrgRow, PolicyRow, SessionRow, Store, StoreError, StoreResult, UserRow,
};

fn policy_state(p: &PolicyRow) -> PolicyState {
    PolicyState {
        version: p.config_version,
        config: p.config.clone(),
        updated_at: p.updated_at,
    }
}

/// What a directory reads besides users and sessions: statuses in force, who is on a server.
struct Contexts {
    statuses: Vec<(i64, shared::CustomStatus)>,
    on_servers: Vec<(i64, GameContext)>,
}

async fn contexts(store: &Store, org_id: i64) -> StoreResult<Contexts> {
    let statuses = store.list_statuses(org_id).await?;
    let on_servers = store
        .open_server_sessions_of_org(org_id)
        .await?
        .into_iter()
        .map(|s| {
            (
                s.user_id,
                GameContext {
                    server_id: s.server_id,
                    server_name: s.server_name,
                    since: ms_to_time(s.join_time),
                },
            )
        })
        .collect();
    Ok(Contexts {
        statuses,
        on_servers,
    })
}

fn directory(
    org: &OrgRow,
    policy: &PolicyRow,
    users: &[UserRow],
    running: &[SessionRow],
    contexts: Contexts,
) -> OrgDirectory {
    OrgDirectory {
        org_id: org.id,
        name: org.name.clone(),
        policy: policy_state(policy),
        members: users.iter().map(MemberInfo::from).collect(),
        running: running.iter().map(SessionRow::info).collect(),
        statuses: contexts.statuses,
        on_servers: contexts.on_servers,
    }
}

/// Loads every organization, its policy, its users (all offline) and running sessions. With
/// a cluster bus, each organization's event position is read first, so that the events
/// committed after this read are applied on top of it, and none before it twice.
pub async fn load_all(store: &Store, hub: &Hub, bus: Option<&Bus>) -> StoreResult<()> {
    let heads: std::collections::HashMap<i64, i64> = match bus {
        Some(_) => store.event_heads().await?.into_iter().collect(),
        None => Default::default(),
    };
    let policies = store.list_policies().await?;
    let users = store.all_users().await?;
    let running = store.active_sessions().await?;
    for org in store.list_orgs().await? {
        let Some(policy) = policies.iter().find(|p| p.org_id == org.id) else {
            return Err(StoreError::Corrupt(format!(
                "organization {} has no policy row",
                org.id
            )));
        };
        let members: Vec<UserRow> = users
            .iter()
            .filter(|u| u.org_id == org.id)
            .cloned()
            .collect();
        let sessions: Vec<SessionRow> = running
            .iter()
            .filter(|s| s.org_id == org.id)
            .cloned()
            .collect();
        if let Some(bus) = bus {
            bus.start_org_from(org.id, heads.get(&org.id).copied().unwrap_or(0));
        }
        let contexts = contexts(store, org.id).await?;
        hub.install_org(directory(&org, policy, &members, &sessions, contexts));
        if let Some(bus) = bus {
            bus.org_ready(org.id);
        }
    }
    Ok(())
}

/// The hub's organization of `user`, loading it if this hub has not seen it (or the user)
/// yet.
pub async fn org_for(
    store: &Store,
    hub: &Hub,
    bus: Option<&Bus>,
    user: &UserRow,
) -> StoreResult<Arc<OrgHub>> {
    if let Some(org) = hub.org(user.org_id) {
        if !org.has_member(user.id) {
            hub.add_member(&org, &MemberInfo::from(user));
        }
        return Ok(org);
    }
    if let Some(bus) = bus {
        let head = store
            .event_heads()
            .await?
            .into_iter()
            .find(|(org_id, _)| *org_id == user.org_id);
        bus.start_org_from(user.org_id, head.map_or(0, |(_, seq)| seq));
    }
    let directory = read(store, user.org_id)
        .await?
        .ok_or_else(|| StoreError::Corrupt(format!("user {} has no organization", user.id)))?;
    let installed = hub.install_org(directory);
    if let Some(bus) = bus {
        bus.org_ready(user.org_id);
    }
    if !installed.has_member(user.id) {
        hub.add_member(&installed, &MemberInfo::from(user));
    }
    Ok(installed)
}

/// One organization's directory as the database holds it now.
pub async fn read(store: &Store, org_id: i64) -> StoreResult<Option<OrgDirectory>> {
    let Some(org) = store.get_org(org_id).await? else {
        return Ok(None);
    };
    let policy = store.get_policy(org_id).await?;
    let users = store.org_users(org_id).await?;
    let running = store.active_sessions_of_org(org_id).await?;
    let contexts = contexts(store, org_id).await?;
    Ok(Some(directory(&org, &policy, &users, &running, contexts)))
}

//! The in-memory hub: every organization's members, their presence, and every open socket.
//! Only the hub writes to sockets (through each connection's bounded queue).

mod activity;
pub mod activity_writer;
mod fanout;
mod game_servers;
mod keepalive;
mod org;
pub mod peer;
mod policy;
mod presence;
mod sessions;
#[cfg(test)]
mod test_support;
pub mod writer;

pub use activity::Heartbeat;
pub use org::{Member, OrgHub, PolicyState, TrackingSwitches};
pub use peer::{clock_ms, ConnControl, ConnEvent, Outgoing, Peer, PeerKind};

use dashmap::DashMap;
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::Arc;

use crate::metrics::Metrics;
use crate::store::{OrgRow, PolicyRow, SessionFilter, Store, StoreError, UserRow};
use activity_writer::ActivityWriter;
use writer::PresenceWriter;

/// Queue sizes: a tab gets the snapshot plus bursts of diffs; an agent gets few messages.
pub const TAB_QUEUE: usize = 128;
pub const AGENT_QUEUE: usize = 32;

/// How far the last activity may advance before it is pushed even without a status change.
pub const ACTIVITY_PUSH_MS: i64 = 30_000;

pub struct HubSettings {
    pub offline_grace_ms: i64,
    /// When set, replaces every organization's policy idle threshold (tests, demos).
    pub idle_threshold_override_ms: Option<i64>,
}

pub struct Hub {
    orgs: DashMap<i64, Arc<OrgHub>>,
    settings: HubSettings,
    pub metrics: Metrics,
    pub writer: PresenceWriter,
    /// Running sessions' activity from heartbeats, written coalesced.
    pub activity_writer: ActivityWriter,
    /// Set by [`Hub::close_all`]: sockets registered afterwards are closed at once with it.
    closing_code: AtomicU16,
}

/// A registered connection: the receiving end of its queue and its identity in the hub.
pub struct Registration {
    pub org: Arc<OrgHub>,
    pub conn_id: u64,
    pub kind: PeerKind,
    pub user_id: i64,
    /// The queue this connection writes from, and the hub's way to close it.
    pub control: Arc<ConnControl>,
}

impl Hub {
    pub fn new(settings: HubSettings, metrics: Metrics) -> Self {
        Hub {
            orgs: DashMap::new(),
            settings,
            writer: PresenceWriter::new(metrics.clone()),
            activity_writer: ActivityWriter::new(metrics.clone()),
            metrics,
            closing_code: AtomicU16::new(0),
        }
    }

    /// Loads every organization, its policy and its users (all offline).
    pub async fn load(&self, store: &Store) -> Result<(), StoreError> {
        let policies = store.list_policies().await?;
        for org in store.list_orgs().await? {
            let Some(policy) = policies.iter().find(|p| p.org_id == org.id) else {
                return Err(StoreError::Corrupt(format!(
                    "organization {} has no policy row",
                    org.id
                )));
            };
            self.install_org(&org, policy);
        }
        for user in store.all_users().await? {
            if let Some(org) = self.org(user.org_id) {
                org.upsert_member(&user);
            }
        }
        for session in store.active_sessions().await? {
            self.restore_active_session(session.info());
        }
        Ok(())
    }

    fn install_org(&self, org: &OrgRow, policy: &PolicyRow) -> Arc<OrgHub> {
        self.orgs
            .entry(org.id)
            .or_insert_with(|| Arc::new(OrgHub::new(org, policy, &self.settings)))
            .clone()
    }

    pub fn org(&self, org_id: i64) -> Option<Arc<OrgHub>> {
        self.orgs.get(&org_id).map(|o| o.clone())
    }

    /// The organization of `user`, loading it (and the user) if this hub has not seen them yet.
    pub async fn org_for(&self, store: &Store, user: &UserRow) -> Result<Arc<OrgHub>, StoreError> {
        let org = match self.org(user.org_id) {
            Some(org) => org,
            None => {
                let row = store.get_org(user.org_id).await?.ok_or_else(|| {
                    StoreError::Corrupt(format!("user {} has no organization", user.id))
                })?;
                let policy = store.get_policy(user.org_id).await?;
                let org = self.install_org(&row, &policy);
                for u in store.list_users(user.org_id, 1, 500).await?.0 {
                    org.upsert_member(&u);
                }
                let running = SessionFilter {
                    active: Some(true),
                    ..SessionFilter::default()
                };
                for session in store.list_sessions(user.org_id, &running, 1, 500).await?.0 {
                    self.restore_active_session(session.info());
                }
                org
            }
        };
        if !org.has_member(user.id) {
            org.upsert_member(user);
        }
        Ok(org)
    }

    /// Adds or refreshes a user in the directory; a deactivated user's sockets are closed.
    pub fn user_changed(&self, user: &UserRow) {
        if let Some(org) = self.org(user.org_id) {
            org.upsert_member(user);
            if !user.active {
                org.close_user_connections(user.id, shared::protocol::close_code::UNAUTHORIZED);
            }
            self.publish_member(&org, user.id);
        }
    }

    /// Closes every socket opened with a token that was just revoked.
    pub fn token_revoked(&self, org_id: i64, token_id: i64) {
        if let Some(org) = self.org(org_id) {
            org.close_token_connections(token_id, shared::protocol::close_code::UNAUTHORIZED);
        }
    }

    pub fn open_connections(&self) -> (usize, usize) {
        self.orgs
            .iter()
            .fold((0, 0), |(a, t), o| (a + o.agent_count(), t + o.tab_count()))
    }

    /// Asks every socket, and every one registered from now on, to close with `code`
    /// (shutdown: 1012).
    pub fn close_all(&self, code: u16) {
        self.closing_code.store(code, Ordering::SeqCst);
        for org in self.orgs.iter() {
            org.close_all(code);
        }
    }

    /// The code every socket is being closed with, once [`Hub::close_all`] was called.
    pub fn closing_code(&self) -> Option<u16> {
        match self.closing_code.load(Ordering::SeqCst) {
            0 => None,
            code => Some(code),
        }
    }

    pub fn orgs(&self) -> Vec<Arc<OrgHub>> {
        self.orgs.iter().map(|o| o.clone()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::test_support::{hub, member as user, org};
    use super::*;
    use shared::protocol::{close_code, ServerToTab};
    use shared::Role;

    fn drain(reg: &mut Registration) -> Vec<ServerToTab> {
        let mut out = Vec::new();
        while let Some(ConnEvent::Send(msg)) = reg.control.try_next() {
            out.push(serde_json::from_str(msg.text.as_str()).unwrap());
        }
        out
    }

    #[tokio::test]
    async fn a_tab_that_does_not_read_is_closed_instead_of_buffering() {
        let hub = hub();
        let org = org(&hub, 1);
        user(&org, 1, Role::Supervisor);
        user(&org, 2, Role::Member);
        let reg = hub.attach(&org, PeerKind::Tab, 1, Role::Supervisor, 10, |_| None);
        for _ in 0..TAB_QUEUE * 3 {
            hub.publish_member(&org, 2);
        }
        assert_eq!(
            reg.control.close_requested(),
            Some(close_code::TRY_AGAIN_LATER)
        );
        assert_eq!(hub.metrics.slow_consumers_dropped.get(), 1);
        assert_eq!(
            reg.control.queued(),
            TAB_QUEUE,
            "the queue never grows past its bound"
        );
    }

    #[tokio::test]
    async fn the_greeting_comes_first_and_changes_reach_only_the_right_tabs() {
        let hub = hub();
        let a = org(&hub, 1);
        let b = org(&hub, 2);
        user(&a, 1, Role::Admin);
        user(&a, 2, Role::Member);
        user(&a, 3, Role::Member);
        user(&b, 4, Role::Owner);
        let snapshot = |org: &OrgHub| {
            Hub::frame(&ServerToTab::PresenceSnapshot {
                users: org.snapshot_for(1, true),
            })
        };
        let mut admin = hub.attach(&a, PeerKind::Tab, 1, Role::Admin, 1, snapshot);
        let mut member = hub.attach(&a, PeerKind::Tab, 3, Role::Member, 3, |_| None);
        let mut other = hub.attach(&b, PeerKind::Tab, 4, Role::Owner, 4, |_| None);
        let first = drain(&mut admin);
        assert!(
            matches!(first.first(), Some(ServerToTab::PresenceSnapshot { users }) if users.len() == 3)
        );
        drain(&mut member);
        drain(&mut other);
        let agent = hub.attach(&a, PeerKind::Agent, 2, Role::Member, 2, |_| None);
        hub.activity(&a, 2, crate::store::now_ms());
        let seen = drain(&mut admin);
        assert!(seen.iter().any(|m| matches!(m, ServerToTab::PresenceDiff { changes } if changes[0].user_id == 2 && changes[0].status == shared::PresenceStatus::Active)));
        assert!(
            drain(&mut member).is_empty(),
            "a member does not see another member"
        );
        assert!(
            drain(&mut other).is_empty(),
            "another organization sees nothing"
        );
        hub.detach(&agent);
        hub.sweep();
        let seen = drain(&mut admin);
        assert!(seen.iter().any(|m| matches!(m, ServerToTab::PresenceDiff { changes } if changes[0].status == shared::PresenceStatus::Offline)));
    }
}

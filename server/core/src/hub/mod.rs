//! The in-memory hub: every organization's members, their presence, and every open socket.
//! Only the hub writes to sockets (through each connection's bounded queue).

mod activity;
mod announce;
mod apply;
mod close;
pub mod devices;
mod fanout;
mod keepalive;
mod org;
pub mod peer;
mod presence;
pub mod presence_hooks;
#[cfg(any(test, feature = "test-support"))]
pub mod test_support;
mod write_behind;

pub use activity::Heartbeat;
pub use announce::{LocalPresence, PresenceAnnouncer};
pub use close::CloseCause;
pub use devices::{DeviceReport, RENEW_EVERY};
pub use org::{GameContext, Member, OrgHub, PolicyState, TrackingSwitches};
pub use peer::{clock_ms, ConnControl, ConnEvent, Outgoing, Peer, PeerKind};
pub use write_behind::{Noted, WriteBehind};

use dashmap::DashMap;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Arc;

use crate::events::MemberInfo;
use crate::metrics::Metrics;
use shared::protocol::SessionInfo;

/// Queue sizes: a tab gets the snapshot plus bursts of diffs; an agent gets few messages.
pub const TAB_QUEUE: usize = 128;
pub const AGENT_QUEUE: usize = 32;

/// How far the last activity may advance before it is pushed even without a status change.
pub const ACTIVITY_PUSH_MS: i64 = 30_000;

pub struct HubSettings {
    pub offline_grace_ms: i64,
    /// When set, replaces every organization's policy idle threshold (tests, demos).
    pub idle_threshold_override_ms: Option<i64>,
    /// Open sockets one user may hold on this hub, agents and tabs together; the next one is
    /// closed with 1008 "too many connections".
    pub max_sockets_per_user: u32,
}

pub struct Hub {
    orgs: DashMap<i64, Arc<OrgHub>>,
    settings: HubSettings,
    pub metrics: Metrics,
    /// Where presence, heartbeats' activity and devices go to be stored (coalesced, beside
    /// the hub: see [`WriteBehind`]).
    write_behind: Arc<dyn WriteBehind>,
    /// Presence changes for `presence.changed` webhooks.
    pub presence_hooks: presence_hooks::PresenceHooks,
    /// This node's presence changes for the other nodes (cluster mode).
    pub announcer: PresenceAnnouncer,
    /// Set by [`Hub::close_all`] ([`CloseCause::to_byte`]): sockets registered afterwards are
    /// closed at once with it.
    closing: AtomicU8,
    /// The live rules' clock hears of every session and policy event applied here.
    rule_events:
        std::sync::OnceLock<tokio::sync::mpsc::UnboundedSender<(i64, crate::events::Event)>>,
}

/// What the hub needs of an organization to serve its sockets, read by the directory loader.
#[derive(Debug, Clone)]
pub struct OrgDirectory {
    pub org_id: i64,
    pub name: String,
    pub policy: PolicyState,
    pub members: Vec<MemberInfo>,
    pub running: Vec<SessionInfo>,
    /// Breaks and custom statuses in force, by user.
    pub statuses: Vec<(i64, shared::CustomStatus)>,
    /// Who the A2S poller sees on a game server now, by user.
    pub on_servers: Vec<(i64, GameContext)>,
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
    pub fn new(
        settings: HubSettings,
        metrics: Metrics,
        write_behind: Arc<dyn WriteBehind>,
    ) -> Self {
        Hub {
            orgs: DashMap::new(),
            settings,
            write_behind,
            presence_hooks: presence_hooks::PresenceHooks::default(),
            announcer: PresenceAnnouncer::default(),
            metrics,
            closing: AtomicU8::new(0),
            rule_events: std::sync::OnceLock::new(),
        }
    }

    /// Where the session and policy events this hub applies are copied to (the live rules'
    /// clock of the server's jobs).
    pub fn send_rule_events_to(
        &self,
        to: tokio::sync::mpsc::UnboundedSender<(i64, crate::events::Event)>,
    ) {
        let _ = self.rule_events.set(to);
    }

    /// Installs an organization as the directory loader read it (`ops::directory`): its
    /// policy, its users (offline until they connect here) and its running sessions. An
    /// organization already installed keeps its state; only unknown users are added.
    pub fn install_org(&self, org: OrgDirectory) -> Arc<OrgHub> {
        let hub = self
            .orgs
            .entry(org.org_id)
            .or_insert_with(|| {
                Arc::new(OrgHub::new(
                    org.org_id,
                    &org.name,
                    org.policy.clone(),
                    &self.settings,
                ))
            })
            .clone();
        for member in &org.members {
            if !hub.has_member(member.user_id) {
                hub.upsert_member(member);
            }
        }
        for session in org.running {
            if let Some(mut m) = hub.members.get_mut(&session.user_id) {
                if m.active_session.is_none() {
                    m.active_session = Some(Box::new(session));
                }
            }
        }
        hub.install_contexts(org.statuses, org.on_servers);
        hub
    }

    /// Brings an organization back in line with the database after this node missed some of
    /// its events (pruned while it was away): policy, members and running sessions.
    pub fn refresh_org(&self, org: OrgDirectory) {
        let Some(hub) = self.org(org.org_id) else {
            return;
        };
        hub.rename(&org.name);
        if hub.set_policy(org.policy.clone()) {
            let update = shared::protocol::ConfigUpdated {
                config_version: org.policy.version,
                config: org.policy.config.clone(),
                changed: Vec::new(),
            };
            self.publish(
                &hub,
                fanout::Audience::Everyone,
                Some(&shared::protocol::ServerToAgent::ConfigUpdated(
                    update.clone(),
                )),
                Some(&shared::protocol::ServerToTab::ConfigUpdated(update)),
            );
        }
        for member in &org.members {
            hub.upsert_member(member);
        }
        for mut m in hub.members.iter_mut() {
            let user_id = *m.key();
            m.active_session = org
                .running
                .iter()
                .find(|s| s.user_id == user_id)
                .map(|s| Box::new(s.clone()));
        }
        hub.install_contexts(org.statuses, org.on_servers);
    }

    /// A user the directory did not hold yet (made while this hub runs, e.g. on another
    /// process's command line).
    pub fn add_member(&self, org: &OrgHub, member: &MemberInfo) {
        org.upsert_member(member);
    }

    pub fn org(&self, org_id: i64) -> Option<Arc<OrgHub>> {
        self.orgs.get(&org_id).map(|o| o.clone())
    }

    pub fn open_connections(&self) -> (usize, usize) {
        self.orgs
            .iter()
            .fold((0, 0), |(a, t), o| (a + o.agent_count(), t + o.tab_count()))
    }

    /// Asks every socket, and every one registered from now on, to close with `cause`
    /// (shutdown: [`CloseCause::ServiceRestart`]).
    pub fn close_all(&self, cause: CloseCause) {
        self.closing.store(cause.to_byte(), Ordering::SeqCst);
        for org in self.orgs.iter() {
            org.close_all(cause);
        }
    }

    /// Why every socket is being closed, once [`Hub::close_all`] was called.
    pub fn closing(&self) -> Option<CloseCause> {
        CloseCause::from_byte(self.closing.load(Ordering::SeqCst))
    }

    pub fn orgs(&self) -> Vec<Arc<OrgHub>> {
        self.orgs.iter().map(|o| o.clone()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::test_support::{hub, member as user, org};
    use super::*;
    use shared::protocol::ServerToTab;
    use shared::Role;

    fn drain(reg: &mut Registration) -> Vec<ServerToTab> {
        let mut out = Vec::new();
        while let Some(ConnEvent::Send(msg)) = reg.control.try_next() {
            out.push(serde_json::from_str(&msg.text).unwrap());
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
            Some(CloseCause::SlowConsumer)
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
        hub.activity(&a, 2, crate::time::now_ms());
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

    #[tokio::test]
    async fn the_socket_past_the_per_user_limit_is_refused_and_the_others_keep_working() {
        let hub = hub();
        let org = org(&hub, 1);
        user(&org, 1, Role::Admin);
        user(&org, 2, Role::Member);
        let greet = |_: &OrgHub| Some(Outgoing::new("hello".into(), tokio::time::Instant::now()));
        let mut open: Vec<_> = (0..20)
            .map(|i| {
                let kind = if i % 2 == 0 {
                    PeerKind::Agent
                } else {
                    PeerKind::Tab
                };
                hub.attach(&org, kind, 2, Role::Member, 2, greet)
            })
            .collect();
        let refused = hub.attach(&org, PeerKind::Tab, 2, Role::Member, 2, greet);
        assert_eq!(
            refused.control.close_requested(),
            Some(CloseCause::TooManyConnections)
        );
        assert_eq!(refused.control.queued(), 0, "no greeting, only the close");
        assert_eq!(
            hub.metrics
                .connections_refused(CloseCause::TooManyConnections.metric_label())
                .get(),
            1
        );
        hub.detach(&refused);
        assert_eq!(
            hub.open_connections(),
            (10, 10),
            "the refused one was never counted"
        );
        for reg in &mut open {
            assert_eq!(reg.control.close_requested(), None);
            assert!(
                matches!(reg.control.try_next(), Some(ConnEvent::Send(m)) if &*m.text == "hello")
            );
        }
        // Another user is not limited by user 2's sockets; a closed socket frees a place.
        let admin = hub.attach(&org, PeerKind::Tab, 1, Role::Admin, 1, |_| None);
        assert_eq!(admin.control.close_requested(), None);
        hub.detach(&open.pop().expect("twenty"));
        let again = hub.attach(&org, PeerKind::Agent, 2, Role::Member, 2, |_| None);
        assert_eq!(again.control.close_requested(), None);
    }

    /// A push about one person reaches that person's agents only, each once; a closed agent
    /// gets nothing more, and a user's last agent leaves no trace in the per-user index.
    #[tokio::test]
    async fn a_push_about_a_user_reaches_their_agents_and_no_one_elses() {
        use shared::protocol::{ServerToAgent, SessionEnded};
        let hub = hub();
        let org = org(&hub, 1);
        user(&org, 1, Role::Member);
        user(&org, 2, Role::Member);
        let mut bobs: Vec<_> = (0..3)
            .map(|_| hub.attach(&org, PeerKind::Agent, 2, Role::Member, 2, |_| None))
            .collect();
        let mut alices: Vec<_> = (0..3)
            .map(|_| hub.attach(&org, PeerKind::Agent, 1, Role::Member, 1, |_| None))
            .collect();
        let received = |reg: &mut Registration| {
            let mut n = 0;
            while let Some(ConnEvent::Send(msg)) = reg.control.try_next() {
                n += usize::from(msg.text.contains("session_ended"));
            }
            n
        };
        let end_bobs = |session_id| {
            let ended = ServerToAgent::SessionEnded(SessionEnded {
                session_id,
                reason: "Shift is over".into(),
                ended_by: Some(1),
                ended_at: chrono::DateTime::UNIX_EPOCH,
            });
            hub.publish::<_, ServerToTab>(&org, fanout::Audience::AboutUser(2), Some(&ended), None);
        };
        end_bobs(7);
        for reg in bobs.iter_mut() {
            assert_eq!(received(reg), 1, "each of Bob's agents once");
        }
        for reg in alices.iter_mut() {
            assert_eq!(received(reg), 0, "none of Alice's");
        }
        let gone = bobs.remove(1);
        hub.detach(&gone);
        end_bobs(8);
        assert_eq!(
            bobs.iter_mut().map(received).collect::<Vec<_>>(),
            vec![1, 1]
        );
        assert_eq!(
            gone.control.queued(),
            0,
            "a detached agent gets nothing more"
        );
        for reg in bobs.iter().chain(alices.iter()) {
            hub.detach(reg);
        }
        assert!(
            org.agents_of.is_empty(),
            "no user keeps an entry without agents"
        );
        assert!(org.agents.is_empty());
    }
}

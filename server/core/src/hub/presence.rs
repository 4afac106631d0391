//! Presence in the hub: connections come and go, activity arrives, time passes; every
//! resulting change is pushed to the dashboards and handed to the write-through.

use std::collections::HashMap;
use std::sync::Arc;
use tokio::time::Instant;

use super::announce::LocalPresence;
use super::close::CloseCause;
use super::fanout::frame;
use super::org::{Member, OrgHub};
use super::peer::{Outgoing, Peer, PeerKind};
use super::{Hub, Registration, ACTIVITY_PUSH_MS, AGENT_QUEUE, TAB_QUEUE};
use crate::domain::presence::NodeView;
use crate::records::PresenceWrite;
use crate::time::now_ms;
use shared::{PresenceEntry, PresenceStatus, Role};

fn write_of(org_id: i64, user_id: i64, m: &Member) -> PresenceWrite {
    let view = m.view();
    PresenceWrite {
        user_id,
        org_id,
        status: view.status,
        last_activity_at: view.last_activity_ms,
    }
}

impl Hub {
    /// Registers a socket of `user_id`. `greeting` builds its first message (hello or snapshot),
    /// queued before any later event, so the client starts from a consistent state.
    pub fn attach(
        &self,
        org: &Arc<OrgHub>,
        kind: PeerKind,
        user_id: i64,
        role: Role,
        token_id: i64,
        greeting: impl FnOnce(&OrgHub) -> Option<Outgoing>,
    ) -> Registration {
        let capacity = match kind {
            PeerKind::Agent => AGENT_QUEUE,
            PeerKind::Tab => TAB_QUEUE,
        };
        let peer = Peer::new(user_id, token_id, role, capacity);
        let control = peer.control.clone();
        let conn_id = org.next_conn_id();
        let now = now_ms();
        let created = Instant::now();
        let _order = org.lock_publish();
        let registration = Registration {
            org: org.clone(),
            conn_id,
            kind,
            user_id,
            control: control.clone(),
        };
        // Checked under the publish lock, which every attach takes: two sockets opening at
        // once cannot both take the last place.
        let full = org
            .members
            .get(&user_id)
            .is_some_and(|m| m.presence.connections() >= self.settings.max_sockets_per_user);
        if full {
            // Never registered: no greeting, no presence change; its detach finds nothing.
            control.close(CloseCause::TooManyConnections);
            self.metrics
                .connections_refused(CloseCause::TooManyConnections.metric_label())
                .inc();
            return registration;
        }
        let changed = org.members.get_mut(&user_id).and_then(|mut m| {
            m.presence.connect();
            let changed = m.presence.refresh(now, org.rules()).is_some();
            changed.then(|| {
                self.note_presence(org.org_id, user_id, &m);
                OrgHub::entry_of(user_id, &m)
            })
        });
        if let Some(first) = greeting(org) {
            self.queue_direct(&peer, &first);
        }
        org.add_peer(kind, conn_id, peer);
        if kind == PeerKind::Agent {
            self.device_connected(org, token_id, user_id);
        }
        // Registered while the hub shuts down: closed like the others (after the insert, so
        // `close_all` either saw this peer or set the code read here).
        if let Some(cause) = self.closing() {
            control.close(cause);
        }
        match kind {
            PeerKind::Agent => self.metrics.agents_open.inc(),
            PeerKind::Tab => self.metrics.tabs_open.inc(),
        }
        if let Some(entry) = changed {
            self.publish_changes_locked(org, vec![entry], created);
        }
        registration
    }

    fn queue_direct(&self, peer: &Peer, msg: &Outgoing) {
        let _ = peer.send(msg);
    }

    /// Unregisters a socket; the user stays present through the grace period.
    pub fn detach(&self, reg: &Registration) {
        let org = &reg.org;
        reg.control.finish();
        let Some(peer) = org.remove_peer(reg.kind, reg.conn_id) else {
            return;
        };
        if reg.kind == PeerKind::Agent {
            self.device_disconnected(org, peer.token_id, reg.user_id);
        }
        match reg.kind {
            PeerKind::Agent => self.metrics.agents_open.dec(),
            PeerKind::Tab => self.metrics.tabs_open.dec(),
        }
        let now = now_ms();
        if let Some(mut m) = org.members.get_mut(&reg.user_id) {
            m.presence.disconnect(now);
        }
        // A zero grace period turns the user offline right away; otherwise the sweeper will.
        self.refresh_member(org, reg.user_id);
    }

    /// The user did something at `at_ms` (a tab event, or an agent heartbeat minus idle time).
    pub fn activity(&self, org: &OrgHub, user_id: i64, at_ms: i64) {
        let now = now_ms();
        let at = at_ms.min(now);
        let rules = org.rules();
        let publish = match org.members.get_mut(&user_id) {
            None => false,
            Some(mut m) => {
                let advanced = m.presence.record_activity(at);
                let changed = m.presence.refresh(now, rules).is_some();
                if advanced || changed {
                    self.note_presence(org.org_id, user_id, &m);
                }
                let stale_push = advanced
                    && m.pushed_activity_ms
                        .is_none_or(|pushed| at - pushed >= ACTIVITY_PUSH_MS);
                changed || stale_push
            }
        };
        if publish {
            self.publish_member(org, user_id);
        }
    }

    /// Re-decides one user's status and pushes it if it changed.
    fn refresh_member(&self, org: &OrgHub, user_id: i64) {
        let created = Instant::now();
        let _order = org.lock_publish();
        let entry = org.members.get_mut(&user_id).and_then(|mut m| {
            m.presence.refresh(now_ms(), org.rules()).map(|_| {
                self.note_presence(org.org_id, user_id, &m);
                m.pushed_activity_ms = m.view().last_activity_ms;
                OrgHub::entry_of(user_id, &m)
            })
        });
        if let Some(entry) = entry {
            self.publish_changes_locked(org, vec![entry], created);
        }
    }

    /// Pushes a user's current entry to the dashboards that may see it.
    pub fn publish_member(&self, org: &OrgHub, user_id: i64) {
        let created = Instant::now();
        let _order = org.lock_publish();
        let entry = org.members.get_mut(&user_id).map(|mut m| {
            m.pushed_activity_ms = m.view().last_activity_ms;
            OrgHub::entry_of(user_id, &m)
        });
        if let Some(entry) = entry {
            self.publish_changes_locked(org, vec![entry], created);
        }
    }

    /// Hands a user's changed presence to the write-through and, in a cluster, to the bus.
    fn note_presence(&self, org_id: i64, user_id: i64, m: &Member) {
        self.write_behind.presence(write_of(org_id, user_id, m));
        self.announcer.note(org_id, user_id, m.local_view());
        self.presence_hooks
            .note(org_id, user_id, &m.name, m.view().status);
    }

    /// Another node's view of a user changed; pushed when the merged presence changes.
    pub fn remote_presence(&self, org_id: i64, user_id: i64, node: &Arc<str>, view: NodeView) {
        let Some(org) = self.org(org_id) else {
            return;
        };
        let created = Instant::now();
        let _order = org.lock_publish();
        let entry = org.members.get_mut(&user_id).and_then(|mut m| {
            let before = m.view();
            m.remote.retain(|(n, _)| n != node);
            // An offline view adds nothing but its last activity, which the merge keeps.
            if view.status != PresenceStatus::Offline {
                m.remote.push((node.clone(), view));
            } else if let Some(last) = view.last_activity_ms {
                m.presence.record_activity(last);
            }
            self.merged_change(org.org_id, user_id, &mut m, before)
        });
        if let Some(entry) = entry {
            self.publish_changes_locked(&org, vec![entry], created);
        }
    }

    /// A node died or left: its views of every user are dropped (they turn offline unless
    /// connected elsewhere).
    pub fn forget_node(&self, node: &str) {
        self.replace_node(node, &[]);
    }

    /// Everything `node` holds, as it announced it in full: its views of users not listed
    /// are dropped.
    pub fn replace_node(&self, node: &str, views: &[LocalPresence]) {
        let node: Arc<str> = node.into();
        let mut by_org: HashMap<i64, HashMap<i64, NodeView>> = HashMap::new();
        for p in views {
            by_org
                .entry(p.org_id)
                .or_default()
                .insert(p.user_id, p.view);
        }
        for org in self.orgs() {
            let listed = by_org.remove(&org.org_id).unwrap_or_default();
            let created = Instant::now();
            let _order = org.lock_publish();
            let mut changes = Vec::new();
            for mut m in org.members.iter_mut() {
                let user_id = *m.key();
                let next = listed
                    .get(&user_id)
                    .filter(|v| v.status != PresenceStatus::Offline);
                let held = m.remote.iter().any(|(n, _)| *n == node);
                if !held && next.is_none() {
                    continue;
                }
                let before = m.view();
                m.remote.retain(|(n, _)| *n != node);
                if let Some(view) = next {
                    m.remote.push((node.clone(), *view));
                }
                if let Some(entry) = self.merged_change(org.org_id, user_id, &mut m, before) {
                    changes.push(entry);
                }
            }
            self.publish_changes_locked(&org, changes, created);
        }
    }

    /// The entry to push when the merged view moved from `before` (a status change, or the
    /// last activity advanced far enough), noted for the write-through.
    fn merged_change(
        &self,
        org_id: i64,
        user_id: i64,
        m: &mut Member,
        before: NodeView,
    ) -> Option<PresenceEntry> {
        let after = m.view();
        let stale_push = after.last_activity_ms.is_some_and(|at| {
            m.pushed_activity_ms
                .is_none_or(|pushed| at - pushed >= ACTIVITY_PUSH_MS)
        });
        if after == before || (after.status == before.status && !stale_push) {
            return None;
        }
        self.write_behind.presence(write_of(org_id, user_id, m));
        m.pushed_activity_ms = after.last_activity_ms;
        Some(OrgHub::entry_of(user_id, m))
    }

    /// This node's own view of every user it holds a connection of (or saw lately): what a
    /// node announces when it joins or is asked to.
    pub fn local_presence(&self) -> Vec<LocalPresence> {
        let mut out = Vec::new();
        for org in self.orgs() {
            for m in org.members.iter() {
                if m.presence.status() != PresenceStatus::Offline {
                    out.push(LocalPresence {
                        org_id: org.org_id,
                        user_id: *m.key(),
                        view: m.local_view(),
                    });
                }
            }
        }
        out
    }

    /// Applies the passage of time to everyone whose status can still change on its own
    /// (active → idle at the threshold, grace period → offline). Run a few times a second.
    pub fn sweep(&self) {
        for org in self.orgs() {
            let created = Instant::now();
            let now = now_ms();
            let rules = org.rules();
            let _order = org.lock_publish();
            let mut changes = Vec::new();
            for mut m in org.members.iter_mut() {
                let user_id = *m.key();
                // A break or custom status ends at its `until` (every node at the same time).
                let mut changed = m.custom.as_ref().is_some_and(|c| !c.in_force(now));
                if changed {
                    m.custom = None;
                }
                let asleep =
                    !m.presence.time_sensitive() && m.presence.status() == PresenceStatus::Offline;
                if !asleep && m.presence.refresh(now, rules).is_some() {
                    self.note_presence(org.org_id, user_id, &m);
                    m.pushed_activity_ms = m.view().last_activity_ms;
                    changed = true;
                }
                if changed {
                    changes.push(OrgHub::entry_of(user_id, &m));
                }
            }
            self.publish_changes_locked(&org, changes, created);
        }
    }

    /// A frame for one socket (hello, snapshot), outside any fan-out.
    pub fn frame<T: serde::Serialize>(msg: &T) -> Option<Outgoing> {
        frame(msg, Instant::now())
    }
}

impl Hub {
    /// Queues the write of what remains without this node (offline, unless another node of
    /// the cluster holds the user) for everyone this node saw present (the hub is stopping).
    pub fn mark_everyone_offline(&self) {
        for org in self.orgs() {
            for m in org.members.iter() {
                if m.presence.status() != PresenceStatus::Offline {
                    let others = crate::domain::presence::merge(m.remote.iter().map(|(_, v)| *v));
                    self.write_behind.presence(PresenceWrite {
                        user_id: *m.key(),
                        org_id: org.org_id,
                        status: others.status,
                        last_activity_at: m.view().last_activity_ms,
                    });
                }
            }
        }
    }
}

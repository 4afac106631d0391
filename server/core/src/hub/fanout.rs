//! Fan-out: each message is serialized once and queued to every socket that should see it.

use serde::Serialize;
use std::collections::HashMap;
use tokio::time::Instant;

use super::org::OrgHub;
use super::peer::{Outgoing, Peer, QueueError};
use super::Hub;
use shared::protocol::ServerToTab;
use shared::PresenceEntry;

/// Serializes a message once for any number of recipients.
pub fn frame<T: Serialize>(msg: &T, created: Instant) -> Option<Outgoing> {
    match serde_json::to_string(msg) {
        Ok(text) => Some(Outgoing::new(text.into(), created)),
        Err(e) => {
            tracing::error!(error = %e, "serializing an outgoing message");
            None
        }
    }
}

/// Which sockets of an organization a message goes to.
#[derive(Debug, Clone, Copy)]
pub enum Audience {
    /// Every agent and every tab.
    Everyone,
    /// The agents of one user and the tabs that may see that user.
    AboutUser(i64),
    /// Only the tabs of supervisors and up (no agents).
    OrgReaders,
    /// Only the tabs of admins and owners (no agents).
    Admins,
}

impl Hub {
    fn queue(&self, peer: &Peer, msg: &Outgoing) {
        if peer.send(msg) == Err(QueueError::SlowConsumer) {
            self.metrics.slow_consumers_dropped.inc();
            tracing::info!(
                user_id = peer.user_id,
                "closing a socket that does not read its messages"
            );
        }
    }

    /// Queues `msg` to the agents and tabs of `org` selected by `audience`.
    /// Callers hold the organization's publish lock.
    pub(super) fn send_locked(
        &self,
        org: &OrgHub,
        audience: Audience,
        agents: Option<&Outgoing>,
        tabs: Option<&Outgoing>,
    ) {
        if let Some(msg) = agents {
            match audience {
                Audience::Everyone => {
                    for peer in org.agents.iter() {
                        self.queue(&peer, msg);
                    }
                }
                Audience::AboutUser(user_id) => org.for_agents_of(user_id, |peer| {
                    self.queue(peer, msg);
                }),
                Audience::OrgReaders | Audience::Admins => {}
            }
        }
        if let Some(msg) = tabs {
            for peer in org.tabs.iter() {
                if matches!(audience, Audience::Admins) {
                    if peer.sees_fleet {
                        self.queue(&peer, msg);
                    }
                } else if peer.sees_org
                    || matches!(audience, Audience::Everyone)
                    || matches!(audience, Audience::AboutUser(u) if u == peer.user_id)
                {
                    self.queue(&peer, msg);
                }
            }
        }
    }

    /// Sends one event to an organization's sockets, in order with every other event.
    pub fn publish<A: Serialize, T: Serialize>(
        &self,
        org: &OrgHub,
        audience: Audience,
        to_agents: Option<&A>,
        to_tabs: Option<&T>,
    ) {
        let now = Instant::now();
        let agents = to_agents.and_then(|m| frame(m, now));
        let tabs = to_tabs.and_then(|m| frame(m, now));
        let _order = org.lock_publish();
        self.send_locked(org, audience, agents.as_ref(), tabs.as_ref());
    }

    /// Pushes presence changes: tabs that see the organization get them all in one diff,
    /// a member's tabs get only their own entry. Callers hold the publish lock.
    pub(super) fn publish_changes_locked(
        &self,
        org: &OrgHub,
        changes: Vec<PresenceEntry>,
        created: Instant,
    ) {
        if changes.is_empty() || org.tabs.is_empty() {
            return;
        }
        let mut own: HashMap<i64, Option<Outgoing>> = HashMap::new();
        let all = frame(
            &ServerToTab::PresenceDiff {
                changes: changes.clone(),
            },
            created,
        );
        for peer in org.tabs.iter() {
            if peer.sees_org {
                if let Some(msg) = &all {
                    self.queue(&peer, msg);
                }
            } else if let Some(entry) = changes.iter().find(|c| c.user_id == peer.user_id) {
                let msg = own.entry(peer.user_id).or_insert_with(|| {
                    frame(
                        &ServerToTab::PresenceDiff {
                            changes: vec![entry.clone()],
                        },
                        created,
                    )
                });
                if let Some(msg) = msg {
                    self.queue(&peer, msg);
                }
            }
        }
    }
}

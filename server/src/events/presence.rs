//! Presence across nodes. Each node owns the state of the connections it holds and announces
//! its changes (`NOTIFY hub_presence`, coalesced per user, sent in order by one task); every
//! node merges the others' views with its own (`hub::Member::view`). Presence is soft state:
//! rather than rows in the database, a node re-announces all of it whenever it (re)connects
//! or rejoins, and asks the others to do the same; a node declared dead or gone is dropped.

use std::collections::HashMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;

use super::nodes::Membership;
use crate::domain::presence::NodeView;
use crate::hub::{Hub, LocalPresence};
use crate::store::Store;
use shared::PresenceStatus;

pub const PRESENCE_CHANNEL: &str = "hub_presence";
/// PostgreSQL refuses NOTIFY payloads from 8,000 bytes: entries go in chunks well below.
const ENTRIES_PER_MESSAGE: usize = 100;

/// One notification: a node's views of some users (`full`: all of them, the others are
/// offline there), or a request that every node announce all of theirs.
#[derive(Debug, Serialize, Deserialize)]
struct Message {
    node: String,
    inc: i64,
    #[serde(default)]
    full: bool,
    /// Part `part` of `parts` of a full announcement.
    #[serde(default)]
    part: usize,
    #[serde(default)]
    parts: usize,
    #[serde(default)]
    sync: bool,
    /// `[org_id, user_id, status, last_activity_ms]`
    #[serde(default)]
    users: Vec<(i64, i64, PresenceStatus, Option<i64>)>,
}

#[derive(Clone)]
pub struct PresenceSync {
    hub: Arc<Hub>,
    store: Store,
    membership: Arc<Membership>,
    /// Parts of full announcements being received, per node.
    partial: Arc<std::sync::Mutex<HashMap<String, Vec<LocalPresence>>>>,
}

impl PresenceSync {
    pub fn new(hub: Arc<Hub>, store: Store, membership: Arc<Membership>) -> Self {
        PresenceSync {
            hub,
            store,
            membership,
            partial: Arc::default(),
        }
    }

    fn message(&self, users: &[LocalPresence]) -> Message {
        Message {
            node: self.membership.node_id().to_string(),
            inc: self.membership.incarnation(),
            full: false,
            part: 0,
            parts: 0,
            sync: false,
            users: users
                .iter()
                .map(|p| (p.org_id, p.user_id, p.view.status, p.view.last_activity_ms))
                .collect(),
        }
    }

    async fn send(&self, message: &Message) {
        let payload = match serde_json::to_string(message) {
            Ok(p) => p,
            Err(e) => {
                tracing::error!(error = %e, "presence message not serializable");
                return;
            }
        };
        if let Err(e) = self.store.notify(PRESENCE_CHANNEL, &payload).await {
            // Lost with the connection; the full announcement after reconnecting repairs it.
            tracing::debug!(error = %e, "presence change not announced");
        }
    }

    /// Announces this node's presence changes as they happen, one message at a time (so they
    /// arrive in order).
    pub async fn send_changes(self, stop: CancellationToken) {
        loop {
            let batch = tokio::select! {
                _ = stop.cancelled() => return,
                batch = self.hub.announcer.next_batch() => batch,
            };
            for chunk in batch.chunks(ENTRIES_PER_MESSAGE) {
                self.send(&self.message(chunk)).await;
            }
        }
    }

    /// Announces everything this node holds and asks every other node to do the same.
    pub async fn resync(&self) {
        self.announce_all().await;
        let mut ask = self.message(&[]);
        ask.sync = true;
        self.send(&ask).await;
    }

    async fn announce_all(&self) {
        let all = self.hub.local_presence();
        let chunks: Vec<&[LocalPresence]> = if all.is_empty() {
            vec![&[]]
        } else {
            all.chunks(ENTRIES_PER_MESSAGE).collect()
        };
        let parts = chunks.len();
        for (part, chunk) in chunks.into_iter().enumerate() {
            let mut message = self.message(chunk);
            message.full = true;
            message.part = part;
            message.parts = parts;
            self.send(&message).await;
        }
    }

    /// A notification on the presence channel.
    pub async fn received(&self, payload: &str) {
        let message: Message = match serde_json::from_str(payload) {
            Ok(m) => m,
            Err(e) => {
                tracing::warn!(error = %e, "unreadable presence message");
                return;
            }
        };
        if message.node == **self.membership.node_id() {
            return;
        }
        if !self.membership.believes(&message.node, message.inc) {
            return;
        }
        if message.sync {
            self.announce_all().await;
            return;
        }
        let node: Arc<str> = message.node.as_str().into();
        let entries = message
            .users
            .iter()
            .map(|&(org_id, user_id, status, last)| LocalPresence {
                org_id,
                user_id,
                view: NodeView {
                    status,
                    last_activity_ms: last,
                },
            });
        if !message.full {
            for p in entries {
                self.hub.remote_presence(p.org_id, p.user_id, &node, p.view);
            }
            return;
        }
        // A full announcement replaces everything known of that node once all parts are in.
        let complete = {
            let mut partial = match self.partial.lock() {
                Ok(p) => p,
                Err(poisoned) => poisoned.into_inner(),
            };
            let collected = partial.entry(message.node.clone()).or_default();
            if message.part == 0 {
                collected.clear();
            }
            collected.extend(entries);
            if message.part + 1 >= message.parts {
                partial.remove(&message.node)
            } else {
                None
            }
        };
        if let Some(all) = complete {
            self.hub.replace_node(&node, &all);
        }
    }
}

//! This node's presence changes waiting to become `presence.changed` webhook deliveries
//! (`crate::webhook_deliverer`), kept only for organizations whose webhooks want them.

use std::collections::HashMap;

use crate::time::now_ms;

#[derive(Default)]
pub struct PresenceHooks {
    wanted: std::sync::RwLock<Vec<i64>>,
    inner: std::sync::Mutex<PresenceHooksInner>,
}

#[derive(Default)]
struct PresenceHooksInner {
    /// The status last told per (org, user), so a change is told once.
    told: HashMap<(i64, i64), shared::PresenceStatus>,
    pending: Vec<PresenceChange>,
}

#[derive(Debug, Clone)]
pub struct PresenceChange {
    pub org_id: i64,
    pub user_id: i64,
    pub name: String,
    pub status: shared::PresenceStatus,
    pub at: i64,
}

impl PresenceHooks {
    pub fn want(&self, orgs: Vec<i64>) {
        if let Ok(mut w) = self.wanted.write() {
            *w = orgs;
        }
    }

    /// A user's merged status as this node just computed it from its own connections.
    pub fn note(&self, org_id: i64, user_id: i64, name: &str, status: shared::PresenceStatus) {
        let wanted = self
            .wanted
            .read()
            .map(|w| w.binary_search(&org_id).is_ok())
            .unwrap_or(false);
        if !wanted {
            return;
        }
        let Ok(mut inner) = self.inner.lock() else {
            return;
        };
        let before = inner
            .told
            .insert((org_id, user_id), status)
            .unwrap_or(shared::PresenceStatus::Offline);
        if before != status {
            inner.pending.push(PresenceChange {
                org_id,
                user_id,
                name: name.to_string(),
                status,
                at: now_ms(),
            });
        }
    }

    pub fn take(&self) -> Vec<PresenceChange> {
        self.inner
            .lock()
            .map(|mut i| std::mem::take(&mut i.pending))
            .unwrap_or_default()
    }
}

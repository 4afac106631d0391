//! This node's own presence changes, coalesced per user, waiting for the cluster bus to
//! announce them to the other nodes (cluster mode only; a single node has nobody to tell).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use tokio::sync::Notify;

use crate::domain::presence::NodeView;

/// One user's presence as this node sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LocalPresence {
    pub org_id: i64,
    pub user_id: i64,
    pub view: NodeView,
}

#[derive(Default)]
pub struct PresenceAnnouncer {
    enabled: AtomicBool,
    pending: Mutex<HashMap<(i64, i64), NodeView>>,
    ready: Notify,
}

impl PresenceAnnouncer {
    /// Turns collection on (the cluster bus does, once it runs).
    pub fn enable(&self) {
        self.enabled.store(true, Ordering::SeqCst);
    }

    pub(super) fn note(&self, org_id: i64, user_id: i64, view: NodeView) {
        if !self.enabled.load(Ordering::Relaxed) {
            return;
        }
        let mut pending = match self.pending.lock() {
            Ok(p) => p,
            Err(poisoned) => poisoned.into_inner(),
        };
        pending.insert((org_id, user_id), view);
        drop(pending);
        self.ready.notify_one();
    }

    /// Waits for changes and takes all of them (a burst leaves as one batch).
    pub async fn next_batch(&self) -> Vec<LocalPresence> {
        loop {
            let batch: Vec<LocalPresence> = {
                let mut pending = match self.pending.lock() {
                    Ok(p) => p,
                    Err(poisoned) => poisoned.into_inner(),
                };
                pending
                    .drain()
                    .map(|((org_id, user_id), view)| LocalPresence {
                        org_id,
                        user_id,
                        view,
                    })
                    .collect()
            };
            if !batch.is_empty() {
                return batch;
            }
            self.ready.notified().await;
        }
    }
}

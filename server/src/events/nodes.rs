//! Node liveness. Every node renews its row in `cluster_nodes` every heartbeat; every node
//! checks every second for nodes silent past the lease and marks them dead (one UPDATE, so
//! only one node declares each death) and tells the others (`NOTIFY hub_nodes`). A dead or
//! departed node's presence views are dropped everywhere: its users turn offline unless
//! connected elsewhere. A node that finds its own row marked dead (it was paused, or cut off)
//! rejoins with a new incarnation and announces its presence again.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::bus::Bus;
use crate::hub::Hub;
use crate::store::{NodeRow, Store};

pub const NODES_CHANNEL: &str = "hub_nodes";

/// Heartbeat period and lease (a node silent this long is dead).
#[derive(Debug, Clone, Copy)]
pub struct Liveness {
    pub heartbeat: Duration,
    pub lease: Duration,
}

impl Default for Liveness {
    fn default() -> Self {
        Liveness {
            heartbeat: Duration::from_secs(2),
            lease: Duration::from_secs(9),
        }
    }
}

const CHECK_EVERY: Duration = Duration::from_secs(1);

pub struct Membership {
    node_id: Arc<str>,
    listen: String,
    incarnation: AtomicI64,
    liveness: Liveness,
    store: Store,
    /// The cluster as last read (every check).
    view: RwLock<Vec<NodeRow>>,
    /// The newest incarnation heard of per node, and whether it is known dead.
    known: Mutex<HashMap<String, (i64, bool)>>,
}

impl Membership {
    /// Joins the cluster as `node_id` (a new incarnation).
    pub async fn join(
        store: Store,
        node_id: &str,
        listen: String,
        liveness: Liveness,
    ) -> Result<Arc<Membership>, crate::store::StoreError> {
        let incarnation = store.join_cluster(node_id, &listen).await?;
        tracing::info!(node = node_id, incarnation, "joined the cluster");
        let membership = Arc::new(Membership {
            node_id: node_id.into(),
            listen,
            incarnation: AtomicI64::new(incarnation),
            liveness,
            store,
            view: RwLock::new(Vec::new()),
            known: Mutex::new(HashMap::new()),
        });
        membership.refresh_view().await;
        Ok(membership)
    }

    pub fn node_id(&self) -> &Arc<str> {
        &self.node_id
    }

    pub fn incarnation(&self) -> i64 {
        self.incarnation.load(Ordering::SeqCst)
    }

    /// The cluster as this node last saw it.
    pub fn view(&self) -> Vec<NodeRow> {
        match self.view.read() {
            Ok(v) => v.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Whether this node runs the once-per-cluster work: the live node whose id sorts first.
    pub fn leads(&self) -> bool {
        let view = self.view();
        let first_alive = view
            .iter()
            .filter(|n| n.state == "alive")
            .map(|n| n.node_id.as_str())
            .min();
        first_alive.is_none_or(|first| first == &*self.node_id)
    }

    /// Whether a message from `node` in `incarnation` should be believed: not one of a dead
    /// incarnation, nor of an older one than already heard.
    pub fn believes(&self, node: &str, incarnation: i64) -> bool {
        let mut known = match self.known.lock() {
            Ok(k) => k,
            Err(poisoned) => poisoned.into_inner(),
        };
        match known.get(node) {
            Some((inc, _)) if incarnation < *inc => false,
            Some((inc, dead)) if incarnation == *inc => !dead,
            _ => {
                known.insert(node.to_string(), (incarnation, false));
                true
            }
        }
    }

    /// Records `node`'s `incarnation` as dead or gone; true if that is news.
    fn mark_gone(&self, node: &str, incarnation: i64) -> bool {
        let mut known = match self.known.lock() {
            Ok(k) => k,
            Err(poisoned) => poisoned.into_inner(),
        };
        match known.get(node) {
            Some((inc, true)) if *inc >= incarnation => false,
            Some((inc, false)) if *inc > incarnation => false,
            _ => {
                known.insert(node.to_string(), (incarnation, true));
                true
            }
        }
    }

    /// A membership notification: `dead:NODE:INC`, `left:NODE:INC` or `joined:NODE:INC`.
    pub fn notified(&self, payload: &str, hub: &Hub) {
        let mut parts = payload.splitn(3, ':');
        let (Some(what), Some(node), Some(inc)) = (parts.next(), parts.next(), parts.next()) else {
            return;
        };
        let Ok(inc) = inc.parse::<i64>() else { return };
        match what {
            "dead" | "left" if node == &*self.node_id => {
                // Our own death is noticed by the heartbeat, which rejoins.
            }
            "dead" | "left" => {
                if self.mark_gone(node, inc) {
                    tracing::info!(
                        node,
                        incarnation = inc,
                        what,
                        "a node is gone: its users' presence is dropped"
                    );
                }
                hub.forget_node(node);
                self.note_gone_in_view(node, inc, what);
            }
            "joined" => {
                self.believes(node, inc);
            }
            _ => {}
        }
    }

    /// Shows a node's death or departure in the view at once (`/healthz`, [`Self::leads`])
    /// rather than at the next refresh.
    fn note_gone_in_view(&self, node: &str, incarnation: i64, state: &str) {
        let mut view = match self.view.write() {
            Ok(v) => v,
            Err(poisoned) => poisoned.into_inner(),
        };
        for row in view
            .iter_mut()
            .filter(|r| r.node_id == node && r.incarnation == incarnation)
        {
            row.state = state.to_string();
        }
    }

    async fn refresh_view(&self) {
        match self.store.cluster_nodes().await {
            Ok(rows) => match self.view.write() {
                Ok(mut v) => *v = rows,
                Err(poisoned) => *poisoned.into_inner() = rows,
            },
            Err(e) => tracing::debug!(error = %e, "cluster view not read"),
        }
    }

    /// The heartbeat and the liveness check; both end with `stop`, the node then leaves.
    pub fn spawn(
        self: Arc<Self>,
        bus: Arc<Bus>,
        stop: CancellationToken,
    ) -> Vec<tokio::task::JoinHandle<()>> {
        vec![
            tokio::spawn(self.clone().heartbeat(bus.clone(), stop.clone())),
            tokio::spawn(self.check(bus, stop)),
        ]
    }

    async fn heartbeat(self: Arc<Self>, bus: Arc<Bus>, stop: CancellationToken) {
        let mut tick = tokio::time::interval(self.liveness.heartbeat);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = stop.cancelled() => return,
                _ = tick.tick() => {}
            }
            match self
                .store
                .node_heartbeat(&self.node_id, self.incarnation())
                .await
            {
                Ok(true) => {}
                Ok(false) => self.rejoin(&bus).await,
                Err(e) => tracing::warn!(error = %e, "node heartbeat failed"),
            }
        }
    }

    /// This incarnation was declared dead while it was away: come back as a new one.
    async fn rejoin(&self, bus: &Bus) {
        match self.store.join_cluster(&self.node_id, &self.listen).await {
            Ok(incarnation) => {
                self.incarnation.store(incarnation, Ordering::SeqCst);
                tracing::warn!(
                    node = &*self.node_id,
                    incarnation,
                    "this node had been declared dead: rejoined"
                );
                let _ = self
                    .store
                    .notify(
                        NODES_CHANNEL,
                        &format!("joined:{}:{incarnation}", self.node_id),
                    )
                    .await;
                bus.resync_presence().await;
            }
            Err(e) => tracing::warn!(error = %e, "rejoining the cluster failed"),
        }
    }

    async fn check(self: Arc<Self>, bus: Arc<Bus>, stop: CancellationToken) {
        let mut tick = tokio::time::interval(CHECK_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let lease_ms = self.liveness.lease.as_millis() as i64;
        loop {
            tokio::select! {
                _ = stop.cancelled() => return,
                _ = tick.tick() => {}
            }
            match self.store.declare_dead(lease_ms).await {
                Ok(dead) => {
                    for (node, inc) in dead {
                        tracing::warn!(
                            node,
                            incarnation = inc,
                            "node silent past its lease: declared dead"
                        );
                        let _ = self
                            .store
                            .notify(NODES_CHANNEL, &format!("dead:{node}:{inc}"))
                            .await;
                    }
                }
                Err(e) => tracing::debug!(error = %e, "liveness check failed"),
            }
            self.refresh_view().await;
            let view = self.view();
            bus.hub()
                .metrics
                .nodes_alive
                .set(view.iter().filter(|n| n.state == "alive").count() as i64);
            // Whatever notification was missed: a node not alive has no say in presence.
            for n in view
                .iter()
                .filter(|n| n.state != "alive" && *n.node_id != *self.node_id)
            {
                if self.mark_gone(&n.node_id, n.incarnation) {
                    bus.hub().forget_node(&n.node_id);
                }
            }
        }
    }

    /// A clean stop: the others forget this node at once.
    pub async fn leave(&self) {
        let inc = self.incarnation();
        if let Err(e) = self.store.leave_cluster(&self.node_id, inc).await {
            tracing::warn!(error = %e, "leaving the cluster failed");
            return;
        }
        let _ = self
            .store
            .notify(NODES_CHANNEL, &format!("left:{}:{inc}", self.node_id))
            .await;
        tracing::info!(node = &*self.node_id, incarnation = inc, "left the cluster");
    }
}

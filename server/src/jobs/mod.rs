//! Background jobs, in one place: the A2S poller, the live rules' clock, the webhook
//! deliverer, the retention job and the demo's simulated agents. Each takes what it uses — a
//! [`JobCtx`] (the store, where events go, when to stop) and its own settings — never the
//! whole `AppState`; their writes go through `crate::ops` like every other write.

pub mod demo_agents;
pub mod game_poller;
pub mod live_rules;
pub mod retention;
pub mod webhook_deliverer;

use std::net::SocketAddr;
use tokio_util::sync::CancellationToken;

use crate::domain::webhooks::OwnAddresses;
use crate::events::Events;
use crate::ops::Ctx;
use crate::store::Store;

/// What every background job works with.
#[derive(Clone)]
pub struct JobCtx {
    pub store: Store,
    pub events: Events,
    /// Where people reach the hub, for links an operation hands out.
    pub public_url: String,
    /// Cancelled when the hub stops.
    pub shutdown: CancellationToken,
}

impl JobCtx {
    /// The operations' context of this process.
    pub fn ops(&self) -> Ctx<'_> {
        Ctx {
            store: &self.store,
            events: Some(&self.events),
            public_url: &self.public_url,
        }
    }

    /// Whether this node runs the once-per-cluster work: always on a single node; in a
    /// cluster, the live node that sorts first.
    pub fn leads(&self) -> bool {
        self.events.bus().is_none_or(|bus| bus.membership().leads())
    }
}

/// Where this hub (and in a cluster every node) answers: webhooks never deliver there.
pub fn own_addresses(events: &Events, bound: SocketAddr, public_url: &str) -> OwnAddresses {
    let mut sockets = vec![bound];
    if let Some(bus) = events.bus() {
        sockets.extend(
            bus.membership()
                .view()
                .iter()
                .filter_map(|n| n.listen.parse::<SocketAddr>().ok()),
        );
    }
    let names = url::Url::parse(public_url)
        .ok()
        .and_then(|u| Some((u.host_str()?.to_lowercase(), u.port_or_known_default()?)))
        .into_iter()
        .collect();
    OwnAddresses { sockets, names }
}

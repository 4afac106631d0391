//! Events: what an operation announces once its change is committed, and the one way they
//! reach the hub of every node.
//!
//! An operation commits its change and, in the same transaction on PostgreSQL, the event's
//! outbox row (`store::outbox`); then it hands the [`Published`] event to [`Events::publish`].
//! On SQLite (one node) that goes straight to this process's hub. On PostgreSQL it goes through
//! the [`bus::Bus`], which also receives the other nodes' events and delivers each
//! organization's events to the hub once, in commit order.

pub mod bus;
pub mod directory;
pub mod nodes;
pub mod presence;

use std::sync::Arc;

use crate::hub::Hub;
pub use hub_core::events::{Event, MemberInfo, Published, Publisher};

/// The publisher every operation ends with.
#[derive(Clone)]
pub struct Events {
    hub: Arc<Hub>,
    bus: Option<Arc<bus::Bus>>,
}

impl Events {
    /// SQLite: events go straight to this process's hub.
    pub fn local(hub: Arc<Hub>) -> Self {
        Events { hub, bus: None }
    }

    /// PostgreSQL: events go through the cluster bus (dedupe, order, other nodes' events).
    pub fn clustered(hub: Arc<Hub>, bus: Arc<bus::Bus>) -> Self {
        Events {
            hub,
            bus: Some(bus),
        }
    }

    /// Hands a committed event to the sockets of this node (the other nodes hear of it from
    /// the outbox).
    pub fn publish(&self, published: Published) {
        self.hub.metrics.events_published.inc();
        match (&self.bus, published.seq) {
            (Some(bus), Some(seq)) => {
                // The bus applies it only if this node serves the organization.
                self.hub.tell_rules(published.org_id, &published.event);
                bus.deliver(published.org_id, seq, published.event)
            }
            _ => self.hub.apply(published.org_id, &published.event),
        }
    }

    pub fn publish_all(&self, published: impl IntoIterator<Item = Published>) {
        for p in published {
            self.publish(p);
        }
    }

    pub fn hub(&self) -> &Arc<Hub> {
        &self.hub
    }

    pub fn bus(&self) -> Option<&Arc<bus::Bus>> {
        self.bus.as_ref()
    }
}

impl Publisher for Events {
    fn publish(&self, published: Published) {
        Events::publish(self, published);
    }
}

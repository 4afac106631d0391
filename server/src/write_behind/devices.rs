//! The agent fleet's write-behind: what the hub noted of each device, merged per device and
//! written in batches; the rows an admin would see change are read back and pushed to this
//! node's admin tabs (and, in a cluster, announced to the other nodes).

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

use crate::hub::{Hub, RENEW_EVERY};
use crate::metrics::Metrics;
use crate::store::{DeviceWrite, Store, PRESENCE_BATCH_ROWS};

/// Tells the other nodes which devices of an organization were written (cluster mode).
pub type DevicesWritten = Box<dyn Fn(i64, Vec<i64>) + Send + Sync>;

/// Device writes waiting for the next flush, merged per device; and which of them an admin
/// would see change (a renewal alone is not pushed).
pub struct DeviceWriter {
    pending: Mutex<HashMap<i64, (DeviceWrite, bool)>>,
    metrics: Metrics,
}

impl DeviceWriter {
    pub fn new(metrics: Metrics) -> Self {
        DeviceWriter {
            pending: Mutex::new(HashMap::new()),
            metrics,
        }
    }

    pub fn note(&self, write: DeviceWrite, visible: bool) {
        let mut pending = match self.pending.lock() {
            Ok(p) => p,
            Err(poisoned) => poisoned.into_inner(),
        };
        match pending.get_mut(&write.token_id) {
            Some((w, v)) => {
                w.merge(write);
                *v |= visible;
            }
            None => {
                pending.insert(write.token_id, (write, visible));
            }
        }
    }

    /// Everything pending; the map itself goes too, so that a burst of connections (a
    /// reconnect storm) does not leave its table allocated.
    fn take(&self) -> Vec<(DeviceWrite, bool)> {
        match self.pending.lock() {
            Ok(mut p) => std::mem::take(&mut *p).into_values().collect(),
            Err(_) => Vec::new(),
        }
    }

    fn restore(&self, batch: Vec<(DeviceWrite, bool)>) {
        for (w, visible) in batch {
            // A newer state noted meanwhile wins over the failed one.
            let mut pending = match self.pending.lock() {
                Ok(p) => p,
                Err(poisoned) => poisoned.into_inner(),
            };
            match pending.remove(&w.token_id) {
                Some((newer, v)) => {
                    let mut merged = w;
                    merged.merge(newer);
                    pending.insert(merged.token_id, (merged, visible || v));
                }
                None => {
                    pending.insert(w.token_id, (w, visible));
                }
            }
        }
    }

    /// Writes what is pending; returns the devices written that admins should see again,
    /// per organization. A failed batch stays pending for the next flush.
    pub async fn flush(&self, store: &Store) -> HashMap<i64, Vec<i64>> {
        let mut batch = self.take();
        batch.sort_unstable_by_key(|(w, _)| w.token_id);
        let mut visible: HashMap<i64, Vec<i64>> = HashMap::new();
        while !batch.is_empty() {
            let rest = batch.split_off(batch.len().min(PRESENCE_BATCH_ROWS));
            let writes: Vec<DeviceWrite> = batch.iter().map(|(w, _)| w.clone()).collect();
            match store.write_devices(&writes).await {
                Ok(()) => {
                    self.metrics.device_rows_written.inc_by(writes.len() as u64);
                    for (w, v) in &batch {
                        if *v {
                            visible.entry(w.org_id).or_default().push(w.token_id);
                        }
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, rows = writes.len(), "device flush failed; will retry");
                    batch.extend(rest);
                    self.restore(batch);
                    return visible;
                }
            }
            batch = rest;
        }
        visible
    }
}

/// Writes the devices every `interval` and pushes the visible changes (to this node's tabs,
/// and on PostgreSQL to the other nodes' through `notify`) until cancelled.
pub async fn run(
    hub: Arc<Hub>,
    devices: Arc<DeviceWriter>,
    store: Store,
    interval: Duration,
    notify: Option<DevicesWritten>,
    cancel: CancellationToken,
) {
    let mut tick = tokio::time::interval(interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut renew = tokio::time::interval(RENEW_EVERY);
    renew.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = cancel.cancelled() => break,
            _ = renew.tick() => hub.renew_devices(),
            _ = tick.tick() => {
                for (org_id, ids) in devices.flush(&store).await {
                    let ids: Vec<i64> = ids.into_iter().collect::<BTreeSet<_>>().into_iter().collect();
                    // Read back and framed only where an admin's tab is open on this node.
                    if hub.watches_fleet(org_id) {
                        match store.list_devices(org_id, Some(&ids)).await {
                            Ok(devices) => hub.push_devices(org_id, devices),
                            Err(e) => tracing::debug!(error = %e, "reading devices to push failed"),
                        }
                    }
                    if let Some(notify) = &notify {
                        notify(org_id, ids);
                    }
                }
            }
        }
    }
    devices.flush(&store).await;
}

//! The agent fleet in the hub: which device tokens hold a socket here, and what each agent
//! reported (version, OS, the policy version it applied, its last capture), written coalesced
//! like presence and pushed to admins' tabs (`agents_updated`) once written.

use std::collections::{BTreeSet, HashMap};
use std::sync::Mutex;
use std::time::Duration;

use super::fanout::Audience;
use super::{Hub, OrgHub};
use crate::metrics::Metrics;
use crate::store::{now_ms, DeviceWrite, Reported, Store, PRESENCE_BATCH_ROWS};
use shared::fleet::{AgentDevice, CaptureReport, MAX_DEVICE_TEXT};
use shared::protocol::{ServerToAgent, ServerToTab};

/// How often a node renews the devices it holds (their `last_seen_at`); the store's
/// [`crate::store::CONNECTED_LEASE_MS`] is a few of these.
pub const RENEW_EVERY: Duration = Duration::from_secs(60);

/// Tells the other nodes which devices of an organization were written (cluster mode).
pub type DevicesWritten = Box<dyn Fn(i64, Vec<i64>) + Send + Sync>;

/// Devices per `agents_updated` message.
const PUSH_CHUNK: usize = 100;

/// What a heartbeat or an acknowledgement told about the agent.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DeviceReport {
    pub agent_version: Option<String>,
    pub os: Option<String>,
    pub config_version: Option<i64>,
    pub capture: Option<CaptureReport>,
}

impl DeviceReport {
    pub fn is_empty(&self) -> bool {
        *self == DeviceReport::default()
    }
}

/// Text from an agent as kept: control characters dropped, at most [`MAX_DEVICE_TEXT`].
fn clean(text: String) -> Option<String> {
    let cleaned: String = text
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_DEVICE_TEXT)
        .collect();
    let cleaned = cleaned.trim().to_string();
    (!cleaned.is_empty()).then_some(cleaned)
}

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

    fn note(&self, write: DeviceWrite, visible: bool) {
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

impl Hub {
    /// A write of a device with a socket open here (a disconnection sets `connected` off).
    fn device_write(org: &OrgHub, token_id: i64, user_id: i64) -> DeviceWrite {
        DeviceWrite {
            token_id,
            org_id: org.org_id,
            user_id,
            seen_at: now_ms(),
            connected: true,
            ..DeviceWrite::default()
        }
    }

    /// An agent socket of `token_id` was registered here.
    pub(super) fn device_connected(&self, org: &OrgHub, token_id: i64, user_id: i64) {
        org.device_sockets.entry(token_id).or_insert((user_id, 0)).1 += 1;
        let mut w = Self::device_write(org, token_id, user_id);
        w.connected_at = Some(w.seen_at);
        self.devices.note(w, true);
    }

    /// An agent socket of `token_id` ended; the device stays connected while another of its
    /// sockets is open here (an agent that reconnects before the old socket is gone).
    pub(super) fn device_disconnected(&self, org: &OrgHub, token_id: i64, user_id: i64) {
        let last = match org.device_sockets.get_mut(&token_id) {
            Some(mut n) => {
                n.1 = n.1.saturating_sub(1);
                n.1 == 0
            }
            None => true,
        };
        if last {
            org.device_sockets.remove_if(&token_id, |_, n| n.1 == 0);
            let mut w = Self::device_write(org, token_id, user_id);
            w.connected = false;
            self.devices.note(w, true);
        }
    }

    /// What an agent reported about itself (heartbeat fields, `config_applied`).
    pub fn device_report(&self, org: &OrgHub, token_id: i64, user_id: i64, report: DeviceReport) {
        if report.is_empty() {
            return;
        }
        let mut w = Self::device_write(org, token_id, user_id);
        let seen = w.seen_at;
        w.reported = Some(Box::new(Reported {
            agent_version: report.agent_version.and_then(clean),
            os: report.os.and_then(clean),
            config_version: report.config_version,
            config_applied_at: report.config_version.map(|_| seen),
            capture: report.capture.map(|c| {
                let error = c.error.and_then(clean).unwrap_or_default();
                (c.at.timestamp_millis().min(seen), error)
            }),
        }));
        self.devices.note(w, true);
    }

    /// Renews every device holding a socket here, so that other nodes (and this one after a
    /// crash) can tell a live socket from a stale row.
    pub fn renew_devices(&self) {
        for org in self.orgs() {
            let held: Vec<(i64, i64)> = org
                .device_sockets
                .iter()
                .map(|e| (*e.key(), e.value().0))
                .collect();
            for (token_id, user_id) in held {
                let w = Self::device_write(&org, token_id, user_id);
                self.devices.note(w, false);
            }
        }
    }

    /// Whether an admin's or owner's tab of the organization is open on this node.
    pub fn watches_fleet(&self, org_id: i64) -> bool {
        self.org(org_id)
            .is_some_and(|org| org.tabs.iter().any(|p| p.sees_fleet))
    }

    /// Pushes devices as just read to the organization's admins and owners.
    pub fn push_devices(&self, org_id: i64, devices: Vec<AgentDevice>) {
        let Some(org) = self.org(org_id) else {
            return;
        };
        let version = org.policy().version;
        let mut devices: Vec<AgentDevice> =
            devices.into_iter().map(|d| d.against(version)).collect();
        while !devices.is_empty() {
            let rest = devices.split_off(devices.len().min(PUSH_CHUNK));
            let msg = ServerToTab::AgentsUpdated { agents: devices };
            self.publish::<ServerToAgent, _>(&org, Audience::Admins, None, Some(&msg));
            devices = rest;
        }
    }
}

/// Writes the devices every `interval` and pushes the visible changes (to this node's tabs,
/// and on PostgreSQL to the other nodes' through `notify`) until cancelled.
pub async fn run(
    hub: std::sync::Arc<Hub>,
    store: Store,
    interval: Duration,
    notify: Option<DevicesWritten>,
    cancel: tokio_util::sync::CancellationToken,
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
                for (org_id, ids) in hub.devices.flush(&store).await {
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
    hub.devices.flush(&store).await;
}

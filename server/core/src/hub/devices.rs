//! The agent fleet in the hub: which device tokens hold a socket here, and what each agent
//! reported (version, OS, the policy version it applied, its last capture), handed to the
//! write-behind and pushed to admins' tabs (`agents_updated`) once written and read back.

use std::time::Duration;

use super::fanout::Audience;
use super::{Hub, OrgHub};
use crate::records::{DeviceWrite, Reported};
use crate::time::now_ms;
use shared::fleet::{AgentDevice, CaptureReport, MAX_DEVICE_TEXT};
use shared::protocol::{ServerToAgent, ServerToTab};

/// How often a node renews the devices it holds (their `last_seen_at`); the store's
/// `CONNECTED_LEASE_MS` is a few of these.
pub const RENEW_EVERY: Duration = Duration::from_secs(60);

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
        self.write_behind.device(w, true);
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
            self.write_behind.device(w, true);
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
        self.write_behind.device(w, true);
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
                self.write_behind.device(w, false);
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

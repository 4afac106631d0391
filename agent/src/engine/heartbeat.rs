//! What the agent tells the hub every few seconds (idle time, input counts, the focused
//! app, each as the policy allows), and the periodic "tracking is on" notice.

use shared::protocol::AgentToServer;
use std::time::Duration;
use tokio::time::Instant;

use super::Engine;

/// This agent's release, as the hub's fleet page shows it.
pub const AGENT_VERSION: &str = env!("CARGO_PKG_VERSION");

use crate::client::hub::HubClient;
use crate::state::Connection;

impl<H: HubClient> Engine<H> {
    /// Idle time always; while a session runs, the input counts since the previous heartbeat
    /// and the focused app, each only when its policy switch is on (absent otherwise).
    /// Returns the idle seconds measured.
    pub(super) fn heartbeat(&mut self) -> u32 {
        let s = self.snapshot();
        let config = &s.config;
        let idle = if config.enable_idle_detection {
            self.idle.idle_seconds().unwrap_or(0)
        } else {
            0
        };
        // Taken every time, so that counts made while offline are not sent later.
        let counts = self.input.take();
        self.update(|s| s.idle_seconds = idle);
        if s.connection != Connection::Online {
            return idle;
        }
        let active_app = if s.session.is_some() && config.website_tracking_enabled {
            self.focus.active_app()
        } else {
            None
        };
        let (agent_version, os) = if self.announce_device {
            (
                Some(AGENT_VERSION.to_string()),
                Some(crate::os::name::os_name()),
            )
        } else {
            (None, None)
        };
        let sent = self.send(AgentToServer::Heartbeat {
            idle_seconds: idle,
            active_app,
            key_presses: counts.keys,
            mouse_events: counts.mouse,
            agent_version,
            os,
            capture: self.capture_report.clone(),
        });
        if sent {
            self.announce_device = false;
            self.capture_report = None;
        }
        idle
    }

    /// Queues a message for the hub's socket; false when it could not be queued (offline,
    /// or the socket's queue is full).
    pub(super) fn send(&self, msg: AgentToServer) -> bool {
        self.heartbeat_tx
            .as_ref()
            .is_some_and(|tx| tx.try_send(msg).is_ok())
    }

    pub(super) fn maybe_notify(&mut self) {
        if let Some(at) = self.next_notice {
            if Instant::now() >= at {
                self.notice("Tracking is on.");
                let minutes = u64::from(self.config().notification_interval_minutes.max(1));
                self.next_notice = Some(Instant::now() + Duration::from_secs(60 * minutes));
            }
        }
    }
}

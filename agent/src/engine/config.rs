//! The tracking policy: applied from `hello`, a push, a re-read while offline, or the cache
//! kept for starts without the hub.

use chrono::{DateTime, Utc};
use shared::protocol::AgentToServer;
use shared::Policy;
use std::time::Duration;

use super::Engine;
use crate::client::hub::HubClient;
use crate::paths::write_json;

/// The last config, cached for starts without the hub.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub(super) struct CachedConfig {
    pub config_version: i64,
    pub config: Policy,
    pub cached_at: DateTime<Utc>,
}

impl<H: HubClient> Engine<H> {
    pub(super) fn config(&self) -> Policy {
        super::lock(&self.state).config.clone()
    }

    pub(super) fn sync_every(&self) -> Duration {
        Duration::from_secs(u64::from(self.config().config_sync_interval_seconds.max(1)))
    }

    /// A few seconds, never longer than the policy's sync interval.
    pub(super) fn heartbeat_every(&self) -> Duration {
        self.sync_every().min(Duration::from_secs(5))
    }

    /// Takes `config` as version `version`; `changed` names the fields of a push (noticed
    /// when the policy asks for notices). The same version again changes nothing.
    pub(super) fn apply_config(&mut self, version: i64, config: Policy, changed: Option<&str>) {
        let config = config.clamped();
        let previous = self.snapshot();
        if previous.config_version == version
            && previous.config == config
            && previous.config_applied_at.is_some()
        {
            return;
        }
        self.sync_interval
            .send_replace(Duration::from_secs(u64::from(
                config.config_sync_interval_seconds,
            )));
        let cache = CachedConfig {
            config_version: version,
            config: config.clone(),
            cached_at: Utc::now(),
        };
        if let Err(e) = write_json(&self.paths.config_cache(), &cache, 0o600) {
            tracing::warn!(error = %e, "cannot cache the config");
        }
        // A change to what screenshots are (on, interval, blurred) takes the next one a second
        // later, so what reaches the hub follows the policy at once.
        let screenshots_changed = previous.config.screenshot_interval_seconds
            != config.screenshot_interval_seconds
            || previous.config.screenshots_enabled != config.screenshots_enabled
            || previous.config.screenshot_blur != config.screenshot_blur;
        let notify = config.show_tracker_notification;
        self.update(|s| {
            s.config_version = version;
            s.config = config;
            s.config_applied_at = Some(Utc::now());
        });
        if screenshots_changed {
            self.schedule_tracking();
        }
        self.sync_input();
        if let Some(changed) = changed {
            tracing::info!(version, changed, "config updated");
            if notify {
                self.notice(&format!(
                    "Tracking settings changed (version {version}): {changed}"
                ));
            }
        }
    }

    /// Tells the hub which policy version is in force here (`config_applied`), so its fleet
    /// page can tell agents that run an old one.
    pub(super) fn acknowledge_config(&mut self) {
        let config_version = self.snapshot().config_version;
        self.send(AgentToServer::ConfigApplied { config_version });
    }

    /// Re-reads the policy over REST while the socket is down.
    pub(super) async fn poll_config(&mut self) {
        match self.hub.config().await {
            Ok(view) => self.apply_config(view.config_version, view.config, None),
            Err(e) => tracing::debug!(error = %e, "config re-read failed"),
        }
    }
}

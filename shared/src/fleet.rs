//! The agent fleet: every desktop agent device (one device token each), what it runs and
//! whether it applied the current tracking policy.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The longest `agent_version` / `os` / capture error the hub keeps (longer ones are cut).
pub const MAX_DEVICE_TEXT: usize = 200;

/// The outcome of the agent's latest screenshot attempt, as reported in a heartbeat.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CaptureReport {
    pub at: DateTime<Utc>,
    /// Why the capture failed; absent when it succeeded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// One agent device as `GET /api/agents`, `/fleet` and the `agent_updated` push show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AgentDevice {
    /// The device token's id: one per installed agent.
    pub device_id: i64,
    pub user_id: i64,
    pub user_name: String,
    pub agent_version: Option<String>,
    pub os: Option<String>,
    pub connected: bool,
    /// When the current connection opened (connected) or the last one did.
    pub connected_at: Option<DateTime<Utc>>,
    /// When the hub last heard of the device.
    pub last_seen_at: DateTime<Utc>,
    /// The policy version the agent acknowledged with `config_applied`; null when it never did.
    pub config_version: Option<i64>,
    pub config_applied_at: Option<DateTime<Utc>>,
    /// Whether `config_version` is the organization's current one.
    pub config_current: bool,
    pub last_capture: Option<CaptureReport>,
}

impl AgentDevice {
    /// What needs an admin's eye: an old (or never acknowledged) policy, a failed capture.
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        if !self.config_current {
            out.push(match self.config_version {
                Some(v) => format!("runs policy version {v}, not the current one"),
                None => "never acknowledged the policy".to_string(),
            });
        }
        if let Some(CaptureReport { error: Some(e), .. }) = &self.last_capture {
            out.push(format!("last screenshot failed: {e}"));
        }
        out
    }

    /// Recomputes `config_current` against the organization's policy version.
    pub fn against(mut self, current_version: i64) -> Self {
        self.config_current = self.config_version == Some(current_version);
        self
    }
}

/// `GET /api/agents`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AgentList {
    /// The organization's current policy version.
    pub config_version: i64,
    pub agents: Vec<AgentDevice>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn device() -> AgentDevice {
        AgentDevice {
            device_id: 1,
            user_id: 2,
            user_name: "Bob".into(),
            agent_version: Some("0.1.0".into()),
            os: Some("linux".into()),
            connected: true,
            connected_at: None,
            last_seen_at: Utc::now(),
            config_version: Some(3),
            config_applied_at: None,
            config_current: false,
            last_capture: None,
        }
    }

    #[test]
    fn problems_name_an_old_policy_and_a_failed_capture() {
        assert!(device().against(3).problems().is_empty());
        assert_eq!(
            device().against(4).problems(),
            vec!["runs policy version 3, not the current one"]
        );
        let mut d = device().against(3);
        d.config_version = None;
        d = d.against(3);
        d.last_capture = Some(CaptureReport {
            at: Utc::now(),
            error: Some("no display".into()),
        });
        assert_eq!(
            d.problems(),
            vec![
                "never acknowledged the policy",
                "last screenshot failed: no display"
            ]
        );
    }
}

//! WebSocket messages of `/ws/agent` and `/ws/tab`: JSON text frames tagged by `type`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::api::UserInfo;
use crate::fleet::{AgentDevice, CaptureReport};
use crate::game_servers::{CoverageAlert, CoverageCleared, GameServerUpdate};
use crate::policy::Policy;
use crate::presence::PresenceEntry;

/// A work session as it travels on sockets and in the REST API.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SessionInfo {
    pub id: i64,
    pub org_id: i64,
    pub user_id: i64,
    pub ticket_id: Option<i64>,
    pub started_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
    pub duration_seconds: Option<i64>,
    pub note: Option<String>,
    pub source: String,
    pub end_reason: Option<String>,
    /// The admin's reason when `end_reason` is `admin_ended`.
    #[serde(default)]
    pub end_note: Option<String>,
    pub ended_by: Option<i64>,
    /// For display; absent in older messages.
    #[serde(default)]
    pub user_name: Option<String>,
    #[serde(default)]
    pub ticket_title: Option<String>,
    /// Idle time discarded from this session (policy `idle_time_handling` or the user's
    /// answer): a running session's timer shows `now - started_at - discarded_seconds`.
    #[serde(default)]
    pub discarded_seconds: i64,
}

impl SessionInfo {
    /// Where a running session's timer counts from: its start moved on by the idle time
    /// discarded from it, so `now - counting_from()` is the time it counts.
    pub fn counting_from(&self) -> DateTime<Utc> {
        self.started_at + chrono::Duration::seconds(self.discarded_seconds)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionEnded {
    pub session_id: i64,
    pub reason: String,
    pub ended_by: Option<i64>,
    pub ended_at: DateTime<Utc>,
}

/// A completed session was deleted (kept as a tombstone for the audit).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionDeleted {
    pub session_id: i64,
    pub user_id: i64,
    pub reason: String,
    pub deleted_by: i64,
}

/// A user's week was approved or reopened.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimesheetUpdated {
    pub user_id: i64,
    /// ISO week, e.g. "2026-W49".
    pub week: String,
    /// `open` or `approved`.
    pub state: String,
    pub changed_by: Option<i64>,
    pub changed_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConfigUpdated {
    pub config_version: i64,
    pub config: Policy,
    pub changed: Vec<String>,
}

/// An error the hub reports on a socket without closing it (bad message, unknown type).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SocketError {
    pub code: String,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerToAgent {
    Hello {
        user: UserInfo,
        active_session: Option<SessionInfo>,
        config_version: i64,
        config: Policy,
        server_time: DateTime<Utc>,
    },
    SessionEnded(SessionEnded),
    SessionStarted {
        session: SessionInfo,
    },
    /// A session was corrected, recorded after the fact, or had idle time discarded: its
    /// new state.
    SessionUpdated {
        session: SessionInfo,
    },
    SessionDeleted(SessionDeleted),
    ConfigUpdated(ConfigUpdated),
    Error {
        error: SocketError,
    },
}

/// The focused window as the agent saw it: its application (the X11 `WM_CLASS` class) and
/// its title. On the wire an object `{"app": "firefox", "title": "Docs — Mozilla Firefox"}`;
/// a plain string is also read, as the app with no title.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(from = "ActiveAppWire")]
pub struct ActiveApp {
    pub app: String,
    #[serde(default)]
    pub title: String,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum ActiveAppWire {
    Full {
        app: String,
        #[serde(default)]
        title: String,
    },
    AppOnly(String),
}

impl From<ActiveAppWire> for ActiveApp {
    fn from(wire: ActiveAppWire) -> Self {
        match wire {
            ActiveAppWire::Full { app, title } => ActiveApp { app, title },
            ActiveAppWire::AppOnly(app) => ActiveApp {
                app,
                title: String::new(),
            },
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum AgentToServer {
    /// Every few seconds. The optional fields are absent when the policy switch behind them is
    /// off (or no session runs): `active_app` for `website_tracking_enabled`, `key_presses`
    /// for `enable_keyboard_tracking`, `mouse_events` (motion, buttons, wheel) for
    /// `enable_mouse_tracking`. The counts are those since the previous heartbeat.
    Heartbeat {
        idle_seconds: u32,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        active_app: Option<ActiveApp>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        key_presses: Option<u32>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        mouse_events: Option<u32>,
        /// The agent's release, sent in the first heartbeat of each connection.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        agent_version: Option<String>,
        /// The operating system, sent with `agent_version`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        os: Option<String>,
        /// The latest screenshot attempt, sent once after each attempt.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        capture: Option<CaptureReport>,
    },
    /// The agent applied a policy version (after `hello` and each `config_updated`).
    ConfigApplied { config_version: i64 },
}

impl AgentToServer {
    /// A heartbeat with only the idle time (the switches off).
    pub fn idle_heartbeat(idle_seconds: u32) -> Self {
        AgentToServer::Heartbeat {
            idle_seconds,
            active_app: None,
            key_presses: None,
            mouse_events: None,
            agent_version: None,
            os: None,
            capture: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerToTab {
    PresenceSnapshot {
        users: Vec<PresenceEntry>,
    },
    PresenceDiff {
        changes: Vec<PresenceEntry>,
    },
    SessionEnded(SessionEnded),
    SessionStarted {
        session: SessionInfo,
    },
    SessionUpdated {
        session: SessionInfo,
    },
    SessionDeleted(SessionDeleted),
    TimesheetUpdated(TimesheetUpdated),
    ConfigUpdated(ConfigUpdated),
    /// A game server poll changed who is on it or what it shows (supervisors and up).
    GameServerUpdated(Box<GameServerUpdate>),
    /// A game server has been short of staff for its `alert_after_minutes`.
    CoverageAlert(CoverageAlert),
    /// A coverage alert ended.
    CoverageCleared(CoverageCleared),
    /// A webhook delivery was made, attempted or given up (admins and owners).
    WebhookDeliveryUpdated(Box<crate::webhooks::WebhookDelivery>),
    /// An absence was requested, approved, refused or cancelled (the person, supervisors and
    /// up).
    AbsenceUpdated(Box<crate::worktime::Absence>),
    /// Agent devices connected, disconnected, applied a policy or reported a capture
    /// (admins and owners; at most 100 devices a message).
    AgentsUpdated {
        agents: Vec<AgentDevice>,
    },
    Error {
        error: SocketError,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum TabToServer {
    Activity {},
}

/// Close codes the hub uses, so clients can tell why a socket ended.
pub mod close_code {
    /// Normal closure.
    pub const NORMAL: u16 = 1000;
    /// The peer stopped answering pings (idle timeout).
    pub const GOING_AWAY: u16 = 1001;
    /// Too many messages per second.
    pub const POLICY_VIOLATION: u16 = 1008;
    /// A frame or message larger than the hub accepts.
    pub const MESSAGE_TOO_BIG: u16 = 1009;
    /// The hub is shutting down or restarting: reconnect.
    pub const SERVICE_RESTART: u16 = 1012;
    /// The client did not read its messages fast enough.
    pub const TRY_AGAIN_LATER: u16 = 1013;
    /// The user's token was revoked or the user deactivated.
    pub const UNAUTHORIZED: u16 = 4001;
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn messages_are_tagged_snake_case() {
        let m: AgentToServer =
            serde_json::from_value(json!({"type": "heartbeat", "idle_seconds": 3})).unwrap();
        assert_eq!(m, AgentToServer::idle_heartbeat(3));
        let ack: AgentToServer =
            serde_json::from_value(json!({"type": "config_applied", "config_version": 4})).unwrap();
        assert_eq!(ack, AgentToServer::ConfigApplied { config_version: 4 });
        let t: TabToServer = serde_json::from_value(json!({"type": "activity"})).unwrap();
        assert_eq!(t, TabToServer::Activity {});
        let s = serde_json::to_value(ServerToTab::PresenceDiff { changes: vec![] }).unwrap();
        assert_eq!(s, json!({"type": "presence_diff", "changes": []}));
    }

    #[test]
    fn heartbeats_carry_optional_activity() {
        let full = AgentToServer::Heartbeat {
            idle_seconds: 0,
            active_app: Some(ActiveApp {
                app: "firefox".into(),
                title: "Docs".into(),
            }),
            key_presses: Some(12),
            mouse_events: Some(40),
            agent_version: None,
            os: None,
            capture: None,
        };
        let wire = serde_json::to_value(&full).unwrap();
        assert_eq!(
            wire,
            json!({"type": "heartbeat", "idle_seconds": 0,
                "active_app": {"app": "firefox", "title": "Docs"},
                "key_presses": 12, "mouse_events": 40})
        );
        assert_eq!(serde_json::from_value::<AgentToServer>(wire).unwrap(), full);
        // Switches off: the fields are absent, and old messages stay valid.
        assert_eq!(
            serde_json::to_value(AgentToServer::idle_heartbeat(7)).unwrap(),
            json!({"type": "heartbeat", "idle_seconds": 7})
        );
        let text: AgentToServer = serde_json::from_value(
            json!({"type": "heartbeat", "idle_seconds": 1, "active_app": "code"}),
        )
        .unwrap();
        assert!(
            matches!(text, AgentToServer::Heartbeat { active_app: Some(a), .. }
            if a.app == "code" && a.title.is_empty())
        );
        assert!(serde_json::from_value::<AgentToServer>(
            json!({"type": "heartbeat", "idle_seconds": 1, "key_presses": -4})
        )
        .is_err());
    }

    #[test]
    fn game_server_updates_round_trip_with_their_tag() {
        use crate::game_servers::{GameServer, GameServerUpdate};
        let update = GameServerUpdate {
            server: GameServer {
                id: 1,
                name: "EU".into(),
                address: "127.0.0.1:27015".into(),
                enabled: true,
                server_name: None,
                map: Some("de_dust2".into()),
                players_online: Some(3),
                max_players: None,
                last_polled_at: None,
                last_ok_at: None,
                consecutive_failures: 0,
                staff_online: vec![],
                min_staff: 0,
                alert_after_minutes: 5,
                coverage_alert: None,
            },
            opened: vec![],
            closed: vec![],
            deleted: false,
        };
        let msg = ServerToTab::GameServerUpdated(Box::new(update));
        let v = serde_json::to_value(&msg).unwrap();
        assert_eq!(v["type"], "game_server_updated");
        assert_eq!(v["server"]["map"], "de_dust2");
        assert_eq!(serde_json::from_value::<ServerToTab>(v).unwrap(), msg);
    }

    #[test]
    fn unknown_types_are_rejected() {
        assert!(serde_json::from_value::<AgentToServer>(json!({"type": "bogus"})).is_err());
        assert!(serde_json::from_value::<AgentToServer>(
            json!({"type": "heartbeat", "idle_seconds": -1})
        )
        .is_err());
    }
}

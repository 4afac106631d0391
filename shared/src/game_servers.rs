//! Game servers polled over A2S and the time staff spend on them (SPEC §11): REST bodies and
//! the `game_server_updated` push.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::role::Role;

/// A staff member seen on a server right now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StaffOnline {
    pub user_id: i64,
    pub name: String,
    pub session_id: i64,
    pub join_time: DateTime<Utc>,
}

/// A configured game server and what its last poll found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GameServer {
    pub id: i64,
    pub name: String,
    /// `host:port` of the server's query port.
    pub address: String,
    pub enabled: bool,
    /// The name and map the server reported (A2S_INFO); `None` until it answered once.
    pub server_name: Option<String>,
    pub map: Option<String>,
    pub players_online: Option<i64>,
    pub max_players: Option<i64>,
    pub last_polled_at: Option<DateTime<Utc>>,
    pub last_ok_at: Option<DateTime<Utc>>,
    /// Polls in a row without an answer (3 close the server's open sessions).
    pub consecutive_failures: i64,
    /// Staff on the server now, by name.
    pub staff_online: Vec<StaffOnline>,
    /// Coverage rule: at least this many staff while players are on (0: no rule).
    #[serde(default)]
    pub min_staff: i64,
    /// How long the server may be short of staff before the alert is raised.
    #[serde(default)]
    pub alert_after_minutes: i64,
    /// The coverage alert in force, if any.
    #[serde(default)]
    pub coverage_alert: Option<CoverageAlert>,
}

/// A game server with players but fewer staff than its `min_staff` for `alert_after_minutes`
/// (SPEC §15): pushed as `coverage_alert`, shown on `/servers` and `/`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CoverageAlert {
    pub server_id: i64,
    pub server_name: String,
    /// Players on it who are not staff.
    pub players: i64,
    pub staff_online: i64,
    pub min_staff: i64,
    /// Since when it has been short of staff.
    pub since: DateTime<Utc>,
    pub raised_at: DateTime<Utc>,
}

impl CoverageAlert {
    /// "Demo EU #1: 12 players, 0 of 2 staff since 10:02 UTC".
    pub fn summary(&self) -> String {
        format!(
            "{}: {} player{}, {} of {} staff",
            self.server_name,
            self.players,
            if self.players == 1 { "" } else { "s" },
            self.staff_online,
            self.min_staff
        )
    }
}

/// A coverage alert ended: staff joined, the players left, or the rule changed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CoverageCleared {
    pub server_id: i64,
    pub server_name: String,
    pub staff_online: i64,
    pub cleared_at: DateTime<Utc>,
}

impl GameServer {
    /// Answered its last poll (or was never polled yet).
    pub fn reachable(&self) -> bool {
        self.consecutive_failures == 0
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateGameServerRequest {
    pub name: String,
    pub address: String,
    #[serde(default)]
    pub enabled: Option<bool>,
    /// 0 (default) to 100: staff wanted while players are on.
    #[serde(default)]
    pub min_staff: Option<i64>,
    /// 0 to 1440 (default 5).
    #[serde(default)]
    pub alert_after_minutes: Option<i64>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UpdateGameServerRequest {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub address: Option<String>,
    #[serde(default)]
    pub enabled: Option<bool>,
    #[serde(default)]
    pub min_staff: Option<i64>,
    #[serde(default)]
    pub alert_after_minutes: Option<i64>,
}

/// One stay of a staff member on a game server. `leave_time` is `None` while they are on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ServerSession {
    pub id: i64,
    pub user_id: i64,
    pub user_name: String,
    pub server_id: i64,
    pub server_name: String,
    pub player_name: String,
    pub join_time: DateTime<Utc>,
    pub leave_time: Option<DateTime<Utc>>,
    pub last_seen_at: DateTime<Utc>,
    pub duration_seconds: Option<i64>,
    /// `left`, `server_unreachable`, `hub_restart` or `server_disabled`.
    pub end_reason: Option<String>,
}

/// `daily`, `weekly` (Monday–Sunday), `monthly` or `all_time`, in the organization's timezone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Period {
    Daily,
    Weekly,
    Monthly,
    #[default]
    AllTime,
}

impl Period {
    pub const ALL: [Period; 4] = [
        Period::Daily,
        Period::Weekly,
        Period::Monthly,
        Period::AllTime,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Period::Daily => "daily",
            Period::Weekly => "weekly",
            Period::Monthly => "monthly",
            Period::AllTime => "all_time",
        }
    }

    pub fn parse(text: &str) -> Option<Period> {
        Period::ALL.into_iter().find(|p| p.as_str() == text)
    }
}

/// Time on servers over some sessions. Open sessions count up to the moment of the query.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TimeTotals {
    pub total_seconds: i64,
    pub session_count: i64,
    pub average_seconds: i64,
    pub longest_seconds: i64,
}

/// [`TimeTotals`] on one server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ServerTime {
    pub server_id: i64,
    pub server_name: String,
    #[serde(flatten)]
    pub totals: TimeTotals,
}

/// `GET /api/staff/{id}/stats?period=&server=`: one period (the current one), sessions counted
/// by the time they started.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StaffStats {
    pub user_id: i64,
    pub period: Period,
    pub server_id: Option<i64>,
    pub timezone: String,
    /// `None` for `all_time`.
    pub period_start: Option<DateTime<Utc>>,
    pub period_end: Option<DateTime<Utc>>,
    #[serde(flatten)]
    pub totals: TimeTotals,
    /// The same period, server by server (only the chosen one with `server=`).
    pub per_server: Vec<ServerTime>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StaffProfile {
    pub id: i64,
    pub name: String,
    pub email: String,
    pub role: Role,
    pub active: bool,
    pub game_name: Option<String>,
    pub steam_id: Option<String>,
    pub discord: Option<String>,
    /// The organization's timezone: where days, weeks and months begin.
    pub timezone: String,
}

/// The work-session side (SPEC §8) of a staff member.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WorkSummary {
    /// Distinct tickets with at least one session of theirs.
    pub tickets_worked: i64,
    /// Completed sessions on tickets.
    pub time_on_tickets_seconds: i64,
    pub work_sessions: i64,
    /// Completed sessions, with or without a ticket.
    pub work_seconds: i64,
}

/// `GET /api/staff/{id}/details`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StaffDetails {
    pub profile: StaffProfile,
    /// All time, over all servers.
    pub totals: TimeTotals,
    pub last_join: Option<DateTime<Utc>>,
    /// All time, server by server, most time first.
    pub per_server: Vec<ServerTime>,
    /// Newest first (at most 10).
    pub recent_sessions: Vec<ServerSession>,
    /// The current day, week and month.
    pub periods: Vec<StaffStats>,
    pub work: WorkSummary,
}

/// Pushed to the dashboards of supervisors and up when a poll changed something a page shows:
/// a staff member joined or left, the map or the player count changed, the server stopped or
/// started answering.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GameServerUpdate {
    pub server: GameServer,
    pub opened: Vec<ServerSession>,
    pub closed: Vec<ServerSession>,
    /// The server was deleted: pages drop it (its closed sessions are kept).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub deleted: bool,
}

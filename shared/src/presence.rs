//! What a dashboard shows about a user.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::protocol::SessionInfo;
use crate::role::Role;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum PresenceStatus {
    Active,
    Idle,
    Offline,
}

impl PresenceStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            PresenceStatus::Active => "active",
            PresenceStatus::Idle => "idle",
            PresenceStatus::Offline => "offline",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "active" => Some(PresenceStatus::Active),
            "idle" => Some(PresenceStatus::Idle),
            "offline" => Some(PresenceStatus::Offline),
            _ => None,
        }
    }
}

/// What a user is doing, next to their dot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ContextKind {
    /// The running session's ticket.
    Ticket,
    /// On a game server (the A2S poller saw them).
    Game,
    /// A break the user took.
    Break,
    /// A status the user set.
    Custom,
}

impl ContextKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ContextKind::Ticket => "ticket",
            ContextKind::Game => "game",
            ContextKind::Break => "break",
            ContextKind::Custom => "custom",
        }
    }
}

/// `{kind, label, since}` of SPEC §15, with the custom status's emoji and expiry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PresenceContext {
    pub kind: ContextKind,
    /// "#42 Login page times out", "Demo EU #1", "On break", "Dentist".
    pub label: String,
    pub since: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub emoji: Option<String>,
    /// When a break or custom status clears itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<DateTime<Utc>>,
}

impl PresenceContext {
    /// The line a dashboard shows: "on #42 Login page times out", "on Demo EU #1", "on break",
    /// "🌴 Dentist".
    pub fn text(&self) -> String {
        match self.kind {
            ContextKind::Ticket | ContextKind::Game => format!("on {}", self.label),
            ContextKind::Break if self.label.is_empty() => "on break".to_string(),
            ContextKind::Break | ContextKind::Custom => match &self.emoji {
                Some(e) => format!("{e} {}", self.label),
                None => self.label.clone(),
            },
        }
    }
}

/// One row of the status table; the element of `presence_snapshot` and `presence_diff`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PresenceEntry {
    pub user_id: i64,
    pub name: String,
    pub role: Role,
    pub status: PresenceStatus,
    pub last_activity_at: Option<DateTime<Utc>>,
    pub active_session: Option<SessionInfo>,
    /// What they are doing: a break or custom status first, then a game server, then the
    /// running session's ticket; null when none applies.
    #[serde(default)]
    pub context: Option<PresenceContext>,
    /// Do not disturb (set with a custom status, cleared with it).
    #[serde(default)]
    pub dnd: bool,
}

/// A break or custom status a user set (`PUT /api/me/status`), with do-not-disturb.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CustomStatus {
    /// `break` or `custom`.
    pub kind: ContextKind,
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub emoji: Option<String>,
    /// Cleared at this instant; kept until changed when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<DateTime<Utc>>,
    #[serde(default)]
    pub dnd: bool,
    pub set_at: DateTime<Utc>,
}

impl CustomStatus {
    /// Still in force at `now_ms`.
    pub fn in_force(&self, now_ms: i64) -> bool {
        self.until.is_none_or(|u| u.timestamp_millis() > now_ms)
    }

    pub fn context(&self) -> PresenceContext {
        PresenceContext {
            kind: self.kind,
            label: self.text.clone(),
            since: self.set_at,
            emoji: self.emoji.clone(),
            until: self.until,
        }
    }
}

/// `PUT /api/me/status`: a custom status (or a break) and do-not-disturb. An empty `text`
/// without `dnd` clears it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SetStatusRequest {
    /// At most 100 characters ("Dentist", "In a meeting"); a break defaults to "On break".
    #[serde(default)]
    pub text: String,
    /// One emoji (at most 16 bytes).
    #[serde(default)]
    pub emoji: Option<String>,
    /// When it clears itself: in the future, at most 7 days ahead.
    #[serde(default)]
    pub until: Option<DateTime<Utc>>,
    #[serde(default)]
    pub dnd: Option<bool>,
    /// `custom` (default) or `break`.
    #[serde(default)]
    pub kind: Option<ContextKind>,
}

/// The answer of `GET`/`PUT`/`DELETE /api/me/status`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MyStatus {
    pub status: Option<CustomStatus>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn contexts_read_as_a_dashboard_shows_them() {
        let at = Utc.with_ymd_and_hms(2026, 12, 1, 10, 0, 0).unwrap();
        let ctx = |kind, label: &str, emoji: Option<&str>| PresenceContext {
            kind,
            label: label.into(),
            since: at,
            emoji: emoji.map(str::to_string),
            until: None,
        };
        assert_eq!(
            ctx(ContextKind::Ticket, "#42 Login page times out", None).text(),
            "on #42 Login page times out"
        );
        assert_eq!(
            ctx(ContextKind::Game, "Demo EU #1", None).text(),
            "on Demo EU #1"
        );
        assert_eq!(ctx(ContextKind::Break, "", None).text(), "on break");
        assert_eq!(
            ctx(ContextKind::Custom, "Dentist", Some("🦷")).text(),
            "🦷 Dentist"
        );
        let status = CustomStatus {
            kind: ContextKind::Custom,
            text: "x".into(),
            emoji: None,
            until: Some(at),
            dnd: true,
            set_at: at,
        };
        assert!(status.in_force(at.timestamp_millis() - 1));
        assert!(!status.in_force(at.timestamp_millis()));
    }
}

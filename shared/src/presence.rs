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
}

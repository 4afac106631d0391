//! A work session's activity as `GET /api/sessions/{id}/activity` answers it: 10-minute slots
//! with an activity percentage, and the apps the time went to.
//!
//! Activity % of a slot (and of the whole session, over all its heartbeats):
//! - basis `input` — when the agent counted keyboard or mouse input (the policy's
//!   `enable_keyboard_tracking` / `enable_mouse_tracking`): the share of the heartbeats that
//!   carried counts in which at least one key press or mouse event happened since the previous
//!   heartbeat (a heartbeat every few seconds, so: the share of those few-second windows with
//!   input);
//! - basis `idle` — otherwise: the share of heartbeats whose idle time was below the policy's
//!   `idle_threshold_seconds` (the hub's `active` rule).
//!
//! Rounded to the nearest whole percent.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Length of an activity slot; slots start at multiples of it since the Unix epoch (UTC).
pub const SLOT_SECONDS: i64 = 600;

/// How many apps the activity answer lists, most time first.
pub const TOP_APPS: usize = 10;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ActivityBasis {
    /// Share of heartbeats with keyboard or mouse input.
    Input,
    /// Share of heartbeats below the idle threshold.
    Idle,
}

/// One 10-minute slot of a session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ActivitySlot {
    pub start: DateTime<Utc>,
    /// Heartbeats the hub received in the slot while the session ran.
    pub heartbeats: i64,
    /// Of those, below the idle threshold.
    pub active_heartbeats: i64,
    /// Of those, the ones that carried input counts (a tracking switch was on).
    pub counted_heartbeats: i64,
    /// Of the counted ones, those with at least one key press or mouse event.
    pub input_heartbeats: i64,
    pub key_presses: i64,
    pub mouse_events: i64,
    pub activity_percent: u8,
    pub basis: ActivityBasis,
}

/// Time attributed to one application (the focused window's app at each heartbeat, for the
/// interval since the previous heartbeat, at most a minute).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AppTime {
    pub app: String,
    /// The title of its window at the last heartbeat that named it.
    pub last_title: Option<String>,
    pub seconds: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SessionActivity {
    pub session_id: i64,
    pub slot_seconds: i64,
    /// Over the whole session; `None` before the first heartbeat.
    pub activity_percent: Option<u8>,
    /// Oldest first; only slots in which heartbeats arrived.
    pub slots: Vec<ActivitySlot>,
    /// At most [`TOP_APPS`], most time first.
    pub apps: Vec<AppTime>,
    /// Seconds attributed to any app (the listed ones and the rest).
    pub app_seconds_total: i64,
}

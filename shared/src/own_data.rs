//! What the organization holds about a person, as their own page (`/me`) and
//! `GET /api/me/data` show it (SPEC §18).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::activity::SessionActivity;
use crate::api::{AuditEntry, Screenshot, UserRecord};
use crate::protocol::SessionInfo;
use crate::Policy;

/// What the agent captures now under the live policy, in words a person reads.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CaptureSummary {
    pub config_version: i64,
    pub screenshots: bool,
    pub screenshot_interval_seconds: u32,
    pub screenshot_blur: bool,
    /// Focused apps and window titles.
    pub apps: bool,
    pub keyboard_counts: bool,
    pub mouse_counts: bool,
    pub idle_detection: bool,
    /// How long after it was taken one may delete one's own screenshot (0 = not at all).
    pub screenshot_delete_minutes: u32,
    /// 0 = kept until erased.
    pub screenshot_retention_days: u32,
    pub activity_retention_days: u32,
}

impl CaptureSummary {
    pub fn of(policy: &Policy, config_version: i64) -> Self {
        CaptureSummary {
            config_version,
            screenshots: policy.screenshots_enabled,
            screenshot_interval_seconds: policy.screenshot_interval_seconds,
            screenshot_blur: policy.screenshot_blur,
            apps: policy.website_tracking_enabled,
            keyboard_counts: policy.enable_keyboard_tracking,
            mouse_counts: policy.enable_mouse_tracking,
            idle_detection: policy.enable_idle_detection,
            screenshot_delete_minutes: policy.screenshot_delete_minutes,
            screenshot_retention_days: policy.screenshot_retention_days,
            activity_retention_days: policy.activity_retention_days,
        }
    }
}

/// One of the person's sessions with its activity (slots with activity %, focused apps).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OwnSession {
    pub session: SessionInfo,
    pub activity: SessionActivity,
}

/// A return from idle inside one of the person's sessions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OwnIdleSpan {
    pub session_id: i64,
    pub started_at: DateTime<Utc>,
    pub ended_at: DateTime<Utc>,
    /// `pending`, `kept` or `discarded`.
    pub decision: String,
}

/// One of the person's screenshots, with whether they may still delete it and how often
/// someone else looked at it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OwnScreenshot {
    pub screenshot: Screenshot,
    /// Until when its owner may delete it (absent: not any more, or not allowed).
    pub deletable_until: Option<DateTime<Utc>>,
    /// Views by someone else (each one is in `audit` as `SCREENSHOT_VIEWED`).
    pub views_by_others: i64,
}

/// `GET /api/me/data?days=`: everything the page shows, over the last `days` days.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OwnData {
    pub user: UserRecord,
    pub from: DateTime<Utc>,
    pub capture: CaptureSummary,
    /// Newest first.
    pub sessions: Vec<OwnSession>,
    pub idle_spans: Vec<OwnIdleSpan>,
    /// Newest first.
    pub screenshots: Vec<OwnScreenshot>,
    /// The audit entries about the person, newest first (at most 200).
    pub audit: Vec<AuditEntry>,
}

/// `POST /api/users/{id}/erase`: the person's e-mail, typed to confirm.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EraseRequest {
    pub confirm_email: String,
}

/// What an erasure left.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EraseResponse {
    pub user_id: i64,
    /// How the person is shown from now on ("erased user #N").
    pub shown_as: String,
}

//! Corrections, idle spans, approved weeks and time reports: REST bodies.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::api::double_option;

/// `PATCH /api/sessions/{id}`: any of the times, the ticket and the note, with a reason.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CorrectSessionRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_time: Option<DateTime<Utc>>,
    /// Only for an ended session (a running one is stopped, not corrected, to end it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_time: Option<DateTime<Utc>>,
    /// `null` removes the ticket.
    #[serde(
        default,
        with = "double_option",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<i64>))]
    pub ticket_id: Option<Option<i64>>,
    /// `null` removes the note.
    #[serde(
        default,
        with = "double_option",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub note: Option<Option<String>>,
    /// Why: required, kept in the audit log.
    pub reason: String,
}

/// `DELETE /api/sessions/{id}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct DeleteSessionRequest {
    pub reason: String,
}

/// `POST /api/sessions/{id}/idle`: the agent's user came back after this idle span.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct IdleSpanReport {
    pub started_at: DateTime<Utc>,
    pub ended_at: DateTime<Utc>,
    /// Makes a replayed report idempotent.
    #[serde(default)]
    pub client_id: Option<String>,
}

/// What became of an idle span.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum IdleDecision {
    /// The agent asks its user; unanswered after 10 minutes it is kept.
    Pending,
    Kept,
    Discarded,
}

impl IdleDecision {
    pub fn as_str(self) -> &'static str {
        match self {
            IdleDecision::Pending => "pending",
            IdleDecision::Kept => "kept",
            IdleDecision::Discarded => "discarded",
        }
    }

    pub fn parse(word: &str) -> Option<IdleDecision> {
        match word {
            "pending" => Some(IdleDecision::Pending),
            "kept" => Some(IdleDecision::Kept),
            "discarded" => Some(IdleDecision::Discarded),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IdleSpan {
    pub id: i64,
    pub session_id: i64,
    pub started_at: DateTime<Utc>,
    pub ended_at: DateTime<Utc>,
    pub seconds: i64,
    pub decision: IdleDecision,
    /// Until when the user may still answer a pending span.
    #[serde(default)]
    pub answer_by: Option<DateTime<Utc>>,
}

/// `POST /api/sessions/{id}/idle/{span_id}`: the user's answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct IdleAnswer {
    pub keep: bool,
}

/// One user's row of a week.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TimesheetRow {
    pub user_id: i64,
    pub name: String,
    /// Counted seconds per day, Monday first (idle time discarded, deletions left out).
    pub days: Vec<i64>,
    pub total_seconds: i64,
    /// `open` or `approved`.
    pub state: String,
    pub changed_by_name: Option<String>,
    pub changed_at: Option<DateTime<Utc>>,
}

/// `GET /api/timesheets?week=`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TimesheetWeek {
    /// ISO week, e.g. "2026-W49", in the organization's timezone.
    pub week: String,
    pub timezone: String,
    /// The seven local dates, Monday first.
    pub dates: Vec<NaiveDate>,
    pub users: Vec<TimesheetRow>,
    pub previous_week: String,
    pub next_week: String,
    /// Asked for with `user_id`: that person's sessions that touch the week, oldest first,
    /// each with the part that belongs to this week.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sessions: Option<Vec<WeekSession>>,
}

/// A session in a week's list. One that crosses Monday 00:00 is listed in both weeks, each
/// time with its own part: the seconds inside the week after idle rules, which add up to the
/// week's total; a running session counts until now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WeekSession {
    pub session: crate::protocol::SessionInfo,
    pub seconds_in_week: i64,
}

/// How a report groups time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum GroupBy {
    #[default]
    User,
    Ticket,
    Day,
}

impl GroupBy {
    pub fn as_str(self) -> &'static str {
        match self {
            GroupBy::User => "user",
            GroupBy::Ticket => "ticket",
            GroupBy::Day => "day",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReportGroup {
    /// The user's or ticket's id, or the date ("2026-12-04"); "none" for time on no ticket.
    pub key: String,
    pub label: String,
    pub seconds: i64,
    /// Sessions that count in this group.
    pub sessions: i64,
}

/// `GET /api/reports/time`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TimeReport {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub timezone: String,
    pub group_by: GroupBy,
    pub groups: Vec<ReportGroup>,
    pub total_seconds: i64,
}

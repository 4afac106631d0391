//! Working time (SPEC §19): a person's planned hours, the organization's holidays, absences,
//! and the planned / worked / absence / balance figures made from them. REST bodies and the
//! `absence_updated` push.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// Minutes of work planned for each weekday, Monday first.
pub type WeekMinutes = [u32; 7];

/// Without any plan, a person is planned for 8 hours Monday to Friday.
pub const DEFAULT_WEEK_MINUTES: WeekMinutes = [480, 480, 480, 480, 480, 0, 0];

/// A working-time plan, valid from a date until the next plan of the same person (or the
/// organization's default when `user_id` is absent).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WorkPlan {
    pub id: i64,
    /// Absent: the organization's default for people without a plan of their own.
    pub user_id: Option<i64>,
    pub valid_from: NaiveDate,
    /// Minutes per weekday, Monday first (0 to 1440 each).
    pub minutes: Vec<u32>,
    pub created_at: DateTime<Utc>,
}

/// `PUT /api/worktime/plans`: sets (or replaces) the plan that starts on `valid_from`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SetWorkPlan {
    /// Absent or null: the organization's default.
    #[serde(default)]
    pub user_id: Option<i64>,
    pub valid_from: NaiveDate,
    /// Seven numbers, Monday first: minutes planned that weekday (0 to 1440).
    pub minutes: Vec<u32>,
}

/// A day nobody is planned to work.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Holiday {
    pub id: i64,
    pub date: NaiveDate,
    pub name: String,
}

/// `POST /api/holidays`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewHoliday {
    pub date: NaiveDate,
    pub name: String,
}

/// `POST /api/holidays/import`: what an ICS file added.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HolidayImport {
    /// Days added.
    pub imported: u32,
    /// Days that were holidays already (kept as they were).
    pub skipped: u32,
    pub holidays: Vec<Holiday>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AbsenceKind {
    Vacation,
    Sick,
    Other,
}

impl AbsenceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AbsenceKind::Vacation => "vacation",
            AbsenceKind::Sick => "sick",
            AbsenceKind::Other => "other",
        }
    }

    pub fn parse(text: &str) -> Option<AbsenceKind> {
        match text {
            "vacation" => Some(AbsenceKind::Vacation),
            "sick" => Some(AbsenceKind::Sick),
            "other" => Some(AbsenceKind::Other),
            _ => None,
        }
    }

    /// As a person reads it.
    pub fn label(self) -> &'static str {
        match self {
            AbsenceKind::Vacation => "Vacation",
            AbsenceKind::Sick => "Sick",
            AbsenceKind::Other => "Other absence",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AbsenceState {
    Requested,
    Approved,
    Refused,
    /// Withdrawn by the person before a decision, or by an admin.
    Cancelled,
}

impl AbsenceState {
    pub fn as_str(self) -> &'static str {
        match self {
            AbsenceState::Requested => "requested",
            AbsenceState::Approved => "approved",
            AbsenceState::Refused => "refused",
            AbsenceState::Cancelled => "cancelled",
        }
    }

    pub fn parse(text: &str) -> Option<AbsenceState> {
        match text {
            "requested" => Some(AbsenceState::Requested),
            "approved" => Some(AbsenceState::Approved),
            "refused" => Some(AbsenceState::Refused),
            "cancelled" => Some(AbsenceState::Cancelled),
            _ => None,
        }
    }
}

/// An absence: full days from `first_day` to `last_day`, or half of one day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Absence {
    pub id: i64,
    pub user_id: i64,
    pub user_name: String,
    pub kind: AbsenceKind,
    pub first_day: NaiveDate,
    pub last_day: NaiveDate,
    pub half_day: bool,
    pub note: Option<String>,
    pub state: AbsenceState,
    pub requested_by: i64,
    pub requested_at: DateTime<Utc>,
    pub decided_by: Option<i64>,
    pub decided_by_name: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    /// The supervisor's words with a refusal (or an approval).
    pub decision_note: Option<String>,
}

/// `POST /api/absences`: a member asks for their own absence; admins and owners may record
/// one for anyone (`user_id`), which is then approved at once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RequestAbsence {
    pub kind: AbsenceKind,
    pub first_day: NaiveDate,
    pub last_day: NaiveDate,
    /// Half of a single day (`first_day` = `last_day`).
    #[serde(default)]
    pub half_day: bool,
    #[serde(default)]
    pub note: Option<String>,
    #[serde(default)]
    pub user_id: Option<i64>,
}

/// `POST /api/absences/{id}/approve` and `/refuse`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct DecideAbsence {
    /// Required to refuse: the reason the person reads.
    #[serde(default)]
    pub note: Option<String>,
}

/// One local day of a person's working time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WorktimeDay {
    pub date: NaiveDate,
    pub planned_seconds: i64,
    /// The sessions' time that day, after idle rules and deletions.
    pub worked_seconds: i64,
    /// Planned time covered by an approved absence.
    pub absence_seconds: i64,
    /// The holiday's name, if the day is one.
    pub holiday: Option<String>,
    /// The approved absence that day, if any.
    pub absence: Option<AbsenceKind>,
}

/// A person's working time over a range.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserWorktime {
    pub user_id: i64,
    pub name: String,
    pub planned_seconds: i64,
    pub worked_seconds: i64,
    pub absence_seconds: i64,
    /// worked + absence − planned over the range.
    pub difference_seconds: i64,
    /// The overtime balance carried from `balance_from` to the range's last day, or to today
    /// when that is earlier (days to come are not missed yet).
    pub balance_seconds: i64,
    /// Where the balance starts: the person's own first plan, or where the organization's
    /// default began to hold for them (not before they joined), whichever is earlier; without
    /// any plan, the day they joined.
    pub balance_from: NaiveDate,
    pub days: Vec<WorktimeDay>,
}

/// `GET /api/worktime?from=&to=&user_id=`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WorktimeReport {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub timezone: String,
    pub users: Vec<UserWorktime>,
}

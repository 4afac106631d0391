//! What a timesheet export shows (`GET /api/worktime/export.{csv,xlsx,pdf}`): a week or a
//! month of one person or the team, from the same figures as `GET /api/worktime`, with each
//! week's approval. The writers in `crate::exports` only lay it out.

use chrono::{Datelike, Months, NaiveDate, Utc};

use crate::domain::weeks::IsoWeek;
use crate::error::{ApiError, ApiResult};
use crate::exports::{ExportDay, PersonSheet, TimesheetExport, WeekApproval};
use crate::queries::worktime::{worktime, WorktimeRequest};
use crate::store::{ms_to_time, Store, UserRow};
use shared::worktime::WorktimeDay;

/// The period of an export: an ISO week or a calendar month.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportPeriod {
    Week(IsoWeek),
    /// The first day of the month.
    Month(NaiveDate),
}

impl ExportPeriod {
    /// `week=2026-W49` or `month=2026-12` (exactly one of them).
    pub fn parse(week: Option<&str>, month: Option<&str>) -> ApiResult<ExportPeriod> {
        match (week, month) {
            (Some(w), None) => IsoWeek::parse(w)
                .map(ExportPeriod::Week)
                .map_err(|e| ApiError::invalid_field("week", e.to_string())),
            (None, Some(m)) => NaiveDate::parse_from_str(&format!("{m}-01"), "%Y-%m-%d")
                .map(ExportPeriod::Month)
                .map_err(|_| ApiError::invalid_field("month", "must be a month like 2026-12")),
            _ => Err(ApiError::invalid_field(
                "week",
                "give either week (2026-W49) or month (2026-12)",
            )),
        }
    }

    /// The calendar month that holds `day`.
    pub fn month_of(day: NaiveDate) -> ExportPeriod {
        ExportPeriod::Month(day.with_day(1).unwrap_or(day))
    }

    /// Its first and last local day.
    pub fn days(self) -> (NaiveDate, NaiveDate) {
        match self {
            ExportPeriod::Week(w) => {
                let days = w.days();
                (days[0], days[6])
            }
            ExportPeriod::Month(first) => {
                let last = first
                    .checked_add_months(Months::new(1))
                    .and_then(|next| next.pred_opt())
                    .unwrap_or(first);
                (first, last)
            }
        }
    }

    /// "Week 2026-W49" or "December 2026".
    pub fn label(self) -> String {
        match self {
            ExportPeriod::Week(w) => format!("Week {w}"),
            ExportPeriod::Month(first) => first.format("%B %Y").to_string(),
        }
    }

    /// "2026-W49" or "2026-12", for file names.
    pub fn slug(self) -> String {
        match self {
            ExportPeriod::Week(w) => w.to_string(),
            ExportPeriod::Month(first) => format!("{}-{:02}", first.year(), first.month()),
        }
    }
}

/// The day's note: the holiday, or the absence (and whether it was half the day).
fn note(day: &WorktimeDay) -> Option<String> {
    if let Some(holiday) = &day.holiday {
        return Some(holiday.clone());
    }
    day.absence.map(|kind| {
        let half = day.planned_seconds > 0 && day.absence_seconds * 2 == day.planned_seconds;
        if half {
            format!("{} (half day)", kind.as_str())
        } else {
            kind.as_str().to_string()
        }
    })
}

/// The export of `period` for `user_id` (members: themselves) or the viewer's team.
pub async fn export(
    store: &Store,
    viewer: &UserRow,
    period: ExportPeriod,
    user_id: Option<i64>,
) -> ApiResult<TimesheetExport> {
    let (from, to) = period.days();
    let report = worktime(store, viewer, WorktimeRequest { from, to, user_id }).await?;
    let org = store
        .get_org(viewer.org_id)
        .await?
        .ok_or(ApiError::NotFound("Organization"))?;
    // Every ISO week the period touches, with each person's state in it.
    let weeks = IsoWeek::touched(from, to);
    let mut states = Vec::with_capacity(weeks.len());
    for week in &weeks {
        states.push((
            week.to_string(),
            store.week_states(viewer.org_id, &week.to_string()).await?,
        ));
    }
    let people = report
        .users
        .into_iter()
        .map(|u| PersonSheet {
            user_id: u.user_id,
            weeks: states
                .iter()
                .map(|(week, rows)| {
                    let row = rows.iter().find(|r| r.user_id == u.user_id);
                    WeekApproval {
                        week: week.clone(),
                        state: row.map_or_else(|| "open".to_string(), |r| r.state.clone()),
                        changed_by_name: row.and_then(|r| r.changed_by_name.clone()),
                        changed_at: row.map(|r| ms_to_time(r.changed_at)),
                    }
                })
                .collect(),
            days: u
                .days
                .iter()
                .map(|d| ExportDay {
                    date: d.date,
                    planned_seconds: d.planned_seconds,
                    worked_seconds: d.worked_seconds,
                    absence_seconds: d.absence_seconds,
                    note: note(d),
                })
                .collect(),
            name: u.name,
            planned_seconds: u.planned_seconds,
            worked_seconds: u.worked_seconds,
            absence_seconds: u.absence_seconds,
            difference_seconds: u.difference_seconds,
            balance_seconds: u.balance_seconds,
            balance_from: u.balance_from,
        })
        .collect();
    Ok(TimesheetExport {
        organization: org.name,
        period_label: period.label(),
        from,
        to,
        timezone: report.timezone,
        generated_at: Utc::now(),
        people,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_week_or_a_month_and_nothing_else() {
        let week = ExportPeriod::parse(Some("2026-W53"), None).unwrap();
        assert_eq!(
            week.days(),
            ("2026-12-28".parse().unwrap(), "2027-01-03".parse().unwrap())
        );
        assert_eq!(week.label(), "Week 2026-W53");
        let month = ExportPeriod::parse(None, Some("2026-02")).unwrap();
        assert_eq!(
            month.days(),
            ("2026-02-01".parse().unwrap(), "2026-02-28".parse().unwrap())
        );
        assert_eq!(month.label(), "February 2026");
        assert_eq!(month.slug(), "2026-02");
        let leap = ExportPeriod::month_of("2024-02-14".parse().unwrap());
        assert_eq!(
            leap.days(),
            ("2024-02-01".parse().unwrap(), "2024-02-29".parse().unwrap())
        );
        assert!(ExportPeriod::parse(None, None).is_err());
        assert!(ExportPeriod::parse(Some("2026-W49"), Some("2026-12")).is_err());
        assert!(ExportPeriod::parse(None, Some("2026-13")).is_err());
    }
}

//! Timesheet exports: one period's planned, worked and absent hours per person, with the
//! overtime balance and the weeks' approvals, written as CSV, XLSX or a signed-off PDF.
//!
//! The writers only lay out: every number is computed by the caller and handed over in a
//! [`TimesheetExport`]. One file per format.

pub mod csv;
pub mod pdf;
pub mod xlsx;

use chrono::{DateTime, NaiveDate, Utc};

/// The [`WeekApproval::state`] of a week whose hours were signed off.
pub const APPROVED: &str = "approved";

/// Everything one export shows: a period of an organization, with a sheet per person.
#[derive(Debug, Clone, PartialEq)]
pub struct TimesheetExport {
    /// The organization's display name.
    pub organization: String,
    /// "Week 2026-W49" or "December 2026".
    pub period_label: String,
    /// The period's first local day, inclusive.
    pub from: NaiveDate,
    /// The period's last local day, inclusive.
    pub to: NaiveDate,
    /// The IANA name of the timezone the days are counted in, e.g. "Europe/Berlin".
    pub timezone: String,
    /// When the export was made.
    pub generated_at: DateTime<Utc>,
    /// One sheet per person, in the order they are written.
    pub people: Vec<PersonSheet>,
}

/// One person's days, totals, balance and approvals over the period.
#[derive(Debug, Clone, PartialEq)]
pub struct PersonSheet {
    pub user_id: i64,
    /// The display name.
    pub name: String,
    /// Every day of the period, in order.
    pub days: Vec<ExportDay>,
    /// Planned over the period.
    pub planned_seconds: i64,
    /// Worked over the period.
    pub worked_seconds: i64,
    /// Absent (vacation, sick, other) over the period, counted as worked.
    pub absence_seconds: i64,
    /// worked + absence - planned over the period.
    pub difference_seconds: i64,
    /// The overtime balance carried from `balance_from` to the period's last day.
    pub balance_seconds: i64,
    /// The first day the balance counts.
    pub balance_from: NaiveDate,
    /// The approval of each week the period touches.
    pub weeks: Vec<WeekApproval>,
}

/// One person's local day.
#[derive(Debug, Clone, PartialEq)]
pub struct ExportDay {
    pub date: NaiveDate,
    pub planned_seconds: i64,
    pub worked_seconds: i64,
    pub absence_seconds: i64,
    /// The holiday's name, or the absence ("vacation", "sick", "other", with "(half day)").
    pub note: Option<String>,
}

impl ExportDay {
    /// worked + absence - planned on this day.
    pub fn difference_seconds(&self) -> i64 {
        self.worked_seconds + self.absence_seconds - self.planned_seconds
    }
}

/// Whether one ISO week of a person's hours was signed off, and by whom.
#[derive(Debug, Clone, PartialEq)]
pub struct WeekApproval {
    /// The ISO week, e.g. "2026-W49".
    pub week: String,
    /// "approved" or "open".
    pub state: String,
    /// Who last changed the state.
    pub changed_by_name: Option<String>,
    /// When the state last changed.
    pub changed_at: Option<DateTime<Utc>>,
}

impl WeekApproval {
    /// Whether the week was signed off.
    pub fn is_approved(&self) -> bool {
        self.state == APPROVED
    }

    /// "by Grace Hopper on 2026-12-07", the day counted in `timezone`; an unknown time is left
    /// out.
    pub fn approved_by(&self, timezone: &str) -> String {
        let name = self
            .changed_by_name
            .as_deref()
            .unwrap_or("an unknown approver");
        match self.changed_at {
            Some(at) => format!("by {name} on {}", local_date(at, timezone)),
            None => format!("by {name}"),
        }
    }
}

/// Why an export could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// The XLSX writer refused the workbook.
    #[error("XLSX export failed: {0}")]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),
    /// The PDF could not be put together.
    #[error("PDF export failed: {0}")]
    Pdf(&'static str),
}

/// "7:30", "-1:05", "0:00": hours and minutes, rounded to the nearest minute.
pub fn hours_minutes(seconds: i64) -> String {
    // Half a minute rounds up; `unsigned_abs` has room for `i64::MIN`.
    let minutes = seconds.unsigned_abs().saturating_add(30) / 60;
    // Less than half a minute below zero is "0:00", not "-0:00".
    let sign = if seconds < 0 && minutes > 0 { "-" } else { "" };
    format!("{sign}{}:{:02}", minutes / 60, minutes % 60)
}

/// "+6:15", "-1:05", "0:00": like [`hours_minutes`], with the sign of a difference.
pub fn signed_hours_minutes(seconds: i64) -> String {
    let text = hours_minutes(seconds);
    if seconds > 0 && text != "0:00" {
        format!("+{text}")
    } else {
        text
    }
}

/// Hours as a decimal number rounded to two places: 27 900 s is 7.75.
pub fn decimal_hours(seconds: i64) -> f64 {
    let hours = (seconds as f64 / 36.0).round() / 100.0;
    // A few seconds below zero round to -0.0, which would print as "-0.00".
    if hours == 0.0 {
        0.0
    } else {
        hours
    }
}

/// The calendar day `at` falls on in `timezone` (an IANA name); the UTC day if the name is
/// unknown.
pub fn local_date(at: DateTime<Utc>, timezone: &str) -> NaiveDate {
    match timezone.parse::<chrono_tz::Tz>() {
        Ok(zone) => at.with_timezone(&zone).date_naive(),
        Err(_) => at.date_naive(),
    }
}

/// The export the writers' tests share: week 2026-W49 for two people, with an absence on each,
/// a holiday, weekend work, one approved week and one open one. The second name has a comma,
/// quotes and an accent, as real names do.
#[cfg(test)]
pub(crate) fn sample() -> TimesheetExport {
    use chrono::{Days, TimeZone};

    const H: i64 = 3600;
    const M: i64 = 60;
    let monday = NaiveDate::from_ymd_opt(2026, 11, 30).expect("a date");
    let day =
        |offset: u64, planned: i64, worked: i64, absence: i64, note: Option<&str>| ExportDay {
            date: monday + Days::new(offset),
            planned_seconds: planned,
            worked_seconds: worked,
            absence_seconds: absence,
            note: note.map(str::to_owned),
        };
    let holiday = Some("Company holiday");

    let ada = PersonSheet {
        user_id: 1,
        name: "Ada Lovelace".to_owned(),
        days: vec![
            day(0, 8 * H, 8 * H + 30 * M, 0, None),
            day(1, 8 * H, 7 * H + 45 * M, 0, None),
            day(2, 8 * H, 0, 8 * H, Some("vacation")),
            day(3, 8 * H, 9 * H + 15 * M, 0, None),
            day(4, 0, 0, 0, holiday),
            day(5, 0, 0, 0, None),
            day(6, 0, 0, 0, None),
        ],
        planned_seconds: 32 * H,
        worked_seconds: 25 * H + 30 * M,
        absence_seconds: 8 * H,
        difference_seconds: H + 30 * M,
        balance_seconds: 12 * H + 30 * M,
        balance_from: NaiveDate::from_ymd_opt(2026, 1, 1).expect("a date"),
        weeks: vec![WeekApproval {
            week: "2026-W49".to_owned(),
            state: APPROVED.to_owned(),
            changed_by_name: Some("Grace Hopper".to_owned()),
            changed_at: Some(Utc.with_ymd_and_hms(2026, 12, 7, 9, 15, 0).unwrap()),
        }],
    };
    let zoe = PersonSheet {
        user_id: 2,
        name: "Zoë \"Zed\" Brandt, Jr.".to_owned(),
        days: vec![
            day(0, 6 * H, 6 * H, 0, None),
            day(1, 6 * H, 3 * H, 3 * H, Some("sick (half day)")),
            day(2, 6 * H, 5 * H + 25 * M, 0, None),
            day(3, 6 * H, 6 * H + 5 * M, 0, None),
            day(4, 0, 0, 0, holiday),
            day(5, 0, H, 0, None),
            day(6, 0, 0, 0, None),
        ],
        planned_seconds: 24 * H,
        worked_seconds: 21 * H + 30 * M,
        absence_seconds: 3 * H,
        difference_seconds: 30 * M,
        balance_seconds: -(H + 5 * M),
        balance_from: NaiveDate::from_ymd_opt(2026, 9, 1).expect("a date"),
        weeks: vec![WeekApproval {
            week: "2026-W49".to_owned(),
            state: "open".to_owned(),
            changed_by_name: None,
            changed_at: None,
        }],
    };
    TimesheetExport {
        organization: "Acme Robotics GmbH".to_owned(),
        period_label: "Week 2026-W49".to_owned(),
        from: monday,
        to: monday + Days::new(6),
        timezone: "Europe/Berlin".to_owned(),
        generated_at: Utc.with_ymd_and_hms(2026, 12, 7, 10, 0, 0).unwrap(),
        people: vec![ada, zoe],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn hours_minutes_rounds_to_the_minute_and_keeps_the_sign() {
        assert_eq!(hours_minutes(0), "0:00");
        assert_eq!(hours_minutes(7 * 3600 + 30 * 60), "7:30");
        assert_eq!(hours_minutes(-(3600 + 5 * 60)), "-1:05");
        assert_eq!(hours_minutes(40 * 3600), "40:00");
        assert_eq!(hours_minutes(89), "0:01");
        assert_eq!(hours_minutes(3599), "1:00");
        assert_eq!(hours_minutes(29), "0:00");
        assert_eq!(hours_minutes(-29), "0:00");
        assert_eq!(hours_minutes(i64::MIN).chars().next(), Some('-'));
    }

    #[test]
    fn signed_hours_minutes_shows_plus_only_for_a_surplus() {
        assert_eq!(signed_hours_minutes(6 * 3600 + 15 * 60), "+6:15");
        assert_eq!(signed_hours_minutes(-(3600 + 5 * 60)), "-1:05");
        assert_eq!(signed_hours_minutes(0), "0:00");
        assert_eq!(signed_hours_minutes(10), "0:00");
        assert_eq!(signed_hours_minutes(-10), "0:00");
    }

    #[test]
    fn decimal_hours_rounds_to_two_places() {
        assert_eq!(decimal_hours(27_900), 7.75);
        assert_eq!(decimal_hours(19_500), 5.42);
        assert_eq!(decimal_hours(-3_900), -1.08);
        assert_eq!(decimal_hours(0), 0.0);
        assert_eq!(format!("{:.2}", decimal_hours(-10)), "0.00");
    }

    #[test]
    fn local_date_counts_the_day_in_the_timezone() {
        let late = Utc.with_ymd_and_hms(2026, 12, 7, 23, 30, 0).unwrap();
        assert_eq!(
            local_date(late, "Europe/Berlin"),
            NaiveDate::from_ymd_opt(2026, 12, 8).unwrap()
        );
        assert_eq!(
            local_date(late, "Not/A_Zone"),
            NaiveDate::from_ymd_opt(2026, 12, 7).unwrap()
        );
    }

    #[test]
    fn approved_by_names_the_approver_and_the_local_day() {
        let export = sample();
        let approved = &export.people[0].weeks[0];
        assert!(approved.is_approved());
        assert_eq!(
            approved.approved_by(&export.timezone),
            "by Grace Hopper on 2026-12-07"
        );
        assert!(!export.people[1].weeks[0].is_approved());
    }

    /// The writers' tests compare against these totals, so they must add up.
    #[test]
    fn sample_totals_are_the_sum_of_its_days() {
        for person in sample().people {
            let sum = |seconds: fn(&ExportDay) -> i64| person.days.iter().map(seconds).sum::<i64>();
            assert_eq!(person.planned_seconds, sum(|d| d.planned_seconds));
            assert_eq!(person.worked_seconds, sum(|d| d.worked_seconds));
            assert_eq!(person.absence_seconds, sum(|d| d.absence_seconds));
            assert_eq!(
                person.difference_seconds,
                sum(ExportDay::difference_seconds)
            );
        }
    }
}

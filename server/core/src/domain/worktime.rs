//! Working time (SPEC §19) as arithmetic on local dates: which plan holds on a day, the
//! planned seconds of a day (none on a holiday), what an approved absence covers, and the
//! figures of a range — planned, worked, absence, their difference — and the balance carried
//! from the plan's start. Worked seconds per day come from `tally`; nothing here reads a
//! clock or a database.

use chrono::{Datelike, NaiveDate};
use shared::worktime::{AbsenceKind, WeekMinutes, DEFAULT_WEEK_MINUTES};
use std::collections::HashMap;

/// A plan as stored: from which local date its minutes hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlanStart {
    pub valid_from: NaiveDate,
    pub minutes: WeekMinutes,
}

/// The plans that apply to one person: their own, and the organization's defaults for the
/// days before their own first plan (or all days, without one).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plans {
    own: Vec<PlanStart>,
    defaults: Vec<PlanStart>,
}

impl Plans {
    pub fn new(mut own: Vec<PlanStart>, mut defaults: Vec<PlanStart>) -> Plans {
        own.sort_by_key(|p| p.valid_from);
        defaults.sort_by_key(|p| p.valid_from);
        Plans { own, defaults }
    }

    /// The minutes of the latest plan that started on or before `date`: the person's own
    /// first, then the organization's default, then 8 hours Monday to Friday.
    pub fn week_on(&self, date: NaiveDate) -> WeekMinutes {
        let latest = |plans: &[PlanStart]| {
            plans
                .iter()
                .take_while(|p| p.valid_from <= date)
                .last()
                .map(|p| p.minutes)
        };
        latest(&self.own)
            .or_else(|| latest(&self.defaults))
            .unwrap_or(DEFAULT_WEEK_MINUTES)
    }

    /// Seconds planned on `date` (before holidays).
    pub fn seconds_on(&self, date: NaiveDate) -> i64 {
        let minutes = self.week_on(date)[date.weekday().num_days_from_monday() as usize];
        i64::from(minutes) * 60
    }

    /// Where the overtime balance starts: the person's own first plan (an admin set it on
    /// purpose, even before they joined here), or where the organization's default began to
    /// hold for them — never before they joined — whichever is earlier; without any plan, the
    /// day they joined.
    pub fn balance_from(&self, joined: NaiveDate) -> NaiveDate {
        let own = self.own.first().map(|p| p.valid_from);
        let default = self
            .defaults
            .first()
            .map_or(joined, |p| p.valid_from.max(joined));
        own.map_or(default, |own| own.min(default))
    }
}

/// An approved absence as the figures need it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AbsenceDays {
    pub kind: AbsenceKind,
    pub first_day: NaiveDate,
    pub last_day: NaiveDate,
    pub half_day: bool,
}

/// One day's figures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayFigures {
    pub date: NaiveDate,
    pub planned_seconds: i64,
    pub worked_seconds: i64,
    pub absence_seconds: i64,
    pub holiday: Option<String>,
    pub absence: Option<AbsenceKind>,
}

/// The totals of some days.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    pub planned_seconds: i64,
    pub worked_seconds: i64,
    pub absence_seconds: i64,
}

impl Totals {
    pub fn of(days: &[DayFigures]) -> Totals {
        days.iter().fold(Totals::default(), |t, d| Totals {
            planned_seconds: t.planned_seconds + d.planned_seconds,
            worked_seconds: t.worked_seconds + d.worked_seconds,
            absence_seconds: t.absence_seconds + d.absence_seconds,
        })
    }

    /// Worked and absent time beyond the plan (negative: short of it).
    pub fn difference_seconds(&self) -> i64 {
        self.worked_seconds + self.absence_seconds - self.planned_seconds
    }
}

/// The figures of `days`: planned from `plans` (nothing on a holiday), an approved absence
/// covering the day's plan (half of it for a half day), worked from `worked` (seconds per
/// date, as `tally` counted them).
pub fn day_figures(
    days: &[NaiveDate],
    plans: &Plans,
    holidays: &HashMap<NaiveDate, String>,
    absences: &[AbsenceDays],
    worked: &HashMap<NaiveDate, i64>,
) -> Vec<DayFigures> {
    days.iter()
        .map(|&date| {
            let holiday = holidays.get(&date).cloned();
            let planned = if holiday.is_some() {
                0
            } else {
                plans.seconds_on(date)
            };
            let absence = absences
                .iter()
                .find(|a| a.first_day <= date && date <= a.last_day);
            let absence_seconds = match absence {
                Some(a) if a.half_day => planned / 2,
                Some(_) => planned,
                None => 0,
            };
            DayFigures {
                date,
                planned_seconds: planned,
                worked_seconds: worked.get(&date).copied().unwrap_or(0),
                absence_seconds,
                holiday,
                absence: absence.map(|a| a.kind),
            }
        })
        .collect()
}

/// Why a working-time plan is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    #[error("must be seven numbers of minutes, Monday first")]
    NotSevenDays,
    #[error("a day has at most 1440 minutes")]
    TooLong,
}

/// Checks a plan's minutes (seven days, Monday first, 0 to 1440 each).
pub fn week_minutes(minutes: &[u32]) -> Result<WeekMinutes, PlanError> {
    let week: WeekMinutes = minutes.try_into().map_err(|_| PlanError::NotSevenDays)?;
    if week.iter().any(|&m| m > 1440) {
        return Err(PlanError::TooLong);
    }
    Ok(week)
}

/// Why an absence request is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AbsenceError {
    #[error("last_day is before first_day")]
    EndBeforeStart,
    #[error("a half day is a single day: first_day and last_day must be the same")]
    HalfDayRange,
    #[error("an absence covers at most 366 days")]
    TooLong,
}

/// Checks an absence's days.
pub fn check_absence(
    first_day: NaiveDate,
    last_day: NaiveDate,
    half_day: bool,
) -> Result<(), AbsenceError> {
    if last_day < first_day {
        return Err(AbsenceError::EndBeforeStart);
    }
    if half_day && first_day != last_day {
        return Err(AbsenceError::HalfDayRange);
    }
    if (last_day - first_day).num_days() >= 366 {
        return Err(AbsenceError::TooLong);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    fn plan(from: &str, minutes: WeekMinutes) -> PlanStart {
        PlanStart {
            valid_from: d(from),
            minutes,
        }
    }

    const HALF: WeekMinutes = [240, 240, 240, 240, 240, 0, 0];

    #[test]
    fn without_a_plan_eight_hours_monday_to_friday() {
        let plans = Plans::default();
        // 2026-12-07 is a Monday.
        assert_eq!(plans.seconds_on(d("2026-12-07")), 8 * 3600);
        assert_eq!(plans.seconds_on(d("2026-12-12")), 0, "Saturday");
        assert_eq!(plans.balance_from(d("2026-03-01")), d("2026-03-01"));
    }

    #[test]
    fn a_persons_plan_holds_from_its_date_and_the_default_before_it() {
        let plans = Plans::new(
            vec![plan("2026-12-01", HALF)],
            vec![plan("2026-01-01", [360; 7])],
        );
        assert_eq!(plans.seconds_on(d("2026-11-30")), 6 * 3600, "the default");
        assert_eq!(plans.seconds_on(d("2026-12-01")), 4 * 3600, "their own");
        assert_eq!(
            plans.seconds_on(d("2025-12-31")),
            8 * 3600,
            "before any plan"
        );
        assert_eq!(plans.balance_from(d("2025-06-01")), d("2026-01-01"));
        assert_eq!(
            plans.balance_from(d("2026-06-01")),
            d("2026-06-01"),
            "joined later"
        );
        assert_eq!(
            plans.balance_from(d("2026-12-07")),
            d("2026-12-01"),
            "their own plan counts from its start, joined or not"
        );
    }

    #[test]
    fn a_later_plan_replaces_an_earlier_one_from_its_date() {
        let plans = Plans::new(
            vec![plan("2026-12-08", HALF), plan("2026-01-01", [480; 7])],
            vec![],
        );
        assert_eq!(plans.seconds_on(d("2026-12-07")), 8 * 3600);
        assert_eq!(plans.seconds_on(d("2026-12-08")), 4 * 3600);
    }

    #[test]
    fn holidays_plan_nothing_and_absences_cover_the_plan() {
        let days: Vec<NaiveDate> = d("2026-12-21").iter_days().take(7).collect::<Vec<_>>();
        let holidays = HashMap::from([(d("2026-12-25"), "Christmas Day".to_string())]);
        let absences = [
            AbsenceDays {
                kind: AbsenceKind::Vacation,
                first_day: d("2026-12-22"),
                last_day: d("2026-12-23"),
                half_day: false,
            },
            AbsenceDays {
                kind: AbsenceKind::Sick,
                first_day: d("2026-12-24"),
                last_day: d("2026-12-24"),
                half_day: true,
            },
        ];
        let worked = HashMap::from([(d("2026-12-21"), 9 * 3600), (d("2026-12-24"), 3600)]);
        let figures = day_figures(&days, &Plans::default(), &holidays, &absences, &worked);
        let planned: Vec<i64> = figures.iter().map(|f| f.planned_seconds / 3600).collect();
        assert_eq!(planned, vec![8, 8, 8, 8, 0, 0, 0]);
        let absent: Vec<i64> = figures.iter().map(|f| f.absence_seconds / 3600).collect();
        assert_eq!(absent, vec![0, 8, 8, 4, 0, 0, 0]);
        assert_eq!(figures[4].holiday.as_deref(), Some("Christmas Day"));
        assert_eq!(figures[3].absence, Some(AbsenceKind::Sick));
        let totals = Totals::of(&figures);
        assert_eq!(totals.planned_seconds, 32 * 3600);
        assert_eq!(totals.worked_seconds, 10 * 3600);
        assert_eq!(totals.absence_seconds, 20 * 3600);
        // 10 worked + 20 absent − 32 planned.
        assert_eq!(totals.difference_seconds(), -2 * 3600);
    }

    #[test]
    fn plans_and_absences_are_checked() {
        assert_eq!(week_minutes(&[480; 7]), Ok([480; 7]));
        assert_eq!(week_minutes(&[480; 6]), Err(PlanError::NotSevenDays));
        assert_eq!(
            week_minutes(&[480, 480, 480, 480, 1441, 0, 0]),
            Err(PlanError::TooLong)
        );
        assert_eq!(
            check_absence(d("2026-12-02"), d("2026-12-01"), false),
            Err(AbsenceError::EndBeforeStart)
        );
        assert_eq!(
            check_absence(d("2026-12-01"), d("2026-12-02"), true),
            Err(AbsenceError::HalfDayRange)
        );
        // 366 days (a leap year) is the longest absence.
        assert_eq!(
            check_absence(d("2028-01-01"), d("2028-12-31"), false),
            Ok(())
        );
        assert_eq!(
            check_absence(d("2026-01-01"), d("2027-01-01"), false),
            Ok(())
        );
        assert_eq!(
            check_absence(d("2026-01-01"), d("2027-01-02"), false),
            Err(AbsenceError::TooLong)
        );
        assert_eq!(
            check_absence(d("2026-12-01"), d("2026-12-01"), true),
            Ok(())
        );
    }
}

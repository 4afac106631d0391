//! ISO weeks ("2026-W49", Monday to Sunday) in an organization's timezone: the unit a
//! timesheet is approved and locked in, and the days of its grid.

use chrono::{DateTime, Datelike, Days, NaiveDate, TimeZone, Utc, Weekday};
use chrono_tz::Tz;
use std::fmt;

use super::periods::start_of_day;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct IsoWeek {
    year: i32,
    week: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("must be an ISO week like 2026-W49")]
pub struct BadWeek;

/// The local date of an instant in `tz` (an instant has exactly one local time; out of
/// chrono's range it is the default date).
pub fn local_date(at_ms: i64, tz: Tz) -> NaiveDate {
    tz.timestamp_millis_opt(at_ms)
        .single()
        .map(|t| t.date_naive())
        .unwrap_or_default()
}

impl IsoWeek {
    /// "2026-W49" (also "2026-w49"); the week must exist in that year (W53 only in long years).
    pub fn parse(text: &str) -> Result<IsoWeek, BadWeek> {
        let (year, week) = text.split_once(['W', 'w']).ok_or(BadWeek)?;
        let year = year.strip_suffix('-').ok_or(BadWeek)?;
        if year.len() != 4 || week.len() != 2 {
            return Err(BadWeek);
        }
        let year: i32 = year.parse().map_err(|_| BadWeek)?;
        let week: u32 = week.parse().map_err(|_| BadWeek)?;
        NaiveDate::from_isoywd_opt(year, week, Weekday::Mon).ok_or(BadWeek)?;
        Ok(IsoWeek { year, week })
    }

    /// The week a local date belongs to.
    pub fn of_date(date: NaiveDate) -> IsoWeek {
        let iso = date.iso_week();
        IsoWeek {
            year: iso.year(),
            week: iso.week(),
        }
    }

    /// The week an instant falls in, in `tz`.
    pub fn of_instant(at_ms: i64, tz: Tz) -> IsoWeek {
        IsoWeek::of_date(local_date(at_ms, tz))
    }

    pub fn monday(self) -> NaiveDate {
        // `parse` and `of_date` only make weeks that exist.
        NaiveDate::from_isoywd_opt(self.year, self.week, Weekday::Mon).unwrap_or_default()
    }

    /// Its seven local dates, Monday first.
    pub fn days(self) -> [NaiveDate; 7] {
        let monday = self.monday();
        std::array::from_fn(|i| monday + Days::new(i as u64))
    }

    /// Every week that `first..=last` touches, in order, each once.
    pub fn touched(first: NaiveDate, last: NaiveDate) -> Vec<IsoWeek> {
        let mut weeks: Vec<IsoWeek> = Vec::new();
        for day in first.iter_days().take_while(|d| *d <= last) {
            let week = IsoWeek::of_date(day);
            if weeks.last() != Some(&week) {
                weeks.push(week);
            }
        }
        weeks
    }

    pub fn next(self) -> IsoWeek {
        IsoWeek::of_date(self.monday() + Days::new(7))
    }

    pub fn previous(self) -> IsoWeek {
        IsoWeek::of_date(self.monday() - Days::new(7))
    }

    /// `[start, end)` in ms: Monday 00:00 to the next Monday 00:00, local time.
    pub fn bounds_ms(self, tz: Tz) -> (i64, i64) {
        let monday = self.monday();
        (
            start_of_day(monday, tz).timestamp_millis(),
            start_of_day(monday + Days::new(7), tz).timestamp_millis(),
        )
    }

    /// Every week the time `[start, end)` touches (an instant for a running session).
    pub fn touched_by(start_ms: i64, end_ms: i64, tz: Tz) -> Vec<IsoWeek> {
        let first = IsoWeek::of_instant(start_ms, tz);
        // The end is exclusive: a session ending at Monday 00:00 stays in its week.
        let last = IsoWeek::of_instant((end_ms - 1).max(start_ms), tz);
        let mut weeks = vec![first];
        let mut week = first;
        // Bounded: a session longer than a year is refused long before it gets here.
        while week < last && weeks.len() < 60 {
            week = week.next();
            weeks.push(week);
        }
        weeks
    }

    /// The names of the weeks `[start, end)` touches, as stored with an approval.
    pub fn names_touched(start_ms: i64, end_ms: i64, tz: Tz) -> Vec<String> {
        IsoWeek::touched_by(start_ms, end_ms, tz)
            .iter()
            .map(IsoWeek::to_string)
            .collect()
    }

    /// The week containing `now` in `tz`.
    pub fn current(now: DateTime<Utc>, tz: Tz) -> IsoWeek {
        IsoWeek::of_instant(now.timestamp_millis(), tz)
    }
}

impl fmt::Display for IsoWeek {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-W{:02}", self.year, self.week)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_range_touches_its_weeks_in_order_each_once() {
        let d = |t: &str| t.parse::<NaiveDate>().unwrap();
        let names = |first, last| -> Vec<String> {
            IsoWeek::touched(d(first), d(last))
                .iter()
                .map(ToString::to_string)
                .collect()
        };
        assert_eq!(names("2026-12-31", "2026-12-31"), ["2026-W53"]);
        assert_eq!(
            names("2026-12-27", "2027-01-11"),
            ["2026-W52", "2026-W53", "2027-W01", "2027-W02"]
        );
        assert!(names("2027-01-02", "2027-01-01").is_empty());
    }

    fn ms(text: &str) -> i64 {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .timestamp_millis()
    }

    #[test]
    fn weeks_parse_and_print_as_iso() {
        let w = IsoWeek::parse("2026-W49").unwrap();
        assert_eq!(w.to_string(), "2026-W49");
        assert_eq!(w.monday(), NaiveDate::from_ymd_opt(2026, 11, 30).unwrap());
        assert_eq!(IsoWeek::parse("2026-w01").unwrap().to_string(), "2026-W01");
        // 2026 has 53 ISO weeks (it starts on a Thursday); 2025 has 52.
        assert!(IsoWeek::parse("2026-W53").is_ok());
        for bad in [
            "2025-W53", "2026-W00", "2026W49", "26-W49", "2026-W4", "2026-49", "x",
        ] {
            assert_eq!(IsoWeek::parse(bad), Err(BadWeek), "{bad}");
        }
    }

    #[test]
    fn the_year_of_a_week_is_its_iso_year() {
        // 2027-01-01 is a Friday: it belongs to 2026-W53.
        let d = NaiveDate::from_ymd_opt(2027, 1, 1).unwrap();
        assert_eq!(IsoWeek::of_date(d).to_string(), "2026-W53");
        assert_eq!(
            IsoWeek::parse("2026-W53").unwrap().next().to_string(),
            "2027-W01"
        );
        assert_eq!(
            IsoWeek::parse("2027-W01").unwrap().previous().to_string(),
            "2026-W53"
        );
    }

    #[test]
    fn week_boundaries_follow_the_organizations_timezone() {
        let tz: Tz = "Europe/Berlin".parse().unwrap();
        let w = IsoWeek::parse("2026-W49").unwrap();
        // Monday 2026-11-30 00:00 CET = Sunday 23:00 UTC.
        assert_eq!(
            w.bounds_ms(tz),
            (ms("2026-11-29T23:00:00Z"), ms("2026-12-06T23:00:00Z"))
        );
        // Sunday 23:30 UTC is already Monday in Berlin.
        assert_eq!(IsoWeek::of_instant(ms("2026-11-29T23:30:00Z"), tz), w);
        assert_eq!(
            IsoWeek::of_instant(ms("2026-11-29T23:30:00Z"), Tz::UTC),
            w.previous()
        );
    }

    #[test]
    fn a_week_with_a_dst_change_is_an_hour_shorter() {
        let tz: Tz = "Europe/Berlin".parse().unwrap();
        // 2026-03-29: clocks go from 02:00 to 03:00.
        let w = IsoWeek::of_date(NaiveDate::from_ymd_opt(2026, 3, 29).unwrap());
        let (start, end) = w.bounds_ms(tz);
        assert_eq!(end - start, (7 * 24 - 1) * 3_600_000);
    }

    #[test]
    fn the_weeks_a_span_touches_exclude_its_end() {
        let tz = Tz::UTC;
        let sunday_night = ms("2026-12-06T22:00:00Z");
        let monday = ms("2026-12-07T00:00:00Z");
        assert_eq!(
            IsoWeek::touched_by(sunday_night, monday, tz),
            vec![IsoWeek::parse("2026-W49").unwrap()]
        );
        assert_eq!(
            IsoWeek::touched_by(sunday_night, monday + 1, tz),
            vec![
                IsoWeek::parse("2026-W49").unwrap(),
                IsoWeek::parse("2026-W50").unwrap()
            ]
        );
        assert_eq!(IsoWeek::touched_by(monday, monday, tz).len(), 1);
    }
}

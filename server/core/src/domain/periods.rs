//! Where days, weeks (Monday–Sunday) and months begin and end in an organization's timezone,
//! as UTC instants for queries. Pure arithmetic, so the boundaries are unit-tested.

use chrono::{DateTime, Datelike, Days, Months, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use shared::game_servers::Period;

/// The organization's timezone setting; an unknown name reads as UTC.
pub fn timezone(name: &str) -> Tz {
    name.parse().unwrap_or(Tz::UTC)
}

/// The first instant of `date` in `tz`. Where a DST change skips midnight, the day begins at
/// the first local time that exists.
pub fn start_of_day(date: NaiveDate, tz: Tz) -> DateTime<Utc> {
    let midnight = date.and_hms_opt(0, 0, 0).unwrap_or_default();
    (0..=16)
        .map(|quarter| midnight + chrono::Duration::minutes(15 * quarter))
        .find_map(|local| tz.from_local_datetime(&local).earliest())
        .map(|t| t.with_timezone(&Utc))
        // No zone skips four hours; if one did, the UTC midnight is close enough.
        .unwrap_or_else(|| midnight.and_utc())
}

/// The current `period` around `now`: `[start, end)`; `None` for `all_time`.
pub fn period_bounds(
    period: Period,
    now: DateTime<Utc>,
    tz: Tz,
) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    let today = now.with_timezone(&tz).date_naive();
    let (first, next) = match period {
        Period::AllTime => return None,
        Period::Daily => (today, today.checked_add_days(Days::new(1))?),
        Period::Weekly => {
            let monday = today
                .checked_sub_days(Days::new(u64::from(today.weekday().num_days_from_monday())))?;
            (monday, monday.checked_add_days(Days::new(7))?)
        }
        Period::Monthly => {
            let first = today.with_day(1)?;
            (first, first.checked_add_months(Months::new(1))?)
        }
    };
    Some((start_of_day(first, tz), start_of_day(next, tz)))
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DateRangeError {
    #[error("end_date is before start_date")]
    EndBeforeStart,
}

/// `start_date..=end_date` (whole local days, either open) as `[from, to)` in ms.
pub fn date_range_ms(
    start: Option<NaiveDate>,
    end: Option<NaiveDate>,
    tz: Tz,
) -> Result<(Option<i64>, Option<i64>), DateRangeError> {
    if let (Some(s), Some(e)) = (start, end) {
        if e < s {
            return Err(DateRangeError::EndBeforeStart);
        }
    }
    let from = start.map(|d| start_of_day(d, tz).timestamp_millis());
    let to = end
        .and_then(|d| d.succ_opt())
        .map(|d| start_of_day(d, tz).timestamp_millis());
    Ok((from, to))
}

/// Whole seconds per session, rounded down; 0 without sessions.
pub fn average_seconds(total_seconds: i64, count: i64) -> i64 {
    if count > 0 {
        total_seconds / count
    } else {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    fn bounds(period: Period, now: &str, tz: &str) -> (String, String) {
        let (a, b) = period_bounds(period, utc(now), timezone(tz)).unwrap();
        (a.to_rfc3339(), b.to_rfc3339())
    }

    fn pair(a: &str, b: &str) -> (String, String) {
        (utc(a).to_rfc3339(), utc(b).to_rfc3339())
    }

    #[test]
    fn weeks_run_monday_to_sunday() {
        // Sunday 2024-06-09, the last second of the week.
        assert_eq!(
            bounds(Period::Weekly, "2024-06-09T23:59:59Z", "UTC"),
            pair("2024-06-03T00:00:00Z", "2024-06-10T00:00:00Z")
        );
        // One second later it is Monday: a new week.
        assert_eq!(
            bounds(Period::Weekly, "2024-06-10T00:00:00Z", "UTC"),
            pair("2024-06-10T00:00:00Z", "2024-06-17T00:00:00Z")
        );
        // Wednesday.
        assert_eq!(
            bounds(Period::Weekly, "2024-06-12T12:00:00Z", "UTC"),
            pair("2024-06-10T00:00:00Z", "2024-06-17T00:00:00Z")
        );
        // A week across a month and a year.
        assert_eq!(
            bounds(Period::Weekly, "2025-01-01T08:00:00Z", "UTC"),
            pair("2024-12-30T00:00:00Z", "2025-01-06T00:00:00Z")
        );
    }

    #[test]
    fn weeks_follow_the_organizations_timezone() {
        // Monday 02:00 UTC is still Sunday 22:00 in New York (UTC-4 in June).
        assert_eq!(
            bounds(Period::Weekly, "2024-06-10T02:00:00Z", "America/New_York"),
            pair("2024-06-03T04:00:00Z", "2024-06-10T04:00:00Z")
        );
        assert_eq!(
            bounds(Period::Weekly, "2024-06-10T04:00:00Z", "America/New_York"),
            pair("2024-06-10T04:00:00Z", "2024-06-17T04:00:00Z")
        );
    }

    #[test]
    fn months_and_days() {
        assert_eq!(
            bounds(Period::Monthly, "2024-01-31T23:59:59Z", "UTC"),
            pair("2024-01-01T00:00:00Z", "2024-02-01T00:00:00Z")
        );
        assert_eq!(
            bounds(Period::Monthly, "2024-02-29T10:00:00Z", "UTC"),
            pair("2024-02-01T00:00:00Z", "2024-03-01T00:00:00Z")
        );
        assert_eq!(
            bounds(Period::Monthly, "2024-12-31T23:00:00Z", "UTC"),
            pair("2024-12-01T00:00:00Z", "2025-01-01T00:00:00Z")
        );
        assert_eq!(
            bounds(Period::Daily, "2024-05-01T00:00:00Z", "UTC"),
            pair("2024-05-01T00:00:00Z", "2024-05-02T00:00:00Z")
        );
        assert_eq!(
            period_bounds(Period::AllTime, utc("2024-05-01T00:00:00Z"), Tz::UTC),
            None
        );
    }

    #[test]
    fn months_and_dst_days_in_a_timezone() {
        // 22:30 UTC on 31 March is already 00:30 on 1 April in Berlin (CEST, UTC+2).
        assert_eq!(
            bounds(Period::Monthly, "2024-03-31T22:30:00Z", "Europe/Berlin"),
            pair("2024-03-31T22:00:00Z", "2024-04-30T22:00:00Z")
        );
        // March began in winter time (UTC+1).
        assert_eq!(
            bounds(Period::Monthly, "2024-03-15T12:00:00Z", "Europe/Berlin"),
            pair("2024-02-29T23:00:00Z", "2024-03-31T22:00:00Z")
        );
        // The day the clocks go forward has 23 hours.
        assert_eq!(
            bounds(Period::Daily, "2024-03-31T12:00:00Z", "Europe/Berlin"),
            pair("2024-03-30T23:00:00Z", "2024-03-31T22:00:00Z")
        );
    }

    #[test]
    fn a_day_whose_midnight_does_not_exist_starts_at_one() {
        // Santiago skipped from 00:00 to 01:00 on 8 September 2024 (UTC-4 → UTC-3).
        let start = start_of_day(
            NaiveDate::from_ymd_opt(2024, 9, 8).unwrap(),
            timezone("America/Santiago"),
        );
        assert_eq!(start, utc("2024-09-08T04:00:00Z"));
    }

    #[test]
    fn date_ranges_are_inclusive_local_days() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let (from, to) =
            date_range_ms(Some(d("2024-06-01")), Some(d("2024-06-01")), Tz::UTC).unwrap();
        assert_eq!(to.unwrap() - from.unwrap(), 86_400_000);
        let (from, to) =
            date_range_ms(Some(d("2024-06-01")), None, timezone("Asia/Tokyo")).unwrap();
        assert_eq!(from, Some(utc("2024-05-31T15:00:00Z").timestamp_millis()));
        assert_eq!(to, None);
        assert_eq!(
            date_range_ms(Some(d("2024-06-02")), Some(d("2024-06-01")), Tz::UTC),
            Err(DateRangeError::EndBeforeStart)
        );
    }

    #[test]
    fn unknown_timezones_are_utc_and_averages_round_down() {
        assert_eq!(timezone("Mars/Olympus"), Tz::UTC);
        assert_eq!(average_seconds(10, 3), 3);
        assert_eq!(average_seconds(0, 0), 0);
    }
}

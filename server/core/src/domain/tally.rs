//! Counted time: a session's time inside a range and per local day, less the idle time that
//! was discarded. Whole seconds are handed to days so that the days of a session add up to
//! exactly the session's own `duration_seconds` — a report's total is the sum of its sessions.

use chrono::{Days, NaiveDate};
use chrono_tz::Tz;

use super::periods::start_of_day;

/// A session as counted: `[started, ended)` in ms (now for a running one), its discarded idle
/// spans, and its stored duration when it has ended.
#[derive(Debug, Clone, PartialEq)]
pub struct Worked {
    pub started_ms: i64,
    pub ended_ms: i64,
    pub discarded: Vec<(i64, i64)>,
    pub duration_seconds: Option<i64>,
}

/// The spans not counted in a session — discarded idle time and the slots of screenshots
/// their owner deleted — as sorted, disjoint spans: where both cover a moment it is taken once.
pub fn union_of_spans(mut spans: Vec<(i64, i64)>) -> Vec<(i64, i64)> {
    spans.retain(|&(s, e)| e > s);
    spans.sort_unstable();
    let mut merged: Vec<(i64, i64)> = Vec::with_capacity(spans.len());
    for (s, e) in spans {
        match merged.last_mut() {
            Some(last) if s <= last.1 => last.1 = last.1.max(e),
            _ => merged.push((s, e)),
        }
    }
    merged
}

fn overlap(a: (i64, i64), b: (i64, i64)) -> i64 {
    (a.1.min(b.1) - a.0.max(b.0)).max(0)
}

impl Worked {
    /// Counted milliseconds inside `[from, to)`.
    pub fn ms_within(&self, from: i64, to: i64) -> i64 {
        let own = (self.started_ms, self.ended_ms);
        let discarded: i64 = self
            .discarded
            .iter()
            .map(|&span| overlap((span.0.max(own.0), span.1.min(own.1)), (from, to)))
            .sum();
        (overlap(own, (from, to)) - discarded).max(0)
    }

    /// Counted whole seconds inside `[from, to)`: the stored duration when the session lies
    /// wholly inside, else its share rounded down.
    pub fn seconds_within(&self, from: i64, to: i64) -> i64 {
        match self.duration_seconds {
            Some(d) if from <= self.started_ms && self.ended_ms <= to => d,
            _ => self.ms_within(from, to) / 1000,
        }
    }

    /// Seconds per day for `days` (consecutive local dates): each day its whole seconds, the
    /// rounding left over to the last day with time, so the days add up to
    /// [`Worked::seconds_within`] of the days' span.
    pub fn seconds_by_day(&self, days: &[NaiveDate], tz: Tz) -> Vec<i64> {
        let (Some(first), Some(last)) = (days.first(), days.last()) else {
            return Vec::new();
        };
        let bounds: Vec<i64> = days
            .iter()
            .copied()
            .chain(last.checked_add_days(Days::new(1)))
            .map(|d| start_of_day(d, tz).timestamp_millis())
            .collect();
        let mut seconds: Vec<i64> = bounds
            .windows(2)
            .map(|w| self.ms_within(w[0], w[1]) / 1000)
            .collect();
        let total = self.seconds_within(
            start_of_day(*first, tz).timestamp_millis(),
            bounds[bounds.len() - 1],
        );
        let rest = total - seconds.iter().sum::<i64>();
        if let Some(i) = seconds.iter().rposition(|&s| s > 0) {
            seconds[i] += rest;
        } else if let Some(s) = seconds.last_mut() {
            *s += rest;
        }
        seconds
    }
}

/// The local dates `from..=to`, at most `limit` of them.
pub fn dates(from: NaiveDate, to: NaiveDate, limit: usize) -> Vec<NaiveDate> {
    from.iter_days()
        .take_while(|d| *d <= to)
        .take(limit)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlapping_spans_are_taken_once() {
        assert_eq!(
            union_of_spans(vec![
                (50, 70),
                (0, 10),
                (5, 20),
                (20, 30),
                (60, 65),
                (40, 40)
            ]),
            vec![(0, 30), (50, 70)]
        );
        assert_eq!(union_of_spans(vec![]), vec![]);
    }
    use chrono::DateTime;

    fn ms(text: &str) -> i64 {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .timestamp_millis()
    }

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn a_session_across_midnight_is_split_between_its_days() {
        let w = Worked {
            started_ms: ms("2026-12-04T22:00:00Z"),
            ended_ms: ms("2026-12-05T01:30:00Z"),
            discarded: vec![],
            duration_seconds: Some(12_600),
        };
        let days = dates(day(2026, 12, 4), day(2026, 12, 6), 10);
        assert_eq!(w.seconds_by_day(&days, Tz::UTC), vec![7_200, 5_400, 0]);
        // In Berlin (UTC+1) it runs from 23:00 to 02:30 local time.
        let tz: Tz = "Europe/Berlin".parse().unwrap();
        assert_eq!(w.seconds_by_day(&days, tz), vec![3_600, 9_000, 0]);
    }

    #[test]
    fn discarded_idle_time_is_taken_from_the_day_it_happened() {
        let w = Worked {
            started_ms: ms("2026-12-04T22:00:00Z"),
            ended_ms: ms("2026-12-05T02:00:00Z"),
            discarded: vec![(ms("2026-12-05T00:30:00Z"), ms("2026-12-05T01:00:00Z"))],
            duration_seconds: Some(4 * 3600 - 1800),
        };
        let days = dates(day(2026, 12, 4), day(2026, 12, 5), 10);
        assert_eq!(w.seconds_by_day(&days, Tz::UTC), vec![7_200, 5_400]);
    }

    #[test]
    fn days_add_up_to_the_stored_duration_despite_rounding() {
        // 1.5 s on each side of midnight: 1 + 1 whole seconds, the session counts 3.
        let midnight = ms("2026-12-05T00:00:00Z");
        let w = Worked {
            started_ms: midnight - 1_500,
            ended_ms: midnight + 1_500,
            discarded: vec![],
            duration_seconds: Some(3),
        };
        let days = dates(day(2026, 12, 4), day(2026, 12, 5), 10);
        let split = w.seconds_by_day(&days, Tz::UTC);
        assert_eq!(split.iter().sum::<i64>(), 3);
        assert_eq!(split, vec![1, 2]);
    }

    #[test]
    fn a_range_cuts_a_session_and_a_running_one_counts_until_now() {
        let w = Worked {
            started_ms: ms("2026-12-04T10:00:00Z"),
            ended_ms: ms("2026-12-04T12:00:00Z"),
            discarded: vec![],
            duration_seconds: None,
        };
        assert_eq!(
            w.seconds_within(ms("2026-12-04T11:00:00Z"), ms("2026-12-05T00:00:00Z")),
            3600
        );
        assert_eq!(w.seconds_within(0, i64::MAX), 7200);
    }

    #[test]
    fn dates_are_inclusive_and_bounded() {
        assert_eq!(dates(day(2026, 12, 1), day(2026, 12, 3), 10).len(), 3);
        assert_eq!(dates(day(2026, 12, 1), day(2027, 12, 3), 31).len(), 31);
        assert!(dates(day(2026, 12, 3), day(2026, 12, 1), 10).is_empty());
    }
}

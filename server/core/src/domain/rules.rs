//! The policy's live rules: when a running session must end (`max_session_minutes`,
//! `auto_stop_local_time` in the organization's timezone). Pure time arithmetic; the hub's
//! clock (`live_rules`) ends the session at the instant computed here.

use chrono::{Days, NaiveDate, TimeZone};
use chrono_tz::Tz;
use shared::Policy;

/// Which rule ends a session, and its reason as the user reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StopRule {
    MaxSession { minutes: u32 },
    LocalTime { at: String, timezone: String },
}

impl StopRule {
    pub fn reason(&self) -> String {
        match self {
            StopRule::MaxSession { minutes } => format!(
                "Stopped automatically: sessions are limited to {} (max_session_minutes = {minutes}).",
                hours_minutes(*minutes)
            ),
            StopRule::LocalTime { at, timezone } => {
                format!("Stopped automatically at {at} ({timezone}): auto_stop_local_time.")
            }
        }
    }
}

fn hours_minutes(minutes: u32) -> String {
    match (minutes / 60, minutes % 60) {
        (0, m) => format!("{m} min"),
        (h, 0) => format!("{h} h"),
        (h, m) => format!("{h} h {m} min"),
    }
}

/// The first instant at or after `date` `hour:minute` local time that exists: a time in a
/// spring-forward gap becomes the end of the gap; a time that occurs twice (fall back) is
/// the first of the two.
fn local_instant(date: NaiveDate, hour: u32, minute: u32, tz: Tz) -> Option<i64> {
    let wanted = date.and_hms_opt(hour, minute, 0)?;
    (0..=16)
        .map(|quarter| wanted + chrono::Duration::minutes(15 * quarter))
        .find_map(|local| tz.from_local_datetime(&local).earliest())
        .map(|t| t.timestamp_millis())
}

/// The first `hour:minute` local time strictly after `after_ms`.
pub fn next_local_time(after_ms: i64, hour: u32, minute: u32, tz: Tz) -> Option<i64> {
    let today = tz.timestamp_millis_opt(after_ms).single()?.date_naive();
    (0..3)
        .filter_map(|d| today.checked_add_days(Days::new(d)))
        .filter_map(|date| local_instant(date, hour, minute, tz))
        .find(|&at| at > after_ms)
}

/// When a session started at `started_ms` must end under `policy`, and by which rule: the
/// earlier of the two (the cap wins a tie). `None` when neither rule is on.
pub fn deadline(started_ms: i64, policy: &Policy, tz: Tz) -> Option<(i64, StopRule)> {
    let cap = (policy.max_session_minutes > 0).then(|| {
        (
            started_ms + i64::from(policy.max_session_minutes) * 60_000,
            StopRule::MaxSession {
                minutes: policy.max_session_minutes,
            },
        )
    });
    let clock = policy.auto_stop_at().and_then(|(h, m)| {
        next_local_time(started_ms, h, m, tz).map(|at| {
            (
                at,
                StopRule::LocalTime {
                    at: format!("{h:02}:{m:02}"),
                    timezone: tz.name().to_string(),
                },
            )
        })
    });
    match (cap, clock) {
        (Some(c), Some(l)) => Some(if l.0 < c.0 { l } else { c }),
        (c, l) => c.or(l),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::DateTime;

    fn ms(text: &str) -> i64 {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .timestamp_millis()
    }

    fn policy(max: u32, at: Option<&str>) -> Policy {
        Policy {
            max_session_minutes: max,
            auto_stop_local_time: at.map(str::to_string),
            ..Policy::default()
        }
    }

    #[test]
    fn no_rule_no_deadline() {
        assert_eq!(deadline(0, &policy(0, None), Tz::UTC), None);
    }

    #[test]
    fn the_cap_ends_exactly_max_minutes_after_the_start() {
        let start = ms("2026-12-04T09:00:00Z");
        let (at, rule) = deadline(start, &policy(480, None), Tz::UTC).unwrap();
        assert_eq!(at, ms("2026-12-04T17:00:00Z"));
        assert_eq!(rule, StopRule::MaxSession { minutes: 480 });
        assert!(rule.reason().contains("8 h"), "{}", rule.reason());
        assert!(StopRule::MaxSession { minutes: 90 }
            .reason()
            .contains("1 h 30 min"));
    }

    #[test]
    fn the_local_time_is_the_next_one_after_the_start_in_the_orgs_timezone() {
        let tz: Tz = "Europe/Berlin".parse().unwrap();
        let p = policy(0, Some("18:00"));
        // 09:00 Berlin (08:00 UTC) → 18:00 Berlin the same day = 17:00 UTC.
        let (at, rule) = deadline(ms("2026-12-04T08:00:00Z"), &p, tz).unwrap();
        assert_eq!(at, ms("2026-12-04T17:00:00Z"));
        assert_eq!(
            rule,
            StopRule::LocalTime {
                at: "18:00".into(),
                timezone: "Europe/Berlin".into()
            }
        );
        // Started exactly at 18:00: the next 18:00 is tomorrow's.
        let (at, _) = deadline(ms("2026-12-04T17:00:00Z"), &p, tz).unwrap();
        assert_eq!(at, ms("2026-12-05T17:00:00Z"));
        // Started at 17:59:59.999: stops a millisecond later.
        let (at, _) = deadline(ms("2026-12-04T16:59:59.999Z"), &p, tz).unwrap();
        assert_eq!(at, ms("2026-12-04T17:00:00Z"));
    }

    #[test]
    fn the_earlier_rule_wins() {
        let p = policy(60, Some("10:30"));
        let (at, rule) = deadline(ms("2026-12-04T10:00:00Z"), &p, Tz::UTC).unwrap();
        assert_eq!(at, ms("2026-12-04T10:30:00Z"));
        assert!(matches!(rule, StopRule::LocalTime { .. }));
        let (at, rule) = deadline(ms("2026-12-04T09:00:00Z"), &p, Tz::UTC).unwrap();
        assert_eq!(at, ms("2026-12-04T10:00:00Z"));
        assert!(matches!(rule, StopRule::MaxSession { .. }));
    }

    #[test]
    fn dst_days_keep_the_wall_clock_time() {
        let tz: Tz = "Europe/Berlin".parse().unwrap();
        let p = policy(0, Some("18:00"));
        // 2026-03-29 (spring forward): 18:00 CEST = 16:00 UTC.
        let (at, _) = deadline(ms("2026-03-29T06:00:00Z"), &p, tz).unwrap();
        assert_eq!(at, ms("2026-03-29T16:00:00Z"));
        // 2026-10-25 (fall back): 18:00 CET = 17:00 UTC.
        let (at, _) = deadline(ms("2026-10-25T06:00:00Z"), &p, tz).unwrap();
        assert_eq!(at, ms("2026-10-25T17:00:00Z"));
    }

    #[test]
    fn a_time_inside_the_spring_gap_stops_at_the_end_of_the_gap() {
        let tz: Tz = "Europe/Berlin".parse().unwrap();
        // 02:30 does not exist on 2026-03-29; 03:00 CEST = 01:00 UTC.
        let (at, _) = deadline(ms("2026-03-28T23:00:00Z"), &policy(0, Some("02:30")), tz).unwrap();
        assert_eq!(at, ms("2026-03-29T01:00:00Z"));
    }

    #[test]
    fn a_time_that_occurs_twice_stops_at_the_first() {
        let tz: Tz = "Europe/Berlin".parse().unwrap();
        // 02:30 happens at 00:30 UTC (CEST) and 01:30 UTC (CET) on 2026-10-25.
        let (at, _) = deadline(ms("2026-10-24T22:00:00Z"), &policy(0, Some("02:30")), tz).unwrap();
        assert_eq!(at, ms("2026-10-25T00:30:00Z"));
    }

    #[test]
    fn the_cap_counts_real_elapsed_time_across_a_dst_change() {
        let tz: Tz = "Europe/Berlin".parse().unwrap();
        let start = ms("2026-10-24T22:00:00Z");
        let (at, _) = deadline(start, &policy(600, None), tz).unwrap();
        assert_eq!(at - start, 600 * 60_000);
    }
}

//! Game server coverage (SPEC §15): a server with players but fewer staff than its
//! `min_staff` for `alert_after_minutes` raises an alert, cleared when that is no longer so.
//! Plain functions over one poll's counts, no I/O.

/// Bounds of the rule's fields (the API's 422 names them).
pub const MAX_MIN_STAFF: i64 = 100;
pub const MAX_ALERT_AFTER_MINUTES: i64 = 1440;
pub const DEFAULT_ALERT_AFTER_MINUTES: i64 = 5;

/// A server's rule as configured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CoverageRule {
    pub min_staff: i64,
    pub alert_after_minutes: i64,
}

/// What the poller keeps between polls (stored on the server's row).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CoverageState {
    /// Since when (ms) the server has been short of staff.
    pub short_since: Option<i64>,
    /// When (ms) the alert was raised; `Some` while it stands.
    pub raised_at: Option<i64>,
}

/// What a poll changed that dashboards and webhooks hear of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CoverageNews {
    Raised,
    Cleared,
}

/// The state after a poll that saw `players` (not staff) and `staff` on the server at `now`.
pub fn step(
    rule: CoverageRule,
    state: CoverageState,
    players: i64,
    staff: i64,
    now: i64,
) -> (CoverageState, Option<CoverageNews>) {
    let short = rule.min_staff > 0 && players > 0 && staff < rule.min_staff;
    if !short {
        let news = state.raised_at.map(|_| CoverageNews::Cleared);
        return (CoverageState::default(), news);
    }
    let since = state.short_since.unwrap_or(now);
    if state.raised_at.is_some() {
        return (
            CoverageState {
                short_since: Some(since),
                ..state
            },
            None,
        );
    }
    let due = since + rule.alert_after_minutes.max(0) * 60_000;
    if now >= due {
        (
            CoverageState {
                short_since: Some(since),
                raised_at: Some(now),
            },
            Some(CoverageNews::Raised),
        )
    } else {
        (
            CoverageState {
                short_since: Some(since),
                raised_at: None,
            },
            None,
        )
    }
}

/// The fields of a rule that are out of bounds, and why.
pub fn rule_problems(
    min_staff: Option<i64>,
    alert_after: Option<i64>,
) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    if let Some(m) = min_staff {
        if !(0..=MAX_MIN_STAFF).contains(&m) {
            out.push(("min_staff", format!("must be from 0 to {MAX_MIN_STAFF}")));
        }
    }
    if let Some(a) = alert_after {
        if !(0..=MAX_ALERT_AFTER_MINUTES).contains(&a) {
            out.push((
                "alert_after_minutes",
                format!("must be from 0 to {MAX_ALERT_AFTER_MINUTES}"),
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: i64 = 60_000;
    const RULE: CoverageRule = CoverageRule {
        min_staff: 2,
        alert_after_minutes: 5,
    };

    #[test]
    fn the_alert_waits_for_its_minutes_then_stands_until_staff_joins() {
        let s0 = CoverageState::default();
        let (s1, news) = step(RULE, s0, 10, 1, 0);
        assert_eq!((s1.short_since, s1.raised_at, news), (Some(0), None, None));
        let (s2, news) = step(RULE, s1, 10, 1, 5 * MIN - 1);
        assert_eq!((s2.raised_at, news), (None, None));
        let (s3, news) = step(RULE, s2, 10, 0, 5 * MIN);
        assert_eq!(
            (s3.short_since, s3.raised_at, news),
            (Some(0), Some(5 * MIN), Some(CoverageNews::Raised))
        );
        // Raised once: later polls change nothing.
        let (s4, news) = step(RULE, s3, 12, 1, 6 * MIN);
        assert_eq!((s4, news), (s3, None));
        let (s5, news) = step(RULE, s4, 12, 2, 7 * MIN);
        assert_eq!(
            (s5, news),
            (CoverageState::default(), Some(CoverageNews::Cleared))
        );
    }

    #[test]
    fn a_short_spell_shorter_than_the_delay_raises_nothing() {
        let (s, _) = step(RULE, CoverageState::default(), 3, 0, 0);
        let (s, news) = step(RULE, s, 3, 2, 2 * MIN);
        assert_eq!((s, news), (CoverageState::default(), None));
        // Short again later: the clock starts anew.
        let (s, _) = step(RULE, s, 3, 0, 3 * MIN);
        assert_eq!(s.short_since, Some(3 * MIN));
    }

    #[test]
    fn no_players_no_rule_or_zero_minutes() {
        assert_eq!(step(RULE, CoverageState::default(), 0, 0, 0).1, None);
        let off = CoverageRule {
            min_staff: 0,
            ..RULE
        };
        assert_eq!(step(off, CoverageState::default(), 9, 0, 0).1, None);
        let at_once = CoverageRule {
            alert_after_minutes: 0,
            ..RULE
        };
        assert_eq!(
            step(at_once, CoverageState::default(), 1, 0, 7).1,
            Some(CoverageNews::Raised)
        );
        // The players leave while the alert stands: cleared.
        let raised = CoverageState {
            short_since: Some(0),
            raised_at: Some(0),
        };
        assert_eq!(step(RULE, raised, 0, 0, 1).1, Some(CoverageNews::Cleared));
    }

    #[test]
    fn rules_out_of_bounds_are_named() {
        assert!(rule_problems(Some(0), Some(0)).is_empty());
        let p = rule_problems(Some(101), Some(-1));
        assert_eq!(p.len(), 2);
        assert_eq!(p[0].0, "min_staff");
        assert_eq!(p[1].0, "alert_after_minutes");
    }
}

//! Work-session rules (seed 002): who may end a session, manual entries, durations, overlap.

use shared::Role;

use super::rules::StopRule;

/// How a session ends: its own user stops it, an admin ends it for them, or a policy rule
/// ends it at its moment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ending {
    Stopped { note: Option<String> },
    AdminEnded { reason: String },
    AutoStopped { rule: StopRule },
}

impl Ending {
    /// The stored `end_reason`.
    pub fn end_reason(&self) -> &'static str {
        match self {
            Ending::Stopped { .. } => "stopped",
            Ending::AdminEnded { .. } => "admin_ended",
            Ending::AutoStopped { .. } => "auto_stopped",
        }
    }

    /// The human reason pushed in `session_ended`.
    pub fn reason_text(&self) -> String {
        match self {
            Ending::Stopped { .. } => "Stopped by the user.".to_string(),
            Ending::AdminEnded { reason } => reason.clone(),
            Ending::AutoStopped { rule } => rule.reason(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum EndRefusal {
    #[error("Only the user who started a session can stop it.")]
    NotYours,
    #[error("Only admins and owners can end another user's session.")]
    RoleTooLow,
    #[error("Only the hub's rules stop a session automatically.")]
    NotARule,
}

/// May `actor` end a session belonging to `owner_id` in this way? (Same organization is
/// guaranteed by the lookup.) `None`: the hub itself, applying a policy rule.
pub fn may_end(
    actor: Option<(i64, Role)>,
    owner_id: i64,
    ending: &Ending,
) -> Result<(), EndRefusal> {
    match (ending, actor) {
        (Ending::AutoStopped { .. }, None) => Ok(()),
        (_, None) | (Ending::AutoStopped { .. }, Some(_)) => Err(EndRefusal::NotARule),
        (Ending::Stopped { .. }, Some((id, _))) if id == owner_id => Ok(()),
        (Ending::Stopped { .. }, Some(_)) => Err(EndRefusal::NotYours),
        (Ending::AdminEnded { .. }, Some((_, role))) if role.at_least(Role::Admin) => Ok(()),
        (Ending::AdminEnded { .. }, Some(_)) => Err(EndRefusal::RoleTooLow),
    }
}

/// May `actor` correct or delete a session of `owner_id`? Their own, or anyone's for admins
/// and owners.
pub fn may_correct(actor_id: i64, actor_role: Role, owner_id: i64) -> bool {
    actor_id == owner_id || actor_role.at_least(Role::Admin)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum EditRefusal {
    #[error("end_time must be after start_time")]
    EndNotAfterStart,
    #[error("must not be in the future")]
    InFuture,
    #[error("a running session has no end time yet: stop it first")]
    RunningHasNoEnd,
}

/// The times of a corrected session: `(start, end)` with `end` `None` while it runs. Same
/// rules as a manual entry: the end after the start, nothing in the future.
pub fn check_edit(
    start_ms: i64,
    end_ms: Option<i64>,
    running: bool,
    now_ms: i64,
) -> Result<(), EditRefusal> {
    match (running, end_ms) {
        (true, Some(_)) => Err(EditRefusal::RunningHasNoEnd),
        (true, None) if start_ms > now_ms => Err(EditRefusal::InFuture),
        (true, None) => Ok(()),
        (false, None) => Err(EditRefusal::EndNotAfterStart),
        (false, Some(end)) if end <= start_ms => Err(EditRefusal::EndNotAfterStart),
        (false, Some(end)) if end > now_ms => Err(EditRefusal::InFuture),
        (false, Some(_)) => Ok(()),
    }
}

/// Whole seconds between two instants in milliseconds, computed once at the end.
pub fn duration_seconds(started_ms: i64, ended_ms: i64) -> i64 {
    ((ended_ms - started_ms) / 1000).max(0)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ManualRefusal {
    #[error("end_time must be after start_time")]
    EndNotAfterStart,
    #[error("end_time must not be in the future")]
    EndInFuture,
}

pub fn check_manual(start_ms: i64, end_ms: i64, now_ms: i64) -> Result<(), ManualRefusal> {
    if end_ms <= start_ms {
        Err(ManualRefusal::EndNotAfterStart)
    } else if end_ms > now_ms {
        Err(ManualRefusal::EndInFuture)
    } else {
        Ok(())
    }
}

/// An end time given by a client (an offline stop) must lie between the start and now;
/// later than now is pulled back to now so no time is counted that has not passed.
pub fn effective_end(
    started_ms: i64,
    requested_ms: Option<i64>,
    now_ms: i64,
) -> Result<i64, ManualRefusal> {
    match requested_ms {
        None => Ok(now_ms.max(started_ms)),
        Some(at) if at < started_ms => Err(ManualRefusal::EndNotAfterStart),
        Some(at) => Ok(at.min(now_ms)),
    }
}

/// Half-open intervals `[start, end)`; `None` as end means still running.
pub fn overlaps(a: (i64, Option<i64>), b: (i64, Option<i64>)) -> bool {
    let a_end = a.1.unwrap_or(i64::MAX);
    let b_end = b.1.unwrap_or(i64::MAX);
    a.0 < b_end && b.0 < a_end
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: i64 = 60_000;

    #[test]
    fn seed_duration_example_10_00_to_12_30_is_150_minutes() {
        let ten = 10 * 60 * MIN;
        assert_eq!(duration_seconds(ten, ten + 150 * MIN), 150 * 60);
        assert_eq!(duration_seconds(0, 1_999), 1, "whole seconds, truncated");
    }

    #[test]
    fn seed_overlap_examples() {
        let (ten, eleven, twelve, one) =
            (10 * 60 * MIN, 11 * 60 * MIN, 12 * 60 * MIN, 13 * 60 * MIN);
        assert!(
            overlaps((ten, Some(twelve)), (eleven, Some(one))),
            "11:00-13:00 overlaps 10:00-12:00"
        );
        assert!(
            !overlaps((ten, Some(twelve)), (twelve, Some(one))),
            "touching ends do not overlap"
        );
        assert!(
            overlaps((ten, None), (eleven, Some(one))),
            "an active session blocks what comes after its start"
        );
        assert!(
            !overlaps((twelve, None), (ten, Some(eleven))),
            "but not what ended before it began"
        );
    }

    #[test]
    fn only_the_owner_stops_and_only_admins_end() {
        let stop = Ending::Stopped { note: None };
        let end = Ending::AdminEnded {
            reason: "shift over".into(),
        };
        let auto = Ending::AutoStopped {
            rule: StopRule::MaxSession { minutes: 60 },
        };
        assert_eq!(may_end(Some((1, Role::Member)), 1, &stop), Ok(()));
        assert_eq!(
            may_end(Some((2, Role::Owner)), 1, &stop),
            Err(EndRefusal::NotYours)
        );
        assert_eq!(may_end(Some((2, Role::Admin)), 1, &end), Ok(()));
        assert_eq!(may_end(Some((2, Role::Owner)), 1, &end), Ok(()));
        assert_eq!(
            may_end(Some((2, Role::Supervisor)), 1, &end),
            Err(EndRefusal::RoleTooLow)
        );
        assert_eq!(
            may_end(Some((1, Role::Member)), 1, &end),
            Err(EndRefusal::RoleTooLow)
        );
        assert_eq!(may_end(None, 1, &auto), Ok(()));
        assert_eq!(may_end(None, 1, &stop), Err(EndRefusal::NotARule));
        assert_eq!(
            may_end(Some((2, Role::Owner)), 1, &auto),
            Err(EndRefusal::NotARule)
        );
        assert_eq!(auto.end_reason(), "auto_stopped");
    }

    #[test]
    fn corrections_are_ones_own_or_an_admins() {
        assert!(may_correct(1, Role::Member, 1));
        assert!(!may_correct(2, Role::Supervisor, 1));
        assert!(may_correct(2, Role::Admin, 1));
        assert!(may_correct(2, Role::Owner, 1));
    }

    #[test]
    fn corrected_times_follow_the_manual_rules() {
        assert_eq!(check_edit(10, Some(20), false, 100), Ok(()));
        assert_eq!(check_edit(10, Some(100), false, 100), Ok(()));
        assert_eq!(
            check_edit(10, Some(10), false, 100),
            Err(EditRefusal::EndNotAfterStart)
        );
        assert_eq!(
            check_edit(10, Some(101), false, 100),
            Err(EditRefusal::InFuture)
        );
        assert_eq!(check_edit(10, None, true, 100), Ok(()));
        assert_eq!(check_edit(101, None, true, 100), Err(EditRefusal::InFuture));
        assert_eq!(
            check_edit(10, Some(20), true, 100),
            Err(EditRefusal::RunningHasNoEnd)
        );
    }

    #[test]
    fn manual_entries_end_after_they_start_and_not_in_the_future() {
        assert_eq!(
            check_manual(10, 10, 100),
            Err(ManualRefusal::EndNotAfterStart)
        );
        assert_eq!(
            check_manual(10, 5, 100),
            Err(ManualRefusal::EndNotAfterStart)
        );
        assert_eq!(check_manual(10, 101, 100), Err(ManualRefusal::EndInFuture));
        assert_eq!(check_manual(10, 100, 100), Ok(()));
    }

    #[test]
    fn an_offline_stop_time_is_kept_within_start_and_now() {
        assert_eq!(effective_end(100, None, 500), Ok(500));
        assert_eq!(effective_end(100, Some(300), 500), Ok(300));
        assert_eq!(effective_end(100, Some(900), 500), Ok(500));
        assert_eq!(
            effective_end(100, Some(50), 500),
            Err(ManualRefusal::EndNotAfterStart)
        );
    }
}

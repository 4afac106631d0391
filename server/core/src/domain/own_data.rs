//! The person's own data (SPEC §18): when a member may still delete their screenshot, which
//! activity slot stops counting then, and from when retention deletes.

use super::activity::slot_start;
use shared::activity::SLOT_SECONDS;

/// Why a member's screenshot can no longer be deleted by them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DeleteRefusal {
    #[error("The policy does not let members delete their screenshots.")]
    Off,
    #[error("Screenshots can be deleted for {minutes} minutes after they were taken; this one is older.")]
    TooLate { minutes: u32 },
}

/// Until when (ms) a screenshot taken at `captured_ms` may be deleted by its owner under a
/// policy's `screenshot_delete_minutes`; `None` when the policy does not allow it.
pub fn deletable_until(captured_ms: i64, delete_minutes: u32) -> Option<i64> {
    (delete_minutes > 0).then(|| captured_ms + i64::from(delete_minutes) * 60_000)
}

/// Whether its owner may delete a screenshot taken at `captured_ms` at `now_ms`.
pub fn may_delete(captured_ms: i64, delete_minutes: u32, now_ms: i64) -> Result<(), DeleteRefusal> {
    match deletable_until(captured_ms, delete_minutes) {
        None => Err(DeleteRefusal::Off),
        Some(until) if now_ms > until => Err(DeleteRefusal::TooLate {
            minutes: delete_minutes,
        }),
        Some(_) => Ok(()),
    }
}

/// The 10-minute activity slot `[start, end)` a screenshot taken at `captured_ms` belongs to:
/// it is not counted once the screenshot is deleted (as in Hubstaff).
pub fn slot_of(captured_ms: i64) -> (i64, i64) {
    let start = slot_start(captured_ms);
    (start, start + SLOT_SECONDS * 1000)
}

/// Data older than this instant is deleted under a `*_retention_days` of `days` (0 = kept).
pub fn retention_cutoff(now_ms: i64, days: u32) -> Option<i64> {
    (days > 0).then(|| now_ms - i64::from(days) * 24 * 3600 * 1000)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: i64 = 60_000;

    #[test]
    fn a_screenshot_may_be_deleted_inside_its_window_only() {
        let taken = 1_000 * MIN;
        assert_eq!(may_delete(taken, 0, taken), Err(DeleteRefusal::Off));
        assert_eq!(may_delete(taken, 10, taken + 10 * MIN), Ok(()));
        assert_eq!(
            may_delete(taken, 10, taken + 10 * MIN + 1),
            Err(DeleteRefusal::TooLate { minutes: 10 })
        );
        assert_eq!(deletable_until(taken, 60), Some(taken + 60 * MIN));
    }

    #[test]
    fn the_slot_is_the_ten_minutes_the_screenshot_fell_in() {
        assert_eq!(slot_of(25 * MIN + 1), (20 * MIN, 30 * MIN));
        assert_eq!(slot_of(20 * MIN), (20 * MIN, 30 * MIN));
    }

    #[test]
    fn retention_counts_whole_days_back_and_zero_keeps() {
        assert_eq!(retention_cutoff(10 * 86_400_000, 0), None);
        assert_eq!(retention_cutoff(10 * 86_400_000, 3), Some(7 * 86_400_000));
    }
}

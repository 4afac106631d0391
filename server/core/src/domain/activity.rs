//! Activity rules (policy switches `enable_keyboard_tracking`, `enable_mouse_tracking`,
//! `website_tracking_enabled`): how one heartbeat counts in its 10-minute slot, how time is
//! attributed to apps, and the activity percentage. No I/O; the definitions are documented
//! in `shared::activity`.

use chrono::DateTime;
use shared::activity::{
    ActivityBasis, ActivitySlot, AppTime, SessionActivity, SLOT_SECONDS, TOP_APPS,
};

const SLOT_MS: i64 = SLOT_SECONDS * 1000;

/// The longest interval one heartbeat may claim for its app: a heartbeat after a gap (the
/// agent was offline, the laptop slept) does not get the whole gap.
pub const MAX_ATTRIBUTED_MS: i64 = 60_000;

/// Longest app name and window title kept (characters).
pub const MAX_APP_CHARS: usize = 100;
pub const MAX_TITLE_CHARS: usize = 300;

/// The start (ms since the epoch) of the 10-minute slot holding `at_ms`.
pub fn slot_start(at_ms: i64) -> i64 {
    at_ms.div_euclid(SLOT_MS) * SLOT_MS
}

/// What one heartbeat adds to its slot. Also the stored sums of a slot.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SlotCounts {
    pub heartbeats: i64,
    pub active_heartbeats: i64,
    pub counted_heartbeats: i64,
    pub input_heartbeats: i64,
    pub key_presses: i64,
    pub mouse_events: i64,
}

impl SlotCounts {
    /// One heartbeat: `idle_ms` against the idle threshold, and the input counts it carried
    /// (`None` when the switch behind them is off).
    pub fn of_heartbeat(
        idle_ms: i64,
        idle_threshold_ms: i64,
        key_presses: Option<u32>,
        mouse_events: Option<u32>,
    ) -> Self {
        let counted = key_presses.is_some() || mouse_events.is_some();
        let keys = i64::from(key_presses.unwrap_or(0));
        let mouse = i64::from(mouse_events.unwrap_or(0));
        SlotCounts {
            heartbeats: 1,
            active_heartbeats: i64::from(idle_ms < idle_threshold_ms),
            counted_heartbeats: i64::from(counted),
            input_heartbeats: i64::from(counted && keys + mouse > 0),
            key_presses: keys,
            mouse_events: mouse,
        }
    }

    pub fn add(&mut self, other: &SlotCounts) {
        self.heartbeats += other.heartbeats;
        self.active_heartbeats += other.active_heartbeats;
        self.counted_heartbeats += other.counted_heartbeats;
        self.input_heartbeats += other.input_heartbeats;
        self.key_presses = self.key_presses.saturating_add(other.key_presses);
        self.mouse_events = self.mouse_events.saturating_add(other.mouse_events);
    }

    /// The activity percentage and what it is based on; `None` without heartbeats.
    pub fn percent(&self) -> Option<(u8, ActivityBasis)> {
        if self.counted_heartbeats > 0 {
            Some((
                percent_of(self.input_heartbeats, self.counted_heartbeats),
                ActivityBasis::Input,
            ))
        } else if self.heartbeats > 0 {
            Some((
                percent_of(self.active_heartbeats, self.heartbeats),
                ActivityBasis::Idle,
            ))
        } else {
            None
        }
    }
}

/// `part / whole` as a whole percent, rounded half up, within 0..=100.
pub fn percent_of(part: i64, whole: i64) -> u8 {
    if whole <= 0 {
        return 0;
    }
    let part = part.clamp(0, whole);
    ((part * 200 + whole) / (2 * whole)) as u8
}

/// Milliseconds the heartbeat at `now_ms` attributes to the focused app: the time since the
/// previous heartbeat of the same session, at most [`MAX_ATTRIBUTED_MS`]; nothing for the first.
pub fn attributed_ms(previous_ms: Option<i64>, now_ms: i64) -> i64 {
    match previous_ms {
        Some(prev) => (now_ms - prev).clamp(0, MAX_ATTRIBUTED_MS),
        None => 0,
    }
}

/// An app name or title as stored: trimmed, control characters dropped, at most `max` chars.
pub fn clean_label(raw: &str, max: usize) -> String {
    raw.trim()
        .chars()
        .filter(|c| !c.is_control())
        .take(max)
        .collect()
}

/// A stored app total: (app, milliseconds, last title).
pub type AppTotal = (String, i64, Option<String>);

/// The activity answer from a session's stored slots (any order) and app totals.
pub fn summarize(
    session_id: i64,
    mut slots: Vec<(i64, SlotCounts)>,
    mut apps: Vec<AppTotal>,
) -> SessionActivity {
    slots.sort_by_key(|(start, _)| *start);
    let mut whole = SlotCounts::default();
    let slots = slots
        .into_iter()
        .filter(|(_, c)| c.heartbeats > 0)
        .map(|(start, c)| {
            whole.add(&c);
            let (activity_percent, basis) = c.percent().unwrap_or((0, ActivityBasis::Idle));
            ActivitySlot {
                start: DateTime::from_timestamp_millis(start).unwrap_or_default(),
                heartbeats: c.heartbeats,
                active_heartbeats: c.active_heartbeats,
                counted_heartbeats: c.counted_heartbeats,
                input_heartbeats: c.input_heartbeats,
                key_presses: c.key_presses,
                mouse_events: c.mouse_events,
                activity_percent,
                basis,
            }
        })
        .collect();
    let app_seconds_total = apps.iter().map(|(_, ms, _)| *ms.max(&0)).sum::<i64>() / 1000;
    apps.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let apps = apps
        .into_iter()
        .filter(|(_, ms, _)| *ms >= 1000)
        .take(TOP_APPS)
        .map(|(app, ms, last_title)| AppTime {
            app,
            last_title: last_title.filter(|t| !t.is_empty()),
            seconds: ms / 1000,
        })
        .collect();
    SessionActivity {
        session_id,
        slot_seconds: SLOT_SECONDS,
        activity_percent: whole.percent().map(|(p, _)| p),
        slots,
        apps,
        app_seconds_total,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_are_ten_minutes_from_the_epoch() {
        assert_eq!(slot_start(0), 0);
        assert_eq!(slot_start(599_999), 0);
        assert_eq!(slot_start(600_000), 600_000);
        assert_eq!(slot_start(1_700_000_123_456), 1_699_999_800_000);
        assert_eq!(slot_start(-1), -600_000);
    }

    #[test]
    fn a_heartbeat_counts_as_active_and_with_input() {
        let idle = SlotCounts::of_heartbeat(400_000, 300_000, None, None);
        assert_eq!(
            idle,
            SlotCounts {
                heartbeats: 1,
                ..SlotCounts::default()
            }
        );
        let busy = SlotCounts::of_heartbeat(0, 300_000, Some(5), Some(0));
        assert_eq!(busy.active_heartbeats, 1);
        assert_eq!(busy.counted_heartbeats, 1);
        assert_eq!(busy.input_heartbeats, 1);
        assert_eq!(busy.key_presses, 5);
        let still = SlotCounts::of_heartbeat(3_000, 300_000, None, Some(0));
        assert_eq!((still.counted_heartbeats, still.input_heartbeats), (1, 0));
    }

    #[test]
    fn the_percentage_prefers_input_and_falls_back_to_idle() {
        let mut slot = SlotCounts::default();
        assert_eq!(slot.percent(), None);
        for (idle, keys) in [(0, Some(3)), (0, Some(0)), (0, Some(0)), (500_000, Some(1))] {
            slot.add(&SlotCounts::of_heartbeat(idle, 300_000, keys, None));
        }
        assert_eq!(slot.percent(), Some((50, ActivityBasis::Input)));
        let mut idle_only = SlotCounts::default();
        for idle in [0, 0, 400_000] {
            idle_only.add(&SlotCounts::of_heartbeat(idle, 300_000, None, None));
        }
        assert_eq!(idle_only.percent(), Some((67, ActivityBasis::Idle)));
    }

    #[test]
    fn percentages_round_and_stay_in_range() {
        assert_eq!(percent_of(1, 3), 33);
        assert_eq!(percent_of(2, 3), 67);
        assert_eq!(percent_of(1, 200), 1); // 0.5 rounds up
        assert_eq!(percent_of(5, 4), 100);
        assert_eq!(percent_of(3, 0), 0);
    }

    #[test]
    fn app_time_is_the_interval_since_the_previous_heartbeat_capped() {
        assert_eq!(attributed_ms(None, 10_000), 0);
        assert_eq!(attributed_ms(Some(5_000), 10_000), 5_000);
        assert_eq!(attributed_ms(Some(0), 3_600_000), MAX_ATTRIBUTED_MS);
        assert_eq!(attributed_ms(Some(20_000), 10_000), 0);
    }

    #[test]
    fn the_summary_orders_slots_and_keeps_the_top_apps() {
        let busy = SlotCounts::of_heartbeat(0, 300_000, Some(4), Some(1));
        let quiet = SlotCounts::of_heartbeat(0, 300_000, Some(0), Some(0));
        let mut second = busy;
        second.add(&quiet);
        let apps = (0..12)
            .map(|i| (format!("app{i:02}"), 1000 * (i + 1), Some(format!("t{i}"))))
            .chain([("blink".to_string(), 400, None)])
            .collect();
        let s = summarize(3, vec![(600_000, second), (0, busy)], apps);
        assert_eq!(s.session_id, 3);
        assert_eq!(s.slots.len(), 2);
        assert_eq!(s.slots[0].activity_percent, 100);
        assert_eq!(s.slots[1].activity_percent, 50);
        assert_eq!(s.slots[1].basis, ActivityBasis::Input);
        assert_eq!(s.slots[1].start.timestamp(), 600);
        assert_eq!(s.activity_percent, Some(67));
        assert_eq!(s.apps.len(), TOP_APPS);
        assert_eq!(s.apps[0].app, "app11");
        assert_eq!(s.apps[0].seconds, 12);
        assert_eq!(s.app_seconds_total, 78);
        let empty = summarize(4, vec![], vec![]);
        assert_eq!(empty.activity_percent, None);
        assert!(empty.slots.is_empty() && empty.apps.is_empty());
    }

    #[test]
    fn labels_are_trimmed_and_bounded() {
        assert_eq!(clean_label("  Firefox\n", 100), "Firefox");
        assert_eq!(clean_label("a\u{7}b", 100), "ab");
        assert_eq!(clean_label("éééé", 2), "éé");
    }
}

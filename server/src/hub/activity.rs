//! Agent heartbeats in the hub: presence first, then — while the sender has a running work
//! session — the heartbeat's share of the session's activity, handed to the coalescing writer.

use super::activity_writer::BeatActivity;
use super::{Hub, OrgHub};
use crate::domain::activity::{
    attributed_ms, clean_label, slot_start, SlotCounts, MAX_APP_CHARS, MAX_TITLE_CHARS,
};
use crate::store::now_ms;
use shared::protocol::ActiveApp;

/// One agent heartbeat, as received.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Heartbeat {
    pub idle_seconds: u32,
    pub active_app: Option<ActiveApp>,
    pub key_presses: Option<u32>,
    pub mouse_events: Option<u32>,
}

/// The app and title as stored; `None` for a nameless app.
fn cleaned(app: ActiveApp) -> Option<(String, String)> {
    let name = clean_label(&app.app, MAX_APP_CHARS);
    if name.is_empty() {
        return None;
    }
    Some((name, clean_label(&app.title, MAX_TITLE_CHARS)))
}

impl Hub {
    /// An agent of `user_id` reported in.
    pub fn heartbeat(&self, org: &OrgHub, user_id: i64, beat: Heartbeat) {
        let now = now_ms();
        let idle_ms = i64::from(beat.idle_seconds) * 1000;
        self.activity(org, user_id, now - idle_ms);
        self.record_session_activity(org, user_id, now, idle_ms, beat);
    }

    fn record_session_activity(
        &self,
        org: &OrgHub,
        user_id: i64,
        now: i64,
        idle_ms: i64,
        beat: Heartbeat,
    ) {
        let (session_id, previous) = {
            let Some(mut m) = org.members.get_mut(&user_id) else {
                return;
            };
            let Some(session_id) = m.active_session.as_ref().map(|s| s.id) else {
                m.last_beat = None;
                return;
            };
            let previous = m
                .last_beat
                .filter(|(sid, _)| *sid == session_id)
                .map(|(_, at)| at);
            m.last_beat = Some((session_id, now));
            (session_id, previous)
        };
        let switches = org.tracking();
        let counts = SlotCounts::of_heartbeat(
            idle_ms,
            org.rules().idle_threshold_ms,
            beat.key_presses.filter(|_| switches.keyboard),
            beat.mouse_events.filter(|_| switches.mouse),
        );
        let app = beat
            .active_app
            .filter(|_| switches.website)
            .and_then(cleaned)
            .map(|(app, title)| (app, title, attributed_ms(previous, now)));
        self.activity_writer.note(BeatActivity {
            session_id,
            user_id,
            slot_start: slot_start(now),
            counts,
            app,
        });
    }
}

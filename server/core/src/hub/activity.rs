//! Agent heartbeats in the hub: presence first, then — while the sender has a running work
//! session — the heartbeat's share of the session's activity, handed to the coalescing writer.

use super::{Hub, OrgHub};
use crate::domain::activity::{
    attributed_ms, clean_label, slot_start, SlotCounts, MAX_APP_CHARS, MAX_TITLE_CHARS,
};
use crate::records::BeatActivity;
use crate::time::now_ms;
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
        self.write_behind.activity(BeatActivity {
            session_id,
            user_id,
            slot_start: slot_start(now),
            counts,
            app,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hub::test_support::{member, noting_hub, org_with_policy};
    use crate::hub::Noted;
    use shared::protocol::SessionInfo;
    use shared::{Policy, Role};
    use std::sync::Arc;

    fn setup(users: i64, policy: Policy) -> (Hub, Arc<OrgHub>, Arc<Noted>) {
        let (hub, noted) = noting_hub();
        let org = org_with_policy(&hub, 1, policy);
        for id in 1..=users {
            member(&org, id, Role::Member);
        }
        (hub, org, noted)
    }

    fn run_session(hub: &Hub, org: &OrgHub, user_id: i64, session_id: i64) {
        hub.apply(
            org.org_id,
            &crate::events::Event::SessionStarted {
                session: SessionInfo {
                    id: session_id,
                    org_id: 1,
                    user_id,
                    ticket_id: None,
                    started_at: chrono::Utc::now(),
                    ended_at: None,
                    duration_seconds: None,
                    note: None,
                    source: "agent".into(),
                    end_reason: None,
                    end_note: None,
                    ended_by: None,
                    user_name: None,
                    ticket_title: None,
                    discarded_seconds: 0,
                },
            },
        );
    }

    fn beat(keys: u32) -> Heartbeat {
        Heartbeat {
            idle_seconds: 0,
            active_app: Some(ActiveApp {
                app: "code".into(),
                title: "main.rs".into(),
            }),
            key_presses: Some(keys),
            mouse_events: Some(1),
        }
    }

    #[test]
    fn only_running_sessions_collect_and_off_switches_drop_their_fields() {
        let (hub, org, noted) = setup(2, Policy::default());
        hub.heartbeat(&org, 1, beat(3));
        assert!(noted.take_activity().is_empty(), "no session, no sums");
        run_session(&hub, &org, 2, 50);
        hub.heartbeat(&org, 2, beat(3));
        hub.heartbeat(&org, 2, beat(0));
        let beats = noted.take_activity();
        assert_eq!(beats.len(), 2);
        // Keyboard and mouse tracking are off by default: counts are not recorded; the app is.
        for b in &beats {
            assert_eq!((b.session_id, b.user_id), (50, 2));
            assert_eq!(b.counts.heartbeats, 1);
            assert_eq!(b.counts.counted_heartbeats, 0);
            assert_eq!(b.app.as_ref().map(|(app, _, _)| app.as_str()), Some("code"));
        }
        // After the end, nothing more.
        hub.apply(
            org.org_id,
            &crate::events::Event::SessionEnded {
                user_id: 2,
                ended: shared::protocol::SessionEnded {
                    session_id: 50,
                    reason: "done".into(),
                    ended_by: Some(2),
                    ended_at: chrono::Utc::now(),
                },
            },
        );
        hub.heartbeat(&org, 2, beat(1));
        assert!(noted.take_activity().is_empty(), "nothing after the end");
    }

    /// `cargo test -p hub-core --release --lib heartbeat_throughput -- --ignored --nocapture`
    #[test]
    #[ignore = "a measurement, not a check"]
    fn heartbeat_throughput() {
        let policy = Policy {
            enable_keyboard_tracking: true,
            enable_mouse_tracking: true,
            ..Policy::default()
        };
        let (hub, org, _) = setup(10_000, policy);
        for id in 1..=10_000 {
            run_session(&hub, &org, id, id);
        }
        let hub = Arc::new(hub);
        let n = 500_000;
        let started = std::time::Instant::now();
        let threads: Vec<_> = (0..2)
            .map(|t| {
                let (hub, org) = (hub.clone(), org.clone());
                std::thread::spawn(move || {
                    for i in 0..n / 2 {
                        hub.heartbeat(&org, 1 + (i * 2 + t) % 10_000, beat(2));
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        let rate = n as f64 / started.elapsed().as_secs_f64();
        println!("{rate:.0} heartbeats/s through presence and activity (2 threads)");
    }
}

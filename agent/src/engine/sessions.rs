//! Session control: Start and Stop (at once when the hub answers, queued when it cannot be
//! reached), and the hub's view of the running session taken over on `hello` and pushes.

use chrono::Utc;
use shared::protocol::SessionInfo;
use std::time::Duration;
use tokio::time::Instant;

use super::{client_id, Engine};
use crate::client::hub::HubClient;
use crate::client::queue::{QueuedOp, SessionRef};
use crate::state::TrackedSession;

impl<H: HubClient> Engine<H> {
    /// Takes the hub's view of the running session.
    pub(super) fn adopt(&mut self, session: Option<SessionInfo>) {
        let local = self.snapshot().session;
        match (session, local) {
            (Some(s), _) => {
                self.update(|st| {
                    st.session = Some(TrackedSession {
                        id: Some(s.id),
                        client_id: None,
                        started_at: s.started_at,
                        ticket_id: s.ticket_id,
                        discarded_seconds: s.discarded_seconds,
                    })
                });
                self.schedule_tracking();
            }
            (None, Some(_)) => {
                self.end_tracking();
                self.notice("Your session was ended while this device was offline.");
            }
            (None, None) => {}
        }
    }

    /// Counts key presses and mouse events only while a session runs and the policy's
    /// switch for each is on.
    pub(super) fn sync_input(&mut self) {
        let s = self.snapshot();
        let running = s.session.is_some();
        self.input.set_counting(
            running && s.config.enable_keyboard_tracking,
            running && s.config.enable_mouse_tracking,
        );
    }

    /// (Re)plans the screenshot and notice timers from now.
    pub(super) fn schedule_tracking(&mut self) {
        self.sync_input();
        let s = self.snapshot();
        let running = s.session.is_some();
        // The first shot comes right after the start (or the change), then every interval.
        self.plan_screenshot(
            (running && s.config.screenshots_enabled).then(|| Duration::from_secs(1)),
        );
        self.next_notice = (running
            && s.config.show_tracker_notification
            && s.config.notification_interval_minutes > 0)
            .then(|| {
                Instant::now()
                    + Duration::from_secs(60 * u64::from(s.config.notification_interval_minutes))
            });
    }

    pub(super) fn end_tracking(&mut self) {
        self.update(|s| s.session = None);
        self.plan_screenshot(None);
        self.next_notice = None;
        self.sync_input();
    }

    pub(super) async fn start(&mut self, ticket_id: Option<i64>) {
        if self.snapshot().session.is_some() {
            self.notice("A session is already running.");
            return;
        }
        let cid = client_id("start");
        let now = Utc::now();
        match self.hub.start_session(ticket_id, &cid, None).await {
            Ok(session) => {
                self.adopt(Some(session));
                self.notice("Session started.");
            }
            Err(e) if e.is_unreachable() => {
                self.enqueue(QueuedOp::Start {
                    client_id: cid.clone(),
                    ticket_id,
                    started_at: now,
                });
                self.update(|s| {
                    s.session = Some(TrackedSession {
                        id: None,
                        client_id: Some(cid),
                        started_at: now,
                        ticket_id,
                        discarded_seconds: 0,
                    })
                });
                self.schedule_tracking();
                self.notice("The hub is unreachable: tracking offline, will sync later.");
            }
            Err(e) => self.notice(&format!("Could not start: {e}")),
        }
    }

    pub(super) async fn stop(&mut self) {
        let Some(session) = self.snapshot().session else {
            return;
        };
        let now = Utc::now();
        self.end_tracking();
        let target = match (&session.id, &session.client_id) {
            (Some(id), _) => SessionRef::Id(*id),
            (None, Some(cid)) => SessionRef::Pending(cid.clone()),
            (None, None) => return,
        };
        if let SessionRef::Id(id) = target {
            // Behind queued writes, a stop waits its turn: the hub must see them in order.
            if self.queue.is_empty() {
                match self.hub.stop_session(id, now).await {
                    Ok(_) => return self.notice("Session stopped."),
                    Err(e) if !e.is_unreachable() => {
                        return self.notice(&format!("The hub refused the stop: {e}"))
                    }
                    Err(_) => {}
                }
            }
        }
        self.enqueue(QueuedOp::Stop {
            session: target,
            ended_at: now,
        });
        self.notice("Session stopped offline; it will sync when the hub is back.");
    }

    pub(super) fn enqueue(&mut self, op: QueuedOp) {
        if let Err(e) = self.queue.push(op) {
            tracing::error!(error = %e, "cannot write the offline queue");
        }
        self.write_status();
    }
}

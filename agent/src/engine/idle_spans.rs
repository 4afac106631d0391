//! Idle time inside a running session: when the user comes back after at least the policy's
//! idle threshold, the span is reported to the hub (or queued while it is unreachable). The
//! hub's policy decides: kept, discarded, or — `ask` — the window asks "keep or discard?"
//! and the answer goes back; unanswered for 10 minutes, the time is kept.

use chrono::{DateTime, Duration, Utc};
use shared::timesheets::{IdleDecision, IdleSpan};

use super::{client_id, Engine};
use crate::client::hub::HubClient;
use crate::client::queue::{QueuedOp, SessionRef};
use crate::state::{away, Connection, IdleQuestion};

impl<H: HubClient> Engine<H> {
    /// Follows each heartbeat's idle time while a session runs: notes when idleness began,
    /// and on the return (idle below the threshold again) reports the span.
    pub(super) async fn follow_idle(&mut self, idle_seconds: u32, now: DateTime<Utc>) {
        let s = self.snapshot();
        let Some(session_start) = s.session.as_ref().map(|t| t.started_at) else {
            self.idle_started = None;
            return;
        };
        if !s.config.enable_idle_detection {
            self.idle_started = None;
            return;
        }
        let threshold = i64::from(s.config.idle_threshold_seconds);
        let idle = i64::from(idle_seconds);
        if idle >= threshold {
            // Idleness from before the session began does not belong to it.
            self.idle_started
                .get_or_insert((now - Duration::seconds(idle)).max(session_start));
            return;
        }
        let Some(started) = self.idle_started.take() else {
            return;
        };
        // The span ends at the user's first input, which was `idle` seconds ago.
        let ended = now - Duration::seconds(idle);
        if (ended - started).num_seconds() >= threshold {
            self.report_idle(started, ended).await;
        }
    }

    async fn report_idle(&mut self, started_at: DateTime<Utc>, ended_at: DateTime<Utc>) {
        let s = self.snapshot();
        let Some(session) = s.session else {
            return;
        };
        let cid = client_id("idle");
        if let (Connection::Online, Some(id)) = (s.connection, session.id) {
            match self.hub.report_idle(id, started_at, ended_at, &cid).await {
                Ok(span) => return self.on_idle_span(span),
                Err(e) if !e.is_unreachable() => {
                    return self.notice(&format!("The hub refused the idle time: {e}"))
                }
                Err(_) => {}
            }
        }
        let target = match (session.id, session.client_id) {
            (Some(id), _) => SessionRef::Id(id),
            (None, Some(pending)) => SessionRef::Pending(pending),
            (None, None) => return,
        };
        self.enqueue(QueuedOp::Idle {
            session: target,
            client_id: cid,
            started_at,
            ended_at,
        });
        self.notice(&format!(
            "You were away for {}; the hub will be told when it is back.",
            away((ended_at - started_at).num_seconds())
        ));
    }

    /// What the hub decided about a reported span.
    pub(super) fn on_idle_span(&mut self, span: IdleSpan) {
        let gone = away(span.seconds);
        match span.decision {
            IdleDecision::Pending => {
                let answer_by = span
                    .answer_by
                    .unwrap_or_else(|| Utc::now() + Duration::minutes(10));
                self.update(|s| {
                    s.idle_question = Some(IdleQuestion {
                        session_id: span.session_id,
                        span_id: span.id,
                        started_at: span.started_at,
                        ended_at: span.ended_at,
                        seconds: span.seconds,
                        answer_by,
                    })
                });
                self.notice(&format!(
                    "You were away for {gone}. Keep this time or discard it?"
                ));
            }
            IdleDecision::Discarded => self.notice(&format!(
                "You were away for {gone}: not counted (the policy discards idle time)."
            )),
            IdleDecision::Kept => self.notice(&format!(
                "You were away for {gone}: counted (the policy keeps idle time)."
            )),
        }
    }

    /// The user's answer from the window.
    pub(super) async fn answer_idle(&mut self, keep: bool) {
        let Some(question) = self.snapshot().idle_question else {
            return;
        };
        match self
            .hub
            .answer_idle(question.session_id, question.span_id, keep)
            .await
        {
            Ok(span) => {
                self.update(|s| s.idle_question = None);
                let gone = away(span.seconds);
                self.notice(&if span.decision == IdleDecision::Discarded {
                    format!("Discarded: {gone} away are not counted.")
                } else {
                    format!("Kept: {gone} away are counted.")
                });
            }
            Err(e) if e.is_unreachable() => {
                self.notice("The hub is unreachable: answer again when it is back.")
            }
            Err(e) => {
                // Decided already, or too late: the hub's answer stands.
                self.update(|s| s.idle_question = None);
                self.notice(&format!("The hub did not take the answer: {e}"));
            }
        }
    }

    /// A question left unanswered past its time: the hub keeps the time; the window stops
    /// asking.
    pub(super) fn expire_idle_question(&mut self, now: DateTime<Utc>) {
        let expired = self
            .snapshot()
            .idle_question
            .is_some_and(|q| q.answer_by <= now);
        if expired {
            self.update(|s| s.idle_question = None);
            self.notice("No answer for 10 minutes: the idle time was kept.");
        }
    }
}

//! Writes made while the hub was unreachable, replayed in order once it is back: each once
//! (client ids make a repeat harmless), then the hub's view of the running session wins.

use super::Engine;
use crate::client::hub::HubClient;
use crate::client::queue::{QueuedOp, SessionRef};

impl<H: HubClient> Engine<H> {
    /// Replays queued writes in order, then kept screenshots, then takes the hub's view of
    /// the running session. Stops at the first write the hub cannot be reached for.
    pub(super) async fn replay(&mut self) {
        tracing::info!(writes = self.queue.len(), "replaying writes made offline");
        while let Some(op) = self.queue.ops().first().cloned() {
            let outcome = match &op {
                QueuedOp::Start {
                    client_id,
                    ticket_id,
                    started_at,
                } => match self
                    .hub
                    .start_session(*ticket_id, client_id, Some(*started_at))
                    .await
                {
                    Ok(session) => {
                        if let Err(e) = self.queue.resolve_pending(client_id, session.id) {
                            tracing::error!(error = %e, "cannot update the offline queue");
                        }
                        Ok(())
                    }
                    Err(e) => Err(e),
                },
                QueuedOp::Stop {
                    session: SessionRef::Id(id),
                    ended_at,
                } => self.hub.stop_session(*id, *ended_at).await.map(|_| ()),
                // Its start was refused: nothing to stop.
                QueuedOp::Stop {
                    session: SessionRef::Pending(_),
                    ..
                } => Ok(()),
                QueuedOp::Idle {
                    session: SessionRef::Id(id),
                    client_id,
                    started_at,
                    ended_at,
                } => match self
                    .hub
                    .report_idle(*id, *started_at, *ended_at, client_id)
                    .await
                {
                    Ok(span) => {
                        self.on_idle_span(span);
                        Ok(())
                    }
                    Err(e) => Err(e),
                },
                // Its start was refused: no session to be idle in.
                QueuedOp::Idle {
                    session: SessionRef::Pending(_),
                    ..
                } => Ok(()),
            };
            match outcome {
                Err(e) if e.is_unreachable() => {
                    tracing::warn!(error = %e, "hub unreachable during replay; will retry");
                    return;
                }
                Err(e) => {
                    tracing::warn!(error = %e, ?op, "the hub refused a queued write; dropping it (the hub's state wins)");
                    self.notice(&format!("The hub refused a write made offline: {e}"));
                }
                Ok(()) => tracing::info!(?op, "queued write applied"),
            }
            if let Err(e) = self.queue.pop_front() {
                tracing::error!(error = %e, "cannot update the offline queue");
                return;
            }
            self.write_status();
        }
        self.upload_kept_screenshots().await;
        match self.hub.active_session().await {
            Ok(active) => self.adopt(active),
            Err(e) => tracing::warn!(error = %e, "cannot read the running session after replay"),
        }
    }
}

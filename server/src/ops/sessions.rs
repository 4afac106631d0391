//! Work sessions: start, manual entry, end. A user's own stop, an admin's force-end and a
//! policy rule's automatic stop are one operation, `end`, with a different `Ending`; all
//! announce `SessionEnded`.

use std::net::IpAddr;

use super::Ctx;
use crate::domain::sessions::{check_manual, effective_end, may_end, Ending, ManualRefusal};
use crate::domain::weeks::IsoWeek;
use crate::ops::error::{OpError, OpResult};
use crate::store::{now_ms, Created, NewAudit, NewSession, SessionEnd, SessionRow, UserRow};
use hub_core::events::Event;
use shared::api::{ManualSessionRequest, StartSessionRequest};
use shared::protocol::SessionEnded;

const MAX_NOTE_CHARS: usize = 2000;
const MAX_CLIENT_ID_CHARS: usize = 100;
/// How far back a replayed offline start may be dated.
const MAX_REPLAY_AGE_MS: i64 = 7 * 24 * 3600 * 1000;

fn check_note(field: &str, note: Option<&str>) -> OpResult<()> {
    match note {
        Some(n) if n.chars().count() > MAX_NOTE_CHARS => Err(OpError::invalid_field(
            field,
            format!("must be at most {MAX_NOTE_CHARS} characters"),
        )),
        _ => Ok(()),
    }
}

fn check_client_id(client_id: Option<&str>) -> OpResult<()> {
    match client_id {
        Some(c) if c.is_empty() || c.chars().count() > MAX_CLIENT_ID_CHARS => {
            Err(OpError::invalid_field(
                "client_id",
                format!("must be 1 to {MAX_CLIENT_ID_CHARS} characters"),
            ))
        }
        _ => Ok(()),
    }
}

/// The ticket a session names must be the organization's; `live` (a start happening now)
/// also needs it open. Replayed offline starts and manual entries record past work, which a
/// ticket closed since then does not undo.
async fn check_ticket(
    ctx: &Ctx<'_>,
    org_id: i64,
    ticket_id: Option<i64>,
    live: bool,
) -> OpResult<()> {
    if let Some(id) = ticket_id {
        let ticket = ctx
            .store
            .get_ticket(org_id, id)
            .await?
            .ok_or(OpError::NotFound("Ticket"))?;
        if live && ticket.status == "closed" {
            return Err(OpError::Conflict(format!(
                "Ticket #{} is closed: reopen it to track time on it.",
                ticket.number
            )));
        }
    }
    Ok(())
}

impl Ctx<'_> {
    /// The ISO weeks `[start, end)` touches in the organization's timezone, as stored.
    pub async fn weeks_touched(&self, org_id: i64, start: i64, end: i64) -> OpResult<Vec<String>> {
        let tz = self.store.org_timezone(org_id).await?;
        Ok(IsoWeek::names_touched(start, end, tz))
    }
}

/// Starts a running session for `actor`; pushes `session_started` after the commit.
pub async fn start(
    ctx: &Ctx<'_>,
    actor: &UserRow,
    req: &StartSessionRequest,
    source: &'static str,
) -> OpResult<Created<SessionRow>> {
    check_note("note", req.note.as_deref())?;
    check_client_id(req.client_id.as_deref())?;
    check_ticket(ctx, actor.org_id, req.ticket_id, req.started_at.is_none()).await?;
    let now = now_ms();
    let started_at = match req.started_at.map(|t| t.timestamp_millis()) {
        None => now,
        Some(at) if at < now - MAX_REPLAY_AGE_MS => {
            return Err(OpError::invalid_field(
                "started_at",
                "must be within the last 7 days",
            ))
        }
        // A client clock running ahead never starts a session in the future.
        Some(at) => at.min(now),
    };
    let weeks = ctx.weeks_touched(actor.org_id, started_at, now).await?;
    let (created, published) = ctx
        .store
        .create_session(
            NewSession {
                org_id: actor.org_id,
                user_id: actor.id,
                ticket_id: req.ticket_id,
                started_at,
                ended_at: None,
                note: req.note.as_deref(),
                source,
                client_id: req.client_id.as_deref(),
                weeks,
            },
            |row| {
                Some(Event::SessionStarted {
                    session: row.info(),
                })
            },
        )
        .await?;
    ctx.publish_all(published);
    Ok(created)
}

/// Records a completed session after the fact.
pub async fn manual(
    ctx: &Ctx<'_>,
    actor: &UserRow,
    req: &ManualSessionRequest,
) -> OpResult<Created<SessionRow>> {
    check_note("note", req.note.as_deref())?;
    check_client_id(req.client_id.as_deref())?;
    let (start, end) = (
        req.start_time.timestamp_millis(),
        req.end_time.timestamp_millis(),
    );
    check_manual(start, end, now_ms())
        .map_err(|e| OpError::invalid_field("end_time", e.to_string()))?;
    check_ticket(ctx, actor.org_id, req.ticket_id, false).await?;
    let weeks = ctx.weeks_touched(actor.org_id, start, end).await?;
    let (created, published) = ctx
        .store
        .create_session(
            NewSession {
                org_id: actor.org_id,
                user_id: actor.id,
                ticket_id: req.ticket_id,
                started_at: start,
                ended_at: Some(end),
                note: req.note.as_deref(),
                source: "manual",
                client_id: req.client_id.as_deref(),
                weeks,
            },
            // Past work: no running session changes, but open timesheets and reports count it.
            |row| {
                Some(Event::SessionUpdated {
                    session: row.info(),
                })
            },
        )
        .await?;
    ctx.publish_all(published);
    Ok(created)
}

/// Ends a running session — the user's own stop, an admin's force-end, or (`actor` `None`)
/// a policy rule's automatic stop — commits it (with the audit entry for a force-end or an
/// automatic stop), then pushes `session_ended` to the user's agents and the organization's
/// dashboards. `requested_end` is an offline stop's time, or the rule's moment.
pub async fn end(
    ctx: &Ctx<'_>,
    actor: Option<&UserRow>,
    org_id: i64,
    session_id: i64,
    ending: Ending,
    requested_end: Option<i64>,
    ip: Option<IpAddr>,
) -> OpResult<SessionRow> {
    if let Ending::AdminEnded { reason } = &ending {
        if reason.trim().is_empty() || reason.chars().count() > 500 {
            return Err(OpError::invalid_field(
                "reason",
                "must be 1 to 500 characters",
            ));
        }
    }
    if let Ending::Stopped { note } = &ending {
        check_note("note", note.as_deref())?;
    }
    let session = ctx
        .store
        .get_session(org_id, session_id)
        .await?
        .ok_or(OpError::NotFound("Session"))?;
    may_end(actor.map(|a| (a.id, a.role)), session.user_id, &ending).map_err(|refusal| {
        match refusal {
            crate::domain::sessions::EndRefusal::NotYours => {
                OpError::Forbidden("Only the user who started a session can stop it.")
            }
            crate::domain::sessions::EndRefusal::RoleTooLow => {
                OpError::Forbidden("Only admins and owners can end another user's session.")
            }
            crate::domain::sessions::EndRefusal::NotARule => {
                OpError::Forbidden("Only the hub's rules stop a session automatically.")
            }
        }
    })?;
    if session.ended_at.is_some() {
        return Err(OpError::Conflict("This session has already ended.".into()));
    }
    let ended_at =
        effective_end(session.started_at, requested_end, now_ms()).map_err(|e| match e {
            ManualRefusal::EndNotAfterStart => {
                OpError::invalid_field("ended_at", "must not be before the session started")
            }
            ManualRefusal::EndInFuture => {
                OpError::invalid_field("ended_at", "must not be in the future")
            }
        })?;
    let reason = ending.reason_text();
    let audited = |action: &'static str| NewAudit {
        org_id,
        actor_id: actor.map(|a| a.id),
        action,
        target_type: Some("session"),
        target_id: Some(session.id),
        ip: ip.map(|ip| ip.to_string()),
        details: serde_json::json!({
            "session_id": session.id,
            "user_id": session.user_id,
            "user_name": session.user_name,
            "reason": reason,
            "ended_at": crate::store::ms_to_time(ended_at),
            "duration_seconds": crate::domain::sessions::duration_seconds(session.started_at, ended_at) - session.discarded_seconds,
        }),
    };
    let audit = match &ending {
        Ending::AdminEnded { .. } => Some(audited("SESSION_FORCE_ENDED")),
        Ending::AutoStopped { .. } => Some(audited("SESSION_AUTO_STOPPED")),
        Ending::Stopped { .. } => None,
    };
    let (end_note, note) = match &ending {
        Ending::AdminEnded { .. } | Ending::AutoStopped { .. } => (Some(reason.as_str()), None),
        Ending::Stopped { note } => (None, note.as_deref()),
    };
    let end = SessionEnd {
        ended_at,
        end_reason: ending.end_reason(),
        end_note,
        ended_by: actor.map(|a| a.id),
        note,
    };
    let ended = SessionEnded {
        session_id,
        reason: reason.clone(),
        ended_by: actor.map(|a| a.id),
        ended_at: crate::store::ms_to_time(ended_at),
    };
    let (row, published) = ctx
        .store
        .end_session(org_id, session_id, &end, audit.as_ref(), |row| {
            Event::SessionEnded {
                user_id: row.user_id,
                ended,
            }
        })
        .await?
        .ok_or_else(|| OpError::Conflict("This session has already ended.".into()))?;
    ctx.publish(published);
    Ok(row)
}

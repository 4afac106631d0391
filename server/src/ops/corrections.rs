//! Corrections of recorded time: a session's times, ticket or note changed with a reason, or
//! the session deleted (kept as a tombstone). Both audited with old and new values, both
//! pushed to the user's agents and the organization's dashboards.

use std::net::IpAddr;

use super::Ctx;
use crate::domain::sessions::{check_edit, may_correct, EditRefusal};
use crate::domain::weeks::IsoWeek;
use crate::ops::error::{OpError, OpResult};
use crate::store::{
    ms_to_time, now_ms, Changes, NewAudit, SessionCorrection, SessionDeletion, SessionRow, UserRow,
};
use hub_core::events::Event;
use shared::protocol::SessionDeleted;
use shared::timesheets::{CorrectSessionRequest, DeleteSessionRequest};

const MAX_REASON_CHARS: usize = 500;
const MAX_NOTE_CHARS: usize = 2000;

fn check_reason(reason: &str) -> OpResult<String> {
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > MAX_REASON_CHARS {
        return Err(OpError::invalid_field(
            "reason",
            format!("is required: 1 to {MAX_REASON_CHARS} characters saying why"),
        ));
    }
    Ok(reason.to_string())
}

/// The session, if the actor may correct it; others' sessions are "not found" to members.
async fn correctable(ctx: &Ctx<'_>, actor: &UserRow, id: i64) -> OpResult<SessionRow> {
    let session = ctx
        .store
        .get_session(actor.org_id, id)
        .await?
        .ok_or(OpError::NotFound("Session"))?;
    if !may_correct(actor.id, actor.role, session.user_id) {
        return Err(if actor.role.reads_whole_org() {
            OpError::Forbidden("Only admins and owners can correct another user's time.")
        } else {
            OpError::NotFound("Session")
        });
    }
    Ok(session)
}

fn snapshot(s: &SessionRow) -> serde_json::Value {
    serde_json::json!({
        "started_at": ms_to_time(s.started_at),
        "ended_at": s.ended_at.map(ms_to_time),
        "duration_seconds": s.duration_seconds,
        "ticket_id": s.ticket_id,
        "note": s.note,
    })
}

/// `PATCH /api/sessions/{id}`.
pub async fn correct(
    ctx: &Ctx<'_>,
    actor: &UserRow,
    id: i64,
    req: &CorrectSessionRequest,
    ip: Option<IpAddr>,
) -> OpResult<SessionRow> {
    let reason = check_reason(&req.reason)?;
    if let Some(Some(note)) = &req.note {
        if note.chars().count() > MAX_NOTE_CHARS {
            return Err(OpError::invalid_field(
                "note",
                format!("must be at most {MAX_NOTE_CHARS} characters"),
            ));
        }
    }
    let old = correctable(ctx, actor, id).await?;
    let running = old.ended_at.is_none();
    let started_at = req
        .start_time
        .map_or(old.started_at, |t| t.timestamp_millis());
    let ended_at = match req.end_time {
        Some(t) => Some(t.timestamp_millis()),
        None => old.ended_at,
    };
    let requested_end = req.end_time.map(|t| t.timestamp_millis());
    check_edit(
        started_at,
        if running { requested_end } else { ended_at },
        running,
        now_ms(),
    )
    .map_err(|e| {
        let field = match e {
            EditRefusal::InFuture if req.end_time.is_none() => "start_time",
            _ => "end_time",
        };
        OpError::invalid_field(field, e.to_string())
    })?;
    let ticket_id = req.ticket_id.unwrap_or(old.ticket_id);
    if let Some(ticket) = ticket_id.filter(|t| Some(*t) != old.ticket_id) {
        ctx.store
            .get_ticket(actor.org_id, ticket)
            .await?
            .ok_or(OpError::NotFound("Ticket"))?;
    }
    let note = match &req.note {
        Some(n) => n.as_deref().map(str::trim).filter(|n| !n.is_empty()),
        None => old.note.as_deref(),
    };
    // The weeks of the old and the new times: moving time out of, or into, an approved
    // week are both changes to it.
    let now = now_ms();
    let tz = ctx.store.org_timezone(actor.org_id).await?;
    let mut weeks = IsoWeek::names_touched(old.started_at, old.ended_at.unwrap_or(now), tz);
    for week in IsoWeek::names_touched(started_at, ended_at.unwrap_or(now), tz) {
        if !weeks.contains(&week) {
            weeks.push(week);
        }
    }
    let discarded = ctx.store.uncounted_spans_of(actor.org_id, id).await?;
    let discarded_seconds = crate::store::discarded_seconds(&discarded, started_at, ended_at);
    let fix = SessionCorrection {
        started_at,
        ended_at,
        ticket_id,
        note,
        discarded_seconds,
        was_started_at: old.started_at,
        was_ended_at: old.ended_at,
        weeks,
    };
    let mut changes = Changes::default();
    changes.note(
        "started_at",
        ms_to_time(old.started_at),
        ms_to_time(started_at),
    );
    changes.note(
        "ended_at",
        old.ended_at.map(ms_to_time),
        ended_at.map(ms_to_time),
    );
    changes.note("ticket_id", old.ticket_id, ticket_id);
    changes.note("note", &old.note, note);
    if changes.is_empty() {
        return Err(OpError::invalid_field(
            "reason",
            "nothing to correct: no time, ticket or note differs from the session's",
        ));
    }
    let audit = NewAudit {
        org_id: actor.org_id,
        actor_id: Some(actor.id),
        action: "SESSION_EDITED",
        target_type: Some("session"),
        target_id: Some(id),
        ip: ip.map(|ip| ip.to_string()),
        details: serde_json::json!({
            "session_id": id,
            "user_id": old.user_id,
            "user_name": old.user_name,
            "reason": reason,
            "changes": changes.into_value(),
            "old": snapshot(&old),
        }),
    };
    let (row, published) = ctx
        .store
        .correct_session(actor.org_id, id, &fix, &audit, |row| {
            Event::SessionUpdated {
                session: row.info(),
            }
        })
        .await?;
    ctx.publish(published);
    Ok(row)
}

/// `DELETE /api/sessions/{id}`: the session becomes a tombstone.
pub async fn delete(
    ctx: &Ctx<'_>,
    actor: &UserRow,
    id: i64,
    req: &DeleteSessionRequest,
    ip: Option<IpAddr>,
) -> OpResult<SessionRow> {
    let reason = check_reason(&req.reason)?;
    let old = correctable(ctx, actor, id).await?;
    let Some(ended_at) = old.ended_at else {
        return Err(OpError::Conflict(
            "A running session cannot be deleted: stop or end it first.".into(),
        ));
    };
    let weeks = ctx
        .weeks_touched(actor.org_id, old.started_at, ended_at)
        .await?;
    let audit = NewAudit {
        org_id: actor.org_id,
        actor_id: Some(actor.id),
        action: "SESSION_DELETED",
        target_type: Some("session"),
        target_id: Some(id),
        ip: ip.map(|ip| ip.to_string()),
        details: serde_json::json!({
            "session_id": id,
            "user_id": old.user_id,
            "user_name": old.user_name,
            "reason": reason,
            "old": snapshot(&old),
        }),
    };
    let deleted = SessionDeleted {
        session_id: id,
        user_id: old.user_id,
        reason: reason.clone(),
        deleted_by: actor.id,
    };
    let (row, published) = ctx
        .store
        .delete_session(
            actor.org_id,
            id,
            &SessionDeletion {
                by: actor.id,
                reason: &reason,
                weeks,
            },
            &audit,
            |_| Event::SessionDeleted { deleted },
        )
        .await?
        .ok_or(OpError::NotFound("Session"))?;
    ctx.publish(published);
    Ok(row)
}

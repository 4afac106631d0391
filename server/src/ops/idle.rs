//! Idle time inside a session: the agent reports a return from idle, the policy's
//! `idle_time_handling` decides (keep, discard, or ask the user), and the user's answer.

use super::Ctx;
use crate::ops::error::{OpError, OpResult};
use crate::store::{now_ms, Created, IdleSpanRow, NewIdleSpan, SpanDecision, UserRow};
use hub_core::events::Event;
use shared::policy::IdleTimeHandling;
use shared::timesheets::{IdleDecision, IdleSpan, IdleSpanReport};

/// How long the agent's question stays open; unanswered, the span is kept.
pub const ANSWER_WINDOW_MS: i64 = 10 * 60 * 1000;

impl IdleSpanRow {
    pub fn info(&self) -> IdleSpan {
        let decision = IdleDecision::parse(&self.decision).unwrap_or(IdleDecision::Kept);
        IdleSpan {
            id: self.id,
            session_id: self.session_id,
            started_at: crate::store::ms_to_time(self.started_at),
            ended_at: crate::store::ms_to_time(self.ended_at),
            seconds: (self.ended_at - self.started_at) / 1000,
            decision,
            answer_by: (decision == IdleDecision::Pending)
                .then(|| crate::store::ms_to_time(self.created_at + ANSWER_WINDOW_MS)),
        }
    }
}

/// `POST /api/sessions/{id}/idle`: the user's own session only. The span must lie inside the
/// session (cut to its end if it ended meanwhile) and last at least the policy's threshold.
pub async fn report(
    ctx: &Ctx<'_>,
    actor: &UserRow,
    session_id: i64,
    req: &IdleSpanReport,
) -> OpResult<Created<IdleSpanRow>> {
    if let Some(c) = &req.client_id {
        if c.is_empty() || c.chars().count() > 100 {
            return Err(OpError::invalid_field(
                "client_id",
                "must be 1 to 100 characters",
            ));
        }
    }
    let session = ctx
        .store
        .get_session(actor.org_id, session_id)
        .await?
        .filter(|s| s.user_id == actor.id)
        .ok_or(OpError::NotFound("Session"))?;
    let now = now_ms();
    let start = req.started_at.timestamp_millis();
    let end = req
        .ended_at
        .timestamp_millis()
        .min(session.ended_at.unwrap_or(now))
        .min(now);
    if start < session.started_at {
        return Err(OpError::invalid_field(
            "started_at",
            "must not be before the session started",
        ));
    }
    let policy = ctx.store.get_policy(actor.org_id).await?.config;
    let threshold_ms = i64::from(policy.idle_threshold_seconds) * 1000;
    if end - start < threshold_ms {
        return Err(OpError::invalid_field(
            "ended_at",
            format!(
                "an idle span lasts at least the policy's idle threshold ({} s)",
                policy.idle_threshold_seconds
            ),
        ));
    }
    let decision = match policy.idle_time_handling {
        IdleTimeHandling::Keep => "kept",
        IdleTimeHandling::Discard => "discarded",
        IdleTimeHandling::Ask => "pending",
    };
    let weeks = ctx.weeks_touched(actor.org_id, start, end).await?;
    let (span, published) = ctx
        .store
        .insert_idle_span(
            &NewIdleSpan {
                org_id: actor.org_id,
                session_id,
                user_id: actor.id,
                started_at: start,
                ended_at: end,
                decision,
                client_id: req.client_id.as_deref(),
                weeks,
            },
            |row| Event::SessionUpdated {
                session: row.info(),
            },
        )
        .await?;
    if let Some(p) = published {
        ctx.publish(p);
    }
    Ok(span)
}

/// `POST /api/sessions/{id}/idle/{span_id}` `{keep}`: the user's answer to the question,
/// within 10 minutes of the report.
pub async fn answer(
    ctx: &Ctx<'_>,
    actor: &UserRow,
    session_id: i64,
    span_id: i64,
    keep: bool,
) -> OpResult<IdleSpanRow> {
    let session = ctx
        .store
        .get_session(actor.org_id, session_id)
        .await?
        .filter(|s| s.user_id == actor.id)
        .ok_or(OpError::NotFound("Session"))?;
    let span = ctx
        .store
        .idle_spans_of(actor.org_id, session_id)
        .await?
        .into_iter()
        .find(|s| s.id == span_id)
        .ok_or(OpError::NotFound("Idle span"))?;
    if span.decision == "pending" && now_ms() > span.created_at + ANSWER_WINDOW_MS {
        return Err(OpError::Conflict(
            "This idle time went unanswered for 10 minutes and was kept.".into(),
        ));
    }
    let weeks = ctx
        .weeks_touched(
            actor.org_id,
            session.started_at,
            session.ended_at.unwrap_or_else(now_ms),
        )
        .await?;
    let (span, published) = ctx
        .store
        .decide_idle_span(
            &SpanDecision {
                org_id: actor.org_id,
                session_id,
                span_id,
                keep,
                by: actor.id,
                weeks,
            },
            |row| Event::SessionUpdated {
                session: row.info(),
            },
        )
        .await?
        .ok_or(OpError::NotFound("Idle span"))?;
    ctx.publish(published);
    Ok(span)
}

/// Marks questions unanswered for 10 minutes as kept (their time already counted).
pub async fn keep_unanswered(ctx: &Ctx<'_>) -> OpResult<u64> {
    Ok(ctx
        .store
        .keep_unanswered_idle_spans(now_ms() - ANSWER_WINDOW_MS)
        .await?)
}

//! The webhook deliverer's writes: claiming a due delivery for one attempt, recording what the
//! attempt gave (delivered, or failed with the next try by the backoff of
//! `domain::webhooks`, or given up after 24 hours), and queueing this node's presence changes.

use std::time::Duration;

use super::{Ctx, OpResult};
use crate::domain::webhooks::{retry_delay, ATTEMPT_TIMEOUT, GIVE_UP_AFTER_MS};
use crate::store::{now_ms, Attempt, DueDelivery};

/// How long a claim holds a delivery for its node: a node that dies mid-attempt leaves it to
/// the next leader after this.
pub const CLAIM_HOLD: Duration = Duration::from_secs(ATTEMPT_TIMEOUT.as_secs() * 3);

/// Claims `d` for one attempt by `node`; false when another node holds it.
pub async fn claim(ctx: &Ctx<'_>, d: &DueDelivery, node: &str, now: i64) -> OpResult<bool> {
    let hold = CLAIM_HOLD.as_millis() as i64;
    Ok(ctx
        .store
        .claim_delivery(d.id, node, now, now + hold)
        .await?)
}

/// What one POST gave: the receiver's 2xx status, or its status (if any) and what went wrong.
pub type Outcome = Result<i64, (Option<i64>, String)>;

/// The attempt as stored: a failure is retried after `base` × 2^tries while the delivery is
/// younger than a day.
pub fn attempt_of(d: &DueDelivery, outcome: Outcome, base: Duration, now: i64) -> Attempt {
    match outcome {
        Ok(status) => Attempt::Delivered { status },
        Err((status, error)) => {
            let tries = u32::try_from(d.attempts + 1).unwrap_or(u32::MAX);
            let retry_at = now + retry_delay(tries, base).as_millis() as i64;
            let in_time = retry_at - d.created_at < GIVE_UP_AFTER_MS;
            Attempt::Failed {
                status,
                error,
                retry_at: in_time.then_some(retry_at),
            }
        }
    }
}

/// Records the attempt of `node` and announces the delivery's new state; false when the claim
/// was lost meanwhile (nothing written).
pub async fn record(
    ctx: &Ctx<'_>,
    d: &DueDelivery,
    node: &str,
    outcome: Outcome,
    base: Duration,
) -> OpResult<bool> {
    let attempt = attempt_of(d, outcome, base, now_ms());
    if let Attempt::Failed { status, error, .. } = &attempt {
        tracing::info!(
            delivery = d.delivery_id,
            webhook_id = d.webhook_id,
            status,
            error,
            attempts = d.attempts + 1,
            "webhook delivery failed"
        );
    }
    match ctx.store.record_attempt(d.id, node, &attempt).await? {
        Some(published) => {
            ctx.publish(published);
            Ok(true)
        }
        None => Ok(false),
    }
}

/// A presence change this node saw, as a `presence.changed` delivery of its organization.
pub async fn queue_presence(ctx: &Ctx<'_>, org_id: i64, data: &serde_json::Value) -> OpResult<()> {
    ctx.store
        .enqueue_direct(org_id, "presence.changed", data, None)
        .await?;
    Ok(())
}

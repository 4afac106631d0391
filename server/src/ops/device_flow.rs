//! The agent's sign-in without a password (SPEC §17, RFC 8628 shape): `presence-agent login`
//! asks for a code ([`start`]), the person approves it in their signed-in browser
//! ([`approve`], or [`deny`]), and the agent's next poll ([`exchange`]) gets a device token of
//! the person who approved. Every step is a row in the database, so any node of a cluster can
//! answer any of them.

use governor::{DefaultKeyedRateLimiter, RateLimiter};
use std::net::IpAddr;

use super::accounts::{limited, per_minute_quota};
use super::{Actor, Ctx};
use crate::domain::auth::{new_token, token_hash};
use crate::domain::device_flow::{
    clean_client_name, display_user_code, new_user_code, normalize_user_code, poll_outcome, slower,
    DeviceRefusal, GrantState, PollOutcome, CODE_LIFETIME_MS, POLL_INTERVAL_MS,
};
use crate::ops::error::OpError;
use crate::ops::tokens::issue;
use crate::store::{
    ms_to_time, now_ms, DeviceGrantRow, NewAudit, NewDeviceGrant, StoreError, UserRow,
};
use shared::device_flow::{DeviceAuthorization, DeviceLoginRequest};
use shared::people::TokenKind;

/// The path of the approval page, after the public URL.
pub const VERIFICATION_PATH: &str = "/device";

/// How often a free user code is drawn before giving up (a clash is one in billions).
const CODE_DRAWS: usize = 5;

/// New codes per client address, and approvals, denials and look-ups per signed-in user (a
/// wrong code is a guess at someone else's).
pub struct DeviceFlowLimiter {
    by_ip: DefaultKeyedRateLimiter<IpAddr>,
    by_user: DefaultKeyedRateLimiter<i64>,
}

impl DeviceFlowLimiter {
    pub fn new(per_minute: u32) -> Self {
        let quota = per_minute_quota(per_minute);
        DeviceFlowLimiter {
            by_ip: RateLimiter::keyed(quota),
            by_user: RateLimiter::keyed(quota),
        }
    }

    fn check_ip(&self, ip: IpAddr) -> Result<(), OpError> {
        limited(&self.by_ip, &ip)
    }

    fn check_user(&self, user_id: i64) -> Result<(), OpError> {
        limited(&self.by_user, &user_id)
    }

    /// Forgets idle keys so the limiter's memory stays bounded.
    pub fn forget_idle(&self) {
        self.by_ip.retain_recent();
        self.by_user.retain_recent();
    }
}

/// `POST /api/auth/device`: a new pair of codes for an agent at `ip`, valid 10 minutes.
pub async fn start(
    ctx: &Ctx<'_>,
    limiter: &DeviceFlowLimiter,
    ip: IpAddr,
    client_name: Option<&str>,
) -> Result<DeviceAuthorization, OpError> {
    limiter.check_ip(ip)?;
    let device_code = new_token();
    let device_code_hash = token_hash(&device_code);
    let client_name = clean_client_name(client_name);
    let client_ip = ip.to_string();
    for _ in 0..CODE_DRAWS {
        let user_code = new_user_code();
        let now = now_ms();
        let new = NewDeviceGrant {
            device_code_hash: &device_code_hash,
            user_code: &user_code,
            client_name: &client_name,
            client_ip: Some(client_ip.as_str()),
            created_at: now,
            expires_at: now + CODE_LIFETIME_MS,
            interval_ms: POLL_INTERVAL_MS,
        };
        match ctx.store.insert_device_grant(&new).await {
            Ok(_) => {
                tracing::info!(%ip, client = %client_name, "device sign-in started");
                return Ok(authorization(ctx, device_code, &user_code));
            }
            // That code is still in the table (maybe expired, until the cleanup): another.
            Err(StoreError::UniqueViolation(_)) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(OpError::Internal(format!(
        "no free sign-in code after {CODE_DRAWS} draws"
    )))
}

fn authorization(ctx: &Ctx<'_>, device_code: String, user_code: &str) -> DeviceAuthorization {
    let shown = display_user_code(user_code);
    let verification_uri = format!(
        "{}{VERIFICATION_PATH}",
        ctx.public_url.trim_end_matches('/')
    );
    DeviceAuthorization {
        device_code,
        verification_uri_complete: format!("{verification_uri}?code={shown}"),
        verification_uri,
        user_code: shown,
        expires_in: (CODE_LIFETIME_MS / 1000) as u64,
        interval: (POLL_INTERVAL_MS / 1000) as u64,
    }
}

/// `POST /api/auth/device/token` from `ip`: the device token and its user once approved (and
/// then never again), else the refusal that tells the agent what to do.
pub async fn exchange(
    ctx: &Ctx<'_>,
    device_code: &str,
    ip: IpAddr,
) -> Result<(String, UserRow), OpError> {
    exchange_at(ctx, device_code, ip, now_ms()).await
}

/// [`exchange`] as if it were `now` (the unit tests' clock).
pub async fn exchange_at(
    ctx: &Ctx<'_>,
    device_code: &str,
    ip: IpAddr,
    now: i64,
) -> Result<(String, UserRow), OpError> {
    let grant = ctx
        .store
        .device_grant_by_device_code(&token_hash(device_code.trim()))
        .await?
        .ok_or(OpError::DeviceFlow(DeviceRefusal::InvalidGrant))?;
    match poll_outcome(&grant.poll_facts(), now) {
        PollOutcome::Refuse(refusal) => {
            let interval_ms = match refusal {
                DeviceRefusal::SlowDown => slower(grant.interval_ms),
                _ => grant.interval_ms,
            };
            if matches!(
                refusal,
                DeviceRefusal::SlowDown | DeviceRefusal::AuthorizationPending
            ) {
                ctx.store
                    .note_device_poll(grant.id, now, interval_ms)
                    .await?;
            }
            Err(OpError::DeviceFlow(refusal))
        }
        PollOutcome::Issue => issue_for(ctx, &grant, ip, now).await,
    }
}

/// The token of the person who approved `grant`; the grant is used up first, so of two
/// racing polls only one gets a token.
async fn issue_for(
    ctx: &Ctx<'_>,
    grant: &DeviceGrantRow,
    ip: IpAddr,
    now: i64,
) -> Result<(String, UserRow), OpError> {
    let (Some(user_id), Some(org_id)) = (grant.user_id, grant.org_id) else {
        return Err(OpError::Internal(format!(
            "approved device sign-in {} names no user",
            grant.id
        )));
    };
    // Deactivated since they approved: nobody to log in as.
    let user = ctx
        .store
        .get_user(org_id, user_id)
        .await?
        .filter(|u| u.active)
        .ok_or(OpError::DeviceFlow(DeviceRefusal::AccessDenied))?;
    if !ctx.store.use_device_grant(grant.id, now).await? {
        return Err(OpError::DeviceFlow(DeviceRefusal::ExpiredToken));
    }
    let token = issue(ctx, &user, TokenKind::Device, Some(&ip.to_string())).await?;
    tracing::info!(
        user_id = user.id,
        org_id = user.org_id,
        client = %grant.client_name,
        "device sign-in completed"
    );
    Ok((token, user))
}

/// The waiting sign-in of the code `typed` (for the approval page), if the actor may still
/// answer it. Counts as a guess for the actor's rate limit.
pub async fn find(
    ctx: &Ctx<'_>,
    limiter: &DeviceFlowLimiter,
    actor: &Actor,
    typed: &str,
) -> Result<DeviceLoginRequest, OpError> {
    limiter.check_user(actor.user.id)?;
    let code = parse_code(typed)?;
    let grant = waiting(ctx, &code, now_ms()).await?;
    Ok(view(&grant))
}

/// `POST /api/auth/device/approve`: the agent waiting with this code logs in as the actor.
pub async fn approve(
    ctx: &Ctx<'_>,
    limiter: &DeviceFlowLimiter,
    actor: &Actor,
    typed: &str,
) -> Result<DeviceLoginRequest, OpError> {
    decide(ctx, limiter, actor, typed, GrantState::Approved).await
}

/// `POST /api/auth/device/deny`: the agent waiting with this code is refused.
pub async fn deny(
    ctx: &Ctx<'_>,
    limiter: &DeviceFlowLimiter,
    actor: &Actor,
    typed: &str,
) -> Result<DeviceLoginRequest, OpError> {
    decide(ctx, limiter, actor, typed, GrantState::Denied).await
}

async fn decide(
    ctx: &Ctx<'_>,
    limiter: &DeviceFlowLimiter,
    actor: &Actor,
    typed: &str,
    decision: GrantState,
) -> Result<DeviceLoginRequest, OpError> {
    limiter.check_user(actor.user.id)?;
    let code = parse_code(typed)?;
    let now = now_ms();
    let grant = waiting(ctx, &code, now).await?;
    let shown = view(&grant);
    let action = match decision {
        GrantState::Approved => "DEVICE_LOGIN_APPROVED",
        _ => "DEVICE_LOGIN_DENIED",
    };
    let audit = NewAudit {
        org_id: actor.user.org_id,
        actor_id: Some(actor.user.id),
        action,
        target_type: Some("device_login"),
        target_id: Some(grant.id),
        ip: actor.ip.clone(),
        details: serde_json::json!({
            "user_code": shown.user_code,
            "client_name": shown.client_name,
            "client_ip": shown.client_ip,
        }),
    };
    let decided = ctx
        .store
        .decide_device_grant(
            grant.id,
            decision,
            &actor.user,
            actor.ip.as_deref(),
            now,
            &audit,
        )
        .await?;
    if !decided {
        // Answered (or expired) between the read and the write.
        return Err(OpError::Conflict(ANSWERED.into()));
    }
    tracing::info!(
        user_id = actor.user.id,
        org_id = actor.user.org_id,
        action,
        client = %grant.client_name,
        "device sign-in answered"
    );
    Ok(shown)
}

const ANSWERED: &str =
    "This sign-in was already approved or denied. Run `presence-agent login` again for a new code.";
const EXPIRED: &str =
    "This code has expired (codes work for 10 minutes). Run `presence-agent login` again for a new one.";

fn parse_code(typed: &str) -> Result<String, OpError> {
    normalize_user_code(typed).ok_or_else(|| {
        OpError::invalid_field(
            "user_code",
            "must be the 8 letters the agent shows, like BCDF-GHJK",
        )
    })
}

/// The request of `code` while it can be answered: unknown is 404, expired or already
/// answered 409.
async fn waiting(ctx: &Ctx<'_>, code: &str, now: i64) -> Result<DeviceGrantRow, OpError> {
    let grant = ctx
        .store
        .device_grant_by_user_code(code)
        .await?
        .ok_or(OpError::NotFound("Sign-in code"))?;
    if now >= grant.expires_at {
        return Err(OpError::Conflict(EXPIRED.into()));
    }
    match grant.state {
        GrantState::Pending => Ok(grant),
        GrantState::Approved | GrantState::Denied | GrantState::Used => {
            Err(OpError::Conflict(ANSWERED.into()))
        }
    }
}

fn view(grant: &DeviceGrantRow) -> DeviceLoginRequest {
    DeviceLoginRequest {
        user_code: display_user_code(&grant.user_code),
        client_name: grant.client_name.clone(),
        client_ip: grant.client_ip.clone(),
        created_at: ms_to_time(grant.created_at),
        expires_at: ms_to_time(grant.expires_at),
    }
}

//! Logging in and out: one implementation behind the JSON API and the HTML login form.

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::net::IpAddr;
use std::num::NonZeroU32;

use crate::domain::auth::{hash_password, token_hash, verify_password};
use crate::domain::people::normalize_email;
use crate::ops::error::OpError;
use crate::ops::tokens::issue;
use crate::ops::Ctx;
use crate::store::UserRow;
use shared::people::TokenKind;

/// Login attempts per client address and per e-mail address.
pub struct LoginLimiter {
    by_ip: DefaultKeyedRateLimiter<IpAddr>,
    by_email: DefaultKeyedRateLimiter<String>,
    /// A hash to verify against when the e-mail is unknown, so both cases take as long.
    decoy_hash: String,
}

impl LoginLimiter {
    pub fn new(per_minute: u32) -> Self {
        let quota = per_minute_quota(per_minute);
        LoginLimiter {
            by_ip: RateLimiter::keyed(quota),
            by_email: RateLimiter::keyed(quota),
            decoy_hash: hash_password("decoy password for unknown accounts").unwrap_or_default(),
        }
    }

    /// Counts an attempt of `ip` at `email`'s account (a password, or a two-factor code).
    pub(crate) fn check(&self, ip: IpAddr, email: &str) -> Result<(), OpError> {
        limited(&self.by_ip, &ip).and_then(|()| limited(&self.by_email, &email.to_string()))
    }

    /// Forgets idle keys so the limiter's memory stays bounded.
    pub fn forget_idle(&self) {
        self.by_ip.retain_recent();
        self.by_email.retain_recent();
    }
}

/// `per_minute` requests a minute (at least one), the quota of every sign-in limiter.
pub(crate) fn per_minute_quota(per_minute: u32) -> Quota {
    Quota::per_minute(NonZeroU32::new(per_minute.max(1)).unwrap_or(NonZeroU32::MIN))
}

/// One request of `key` against `limiter`: 429 with the wait when it is over its quota.
pub(crate) fn limited<K>(limiter: &DefaultKeyedRateLimiter<K>, key: &K) -> Result<(), OpError>
where
    K: std::hash::Hash + Eq + Clone,
{
    let now = DefaultClock::default().now();
    limiter
        .check_key(key)
        .map_err(|not_until| OpError::RateLimited {
            retry_after_seconds: not_until.wait_time_from(now).as_secs().max(1),
        })
}

/// What a correct password leads to.
#[derive(Debug)]
pub enum LoginStep {
    /// Signed in: the new token (the user boxed: the other step is one string).
    Done { token: String, user: Box<UserRow> },
    /// The user has two-factor sign-in on: no token yet; the code comes next, with this
    /// one-time token (`ops::two_factor::finish_login`).
    SecondFactor { mfa_token: String },
}

/// Checks the credentials and issues a new token of `kind` (`web` or `device`), or, for a
/// user with two-factor sign-in, starts the second step.
pub async fn login(
    ctx: &Ctx<'_>,
    limiter: &LoginLimiter,
    ip: IpAddr,
    email: &str,
    password: &str,
    kind: TokenKind,
) -> Result<LoginStep, OpError> {
    let email = normalize_email(email);
    if email.is_empty() || password.is_empty() {
        return Err(OpError::invalid_field(
            if email.is_empty() {
                "email"
            } else {
                "password"
            },
            "is required",
        ));
    }
    limiter.check(ip, &email)?;
    let user = ctx.store.find_user_by_email(&email).await?;
    let stored_hash = user
        .as_ref()
        .map(|u| u.password_hash.clone())
        .unwrap_or_else(|| limiter.decoy_hash.clone());
    let password = password.to_string();
    // Argon2 is deliberately slow: keep it off the async workers.
    let matches = tokio::task::spawn_blocking(move || verify_password(&password, &stored_hash))
        .await
        .unwrap_or(false);
    let user = match user {
        Some(user) if matches && user.active => user,
        _ => return Err(OpError::InvalidCredentials),
    };
    // Only now: a wrong password must not learn that the organization requires single sign-on.
    super::sso::refuse_password_login(ctx, &user).await?;
    if let Some(mfa_token) = super::two_factor::second_step_if_on(ctx, &user, kind, ip).await? {
        tracing::info!(
            user_id = user.id,
            org_id = user.org_id,
            "password accepted; asking for the two-factor code"
        );
        return Ok(LoginStep::SecondFactor { mfa_token });
    }
    let token = issue(ctx, &user, kind, Some(&ip.to_string())).await?;
    tracing::info!(
        user_id = user.id,
        org_id = user.org_id,
        kind = kind.as_str(),
        "logged in"
    );
    Ok(LoginStep::Done {
        token,
        user: Box::new(user),
    })
}

/// Revokes the token and closes the sockets opened with it (on every node).
pub async fn logout(ctx: &Ctx<'_>, token: &str) -> Result<(), OpError> {
    if let Some(published) = ctx.store.revoke_token(&token_hash(token)).await? {
        tracing::info!(org_id = published.org_id, "logged out");
        ctx.publish(published);
    }
    Ok(())
}

//! Two-factor sign-in (SPEC §17): setting up an authenticator app and turning it on with a
//! code, recovery codes, turning it off, an admin's reset, and the login's second step. The
//! rules (codes, time steps, recovery code spelling) are `domain::two_factor`'s; each "used
//! once" check is the store's conditional UPDATE, so it holds across a cluster.

use qrcode::render::svg;
use qrcode::{EcLevel, QrCode};
use shared::people::TokenKind;
use shared::two_factor::{MfaRequest, TwoFactorSetup, TwoFactorStatus};
use shared::Role;
use std::net::IpAddr;

use super::accounts::LoginLimiter;
use super::tokens::issue;
use super::{Actor, Ctx};
use crate::domain::auth::{new_token, token_hash, verify_password};
use crate::domain::two_factor as rules;
use crate::ops::error::OpError;
use crate::store::{
    now_ms, MfaChallengeRow, MfaFinish, MfaProof, NewAudit, TotpRow, UserAuditActor, UserRow,
};

const WRONG_CODE: &str =
    "Wrong code. Enter the 6-digit code your authenticator app shows now (check your phone's clock).";
const USED_CODE: &str =
    "This code was already used. Wait for the next one in your authenticator app.";
const WRONG_RECOVERY_CODE: &str = "This recovery code is wrong or was already used.";
const NOT_ON: &str = "Two-factor sign-in is not on.";

/// Seconds since the epoch, as the time steps count them.
fn now_seconds() -> u64 {
    u64::try_from(now_ms() / 1000).unwrap_or(0)
}

/// A stored secret that cannot be read is the hub's failure, not the request's.
fn unusable(e: rules::SecretError) -> OpError {
    OpError::Internal(e.to_string())
}

/// The time step of `code` if it is one of the app's codes now and newer than the last one
/// accepted; else why not, as the field's problem.
fn fresh_step(totp: &TotpRow, code: &str) -> Result<i64, OpError> {
    let step = rules::matching_step(&totp.secret, code, now_seconds()).map_err(unusable)?;
    match step.map(|s| i64::try_from(s).unwrap_or(i64::MAX)) {
        Some(step) if step > totp.last_step => Ok(step),
        Some(_) => Err(OpError::invalid_field(
            "code",
            "was already used: wait for the next code of your authenticator app",
        )),
        None => Err(OpError::invalid_field(
            "code",
            "is not the 6-digit code your authenticator app shows now",
        )),
    }
}

/// Ten new recovery codes and the hashes the database keeps of them.
fn recovery_codes() -> (Vec<String>, Vec<String>) {
    let codes = rules::new_recovery_codes();
    let hashes = codes.iter().map(|c| rules::recovery_code_hash(c)).collect();
    (codes, hashes)
}

/// An audit entry about `user`'s own two-factor sign-in, by `actor`.
fn audit(
    action: &'static str,
    user: &UserRow,
    who: &UserAuditActor,
    details: serde_json::Value,
) -> NewAudit {
    NewAudit {
        org_id: user.org_id,
        actor_id: who.actor_id,
        action,
        target_type: Some("user"),
        target_id: Some(user.id),
        ip: who.ip.clone(),
        details,
    }
}

/// Whether `user`'s organization requires two-factor sign-in of them.
async fn required(ctx: &Ctx<'_>, user: &UserRow) -> Result<bool, OpError> {
    let requirement = ctx
        .store
        .get_org(user.org_id)
        .await?
        .map(|org| org.require_2fa_for)
        .unwrap_or_default();
    Ok(rules::required_for(requirement, user.role))
}

/// `GET /api/me/2fa`: on or off, recovery codes left, required by the organization.
pub async fn status(ctx: &Ctx<'_>, user: &UserRow) -> Result<TwoFactorStatus, OpError> {
    let enabled = ctx
        .store
        .totp_of(user.id)
        .await?
        .is_some_and(|t| t.enabled());
    let left = if enabled {
        ctx.store.recovery_codes_left(user.id).await?
    } else {
        0
    };
    Ok(TwoFactorStatus {
        enabled,
        recovery_codes_left: u32::try_from(left).unwrap_or(0),
        required: required(ctx, user).await?,
    })
}

/// `POST /api/me/2fa/setup`: a new secret for the actor's authenticator app, as text, as an
/// `otpauth://` URI and as a QR code. It replaces a set-up not yet turned on; it is refused
/// (409) while two-factor sign-in is on.
pub async fn setup(ctx: &Ctx<'_>, actor: &Actor) -> Result<TwoFactorSetup, OpError> {
    let secret = rules::new_secret();
    let otpauth_uri = rules::otpauth_uri(&secret, &actor.user.email).map_err(unusable)?;
    let qr_svg = qr_svg(&otpauth_uri)?;
    if !ctx.store.save_totp_secret(&actor.user, &secret).await? {
        return Err(OpError::Conflict(
            "Two-factor sign-in is already on. Turn it off first to move it to another app.".into(),
        ));
    }
    Ok(TwoFactorSetup {
        secret,
        otpauth_uri,
        qr_svg,
    })
}

/// The URI as a QR code: an `<svg>` element to put inline in a page.
fn qr_svg(uri: &str) -> Result<String, OpError> {
    let code = QrCode::with_error_correction_level(uri.as_bytes(), EcLevel::M)
        .map_err(|e| OpError::Internal(format!("QR code not made: {e}")))?;
    let svg = code
        .render::<svg::Color>()
        .min_dimensions(200, 200)
        .dark_color(svg::Color("#000000"))
        .light_color(svg::Color("#ffffff"))
        .build();
    // The XML declaration is for a file of its own; inline, the document has one already.
    Ok(match svg.find("<svg") {
        Some(at) => svg[at..].to_string(),
        None => svg,
    })
}

/// `POST /api/me/2fa/enable`: a code of the app set up turns two-factor sign-in on. Answers
/// the ten recovery codes, shown once (only their hashes are kept). A wrong code: 422 `code`.
pub async fn enable(ctx: &Ctx<'_>, actor: &Actor, code: &str) -> Result<Vec<String>, OpError> {
    let user = &actor.user;
    let totp = ctx.store.totp_of(user.id).await?.ok_or_else(|| {
        OpError::Conflict("Set up two-factor sign-in first: add the key to your app.".into())
    })?;
    if totp.enabled() {
        return Err(OpError::Conflict(
            "Two-factor sign-in is already on.".into(),
        ));
    }
    let step = fresh_step(&totp, code)?;
    let (codes, hashes) = recovery_codes();
    let entry = audit(
        "TWO_FACTOR_ENABLED",
        user,
        &actor.audit("api"),
        serde_json::json!({}),
    );
    if !ctx
        .store
        .enable_totp(user.id, step, &hashes, &entry)
        .await?
    {
        // Turned on meanwhile (another tab), or that code accepted meanwhile.
        return Err(OpError::invalid_field(
            "code",
            "was already used: wait for the next code of your authenticator app",
        ));
    }
    tracing::info!(
        user_id = user.id,
        org_id = user.org_id,
        "two-factor sign-in turned on"
    );
    Ok(codes)
}

/// `POST /api/me/2fa/recovery-codes`: ten new recovery codes against a current code; the
/// earlier ones stop working.
pub async fn renew_recovery_codes(
    ctx: &Ctx<'_>,
    actor: &Actor,
    code: &str,
) -> Result<Vec<String>, OpError> {
    let user = &actor.user;
    let totp = ctx
        .store
        .totp_of(user.id)
        .await?
        .filter(TotpRow::enabled)
        .ok_or_else(|| OpError::Conflict(NOT_ON.into()))?;
    let step = fresh_step(&totp, code)?;
    let (codes, hashes) = recovery_codes();
    let entry = audit(
        "RECOVERY_CODES_RENEWED",
        user,
        &actor.audit("api"),
        serde_json::json!({}),
    );
    if !ctx
        .store
        .renew_recovery_codes(user.id, step, &hashes, &entry)
        .await?
    {
        return Err(OpError::invalid_field(
            "code",
            "was already used: wait for the next code of your authenticator app",
        ));
    }
    Ok(codes)
}

/// `POST /api/me/2fa/disable`: turns it off, with one's password or a current code. Refused
/// (409) while the organization requires it of the actor.
pub async fn disable(
    ctx: &Ctx<'_>,
    actor: &Actor,
    password: Option<&str>,
    code: Option<&str>,
) -> Result<(), OpError> {
    let user = &actor.user;
    if required(ctx, user).await? {
        return Err(OpError::Conflict(
            "Your organization requires two-factor sign-in: it cannot be turned off.".into(),
        ));
    }
    let totp = ctx
        .store
        .totp_of(user.id)
        .await?
        .filter(TotpRow::enabled)
        .ok_or_else(|| OpError::Conflict(NOT_ON.into()))?;
    let password = password.filter(|p| !p.is_empty());
    let code = code.map(str::trim).filter(|c| !c.is_empty());
    match (password, code) {
        (Some(password), _) => {
            let (typed, stored) = (password.to_string(), user.password_hash.clone());
            // Argon2 is deliberately slow: keep it off the async workers.
            let matches = tokio::task::spawn_blocking(move || verify_password(&typed, &stored))
                .await
                .unwrap_or(false);
            if !matches {
                return Err(OpError::invalid_field("password", "is not your password"));
            }
        }
        (None, Some(code)) => {
            let step = fresh_step(&totp, code)?;
            if !ctx.store.accept_totp_step(user.id, step).await? {
                return Err(OpError::invalid_field(
                    "code",
                    "was already used: wait for the next code of your authenticator app",
                ));
            }
        }
        (None, None) => {
            return Err(OpError::invalid_field(
                "password",
                "is required to turn two-factor sign-in off",
            ));
        }
    }
    let with = if password.is_some() {
        "password"
    } else {
        "code"
    };
    let entry = audit(
        "TWO_FACTOR_DISABLED",
        user,
        &actor.audit("api"),
        serde_json::json!({ "with": with }),
    );
    if !ctx.store.remove_two_factor(user.id, &entry).await? {
        return Err(OpError::Conflict(NOT_ON.into()));
    }
    tracing::info!(
        user_id = user.id,
        org_id = user.org_id,
        "two-factor sign-in turned off"
    );
    Ok(())
}

/// An admin's reset (`POST /api/users/{id}/2fa/reset`, or the command line without `actor`):
/// removes `target`'s secret and recovery codes, so their next login asks for the password
/// only. Admins and up; an owner's only by an owner.
pub async fn reset(
    ctx: &Ctx<'_>,
    actor: Option<&Actor>,
    target: &UserRow,
    via: &'static str,
) -> Result<(), OpError> {
    if let Some(actor) = actor {
        if !actor.user.role.at_least(Role::Admin) {
            return Err(OpError::Forbidden(
                "Only admins and owners can reset two-factor sign-in.",
            ));
        }
        if actor.user.org_id != target.org_id {
            return Err(OpError::NotFound("User"));
        }
        if target.role == Role::Owner && actor.user.role != Role::Owner {
            return Err(OpError::Forbidden(
                "Only an owner can reset an owner's two-factor sign-in.",
            ));
        }
    }
    let who = match actor {
        Some(actor) => actor.audit(via),
        None => UserAuditActor {
            actor_id: None,
            ip: None,
            via,
        },
    };
    let entry = audit(
        "TWO_FACTOR_RESET",
        target,
        &who,
        serde_json::json!({ "email": target.email, "via": via }),
    );
    if !ctx.store.remove_two_factor(target.id, &entry).await? {
        return Err(OpError::Conflict(format!(
            "{} has no two-factor sign-in to reset.",
            target.name
        )));
    }
    tracing::info!(
        user_id = target.id,
        org_id = target.org_id,
        via,
        "two-factor sign-in reset"
    );
    Ok(())
}

/// After a correct password (or a password set from a link): the login's second step when
/// `user` has two-factor sign-in on, its one-time token; `None` when they have not (sign
/// them in at once).
pub async fn second_step_if_on(
    ctx: &Ctx<'_>,
    user: &UserRow,
    kind: TokenKind,
    ip: IpAddr,
) -> Result<Option<String>, OpError> {
    let on = ctx
        .store
        .totp_of(user.id)
        .await?
        .is_some_and(|t| t.enabled());
    if !on {
        return Ok(None);
    }
    Ok(Some(begin_login(ctx, user, kind, ip).await?))
}

/// The login's second step for `user`, waiting for a code. Answers its one-time token (valid
/// 5 minutes, 5 wrong codes).
pub async fn begin_login(
    ctx: &Ctx<'_>,
    user: &UserRow,
    kind: TokenKind,
    ip: IpAddr,
) -> Result<String, OpError> {
    let token = new_token();
    ctx.store
        .create_mfa_challenge(
            user,
            &token_hash(&token),
            kind.as_str(),
            Some(&ip.to_string()),
            now_ms() + rules::CHALLENGE_LIFETIME_MS,
        )
        .await?;
    Ok(token)
}

/// `POST /api/auth/mfa` (and `/login/mfa`): finishes a login with a code of the app or a
/// recovery code, and issues its token. Wrong codes: 401 `invalid_code`; the fifth voids the
/// login (401 `mfa_expired`, as for a used or expired one); rate limited like the password.
pub async fn finish_login(
    ctx: &Ctx<'_>,
    limiter: &LoginLimiter,
    ip: IpAddr,
    body: &MfaRequest,
) -> Result<(String, UserRow), OpError> {
    let code = body
        .code
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty());
    let recovery = body
        .recovery_code
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty());
    let missing = || {
        OpError::invalid_field(
            "code",
            "is required: the 6-digit code of your authenticator app, or a recovery code",
        )
    };
    if code.is_none() && recovery.is_none() {
        return Err(missing());
    }
    let challenge = ctx
        .store
        .live_mfa_challenge(&token_hash(&body.mfa_token), rules::MAX_CHALLENGE_ATTEMPTS)
        .await?
        .ok_or(OpError::MfaExpired)?;
    limiter.check(ip, &challenge.user.email)?;
    let user = &challenge.user;
    // What the database keeps of the recovery code typed, when it can be one.
    let recovery_hash = recovery
        .and_then(rules::normalize_recovery_code)
        .map(|normalized| rules::recovery_code_hash(&normalized));
    let (proof, refused) = match (code, recovery) {
        (Some(code), _) => {
            let totp = ctx
                .store
                .totp_of(user.id)
                .await?
                .filter(TotpRow::enabled)
                .ok_or(OpError::MfaExpired)?;
            let step = rules::matching_step(&totp.secret, code, now_seconds()).map_err(unusable)?;
            match step.and_then(|s| i64::try_from(s).ok()) {
                Some(step) => (MfaProof::Step(step), USED_CODE),
                None => return Err(wrong(ctx, &challenge, WRONG_CODE).await),
            }
        }
        (None, Some(_)) => match &recovery_hash {
            Some(hash) => (MfaProof::RecoveryCode(hash), WRONG_RECOVERY_CODE),
            None => return Err(wrong(ctx, &challenge, WRONG_RECOVERY_CODE).await),
        },
        (None, None) => return Err(missing()),
    };
    let entry = matches!(proof, MfaProof::RecoveryCode(_)).then(|| NewAudit {
        org_id: user.org_id,
        actor_id: Some(user.id),
        action: "RECOVERY_CODE_USED",
        target_type: Some("user"),
        target_id: Some(user.id),
        ip: Some(ip.to_string()),
        details: serde_json::json!({ "login": challenge.kind }),
    });
    let finished = ctx
        .store
        .finish_mfa_challenge(
            &challenge,
            proof,
            rules::MAX_CHALLENGE_ATTEMPTS,
            entry.as_ref(),
        )
        .await?;
    match finished {
        MfaFinish::Done => {}
        MfaFinish::ChallengeGone => return Err(OpError::MfaExpired),
        MfaFinish::ProofRefused => return Err(wrong(ctx, &challenge, refused).await),
    }
    let kind = TokenKind::parse(&challenge.kind).unwrap_or(TokenKind::Web);
    let token = issue(ctx, user, kind, Some(&ip.to_string())).await?;
    tracing::info!(
        user_id = user.id,
        org_id = user.org_id,
        kind = kind.as_str(),
        "logged in with two-factor sign-in"
    );
    Ok((token, challenge.user))
}

/// Counts a wrong code against the challenge: `why`, or once it had too many, that it is void.
async fn wrong(ctx: &Ctx<'_>, challenge: &MfaChallengeRow, why: &'static str) -> OpError {
    match ctx.store.count_mfa_failure(challenge.id).await {
        Ok(attempts) if attempts >= rules::MAX_CHALLENGE_ATTEMPTS => OpError::MfaExpired,
        Ok(_) => OpError::InvalidCode(why),
        Err(e) => e.into(),
    }
}

//! Two-factor sign-in (SPEC §17): one's own (`/api/me/2fa…`), the login's second step
//! (`POST /api/auth/mfa`) and an admin's reset (`POST /api/users/{id}/2fa/reset`).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;

use super::extract::{ApiJson, Caller, ClientIp, IdPath};
use crate::error::{ApiError, ApiResult};
use crate::ops;
use crate::state::AppState;
use shared::api::LoginResponse;
use shared::two_factor::{
    DisableTwoFactorRequest, MfaRequest, RecoveryCodes, TotpCodeRequest, TwoFactorSetup,
    TwoFactorStatus,
};

#[utoipa::path(
    operation_id = "two_factor_show",
    get,
    path = "/api/me/2fa",
    tag = "two-factor",
    summary = "One's own two-factor sign-in: on or off, recovery codes left, required by the organization",
    responses((status = 200, description = "The state", body = TwoFactorStatus))
)]
pub async fn status(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<TwoFactorStatus>> {
    Ok(Json(
        ops::two_factor::status(&state.ops(), &caller.user).await?,
    ))
}

#[utoipa::path(
    operation_id = "two_factor_setup",
    post,
    path = "/api/me/2fa/setup",
    tag = "two-factor",
    summary = "A new secret for an authenticator app (text, otpauth:// URI, QR code as SVG); it replaces a set-up not yet turned on",
    responses(
        (status = 200, description = "Add it to the app, then turn it on with a code", body = TwoFactorSetup),
        (status = 409, description = "Two-factor sign-in is already on", body = shared::api::ErrorBody)
    )
)]
pub async fn setup(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<TwoFactorSetup>> {
    Ok(Json(
        ops::two_factor::setup(&state.ops(), &caller.actor()).await?,
    ))
}

#[utoipa::path(
    operation_id = "two_factor_enable",
    post,
    path = "/api/me/2fa/enable",
    tag = "two-factor",
    summary = "Turn two-factor sign-in on with a code of the app set up; answers 10 recovery codes, shown once",
    request_body = TotpCodeRequest,
    responses((status = 200, description = "On; keep the recovery codes", body = RecoveryCodes))
)]
pub async fn enable(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<TotpCodeRequest>,
) -> ApiResult<Json<RecoveryCodes>> {
    guess_limit(&state, &caller)?;
    let recovery_codes = ops::two_factor::enable(&state.ops(), &caller.actor(), &body.code).await?;
    Ok(Json(RecoveryCodes { recovery_codes }))
}

#[utoipa::path(
    operation_id = "two_factor_disable",
    post,
    path = "/api/me/2fa/disable",
    tag = "two-factor",
    summary = "Turn two-factor sign-in off with one's password (or a code); refused while the organization requires it",
    request_body = DisableTwoFactorRequest,
    responses(
        (status = 204, description = "Off: signing in asks for the password only"),
        (status = 409, description = "Not on, or required by the organization", body = shared::api::ErrorBody)
    )
)]
pub async fn disable(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<DisableTwoFactorRequest>,
) -> ApiResult<StatusCode> {
    guess_limit(&state, &caller)?;
    ops::two_factor::disable(
        &state.ops(),
        &caller.actor(),
        body.password.as_deref(),
        body.code.as_deref(),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    operation_id = "two_factor_recovery_codes",
    post,
    path = "/api/me/2fa/recovery-codes",
    tag = "two-factor",
    summary = "10 new recovery codes against a code of the app; the earlier ones stop working",
    request_body = TotpCodeRequest,
    responses((status = 200, description = "The new codes, shown once", body = RecoveryCodes))
)]
pub async fn recovery_codes(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<TotpCodeRequest>,
) -> ApiResult<Json<RecoveryCodes>> {
    guess_limit(&state, &caller)?;
    let recovery_codes =
        ops::two_factor::renew_recovery_codes(&state.ops(), &caller.actor(), &body.code).await?;
    Ok(Json(RecoveryCodes { recovery_codes }))
}

#[utoipa::path(
    operation_id = "auth_mfa",
    post,
    path = "/api/auth/mfa",
    tag = "auth",
    summary = "The login's second step: the mfa_token of the password step with a code of the app or a recovery code",
    request_body = MfaRequest,
    responses(
        (status = 200, description = "Logged in, as a login without two-factor: the token, and the session cookie", body = LoginResponse),
        (status = 401, description = "`invalid_code`: wrong or used code; `mfa_expired`: used, expired, or 5 wrong codes (sign in again)", body = shared::api::ErrorBody),
        (status = 429, description = "Rate limited like the password: see Retry-After", body = shared::api::ErrorBody)
    ),
    security(())
)]
pub async fn mfa(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(body): ApiJson<MfaRequest>,
) -> ApiResult<impl IntoResponse> {
    state.refuse_when_stopping()?;
    let (token, user) =
        ops::two_factor::finish_login(&state.ops(), &state.login_limiter, ip, &body).await?;
    Ok(super::auth::login_answer(token, &user))
}

#[utoipa::path(
    operation_id = "users_reset_two_factor",
    post,
    path = "/api/users/{id}/2fa/reset",
    tag = "users",
    summary = "Reset a user's two-factor sign-in (admin and up; an owner's only by an owner): their next login asks for the password only",
    params(("id" = i64, Path, description = "The resource's id (another organization's id answers 404)")),
    responses(
        (status = 204, description = "Reset (audited)"),
        (status = 409, description = "The user has no two-factor sign-in", body = shared::api::ErrorBody)
    )
)]
pub async fn reset(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
) -> ApiResult<StatusCode> {
    caller.require(
        shared::Role::Admin,
        "Only admins and owners can reset two-factor sign-in.",
    )?;
    let user = state
        .store
        .get_user(caller.org_id(), id)
        .await?
        .ok_or(ApiError::NotFound("User"))?;
    ops::two_factor::reset(&state.ops(), Some(&caller.actor()), &user, "api").await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Codes and passwords checked here count against the login's limits (per client address and
/// per e-mail): a stolen session must not be a way to guess them faster than a login can.
fn guess_limit(state: &AppState, caller: &Caller) -> Result<(), ops::OpError> {
    state.login_limiter.check(caller.ip, &caller.user.email)
}

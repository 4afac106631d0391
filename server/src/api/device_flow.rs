//! The agent's sign-in without a password (SPEC §17, RFC 8628 shape):
//! `POST /api/auth/device` (the agent asks for codes), `POST /api/auth/device/token` (the agent
//! polls), `POST /api/auth/device/approve` and `/deny` (the signed-in person answers).

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;

use super::extract::{ApiJson, Caller, ClientIp};
use crate::error::ApiResult;
use crate::ops::device_flow;
use crate::state::AppState;
use shared::api::LoginResponse;
use shared::device_flow::{
    DeviceAuthRequest, DeviceAuthorization, DeviceDecisionRequest, DeviceTokenRequest,
};

#[utoipa::path(
    operation_id = "device_start",
    post,
    path = "/api/auth/device",
    tag = "auth",
    summary = "Start a sign-in without a password (device authorization, RFC 8628)",
    description = "For the desktop agent: answers a device code to poll with and a user code to show with `verification_uri`. A signed-in person approves the code on `/device` within `expires_in` seconds. Rate limited per client address.",
    request_body = DeviceAuthRequest,
    responses((status = 200, description = "The codes, where to enter them, and how often to poll", body = DeviceAuthorization)),
    security(())
)]
pub async fn start(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(body): ApiJson<DeviceAuthRequest>,
) -> ApiResult<Json<DeviceAuthorization>> {
    state.refuse_when_stopping()?;
    let answer = device_flow::start(
        &state.ops(),
        &state.device_limiter,
        ip,
        body.client_name.as_deref(),
    )
    .await?;
    Ok(Json(answer))
}

#[utoipa::path(
    operation_id = "device_token",
    post,
    path = "/api/auth/device/token",
    tag = "auth",
    summary = "Poll for the device token of a sign-in without a password",
    description = "Until the code is approved: 400 with the code `authorization_pending`; polled sooner than `interval`: `slow_down` (wait 5 s more from then on); denied: `access_denied`; expired or already used: `expired_token`; unknown device code: `invalid_grant`. Once approved: the login answer with a new device token, once.",
    request_body = DeviceTokenRequest,
    responses((status = 200, description = "Approved: a device token of the person who approved, like a login", body = LoginResponse)),
    security(())
)]
pub async fn token(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(body): ApiJson<DeviceTokenRequest>,
) -> ApiResult<Json<LoginResponse>> {
    let (token, user) = device_flow::exchange(&state.ops(), &body.device_code, ip).await?;
    // No session cookie: the token is the agent's, not this HTTP client's browser session.
    Ok(Json(LoginResponse {
        token,
        user: user.info(),
    }))
}

#[utoipa::path(
    operation_id = "device_approve",
    post,
    path = "/api/auth/device/approve",
    tag = "auth",
    summary = "Approve a waiting sign-in: the agent showing this code logs in as you",
    description = "The code as typed (case, spaces and the dash do not matter). Unknown code: 404; expired or already answered: 409; wrong guesses are rate limited per user.",
    request_body = DeviceDecisionRequest,
    responses((status = 204, description = "Approved; the agent's next poll gets its device token"))
)]
pub async fn approve(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<DeviceDecisionRequest>,
) -> ApiResult<StatusCode> {
    device_flow::approve(
        &state.ops(),
        &state.device_limiter,
        &caller.actor(),
        &body.user_code,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    operation_id = "device_deny",
    post,
    path = "/api/auth/device/deny",
    tag = "auth",
    summary = "Deny a waiting sign-in: the agent showing this code is refused",
    description = "The code as typed (case, spaces and the dash do not matter). Unknown code: 404; expired or already answered: 409.",
    request_body = DeviceDecisionRequest,
    responses((status = 204, description = "Denied; the agent's next poll gets `access_denied`"))
)]
pub async fn deny(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<DeviceDecisionRequest>,
) -> ApiResult<StatusCode> {
    device_flow::deny(
        &state.ops(),
        &state.device_limiter,
        &caller.actor(),
        &body.user_code,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

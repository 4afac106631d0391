//! `POST /api/auth/login`, `POST /api/auth/logout`, `GET /api/auth/me`.

use axum::extract::State;
use axum::http::header::SET_COOKIE;
use axum::http::StatusCode;
use axum::response::{AppendHeaders, IntoResponse, Response};
use axum::Json;
use serde::Deserialize;

use super::extract::{ApiJson, Caller, ClientIp};
use crate::error::ApiResult;
use crate::ops::accounts::{self, LoginStep};
use crate::state::AppState;
use crate::store::UserRow;
use shared::api::{LoginResponse, UserInfo};
use shared::people::TokenKind;
use shared::two_factor::{LoginAnswer, MfaRequired};

#[derive(Deserialize, utoipa::ToSchema)]
pub struct LoginBody {
    email: String,
    password: String,
    /// `device` for the desktop agent's long-lived token; `web` otherwise.
    #[serde(default)]
    device: bool,
}

#[utoipa::path(
    operation_id = "auth_login",
    post,
    path = "/api/auth/login",
    tag = "auth",
    summary = "Log in with e-mail and password",
    request_body = LoginBody,
    responses((status = 200, description = "Logged in: the token, and the session cookie (HttpOnly, SameSite=Lax) is set. For a user with two-factor sign-in, instead `{mfa_required: true, mfa_token}` and no cookie: finish with `POST /api/auth/mfa`", body = LoginAnswer)),
    security(())
)]
pub async fn login(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(body): ApiJson<LoginBody>,
) -> ApiResult<Response> {
    let kind = if body.device {
        TokenKind::Device
    } else {
        TokenKind::Web
    };
    let step = accounts::login(
        &state.ops(),
        &state.login_limiter,
        ip,
        &body.email,
        &body.password,
        kind,
    )
    .await?;
    Ok(match step {
        LoginStep::Done { token, user } => login_answer(token, &user).into_response(),
        LoginStep::SecondFactor { mfa_token } => Json(LoginAnswer::MfaRequired(MfaRequired {
            mfa_required: true,
            mfa_token,
        }))
        .into_response(),
    })
}

#[utoipa::path(
    operation_id = "auth_logout",
    post,
    path = "/api/auth/logout",
    tag = "auth",
    summary = "Revoke the token (or cookie) of this request",
    responses((status = 204, description = "Logged out; the cookie is cleared and this token's sockets close with 4001"))
)]
pub async fn logout(State(state): State<AppState>, caller: Caller) -> ApiResult<impl IntoResponse> {
    accounts::logout(&state.ops(), &caller.token).await?;
    Ok((
        StatusCode::NO_CONTENT,
        AppendHeaders([(SET_COOKIE, super::extract::cleared_cookie())]),
    ))
}

#[utoipa::path(
    operation_id = "auth_me",
    get,
    path = "/api/auth/me",
    tag = "auth",
    summary = "Who is logged in",
    responses((status = 200, description = "The caller", body = UserInfo))
)]
pub async fn me(caller: Caller) -> Json<UserInfo> {
    Json(caller.user.info())
}

/// The answer of every way in (login, setup, invite): the token in the body and as the
/// session cookie.
pub fn login_answer(token: String, user: &UserRow) -> impl IntoResponse {
    let cookie = super::extract::session_cookie(&token);
    (
        AppendHeaders([(SET_COOKIE, cookie)]),
        Json(LoginResponse {
            token,
            user: user.info(),
        }),
    )
}

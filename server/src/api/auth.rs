//! `POST /api/auth/login`, `POST /api/auth/logout`, `GET /api/auth/me`.

use axum::extract::State;
use axum::http::header::SET_COOKIE;
use axum::http::StatusCode;
use axum::response::{AppendHeaders, IntoResponse};
use axum::Json;
use serde::Deserialize;

use super::extract::{ApiJson, Caller, ClientIp};
use crate::accounts;
use crate::app::AppState;
use crate::error::ApiResult;
use shared::api::{LoginResponse, UserInfo};

#[derive(Deserialize)]
pub struct LoginBody {
    email: String,
    password: String,
    /// `device` for the desktop agent's long-lived token; `web` otherwise.
    #[serde(default)]
    device: bool,
}

pub async fn login(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(body): ApiJson<LoginBody>,
) -> ApiResult<impl IntoResponse> {
    let kind = if body.device { "device" } else { "web" };
    let (token, user) = accounts::login(&state, ip, &body.email, &body.password, kind).await?;
    let cookie = accounts::session_cookie(&token);
    Ok((
        AppendHeaders([(SET_COOKIE, cookie)]),
        Json(LoginResponse {
            token,
            user: user.info(),
        }),
    ))
}

pub async fn logout(State(state): State<AppState>, caller: Caller) -> ApiResult<impl IntoResponse> {
    accounts::logout(&state, &caller.token).await?;
    Ok((
        StatusCode::NO_CONTENT,
        AppendHeaders([(SET_COOKIE, accounts::cleared_cookie())]),
    ))
}

pub async fn me(caller: Caller) -> Json<UserInfo> {
    Json(caller.user.info())
}

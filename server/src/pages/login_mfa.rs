//! `/login`'s second step for people with two-factor sign-in (SPEC §17): after a correct
//! password the same page asks for the code of their authenticator app, in a plain HTML form
//! (no JavaScript needed) that posts to `/login/mfa` with the one-time `mfa_token`; "Use a
//! recovery code" is a second form beside it.

use axum::extract::{FromRequest, Request, State};
use axum::http::header::SET_COOKIE;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;

use super::{get_request, local_next, page_response};
use crate::api::extract::client_ip;
use crate::error::ApiError;
use crate::ops::{two_factor, OpError};
use crate::state::AppState;
use shared::two_factor::MfaRequest;
use web::data::{LoginMfaData, PageData};

/// Where the second step's form posts (and the page it answers is rendered for).
const MFA_PATH: &str = "/login/mfa";

/// The code form (at `path`, answered with `status`), with `error` in it when the last code
/// was refused.
pub(crate) async fn second_step(
    state: &AppState,
    mfa: LoginMfaData,
    next: Option<String>,
    path: &str,
    status: StatusCode,
) -> Response {
    let data = PageData {
        login_mfa: Some(mfa),
        login_next: next,
        ..PageData::default()
    };
    page_response(state, data, get_request(path), Some(status)).await
}

#[derive(Deserialize)]
pub struct MfaForm {
    mfa_token: String,
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    recovery_code: Option<String>,
    /// Where to go once signed in (see [`local_next`]).
    #[serde(default)]
    next: Option<String>,
}

/// `GET /login/mfa` (a reload of the code form's answer): the second step cannot be resumed
/// without its token, so back to the password.
pub async fn login_mfa_page() -> Redirect {
    Redirect::to("/login")
}

/// `POST /login/mfa`: the code (or a recovery code) of the login's second step. The session
/// cookie and on to `/` (or `next`); the code form again with why; or, once the step is used
/// up, expired or had too many wrong codes, the password form with that reason.
pub async fn login_mfa_form(State(state): State<AppState>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    if !crate::origin::form_origin_ok(&parts.headers) {
        return ApiError::Forbidden("Cross-site form posts are refused.").into_response();
    }
    let ip = client_ip(&parts, state.config.trust_proxy);
    let Ok(Form(form)) = Form::<MfaForm>::from_request(Request::from_parts(parts, body), &()).await
    else {
        return start_over(&state, None).await;
    };
    let next = local_next(form.next.as_deref());
    let recovery = form
        .recovery_code
        .as_deref()
        .is_some_and(|c| !c.trim().is_empty());
    let body = MfaRequest {
        mfa_token: form.mfa_token.clone(),
        code: form.code,
        recovery_code: form.recovery_code,
    };
    let error = match two_factor::finish_login(&state.ops(), &state.login_limiter, ip, &body).await
    {
        Ok((token, _user)) => return signed_in(&token, next.as_deref()),
        Err(OpError::MfaExpired) => return start_over(&state, next).await,
        Err(error) => error,
    };
    let status = match &error {
        OpError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
        OpError::Invalid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
        OpError::Store(_) | OpError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        _ => StatusCode::UNAUTHORIZED,
    };
    let message = match &error {
        OpError::Store(_) | OpError::Internal(_) => {
            "The server could not sign you in. Try again.".to_string()
        }
        OpError::Invalid { .. } if recovery => "Enter one of your recovery codes.".to_string(),
        OpError::Invalid { .. } => {
            "Enter the 6-digit code your authenticator app shows.".to_string()
        }
        other => other.to_string(),
    };
    let mfa = LoginMfaData {
        mfa_token: form.mfa_token,
        error: Some(message),
        recovery,
    };
    second_step(&state, mfa, next, MFA_PATH, status).await
}

/// Signed in: the session cookie, and on to `next` or `/`.
fn signed_in(token: &str, next: Option<&str>) -> Response {
    let mut response = Redirect::to(next.unwrap_or("/")).into_response();
    *response.status_mut() = StatusCode::SEE_OTHER;
    if let Ok(cookie) = HeaderValue::from_str(&crate::api::extract::session_cookie(token)) {
        response.headers_mut().insert(SET_COOKIE, cookie);
    }
    response
}

/// The second step can no longer be finished: the password form, saying so (401).
async fn start_over(state: &AppState, next: Option<String>) -> Response {
    let data = PageData {
        login_error: Some(OpError::MfaExpired.to_string()),
        login_next: next,
        ..PageData::default()
    };
    page_response(
        state,
        data,
        get_request(MFA_PATH),
        Some(StatusCode::UNAUTHORIZED),
    )
    .await
}

//! `/device`: a signed-in person approves or denies a desktop agent's sign-in by the code it
//! shows (SPEC §17). Without a session the page sends them to `/login`, which brings them back
//! here with the code.

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};

use super::{page_response, query_pairs, viewer_of, SignedIn};
use crate::error::ApiError;
use crate::ops::{device_flow, OpError};
use crate::state::AppState;
use web::data::{DevicePageData, PageData};

/// `/device?code=ABCD-EFGH`: who asks to sign in with that code, with Approve and Deny; without
/// a code (or with one that cannot be answered) the field to type it, with why.
pub async fn device_page(
    State(state): State<AppState>,
    me: Result<SignedIn, Response>,
    req: Request,
) -> Result<Response, ApiError> {
    let typed = query_pairs(&req)
        .into_iter()
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.trim().to_string())
        .unwrap_or_default();
    let me = match me {
        Ok(me) => me,
        Err(elsewhere) => {
            // Signed out: to `/login`, which brings them back here with the code.
            if viewer_of(&state, req.headers()).await.is_none() {
                return Ok(Redirect::to(&login_then_back(&typed)).into_response());
            }
            // Signed in but sent elsewhere first (as every page does): that answer.
            return Ok(elsewhere);
        }
    };
    let actor = me.actor();
    let (page, status) = if typed.is_empty() {
        (
            DevicePageData {
                code: String::new(),
                request: None,
                error: None,
            },
            None,
        )
    } else {
        match device_flow::find(&state.ops(), &state.device_limiter, &actor, &typed).await {
            Ok(request) => (
                DevicePageData {
                    code: request.user_code.clone(),
                    request: Some(request),
                    error: None,
                },
                None,
            ),
            Err(e) => {
                let (status, why) = refusal(e)?;
                (
                    DevicePageData {
                        code: typed,
                        request: None,
                        error: Some(why),
                    },
                    Some(status),
                )
            }
        }
    };
    let data = PageData {
        device: Some(page),
        viewer: Some(me.viewer),
        ..PageData::default()
    };
    Ok(page_response(&state, data, req, status).await)
}

/// What the page says (and answers) for a code it cannot show; failures of the hub itself
/// stay errors.
fn refusal(e: OpError) -> Result<(StatusCode, String), ApiError> {
    Ok(match e {
        OpError::NotFound(_) => (
            StatusCode::NOT_FOUND,
            "No device is waiting with this code. Check it against the code your agent shows."
                .to_string(),
        ),
        OpError::Invalid { .. } => (
            StatusCode::UNPROCESSABLE_ENTITY,
            "That is not a sign-in code: it has 8 letters, like BCDF-GHJK.".to_string(),
        ),
        OpError::Conflict(why) => (StatusCode::CONFLICT, why),
        e @ OpError::RateLimited { .. } => (StatusCode::TOO_MANY_REQUESTS, e.to_string()),
        other => return Err(other.into()),
    })
}

/// `/login?next=/device?code=…`: the way back here after signing in.
fn login_then_back(code: &str) -> String {
    let back = if code.is_empty() {
        "/device".to_string()
    } else {
        format!("/device?code={}", encode(code))
    };
    format!("/login?next={}", encode(&back))
}

fn encode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

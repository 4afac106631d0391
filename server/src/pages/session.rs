//! `/sessions/{id}`: one session with its activity. Scoped like
//! `GET /api/sessions/{id}/activity`; a session the viewer may not see is not found (404).

use super::SignedIn;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::Response;

use super::page_response;
use crate::error::ApiError;
use crate::queries::session_activity::session_activity;
use crate::state::AppState;
use web::data::{PageData, SessionPageData};

pub async fn session_page(
    State(state): State<AppState>,
    me: SignedIn,
    req: Request,
) -> Result<Response, ApiError> {
    let id = req
        .uri()
        .path()
        .strip_prefix("/sessions/")
        .and_then(|id| id.parse::<i64>().ok());
    let found = match id {
        Some(id) => match session_activity(&state.store, &me.owner.user, id).await {
            Ok(found) => Some(found),
            Err(ApiError::NotFound(_)) => None,
            Err(e) => return Err(e),
        },
        None => None,
    };
    let Some((session, activity)) = found else {
        let data = PageData {
            viewer: Some(me.viewer),
            ..PageData::default()
        };
        return Ok(page_response(&state, data, req, Some(StatusCode::NOT_FOUND)).await);
    };
    let data = PageData {
        viewer: Some(me.viewer),
        session: Some(SessionPageData {
            session: session.info(),
            activity,
        }),
        ..PageData::default()
    };
    Ok(page_response(&state, data, req, None).await)
}

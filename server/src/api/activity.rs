//! `GET /api/sessions/{id}/activity`: a session's activity per 10-minute slot and its top apps
//! (definitions in `shared::activity`). Scoped like the session: its own user, or supervisor
//! and up in the organization; otherwise 404.

use axum::extract::State;
use axum::Json;

use super::extract::{Caller, IdPath};
use crate::error::ApiResult;
use crate::queries::session_activity::session_activity;
use crate::state::AppState;
use shared::activity::SessionActivity;

#[utoipa::path(
    operation_id = "activity_show",
    get,
    path = "/api/sessions/{id}/activity",
    tag = "sessions",
    summary = "Activity of a session per 10-minute slot, and its top apps",
    params(("id" = i64, Path, description = "The resource's id (another organization's id answers 404)")),
    responses((status = 200, description = "The activity", body = SessionActivity))
)]
pub async fn show(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
) -> ApiResult<Json<SessionActivity>> {
    let (_, activity) = session_activity(&state.store, &caller.user, id).await?;
    Ok(Json(activity))
}

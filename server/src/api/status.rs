//! `GET`/`PUT`/`DELETE /api/me/status`: one's own break or custom status and do-not-disturb.

use axum::extract::State;
use axum::Json;

use super::extract::{ApiJson, Caller};
use crate::error::ApiResult;
use crate::ops::status;
use crate::state::AppState;
use shared::presence::{MyStatus, SetStatusRequest};

#[utoipa::path(
    operation_id = "status_show",
    get,
    path = "/api/me/status",
    tag = "status",
    summary = "One's own break or custom status (null when none is in force)",
    responses((status = 200, description = "The status", body = MyStatus))
)]
pub async fn show(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<MyStatus>> {
    let status = state
        .store
        .get_status(caller.org_id(), caller.user.id)
        .await?;
    Ok(Json(MyStatus { status }))
}

#[utoipa::path(
    operation_id = "status_set",
    put,
    path = "/api/me/status",
    tag = "status",
    summary = "Set one's own custom status or break (text, emoji, until, dnd); an empty one clears it. Pushed to every dashboard at once",
    request_body = SetStatusRequest,
    responses((status = 200, description = "The status now in force", body = MyStatus))
)]
pub async fn set(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(req): ApiJson<SetStatusRequest>,
) -> ApiResult<Json<MyStatus>> {
    let status = status::set(&state.ops(), &caller.user, req).await?;
    Ok(Json(MyStatus { status }))
}

#[utoipa::path(
    operation_id = "status_clear",
    delete,
    path = "/api/me/status",
    tag = "status",
    summary = "Clear one's own status and do-not-disturb",
    responses((status = 200, description = "Cleared", body = MyStatus))
)]
pub async fn clear(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<MyStatus>> {
    status::clear(&state.ops(), &caller.user).await?;
    Ok(Json(MyStatus { status: None }))
}

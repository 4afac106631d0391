//! Corrections of recorded time and idle spans: `PATCH`/`DELETE /api/sessions/{id}`,
//! `POST /api/sessions/{id}/idle`, `POST /api/sessions/{id}/idle/{span_id}`.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;

use super::extract::{ApiJson, Caller, ClientIp, IdPath};
use crate::error::{ApiError, ApiResult};
use crate::ops::{corrections, idle};
use crate::state::AppState;
use crate::store::Created;
use shared::protocol::SessionInfo;
use shared::timesheets::{
    CorrectSessionRequest, DeleteSessionRequest, IdleAnswer, IdleSpan, IdleSpanReport,
};

#[utoipa::path(
    operation_id = "sessions_correct",
    patch,
    path = "/api/sessions/{id}",
    tag = "timesheets",
    summary = "Correct a session's times, ticket or note, with a reason (one's own; admins anyone's)",
    request_body = CorrectSessionRequest,
    params(("id" = i64, Path, description = "The resource's id (another organization's id answers 404)")),
    responses(
        (status = 200, description = "Corrected, pushed to the user's agents and the dashboards", body = SessionInfo)
    )
)]
pub async fn correct(
    State(state): State<AppState>,
    caller: Caller,
    ClientIp(ip): ClientIp,
    IdPath(id): IdPath,
    ApiJson(body): ApiJson<CorrectSessionRequest>,
) -> ApiResult<Json<SessionInfo>> {
    let row = corrections::correct(&state.ops(), &caller.user, id, &body, Some(ip)).await?;
    Ok(Json(row.info()))
}

#[utoipa::path(
    operation_id = "sessions_delete",
    delete,
    path = "/api/sessions/{id}",
    tag = "timesheets",
    summary = "Delete an ended session, with a reason: kept as a tombstone for the audit",
    request_body = DeleteSessionRequest,
    params(("id" = i64, Path, description = "The resource's id (another organization's id answers 404)")),
    responses(
        (status = 204, description = "Deleted: no longer listed or counted")
    )
)]
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    ClientIp(ip): ClientIp,
    IdPath(id): IdPath,
    ApiJson(body): ApiJson<DeleteSessionRequest>,
) -> ApiResult<StatusCode> {
    corrections::delete(&state.ops(), &caller.user, id, &body, Some(ip)).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    operation_id = "idle_spans_list",
    get,
    path = "/api/sessions/{id}/idle",
    tag = "timesheets",
    summary = "A session's idle spans and what became of each",
    params(("id" = i64, Path, description = "The resource's id (another organization's id answers 404)")),
    responses((status = 200, description = "Oldest first", body = Vec<IdleSpan>))
)]
pub async fn spans(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
) -> ApiResult<Json<Vec<IdleSpan>>> {
    let session = state
        .store
        .get_session(caller.org_id(), id)
        .await?
        .filter(|s| s.user_id == caller.user.id || caller.user.role.reads_whole_org())
        .ok_or(ApiError::NotFound("Session"))?;
    let spans = state
        .store
        .idle_spans_of(caller.org_id(), session.id)
        .await?;
    Ok(Json(spans.iter().map(|s| s.info()).collect()))
}

#[utoipa::path(
    operation_id = "idle_spans_report",
    post,
    path = "/api/sessions/{id}/idle",
    tag = "timesheets",
    summary = "The agent reports its user's return from idle inside the session",
    request_body = IdleSpanReport,
    params(("id" = i64, Path, description = "The resource's id (another organization's id answers 404)")),
    responses(
        (status = 201, description = "Recorded: kept, discarded, or pending (the agent asks)", body = IdleSpan),
        (status = 200, description = "A replay of a known client_id", body = IdleSpan)
    )
)]
pub async fn report(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
    ApiJson(body): ApiJson<IdleSpanReport>,
) -> ApiResult<(StatusCode, Json<IdleSpan>)> {
    Ok(
        match idle::report(&state.ops(), &caller.user, id, &body).await? {
            Created::New(span) => (StatusCode::CREATED, Json(span.info())),
            Created::Existing(span) => (StatusCode::OK, Json(span.info())),
        },
    )
}

#[utoipa::path(
    operation_id = "idle_spans_answer",
    post,
    path = "/api/sessions/{id}/idle/{span_id}",
    tag = "timesheets",
    summary = "The user's answer to the keep-or-discard question (within 10 minutes)",
    request_body = IdleAnswer,
    params(
        ("id" = i64, Path, description = "The session"),
        ("span_id" = i64, Path, description = "The idle span")
    ),
    responses(
        (status = 200, description = "Decided; a discard shortens the session", body = IdleSpan)
    )
)]
pub async fn answer(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, span_id)): Path<(String, String)>,
    ApiJson(body): ApiJson<IdleAnswer>,
) -> ApiResult<Json<IdleSpan>> {
    let (Ok(id), Ok(span_id)) = (id.parse::<i64>(), span_id.parse::<i64>()) else {
        return Err(ApiError::NotFound("Resource"));
    };
    let span = idle::answer(&state.ops(), &caller.user, id, span_id, body.keep).await?;
    Ok(Json(span.info()))
}

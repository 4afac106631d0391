//! The person's own data (SPEC §18): `GET /api/me/data`, `GET /api/me/export`,
//! `GET /api/users/{id}/export` (admin), `POST /api/users/{id}/erase` (owner).

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;

use super::extract::{ApiJson, ApiQuery, Caller, IdPath};
use crate::error::ApiResult;
use crate::ops;
use crate::queries::own_data::own_data;
use crate::state::AppState;
use crate::store::{ms_to_time, now_ms};
use shared::own_data::{EraseRequest, EraseResponse, OwnData};

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OwnDataQuery {
    /// Another person's (admins and owners only); one's own when absent.
    user_id: Option<i64>,
    /// How many days back (1–90, default 14).
    days: Option<u32>,
}

#[utoipa::path(
    operation_id = "me_data",
    get,
    path = "/api/me/data",
    tag = "own data",
    summary = "What the organization holds about me: sessions with activity and apps, idle spans, screenshots with their views, the audit entries about me, and what is captured now",
    params(OwnDataQuery),
    responses((status = 200, description = "The person's data", body = OwnData))
)]
pub async fn data(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<OwnDataQuery>,
) -> ApiResult<Json<OwnData>> {
    Ok(Json(
        own_data(&state.store, &caller.user, q.user_id, q.days).await?,
    ))
}

#[utoipa::path(
    operation_id = "me_export",
    get,
    path = "/api/me/export",
    tag = "own data",
    summary = "A ZIP of everything held about me: manifest.json, one JSON file per kind, the screenshot files",
    responses((status = 200, description = "ZIP", body = Vec<u8>, content_type = "application/zip"))
)]
pub async fn export_own(State(state): State<AppState>, caller: Caller) -> ApiResult<Response> {
    export(&state, &caller, caller.user.id).await
}

#[utoipa::path(
    operation_id = "users_export",
    get,
    path = "/api/users/{id}/export",
    tag = "own data",
    summary = "A ZIP of everything held about a person (admin and up; audited as DATA_EXPORTED)",
    params(("id" = i64, Path, description = "The resource's id (another organization's id answers 404)")),
    responses((status = 200, description = "ZIP", body = Vec<u8>, content_type = "application/zip"))
)]
pub async fn export_user(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
) -> ApiResult<Response> {
    export(&state, &caller, id).await
}

async fn export(state: &AppState, caller: &Caller, user_id: i64) -> ApiResult<Response> {
    let (subject, zip) =
        ops::own_data::export_zip(&state.ops(), &caller.user, user_id, Some(caller.ip)).await?;
    let day = ms_to_time(now_ms()).format("%Y-%m-%d");
    let disposition = format!(
        "attachment; filename=\"presence-data-user-{}-{day}.zip\"",
        subject.id
    );
    Ok((
        [
            (header::CONTENT_TYPE, "application/zip".to_string()),
            (header::CONTENT_DISPOSITION, disposition),
            (header::CACHE_CONTROL, "private, no-store".to_string()),
        ],
        zip,
    )
        .into_response())
}

#[utoipa::path(
    operation_id = "users_erase",
    post,
    path = "/api/users/{id}/erase",
    tag = "own data",
    summary = "Erase a person for good (owner): screenshots, activity, focused apps and personal fields removed; sessions' times kept as \"erased user #N\"; audited; irreversible",
    params(("id" = i64, Path, description = "The resource's id (another organization's id answers 404)")),
    request_body = EraseRequest,
    responses((status = 200, description = "Erased", body = EraseResponse))
)]
pub async fn erase(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
    ApiJson(body): ApiJson<EraseRequest>,
) -> ApiResult<Json<EraseResponse>> {
    let shown_as = ops::own_data::erase(
        &state.ops(),
        &state.config.data_dir,
        &caller.user,
        id,
        &body.confirm_email,
        Some(caller.ip),
    )
    .await?;
    Ok(Json(EraseResponse {
        user_id: id,
        shown_as,
    }))
}

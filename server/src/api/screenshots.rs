//! Screenshots from desktop agents: `POST /api/screenshots` (raw JPEG body, metadata in the
//! query), `GET /api/screenshots`, `GET /api/screenshots/{id}/image`, and
//! `DELETE /api/screenshots/{id}` (a member's own, inside the policy's window).

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::extract::{ApiQuery, Caller, IdPath, Paging};
use crate::error::{ApiError, ApiResult};
use crate::ops::{self, screenshots::Stored};
use crate::state::AppState;
use shared::api::{Paged, Screenshot};

/// The route's body limit: the policy's largest allowed screenshot.
pub const MAX_UPLOAD_BYTES: usize = 50 * 1024 * 1024;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UploadQuery {
    session_id: Option<i64>,
    captured_at: Option<DateTime<Utc>>,
    client_id: Option<String>,
}

#[utoipa::path(
    operation_id = "screenshots_upload",
    post,
    path = "/api/screenshots",
    tag = "screenshots",
    summary = "Upload a JPEG screenshot (the desktop agent)",
    request_body(content = Vec<u8>, content_type = "image/jpeg", description = "The JPEG, within the policy's max_screenshot_size_mb"),
    params(UploadQuery),
    responses((status = 201, description = "Stored", body = Screenshot), (status = 200, description = "A replay: a screenshot with this client_id is already stored and is answered again", body = Screenshot))
)]
pub async fn upload(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<UploadQuery>,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<(StatusCode, Json<Screenshot>)> {
    let body = body.map_err(|e| match e.status() {
        StatusCode::PAYLOAD_TOO_LARGE => {
            ApiError::PayloadTooLarge("The screenshot is larger than any policy allows.".into())
        }
        _ => ApiError::BadRequest(format!("Could not read the upload: {}", e.body_text())),
    })?;
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !content_type.starts_with("image/jpeg") {
        return Err(ApiError::UnsupportedMediaType(
            "Send the screenshot as image/jpeg.".into(),
        ));
    }
    let org = state.org_for(&caller.user).await?;
    let max_bytes = org.policy().config.max_screenshot_size_mb as usize * 1024 * 1024;
    if body.len() > max_bytes {
        return Err(ApiError::PayloadTooLarge(format!(
            "The screenshot is larger than the policy's {} MB.",
            max_bytes / (1024 * 1024)
        )));
    }
    let upload = ops::screenshots::Upload {
        session_id: q.session_id,
        captured_at: q.captured_at.map(|t| t.timestamp_millis()),
        client_id: q.client_id.as_deref(),
    };
    let (shot, stored) = ops::screenshots::store(
        &state.ops(),
        &state.config.data_dir,
        &caller.actor(),
        upload,
        &body,
    )
    .await?;
    let status = match stored {
        Stored::New => StatusCode::CREATED,
        Stored::Replay => StatusCode::OK,
    };
    Ok((status, Json(shot)))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    user_id: Option<i64>,
    session_id: Option<i64>,
    page: Option<u32>,
    per_page: Option<u32>,
}

/// Supervisors and up see the organization's screenshots; members their own.
#[utoipa::path(
    operation_id = "screenshots_list",
    get,
    path = "/api/screenshots",
    tag = "screenshots",
    summary = "Screenshots, newest first (members: their own)",
    params(ListQuery),
    responses((status = 200, description = "A page of screenshots", body = Paged<Screenshot>))
)]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Json<Paged<Screenshot>>> {
    let user_id = if caller.user.role.reads_whole_org() {
        q.user_id
    } else if q.user_id.is_none_or(|id| id == caller.user.id) {
        Some(caller.user.id)
    } else {
        return Err(ApiError::Forbidden(
            "Members can only see their own screenshots.",
        ));
    };
    let (page, per_page) = Paging {
        page: q.page,
        per_page: q.per_page,
    }
    .resolve()?;
    let (items, total) = state
        .store
        .list_screenshots(caller.org_id(), user_id, q.session_id, page, per_page)
        .await?;
    Ok(Json(Paged {
        items,
        page,
        per_page,
        total,
    }))
}

#[utoipa::path(
    operation_id = "screenshots_image",
    get,
    path = "/api/screenshots/{id}/image",
    tag = "screenshots",
    summary = "The JPEG of a screenshot (a view by anyone but its owner is audited as SCREENSHOT_VIEWED)",
    params(("id" = i64, Path, description = "The resource's id (another organization's id answers 404)")),
    responses((status = 200, description = "The image", body = Vec<u8>, content_type = "image/jpeg"))
)]
pub async fn image(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
) -> ApiResult<Response> {
    let (shot, path) =
        ops::screenshots::open(&state.ops(), &caller.user, id, Some(caller.ip)).await?;
    let bytes = tokio::fs::read(&path).await.map_err(|e| {
        tracing::warn!(error = %e, path, "screenshot file missing");
        ApiError::NotFound("Screenshot file")
    })?;
    // Someone else's view is audited each time: their browser must ask again, not reuse it.
    let cache = if shot.user_id == caller.user.id {
        "private, max-age=3600"
    } else {
        "private, no-store"
    };
    Ok((
        [
            (header::CONTENT_TYPE, "image/jpeg"),
            (header::CACHE_CONTROL, cache),
        ],
        bytes,
    )
        .into_response())
}

#[utoipa::path(
    operation_id = "screenshots_delete",
    delete,
    path = "/api/screenshots/{id}",
    tag = "screenshots",
    summary = "Delete my own screenshot within the policy's screenshot_delete_minutes (409 after); its 10-minute activity slot is then not counted",
    params(("id" = i64, Path, description = "The resource's id (another person's or organization's id answers 404)")),
    responses((status = 204, description = "Deleted, with its slot's time"))
)]
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
) -> ApiResult<StatusCode> {
    ops::own_data::delete_own_screenshot(&state.ops(), &caller.user, id, Some(caller.ip)).await?;
    Ok(StatusCode::NO_CONTENT)
}

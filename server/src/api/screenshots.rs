//! Screenshots from desktop agents: `POST /api/screenshots` (raw JPEG body, metadata in the
//! query), `GET /api/screenshots`, `GET /api/screenshots/{id}/image`.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use std::path::PathBuf;

use super::extract::{ApiQuery, Caller, IdPath, Paging};
use crate::app::AppState;
use crate::domain::auth::new_token;
use crate::error::{ApiError, ApiResult};
use crate::store::{now_ms, NewScreenshot};
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
    let (width, height) = jpeg_size(&body)?;
    if let Some(session_id) = q.session_id {
        let session = state.store.get_session(caller.org_id(), session_id).await?;
        if session.is_none_or(|s| s.user_id != caller.user.id) {
            return Err(ApiError::NotFound("Session"));
        }
    }
    let captured_at = q
        .captured_at
        .map(|t| t.timestamp_millis())
        .unwrap_or_else(now_ms);
    if captured_at > now_ms() + 5 * 60 * 1000 {
        return Err(ApiError::invalid_field(
            "captured_at",
            "must not be in the future",
        ));
    }
    if q.client_id
        .as_deref()
        .is_some_and(|c| c.is_empty() || c.len() > 100)
    {
        return Err(ApiError::invalid_field(
            "client_id",
            "must be 1 to 100 characters",
        ));
    }
    let folder = state
        .config
        .data_dir
        .join("screenshots")
        .join(caller.org_id().to_string())
        .join(caller.user.id.to_string());
    let path = folder.join(format!("{}.jpg", &new_token()[..22]));
    write_file(&folder, &path, &body).await?;
    let path_text = path.to_string_lossy().to_string();
    let inserted = state
        .store
        .insert_screenshot(NewScreenshot {
            org_id: caller.org_id(),
            user_id: caller.user.id,
            session_id: q.session_id,
            captured_at,
            width,
            height,
            bytes: body.len() as i64,
            path: &path_text,
            client_id: q.client_id.as_deref(),
        })
        .await;
    match inserted {
        Ok((shot, true)) => Ok((StatusCode::CREATED, Json(shot))),
        Ok((shot, false)) => {
            // A replayed upload: the first file stays, this copy goes.
            let _ = tokio::fs::remove_file(&path).await;
            Ok((StatusCode::OK, Json(shot)))
        }
        Err(e) => {
            let _ = tokio::fs::remove_file(&path).await;
            Err(e.into())
        }
    }
}

/// The width and height of an uploaded JPEG, read from its header (public for the fuzz target).
pub fn jpeg_size(body: &[u8]) -> ApiResult<(i64, i64)> {
    let reader =
        image::ImageReader::with_format(std::io::Cursor::new(body), image::ImageFormat::Jpeg);
    reader
        .into_dimensions()
        .map(|(w, h)| (i64::from(w), i64::from(h)))
        .map_err(|e| ApiError::invalid_field("body", format!("must be a JPEG image ({e})")))
}

async fn write_file(folder: &PathBuf, path: &PathBuf, body: &[u8]) -> ApiResult<()> {
    let io = |e: std::io::Error| {
        tracing::error!(error = %e, path = %path.display(), "storing a screenshot");
        ApiError::Store(crate::store::StoreError::Folder {
            path: path.display().to_string(),
            source: e,
        })
    };
    tokio::fs::create_dir_all(folder).await.map_err(io)?;
    tokio::fs::write(path, body).await.map_err(io)
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
    get,
    path = "/api/screenshots/{id}/image",
    tag = "screenshots",
    summary = "The JPEG of a screenshot",
    params(("id" = i64, Path, description = "The resource's id (another organization's id answers 404)")),
    responses((status = 200, description = "The image", body = Vec<u8>, content_type = "image/jpeg"))
)]
pub async fn image(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
) -> ApiResult<Response> {
    let (shot, path) = state
        .store
        .get_screenshot(caller.org_id(), id)
        .await?
        .ok_or(ApiError::NotFound("Screenshot"))?;
    if shot.user_id != caller.user.id && !caller.user.role.reads_whole_org() {
        return Err(ApiError::NotFound("Screenshot"));
    }
    let bytes = tokio::fs::read(&path).await.map_err(|e| {
        tracing::warn!(error = %e, path, "screenshot file missing");
        ApiError::NotFound("Screenshot file")
    })?;
    Ok((
        [
            (header::CONTENT_TYPE, "image/jpeg"),
            (header::CACHE_CONTROL, "private, max-age=3600"),
        ],
        bytes,
    )
        .into_response())
}

//! `/downloads` (every signed-in user): the desktop agents of `--downloads-dir` with what they
//! are, their size and SHA-256; `/downloads/{file}` streams one of them as an attachment, its
//! SHA-256 in `X-Checksum-Sha256` (SPEC §16). Signed out, both lead to `/login`; a name that is
//! not a plain file name of the folder, and a file that is not there, are 404 alike.

use axum::body::Body;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, Request, State};
use axum::http::header::{
    CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_LENGTH, CONTENT_TYPE, X_CONTENT_TYPE_OPTIONS,
};
use axum::http::{HeaderName, HeaderValue};
use axum::response::Response;
use tokio_util::io::ReaderStream;

use super::{page_response, SignedIn};
use crate::downloads::content_disposition;
use crate::error::ApiError;
use crate::state::AppState;
use web::data::{DownloadFile, DownloadsPageData, PageData};

/// The header carrying the served file's SHA-256 (lowercase hex).
const X_CHECKSUM_SHA256: &str = "x-checksum-sha256";
/// How much of the file one chunk of the answer carries.
const CHUNK_BYTES: usize = 64 * 1024;

pub async fn downloads_page(
    State(state): State<AppState>,
    me: SignedIn,
    req: Request,
) -> Result<Response, ApiError> {
    let downloads = &state.downloads;
    let listed = downloads
        .list()
        .await
        .map_err(|e| ApiError::Internal(format!("listing the downloads folder: {e}")))?;
    let mut files = Vec::with_capacity(listed.len());
    for file in listed {
        let hashed = downloads.sha256(&file).await;
        match hashed {
            Ok(sha256) => files.push(DownloadFile {
                description: file.description().map(str::to_string),
                size_bytes: file.size,
                sha256,
                name: file.name,
            }),
            // Removed or made unreadable since it was listed: not offered on this view.
            Err(e) => tracing::warn!(
                file = %file.path.display(),
                error = %e,
                "a download is left off the page: it could not be hashed"
            ),
        }
    }
    let data = PageData {
        viewer: Some(me.viewer),
        downloads: Some(DownloadsPageData {
            offered: downloads.offered(),
            files,
        }),
        ..PageData::default()
    };
    Ok(page_response(&state, data, req, None).await)
}

/// `GET /downloads/{file}`: the file, streamed from the folder.
pub async fn download_file(
    State(state): State<AppState>,
    _me: SignedIn,
    name: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    // A name that does not even decode names no file either.
    let Ok(Path(name)) = name else {
        return Err(not_found());
    };
    let downloads = &state.downloads;
    let Some((file, handle)) = downloads.open(&name).await.map_err(io_error)? else {
        return Err(not_found());
    };
    let sha256 = downloads.sha256(&file).await.map_err(io_error)?;
    let disposition = HeaderValue::from_str(&content_disposition(&file.name))
        .map_err(|e| ApiError::Internal(format!("Content-Disposition of a download: {e}")))?;
    let checksum = HeaderValue::from_str(&sha256)
        .map_err(|e| ApiError::Internal(format!("X-Checksum-Sha256 of a download: {e}")))?;
    let body = Body::from_stream(ReaderStream::with_capacity(handle, CHUNK_BYTES));
    let mut response = Response::new(body);
    let headers = response.headers_mut();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    headers.insert(CONTENT_LENGTH, HeaderValue::from(file.size));
    headers.insert(CONTENT_DISPOSITION, disposition);
    headers.insert(HeaderName::from_static(X_CHECKSUM_SHA256), checksum);
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

fn not_found() -> ApiError {
    ApiError::NotFound("File")
}

/// A file that went away between the look and the read is not found; anything else is the
/// hub's own failure.
fn io_error(e: std::io::Error) -> ApiError {
    match e.kind() {
        std::io::ErrorKind::NotFound | std::io::ErrorKind::PermissionDenied => not_found(),
        _ => ApiError::Internal(format!("serving a download: {e}")),
    }
}

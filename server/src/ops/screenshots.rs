//! Storing a screenshot a desktop agent uploaded: the JPEG checked, the file written under the
//! data folder, the row inserted (a replay of the same `client_id` answers the first one and
//! leaves no second file). Opening one: someone else's view is audited (`SCREENSHOT_VIEWED`),
//! so that the person can see who looked (SPEC §18).

use std::path::Path;

use super::{Actor, Ctx, OpError, OpResult};
use crate::domain::auth::new_token;
use crate::store::{now_ms, NewAudit, NewScreenshot, StoreError, UserRow};
use shared::api::Screenshot;

/// How far ahead of the hub's clock an agent's capture time may be.
const CLOCK_SKEW_MS: i64 = 5 * 60 * 1000;

/// What an upload says about itself (the query of `POST /api/screenshots`).
#[derive(Debug, Clone, Default)]
pub struct Upload<'a> {
    pub session_id: Option<i64>,
    /// Milliseconds since the epoch; the hub's clock when absent.
    pub captured_at: Option<i64>,
    pub client_id: Option<&'a str>,
}

/// Whether the screenshot was stored now, or a replay answered with the stored one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stored {
    New,
    Replay,
}

/// The width and height of an uploaded JPEG, read from its header (public for the fuzz target).
pub fn jpeg_size(body: &[u8]) -> OpResult<(i64, i64)> {
    let reader =
        image::ImageReader::with_format(std::io::Cursor::new(body), image::ImageFormat::Jpeg);
    reader
        .into_dimensions()
        .map(|(w, h)| (i64::from(w), i64::from(h)))
        .map_err(|e| OpError::invalid_field("body", format!("must be a JPEG image ({e})")))
}

/// Stores `body` as the actor's screenshot under `data_dir/screenshots/<org>/<user>/`.
pub async fn store(
    ctx: &Ctx<'_>,
    data_dir: &Path,
    actor: &Actor,
    upload: Upload<'_>,
    body: &[u8],
) -> OpResult<(Screenshot, Stored)> {
    let (org_id, user_id) = (actor.user.org_id, actor.user.id);
    let (width, height) = jpeg_size(body)?;
    if let Some(session_id) = upload.session_id {
        let session = ctx.store.get_session(org_id, session_id).await?;
        if session.is_none_or(|s| s.user_id != user_id) {
            return Err(OpError::NotFound("Session"));
        }
    }
    let captured_at = upload.captured_at.unwrap_or_else(now_ms);
    if captured_at > now_ms() + CLOCK_SKEW_MS {
        return Err(OpError::invalid_field(
            "captured_at",
            "must not be in the future",
        ));
    }
    if upload
        .client_id
        .is_some_and(|c| c.is_empty() || c.len() > 100)
    {
        return Err(OpError::invalid_field(
            "client_id",
            "must be 1 to 100 characters",
        ));
    }
    let folder = data_dir
        .join("screenshots")
        .join(org_id.to_string())
        .join(user_id.to_string());
    let path = folder.join(format!("{}.jpg", &new_token()[..22]));
    write_file(&folder, &path, body).await?;
    let path_text = path.to_string_lossy().to_string();
    let inserted = ctx
        .store
        .insert_screenshot(NewScreenshot {
            org_id,
            user_id,
            session_id: upload.session_id,
            captured_at,
            width,
            height,
            bytes: body.len() as i64,
            path: &path_text,
            client_id: upload.client_id,
        })
        .await;
    match inserted {
        Ok((shot, true)) => Ok((shot, Stored::New)),
        Ok((shot, false)) => {
            // A replayed upload: the first file stays, this copy goes.
            let _ = tokio::fs::remove_file(&path).await;
            Ok((shot, Stored::Replay))
        }
        Err(e) => {
            let _ = tokio::fs::remove_file(&path).await;
            Err(e.into())
        }
    }
}

async fn write_file(folder: &Path, path: &Path, body: &[u8]) -> OpResult<()> {
    let io = |e: std::io::Error| {
        tracing::error!(error = %e, path = %path.display(), "storing a screenshot");
        OpError::Store(StoreError::Folder {
            path: path.display().to_string(),
            source: e,
        })
    };
    tokio::fs::create_dir_all(folder).await.map_err(io)?;
    tokio::fs::write(path, body).await.map_err(io)
}

/// `GET /api/screenshots/{id}/image`: the screenshot and its file's path, for its owner or
/// anyone who reads the whole organization (to others it does not exist). A view by someone
/// other than its owner is recorded in the audit log first; if that cannot be written, the
/// image is not shown.
pub async fn open(
    ctx: &Ctx<'_>,
    viewer: &UserRow,
    id: i64,
    ip: Option<std::net::IpAddr>,
) -> OpResult<(Screenshot, String)> {
    let (shot, path) = ctx
        .store
        .get_screenshot(viewer.org_id, id)
        .await?
        .ok_or(OpError::NotFound("Screenshot"))?;
    if shot.user_id == viewer.id {
        return Ok((shot, path));
    }
    if !viewer.role.reads_whole_org() {
        return Err(OpError::NotFound("Screenshot"));
    }
    ctx.store
        .record_audit(&NewAudit {
            org_id: viewer.org_id,
            actor_id: Some(viewer.id),
            action: "SCREENSHOT_VIEWED",
            target_type: Some("screenshot"),
            target_id: Some(shot.id),
            ip: ip.map(|ip| ip.to_string()),
            details: serde_json::json!({
                "user_id": shot.user_id,
                "user_name": shot.user_name,
                "captured_at": shot.captured_at,
            }),
        })
        .await?;
    Ok((shot, path))
}

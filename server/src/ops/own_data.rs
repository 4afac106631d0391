//! The person's own data (SPEC §18): deleting one's own screenshot (its slot stops counting),
//! the export of everything held about a person as a ZIP, erasure, and the retention pass.

use std::io::Write;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use super::{Ctx, OpError, OpResult};
use crate::domain::own_data::{may_delete, retention_cutoff, slot_of};
use crate::store::{ms_to_time, now_ms, NewAudit, ScreenshotRemoval, UserRow, EXPORT_KINDS};
use hub_core::events::Event;
use shared::Role;

/// Screenshots one retention pass deletes per organization at most (the next pass goes on).
const RETENTION_BATCH: i64 = 5_000;

/// `DELETE /api/screenshots/{id}`: a member deletes their own screenshot within the policy's
/// `screenshot_delete_minutes`; its 10-minute slot is no longer counted in the session's
/// duration or any total. Someone else's screenshot does not exist for this.
pub async fn delete_own_screenshot(
    ctx: &Ctx<'_>,
    actor: &UserRow,
    id: i64,
    ip: Option<IpAddr>,
) -> OpResult<()> {
    let (shot, _) = ctx
        .store
        .get_screenshot(actor.org_id, id)
        .await?
        .filter(|(shot, _)| shot.user_id == actor.id)
        .ok_or(OpError::NotFound("Screenshot"))?;
    let policy = ctx.store.get_policy(actor.org_id).await?.config;
    let captured = shot.captured_at.timestamp_millis();
    may_delete(captured, policy.screenshot_delete_minutes, now_ms())
        .map_err(|refusal| OpError::Conflict(refusal.to_string()))?;
    let slot = slot_of(captured);
    let weeks = ctx.weeks_touched(actor.org_id, slot.0, slot.1).await?;
    let removal = ScreenshotRemoval {
        org_id: actor.org_id,
        user_id: actor.id,
        screenshot_id: id,
        session_id: shot.session_id,
        slot,
        weeks,
        audit: NewAudit {
            org_id: actor.org_id,
            actor_id: Some(actor.id),
            action: "SCREENSHOT_DELETED",
            target_type: Some("screenshot"),
            target_id: Some(id),
            ip: ip.map(|ip| ip.to_string()),
            details: serde_json::json!({
                "captured_at": shot.captured_at,
                "session_id": shot.session_id,
                "slot_start": ms_to_time(slot.0),
                "slot_end": ms_to_time(slot.1),
            }),
        },
    };
    let (path, session) = ctx
        .store
        .remove_own_screenshot(&removal, |row| Event::SessionUpdated {
            session: row.info(),
        })
        .await?
        .ok_or(OpError::NotFound("Screenshot"))?;
    remove_files(&[path]).await;
    if let Some((_, published)) = session {
        ctx.publish(published);
    }
    Ok(())
}

/// Who may export or erase whom: one's own data always; another person's export needs an
/// admin or owner of the same organization (others: not found).
async fn subject_for(ctx: &Ctx<'_>, actor: &UserRow, user_id: i64) -> OpResult<UserRow> {
    if user_id != actor.id && !actor.role.at_least(Role::Admin) {
        return Err(OpError::NotFound("User"));
    }
    ctx.store
        .get_user(actor.org_id, user_id)
        .await?
        .ok_or(OpError::NotFound("User"))
}

/// `GET /api/me/export`, `GET /api/users/{id}/export`: a ZIP of everything held about the
/// person — `manifest.json`, one JSON file per kind (`EXPORT_KINDS`) and the screenshot files
/// under `screenshots/`. An admin's export of someone else is audited (`DATA_EXPORTED`).
pub async fn export_zip(
    ctx: &Ctx<'_>,
    actor: &UserRow,
    user_id: i64,
    ip: Option<IpAddr>,
) -> OpResult<(UserRow, Vec<u8>)> {
    let subject = subject_for(ctx, actor, user_id).await?;
    let org_id = subject.org_id;
    let audit = NewAudit {
        org_id,
        actor_id: Some(actor.id),
        action: "DATA_EXPORTED",
        target_type: Some("user"),
        target_id: Some(subject.id),
        ip: ip.map(|ip| ip.to_string()),
        details: serde_json::json!({ "own": actor.id == subject.id }),
    };
    ctx.store.record_audit(&audit).await?;
    let mut files: Vec<(String, Vec<u8>, bool)> = Vec::new();
    let mut counts = serde_json::Map::new();
    let shots = ctx.store.screenshot_files_of(org_id, subject.id).await?;
    let mut shot_files = std::collections::HashMap::new();
    for (id, path) in &shots {
        match tokio::fs::read(path).await {
            Ok(bytes) => {
                let name = format!("screenshots/{id}.jpg");
                shot_files.insert(*id, name.clone());
                files.push((name, bytes, false));
            }
            Err(e) => {
                tracing::warn!(error = %e, path, "a screenshot's file is missing from an export")
            }
        }
    }
    for kind in EXPORT_KINDS.iter() {
        let mut rows = ctx.store.export_rows(kind, org_id, subject.id).await?;
        if kind.file == "screenshots.json" {
            for row in &mut rows {
                let file = row
                    .get("id")
                    .and_then(serde_json::Value::as_i64)
                    .and_then(|id| shot_files.get(&id).cloned());
                row.insert(
                    "file".into(),
                    file.map_or(serde_json::Value::Null, Into::into),
                );
            }
        }
        counts.insert(kind.file.to_string(), rows.len().into());
        files.push((kind.file.to_string(), json_bytes(&rows)?, true));
    }
    let manifest = serde_json::json!({
        "format": "presence-hub personal data export, version 1",
        "user_id": subject.id,
        "organization_id": org_id,
        "generated_at": ms_to_time(now_ms()),
        "files": counts,
        "screenshot_files": shot_files.len(),
    });
    files.insert(0, ("manifest.json".into(), json_bytes(&manifest)?, true));
    let zip = tokio::task::spawn_blocking(move || write_zip(files))
        .await
        .map_err(|e| OpError::Internal(format!("writing the export stopped: {e}")))??;
    Ok((subject, zip))
}

fn json_bytes(value: &impl serde::Serialize) -> OpResult<Vec<u8>> {
    serde_json::to_vec_pretty(value).map_err(|e| OpError::Internal(format!("export JSON: {e}")))
}

/// The files into one ZIP: JSON deflated, JPEGs stored (they do not shrink).
fn write_zip(files: Vec<(String, Vec<u8>, bool)>) -> OpResult<Vec<u8>> {
    use zip::write::SimpleFileOptions;
    use zip::CompressionMethod;
    let fail = |e: &dyn std::fmt::Display| OpError::Internal(format!("writing the export: {e}"));
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, bytes, compress) in files {
        let method = if compress {
            CompressionMethod::Deflated
        } else {
            CompressionMethod::Stored
        };
        zip.start_file(
            name,
            SimpleFileOptions::default().compression_method(method),
        )
        .map_err(|e| fail(&e))?;
        zip.write_all(&bytes).map_err(|e| fail(&e))?;
    }
    Ok(zip.finish().map_err(|e| fail(&e))?.into_inner())
}

/// `POST /api/users/{id}/erase {confirm_email}` (owner): erases a person for good. The
/// confirmation must be their e-mail; an owner cannot erase themselves.
pub async fn erase(
    ctx: &Ctx<'_>,
    data_dir: &Path,
    actor: &UserRow,
    user_id: i64,
    confirm_email: &str,
    ip: Option<IpAddr>,
) -> OpResult<String> {
    if actor.role != Role::Owner {
        return Err(OpError::Forbidden("Only an owner can erase a person."));
    }
    let subject = subject_for(ctx, actor, user_id).await?;
    if subject.id == actor.id {
        return Err(OpError::Conflict(
            "You cannot erase yourself; another owner can.".into(),
        ));
    }
    if !confirm_email.trim().eq_ignore_ascii_case(&subject.email) {
        return Err(OpError::invalid_field(
            "confirm_email",
            "must be the person's e-mail address, typed to confirm",
        ));
    }
    let audit = NewAudit {
        org_id: actor.org_id,
        actor_id: Some(actor.id),
        action: "USER_ERASED",
        target_type: Some("user"),
        target_id: Some(subject.id),
        ip: ip.map(|ip| ip.to_string()),
        details: serde_json::json!({ "role": subject.role.as_str() }),
    };
    let erased = ctx
        .store
        .erase_user(actor.org_id, subject.id, &audit)
        .await?
        .ok_or(OpError::NotFound("User"))?;
    remove_files(&erased.screenshot_paths).await;
    let folder = user_folder(data_dir, actor.org_id, subject.id);
    if let Err(e) = tokio::fs::remove_dir_all(&folder).await {
        if e.kind() != std::io::ErrorKind::NotFound {
            tracing::warn!(error = %e, folder = %folder.display(), "removing an erased person's folder");
        }
    }
    ctx.publish(erased.published);
    Ok(erased.shown_as)
}

/// Where a person's screenshot files live.
pub fn user_folder(data_dir: &Path, org_id: i64, user_id: i64) -> PathBuf {
    data_dir
        .join("screenshots")
        .join(org_id.to_string())
        .join(user_id.to_string())
}

/// Removes files whose rows are gone; one that cannot be removed is logged (its row is gone,
/// so nothing shows it again).
async fn remove_files(paths: &[String]) {
    for path in paths {
        if let Err(e) = tokio::fs::remove_file(path).await {
            if e.kind() != std::io::ErrorKind::NotFound {
                tracing::warn!(error = %e, path, "removing a screenshot file");
            }
        }
    }
}

/// What one retention pass deleted, over all organizations.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct RetentionReport {
    pub screenshots: u64,
    pub activity_slots: u64,
    pub app_times: u64,
}

/// One retention pass at `now`: per organization, screenshots (files and rows) older than
/// `screenshot_retention_days` and activity slots and app times older than
/// `activity_retention_days`. An organization where something was deleted gets an audit entry
/// (`RETENTION_DELETED`); the caller reports the totals in `/metrics`.
pub async fn apply_retention(ctx: &Ctx<'_>, now: i64) -> OpResult<RetentionReport> {
    let mut total = RetentionReport::default();
    for policy in ctx.store.list_policies().await? {
        let org_id = policy.org_id;
        let mut done = RetentionReport::default();
        let shots_before = retention_cutoff(now, policy.config.screenshot_retention_days);
        if let Some(before) = shots_before {
            loop {
                let paths = ctx
                    .store
                    .expire_screenshots(org_id, before, RETENTION_BATCH)
                    .await?;
                remove_files(&paths).await;
                done.screenshots += paths.len() as u64;
                if (paths.len() as i64) < RETENTION_BATCH {
                    break;
                }
            }
        }
        let activity_before = retention_cutoff(now, policy.config.activity_retention_days);
        if let Some(before) = activity_before {
            let (slots, apps) = ctx.store.expire_activity(org_id, before).await?;
            done.activity_slots = slots;
            done.app_times = apps;
        }
        if done != RetentionReport::default() {
            ctx.store
                .record_audit(&NewAudit {
                    org_id,
                    actor_id: None,
                    action: "RETENTION_DELETED",
                    target_type: Some("organization"),
                    target_id: Some(org_id),
                    ip: None,
                    details: serde_json::json!({
                        "screenshots": done.screenshots,
                        "activity_slots": done.activity_slots,
                        "app_times": done.app_times,
                        "screenshots_before": shots_before.map(ms_to_time),
                        "activity_before": activity_before.map(ms_to_time),
                    }),
                })
                .await?;
        }
        total.screenshots += done.screenshots;
        total.activity_slots += done.activity_slots;
        total.app_times += done.app_times;
    }
    Ok(total)
}

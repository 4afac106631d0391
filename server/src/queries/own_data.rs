//! What the organization holds about a person, for their own page and `GET /api/me/data`:
//! their sessions with activity and apps, idle spans, screenshots (with who looked) and the
//! audit entries about them. One's own always; someone else's only for an admin or owner.

use std::collections::HashMap;

use crate::domain::activity::summarize;
use crate::domain::own_data::deletable_until;
use crate::error::{ApiError, ApiResult};
use crate::store::{ms_to_time, now_ms, SessionFilter, Store, UserRow};
use shared::activity::SessionActivity;
use shared::own_data::{CaptureSummary, OwnData, OwnIdleSpan, OwnScreenshot, OwnSession};
use shared::Role;

/// The days `/me` shows by default, and the most it shows.
pub const DEFAULT_DAYS: u32 = 14;
pub const MAX_DAYS: u32 = 90;
const MAX_SESSIONS: u32 = 200;
const MAX_SCREENSHOTS: u32 = 200;
const MAX_AUDIT: i64 = 200;

pub async fn own_data(
    store: &Store,
    viewer: &UserRow,
    user_id: Option<i64>,
    days: Option<u32>,
) -> ApiResult<OwnData> {
    let user_id = user_id.unwrap_or(viewer.id);
    if user_id != viewer.id && !viewer.role.at_least(Role::Admin) {
        return Err(ApiError::Forbidden(
            "You can see only your own data here; admins and owners see anyone's.",
        ));
    }
    let user = store
        .get_user(viewer.org_id, user_id)
        .await?
        .ok_or(ApiError::NotFound("User"))?;
    let days = days.unwrap_or(DEFAULT_DAYS);
    if !(1..=MAX_DAYS).contains(&days) {
        return Err(ApiError::invalid_field(
            "days",
            format!("must be from 1 to {MAX_DAYS}"),
        ));
    }
    let now = now_ms();
    let from = now - i64::from(days) * 24 * 3600 * 1000;
    let policy = store.get_policy(user.org_id).await?;
    let filter = SessionFilter {
        user_id: Some(user.id),
        from: Some(from),
        ..SessionFilter::default()
    };
    let (rows, _) = store
        .list_sessions(user.org_id, &filter, 1, MAX_SESSIONS)
        .await?;
    let mut sessions = Vec::with_capacity(rows.len());
    let mut idle_spans = Vec::new();
    for row in rows {
        sessions.push(OwnSession {
            activity: activity_of(store, row.id).await?,
            session: row.info(),
        });
        idle_spans.extend(
            store
                .idle_spans_of(user.org_id, row.id)
                .await?
                .into_iter()
                .map(|s| OwnIdleSpan {
                    session_id: s.session_id,
                    started_at: ms_to_time(s.started_at),
                    ended_at: ms_to_time(s.ended_at),
                    decision: s.decision,
                }),
        );
    }
    idle_spans.sort_by_key(|s| std::cmp::Reverse(s.started_at));
    let views: HashMap<i64, i64> = store.screenshot_views_of(user.org_id, user.id).await?;
    let (shots, _) = store
        .list_screenshots(user.org_id, Some(user.id), None, 1, MAX_SCREENSHOTS)
        .await?;
    let screenshots = shots
        .into_iter()
        .filter(|s| s.captured_at.timestamp_millis() >= from)
        .map(|shot| {
            let until = deletable_until(
                shot.captured_at.timestamp_millis(),
                policy.config.screenshot_delete_minutes,
            )
            .filter(|until| *until >= now);
            OwnScreenshot {
                deletable_until: until.map(ms_to_time),
                views_by_others: views.get(&shot.id).copied().unwrap_or(0),
                screenshot: shot,
            }
        })
        .collect();
    Ok(OwnData {
        capture: CaptureSummary::of(&policy.config, policy.config_version),
        from: ms_to_time(from),
        audit: store.audit_about(user.org_id, user.id, MAX_AUDIT).await?,
        user: user.record(),
        sessions,
        idle_spans,
        screenshots,
    })
}

async fn activity_of(store: &Store, session_id: i64) -> ApiResult<SessionActivity> {
    let slots = store.session_activity_slots(session_id).await?;
    let apps = store
        .session_app_times(session_id)
        .await?
        .into_iter()
        .map(|a| (a.app, a.active_ms, a.last_title))
        .collect();
    Ok(summarize(session_id, slots, apps))
}

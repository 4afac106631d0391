//! Reading a work session's activity, for the API and the session page: the session with the
//! same role scoping as the session itself (its own user, or supervisor and up in the
//! organization; anything else is not found), then its stored slots and apps.

use crate::domain::activity::summarize;
use crate::error::{ApiError, ApiResult};
use crate::store::{SessionRow, Store, UserRow};
use shared::activity::SessionActivity;

pub async fn session_activity(
    store: &Store,
    viewer: &UserRow,
    session_id: i64,
) -> ApiResult<(SessionRow, SessionActivity)> {
    let session = store
        .get_session(viewer.org_id, session_id)
        .await?
        .filter(|s| s.user_id == viewer.id || viewer.role.reads_whole_org())
        .ok_or(ApiError::NotFound("Session"))?;
    let slots = store.session_activity_slots(session.id).await?;
    let apps = store
        .session_app_times(session.id)
        .await?
        .into_iter()
        .map(|a| (a.app, a.active_ms, a.last_title))
        .collect();
    let activity = summarize(session.id, slots, apps);
    Ok((session, activity))
}

//! One's own break or custom status (and do-not-disturb): set, pushed to every dashboard.

use super::Ctx;
use crate::domain::status::status_from;
use crate::ops::error::OpError;
use crate::store::UserRow;
use shared::presence::SetStatusRequest;
use shared::CustomStatus;

/// Sets (or clears, for an empty request) `user`'s status; returns what is in force now.
pub async fn set(
    ctx: &Ctx<'_>,
    user: &UserRow,
    req: SetStatusRequest,
) -> Result<Option<CustomStatus>, OpError> {
    let status = status_from(req, chrono::Utc::now()).map_err(|fields| OpError::Invalid {
        message: "The status was not saved.".to_string(),
        fields,
    })?;
    let published = ctx
        .store
        .set_status(user.org_id, user.id, status.as_ref())
        .await?;
    ctx.publish(published);
    Ok(status)
}

/// Clears `user`'s status.
pub async fn clear(ctx: &Ctx<'_>, user: &UserRow) -> Result<(), OpError> {
    let published = ctx.store.set_status(user.org_id, user.id, None).await?;
    ctx.publish(published);
    Ok(())
}

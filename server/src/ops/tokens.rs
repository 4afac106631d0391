//! Login tokens: issued at login (and after setup or an invite), listed as devices, revoked.

use std::sync::Arc;

use dashmap::DashSet;
use shared::people::{DeviceToken, TokenKind};
use shared::Role;

use super::{Actor, Ctx};
use crate::domain::auth::{new_token, token_hash};
use crate::ops::error::OpError;
use crate::store::{ms_to_time, now_ms, NewAudit, TokenOwner, TokenRow, UserRow};

/// Tokens live 30 days unless revoked.
pub const TOKEN_LIFETIME_MS: i64 = 30 * 24 * 3600 * 1000;

/// A token's last use is written at most this often (a write per request would queue behind
/// the presence batches on SQLite's single writer).
pub const TOUCH_EVERY_MS: i64 = 60_000;

/// Whether a use of this token now is worth writing (see [`TOUCH_EVERY_MS`]).
pub fn needs_touch(owner: &TokenOwner, now: i64) -> bool {
    owner
        .last_used_at
        .is_none_or(|at| now - at >= TOUCH_EVERY_MS)
}

/// The tokens whose use is being written. A fleet that reconnects at once with one token (a
/// shared device token: 15,000 sockets of `bench --peer`) read it before the first write of
/// its use landed, and each socket queued the same write behind SQLite's one writer; now the
/// first one writes and the others skip.
#[derive(Default)]
pub struct TouchesInFlight(Arc<DashSet<i64>>);

/// A touch of one token in flight; the token may be touched again once this is dropped.
pub struct TouchInFlight {
    set: Arc<DashSet<i64>>,
    token_id: i64,
}

impl TouchesInFlight {
    /// `None` while another touch of this token is in flight.
    pub fn begin(&self, token_id: i64) -> Option<TouchInFlight> {
        self.0.insert(token_id).then(|| TouchInFlight {
            set: self.0.clone(),
            token_id,
        })
    }
}

impl Drop for TouchInFlight {
    fn drop(&mut self) {
        self.set.remove(&self.token_id);
    }
}

/// Notes that a token was used from `ip`, at most once per [`TOUCH_EVERY_MS`] (the devices
/// list shows when and from where); answers whether it wrote.
pub async fn touch(ctx: &Ctx<'_>, owner: &TokenOwner, ip: &str) -> Result<bool, OpError> {
    let stale = needs_touch(owner, now_ms());
    if stale {
        ctx.store.touch_token(owner.token_id, ip).await?;
    }
    Ok(stale)
}

/// A new login token of `kind` for `user`; the plain token is only in the answer.
pub async fn issue(
    ctx: &Ctx<'_>,
    user: &UserRow,
    kind: TokenKind,
    ip: Option<&str>,
) -> Result<String, OpError> {
    let token = new_token();
    ctx.store
        .insert_token(
            user,
            &token_hash(&token),
            kind.as_str(),
            now_ms() + TOKEN_LIFETIME_MS,
            ip,
        )
        .await?;
    Ok(token)
}

/// The live tokens the actor may see: their own, or (admin and up) a user's of their
/// organization, or everyone's of it with `user_id` 0.
pub async fn list(
    ctx: &Ctx<'_>,
    actor: &Actor,
    user_id: Option<i64>,
) -> Result<Vec<DeviceToken>, OpError> {
    let wanted = user_id.unwrap_or(actor.user.id);
    if wanted != actor.user.id && !actor.user.role.at_least(Role::Admin) {
        return Err(OpError::Forbidden(
            "Only admins and owners can see other people's devices.",
        ));
    }
    if wanted != 0
        && wanted != actor.user.id
        && ctx
            .store
            .get_user(actor.user.org_id, wanted)
            .await?
            .is_none()
    {
        return Err(OpError::NotFound("User"));
    }
    let filter = (wanted != 0).then_some(wanted);
    let rows = ctx.store.list_tokens(actor.user.org_id, filter).await?;
    Ok(rows.iter().map(|r| view(r, actor.token_id)).collect())
}

fn view(row: &TokenRow, current: i64) -> DeviceToken {
    DeviceToken {
        id: row.id,
        user_id: row.user_id,
        user_name: row.user_name.clone(),
        kind: TokenKind::parse(&row.kind).unwrap_or(TokenKind::Api),
        created_at: ms_to_time(row.created_at),
        last_used_at: row.last_used_at.map(ms_to_time),
        client_ip: row.client_ip.clone(),
        expires_at: ms_to_time(row.expires_at),
        current: row.id == current,
    }
}

/// Revokes one token: one's own, or (admin and up) any of the organization. Its sockets
/// close at once with 4001. Another organization's token, or a dead one, is not found.
pub async fn revoke(ctx: &Ctx<'_>, actor: &Actor, token_id: i64) -> Result<(), OpError> {
    let org_id = actor.user.org_id;
    let rows = ctx.store.list_tokens(org_id, None).await?;
    let Some(row) = rows.iter().find(|r| r.id == token_id) else {
        return Err(OpError::NotFound("Token"));
    };
    if row.user_id != actor.user.id && !actor.user.role.at_least(Role::Admin) {
        // Not theirs to see either: as if it did not exist.
        return Err(OpError::NotFound("Token"));
    }
    let audit = NewAudit {
        org_id,
        actor_id: Some(actor.user.id),
        action: "TOKEN_REVOKED",
        target_type: Some("token"),
        target_id: Some(token_id),
        ip: actor.ip.clone(),
        details: serde_json::json!({ "user_id": row.user_id, "kind": row.kind }),
    };
    let (_, published) = ctx
        .store
        .revoke_token_by_id(org_id, token_id, &audit)
        .await?
        .ok_or(OpError::NotFound("Token"))?;
    ctx.publish(published);
    Ok(())
}

//! Operations: every write of a resource in one place, shared by the REST API, the web pages
//! and the command line. An operation validates with the rules of `domain`, commits through
//! the `store` (audit entry in the same transaction), then tells the in-memory hub, when there
//! is one in this process (the command line has none: a running hub picks changes up when
//! the people concerned next connect).

pub mod orgs;
pub mod people;
pub mod tokens;

use crate::domain::auth::{hash_password, new_token, token_hash};
use crate::error::ApiError;
use crate::hub::Hub;
use crate::store::{now_ms, Store, UserAuditActor, UserRow};

/// How long an invite or reset link works.
pub const LINK_LIFETIME_MS: i64 = 7 * 24 * 3600 * 1000;

/// What an operation works with.
#[derive(Clone, Copy)]
pub struct Ctx<'a> {
    pub store: &'a Store,
    /// The hub of this process, if it serves sockets.
    pub hub: Option<&'a Hub>,
    /// Where people reach the hub (`http://host:port`), for the links it hands out.
    pub public_url: &'a str,
}

/// Who asks for a change.
#[derive(Debug, Clone)]
pub struct Actor {
    pub user: UserRow,
    /// The token of the request, kept when one's other logins are signed out.
    pub token_id: i64,
    pub ip: Option<String>,
}

impl Actor {
    pub fn audit(&self, via: &'static str) -> UserAuditActor {
        UserAuditActor {
            actor_id: Some(self.user.id),
            ip: self.ip.clone(),
            via,
        }
    }
}

/// Argon2 off the async workers (it takes tens of milliseconds on purpose).
pub async fn hash(password: &str) -> Result<String, ApiError> {
    let password = password.to_string();
    tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(|e| ApiError::Internal(format!("password hashing stopped: {e}")))?
        .map_err(|e| ApiError::Internal(e.to_string()))
}

/// A new one-time link: the token (for the link) and its hash (for the database).
pub fn new_link(ctx: &Ctx<'_>, path: &str) -> (String, String, i64) {
    let token = new_token();
    let link = format!("{}{path}{token}", ctx.public_url.trim_end_matches('/'));
    (link, token_hash(&token), now_ms() + LINK_LIFETIME_MS)
}

impl Ctx<'_> {
    /// Closes the sockets opened with these (just revoked) tokens.
    pub fn tokens_revoked(&self, org_id: i64, token_ids: &[i64]) {
        if let Some(hub) = self.hub {
            for id in token_ids {
                hub.token_revoked(org_id, *id);
            }
        }
    }

    pub fn user_changed(&self, user: &UserRow) {
        if let Some(hub) = self.hub {
            hub.user_changed(user);
        }
    }
}

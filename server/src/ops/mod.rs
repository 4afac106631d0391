//! Operations: every write of a resource in one place, shared by the REST API, the web pages
//! and the command line. An operation validates with the rules of `domain`, commits through
//! the `store` (audit entry and, on PostgreSQL, the event's outbox row in the same
//! transaction), then publishes the event to this process's hub when there is one. The command
//! line has none: on PostgreSQL the running hubs hear of its changes from the outbox; on SQLite
//! they pick them up when the people concerned next connect.

pub mod accounts;
pub mod corrections;
pub mod deliveries;
pub mod device_flow;
pub mod error;
pub mod game_servers;
pub mod idle;
pub mod orgs;
pub mod own_data;
pub mod people;
pub mod policy;
pub mod polls;
pub mod screenshots;
pub mod sessions;
pub mod sso;
pub mod status;
#[cfg(test)]
mod tests;
pub mod tickets;
pub mod timesheets;
pub mod tokens;
pub mod two_factor;
pub mod webhooks;
pub mod worktime;

use crate::domain::auth::{hash_password, new_token, token_hash};
use crate::store::{now_ms, Store, UserAuditActor, UserRow};
pub use error::{OpError, OpResult};
use hub_core::events::Published;
pub use hub_core::events::Publisher;

/// How long an invite or reset link works.
pub const LINK_LIFETIME_MS: i64 = 7 * 24 * 3600 * 1000;

/// What an operation works with: the store, where its events go, and where people reach the
/// hub. Never the transport (no axum, no cookies, no `AppState`).
#[derive(Clone, Copy)]
pub struct Ctx<'a> {
    pub store: &'a Store,
    /// The event publisher of this process, if it serves sockets (the command line has none).
    pub events: Option<&'a dyn Publisher>,
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
pub async fn hash(password: &str) -> Result<String, OpError> {
    let password = password.to_string();
    tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(|e| OpError::Internal(format!("password hashing stopped: {e}")))?
        .map_err(|e| OpError::Internal(e.to_string()))
}

/// A new one-time link: the token (for the link) and its hash (for the database).
pub fn new_link(ctx: &Ctx<'_>, path: &str) -> (String, String, i64) {
    let token = new_token();
    let link = format!("{}{path}{token}", ctx.public_url.trim_end_matches('/'));
    (link, token_hash(&token), now_ms() + LINK_LIFETIME_MS)
}

impl Ctx<'_> {
    /// Hands a committed event to this process's sockets (and, through the outbox, the
    /// other nodes').
    pub fn publish(&self, published: Published) {
        if let Some(events) = self.events {
            events.publish(published);
        }
    }

    pub fn publish_all(&self, published: impl IntoIterator<Item = Published>) {
        for p in published {
            self.publish(p);
        }
    }
}

//! What a socket reports about itself while it runs: opened, greeted, messages in and out,
//! closed. Incoming messages are only peeked at (their `type` and the few ids a measurement
//! needs), never fully decoded, to keep the generator cheap.

use serde::Deserialize;

/// The parts of a hub message the load generator looks at.
#[derive(Debug, Deserialize)]
pub struct Peek<'a> {
    #[serde(rename = "type", borrow)]
    pub kind: &'a str,
    /// `config_updated` (and `hello`).
    #[serde(default)]
    pub config_version: Option<i64>,
    /// `session_ended`.
    #[serde(default)]
    pub session_id: Option<i64>,
    /// `session_started` (its `session.id`).
    #[serde(default)]
    pub session: Option<SessionPeek>,
    /// `presence_diff`.
    #[serde(default, borrow)]
    pub changes: Vec<ChangePeek<'a>>,
}

#[derive(Debug, Deserialize)]
pub struct SessionPeek {
    pub id: i64,
}

#[derive(Debug, Deserialize)]
pub struct ChangePeek<'a> {
    pub user_id: i64,
    /// `active`, `idle` or `offline`.
    #[serde(default, borrow)]
    pub status: Option<&'a str>,
}

/// Receives what sockets report. `index` is the socket's number within its process.
pub trait Observer: Send + Sync + 'static {
    /// The handshake failed (or the hub refused the socket).
    fn failed(&self, index: usize, error: &anyhow::Error);
    /// The handshake succeeded.
    fn opened(&self, index: usize);
    /// A text message arrived at `at_ns` ([`super::clock::now_ns`]); the first one is the greeting.
    fn received(&self, index: usize, at_ns: u64, message: &Peek<'_>);
    /// A text message the generator could not peek at.
    fn unreadable(&self, index: usize);
    /// A heartbeat or activity message went out.
    fn sent(&self, index: usize);
    /// The socket ended; `by_hub` with the close code when the hub closed it.
    fn closed(&self, index: usize, by_hub: Option<u16>, why: &str);
}

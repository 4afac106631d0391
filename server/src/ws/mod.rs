//! WebSocket endpoints: `/ws/agent` (desktop agents) and `/ws/tab` (dashboard tabs).

mod agent;
pub mod connection;
mod direct_write;
pub mod socket;
mod tab;
pub mod upgrade;

pub use agent::{agent_socket, AgentMessages};
pub use tab::{tab_socket, TabMessages};

use serde::Deserialize;
use std::sync::Arc;
use tungstenite::protocol::WebSocketConfig;

use crate::hub::{OrgHub, Outgoing, PeerKind};
use crate::state::AppState;
use crate::store::TokenOwner;
use connection::{Connection, MessageHandler, MAX_MESSAGE_BYTES};
use shared::protocol::SocketError;
use upgrade::{Socket, SocketUpgrade};

/// The read buffer every socket keeps for its whole life (tungstenite allocates and zero-fills
/// it up front). Clients send small JSON (a heartbeat is ~60 bytes), so 512 bytes read one
/// message per system call; a larger frame (up to [`MAX_MESSAGE_BYTES`]) grows the buffer as
/// needed. Measured with 19,000 sockets: 4 KiB here cost 4.1 KiB per connection (heaptrack).
const READ_BUFFER_BYTES: usize = 512;

/// Buffers sized on purpose: sockets are many and messages are small. A write buffer size of 0
/// writes every frame out at once (pushes must not wait for more to come).
pub fn socket_config() -> WebSocketConfig {
    WebSocketConfig::default()
        .max_message_size(Some(MAX_MESSAGE_BYTES))
        .max_frame_size(Some(MAX_MESSAGE_BYTES))
        .read_buffer_size(READ_BUFFER_BYTES)
        .write_buffer_size(0)
}

/// Answers an authenticated upgrade: once the client has the socket it is registered with
/// the hub (its first message queued by `greeting`) and driven by a [`Connection`] until it
/// ends. Agents and tabs differ only in `kind`, `greeting` and `handler`.
fn accept<G, H>(
    state: AppState,
    upgrade: SocketUpgrade,
    org: Arc<OrgHub>,
    owner: &TokenOwner,
    kind: PeerKind,
    greeting: G,
    handler: H,
) -> axum::response::Response
where
    G: FnOnce(&OrgHub) -> Option<Outgoing> + Send + 'static,
    H: MessageHandler + Unpin + Send + 'static,
{
    // Only what the connection needs for its whole life is kept: not the user's row.
    let (user_id, role, token_id) = (owner.user.id, owner.user.role, owner.token_id);
    let limits = socket_limits(&state.config);
    let hub = state.hub.clone();
    upgrade.accept(&state.tasks, socket_config(), move |socket: Socket| {
        let reg = hub.attach(&org, kind, user_id, role, token_id, greeting);
        Connection::new(socket, reg, hub, handler, limits)
    })
}

/// Explains why a text message could not be read: not JSON, an unknown `type`, or bad fields.
fn explain(text: &str, known: &[&str], error: serde_json::Error) -> SocketError {
    #[derive(Deserialize)]
    struct Tagged {
        r#type: String,
    }
    match serde_json::from_str::<Tagged>(text) {
        Err(_) => SocketError {
            code: "invalid_message".into(),
            message: format!("Expected a JSON object with a \"type\": {error}"),
        },
        Ok(t) if !known.contains(&t.r#type.as_str()) => SocketError {
            code: "unknown_type".into(),
            message: format!(
                "Unknown message type {:?}; expected one of: {}.",
                t.r#type,
                known.join(", ")
            ),
        },
        Ok(t) => SocketError {
            code: "invalid_message".into(),
            message: format!("Invalid {:?} message: {error}", t.r#type),
        },
    }
}

/// Each socket's limits, from the hub's flags.
pub fn socket_limits(config: &crate::config::Config) -> connection::SocketLimits {
    connection::SocketLimits {
        ping_every: std::time::Duration::from_secs(config.ws_ping_seconds.max(1)),
        idle_timeout: std::time::Duration::from_secs(config.ws_idle_timeout_seconds.max(1)),
        messages_per_second: config.ws_messages_per_second,
        write_timeout: std::time::Duration::from_secs(10),
    }
}

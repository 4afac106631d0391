//! WebSocket endpoints: `/ws/agent` (desktop agents) and `/ws/tab` (dashboard tabs).

mod agent;
pub mod connection;
mod tab;

pub use agent::agent_socket;
pub use tab::tab_socket;

use axum::extract::ws::WebSocketUpgrade;
use serde::Deserialize;
use shared::protocol::SocketError;

use connection::MAX_MESSAGE_BYTES;

/// The read buffer every socket keeps for its whole life (tungstenite allocates and zero-fills
/// it up front). Clients send small JSON (a heartbeat is ~60 bytes), so 512 bytes read one
/// message per system call; a larger frame (up to [`MAX_MESSAGE_BYTES`]) grows the buffer as
/// needed. Measured with 19,000 sockets: 4 KiB here cost 4.1 KiB per connection (heaptrack).
const READ_BUFFER_BYTES: usize = 512;

/// Buffers sized on purpose: sockets are many and messages are small.
fn configure(ws: WebSocketUpgrade) -> WebSocketUpgrade {
    ws.max_message_size(MAX_MESSAGE_BYTES)
        .max_frame_size(MAX_MESSAGE_BYTES)
        .read_buffer_size(READ_BUFFER_BYTES)
        .write_buffer_size(0)
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

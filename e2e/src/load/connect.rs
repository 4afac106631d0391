//! Opens one hub socket from a chosen loopback source address: bind the client socket to
//! `127.0.0.N:0` first, then connect, then the WebSocket handshake over that stream. Spreading
//! sockets over several source addresses gives each its own ephemeral port range.

use anyhow::Context;
use serde::{Deserialize, Serialize};
use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;
use tokio::net::{TcpSocket, TcpStream};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::WebSocketStream;

pub type Ws = WebSocketStream<TcpStream>;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SocketKind {
    /// `/ws/agent`: sends heartbeats.
    Agent,
    /// `/ws/tab`: sends activity.
    Tab,
}

impl SocketKind {
    pub fn path(self) -> &'static str {
        match self {
            SocketKind::Agent => "/ws/agent",
            SocketKind::Tab => "/ws/tab",
        }
    }
}

/// `127.0.0.2`, `127.0.0.3`, …: `count` loopback source addresses (127.0.0.1 is left to the hub).
pub fn loopback_sources(count: usize) -> Vec<Ipv4Addr> {
    (0..count.clamp(1, 250))
        .map(|i| Ipv4Addr::new(127, 0, 0, 2 + i as u8))
        .collect()
}

/// Small client buffers: a worker holds thousands of sockets and messages are small.
/// (Reads of a larger message grow the buffer as needed.)
fn client_config() -> WebSocketConfig {
    WebSocketConfig::default()
        .read_buffer_size(2 * 1024)
        .write_buffer_size(0)
}

/// Connects to `hub` from `source` (any address when `None`) and opens `kind`'s endpoint with
/// a Bearer `token`. Fails after `timeout`.
pub async fn open(
    hub: SocketAddr,
    source: Option<Ipv4Addr>,
    kind: SocketKind,
    token: &str,
    timeout: Duration,
) -> anyhow::Result<Ws> {
    Ok(open_with_node(hub, source, kind, token, timeout).await?.0)
}

/// As [`open`], and also which hub took the socket when `hub` is the cluster's load balancer:
/// the `X-Presence-Node` header HAProxy adds to the `101 Switching Protocols` (`None` straight
/// to a hub).
pub async fn open_with_node(
    hub: SocketAddr,
    source: Option<Ipv4Addr>,
    kind: SocketKind,
    token: &str,
    timeout: Duration,
) -> anyhow::Result<(Ws, Option<String>)> {
    tokio::time::timeout(timeout, open_now(hub, source, kind, token))
        .await
        .with_context(|| format!("no handshake within {timeout:?}"))?
}

async fn open_now(
    hub: SocketAddr,
    source: Option<Ipv4Addr>,
    kind: SocketKind,
    token: &str,
) -> anyhow::Result<(Ws, Option<String>)> {
    let socket = TcpSocket::new_v4()?;
    if let Some(ip) = source {
        socket
            .bind(SocketAddr::from((ip, 0)))
            .with_context(|| format!("bind to {ip}"))?;
    }
    let stream = socket.connect(hub).await.context("TCP connect")?;
    stream.set_nodelay(true)?;
    let mut request = format!("ws://{hub}{}", kind.path()).into_client_request()?;
    request.headers_mut().insert(
        "authorization",
        HeaderValue::from_str(&format!("Bearer {token}"))?,
    );
    let (ws, response) =
        tokio_tungstenite::client_async_with_config(request, stream, Some(client_config()))
            .await
            .context("WebSocket handshake")?;
    let node = response
        .headers()
        .get(crate::cluster::NODE_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    Ok((ws, node))
}

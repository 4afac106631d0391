//! The one WebSocket to `/ws/agent`: kept open, reconnected with exponential backoff and
//! jitter; messages in become events, heartbeats out are sent as they come.

use futures_util::{SinkExt, StreamExt};
use shared::protocol::{close_code, AgentToServer, ServerToAgent};
use std::time::Duration;
use tokio::sync::{mpsc, watch};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::Message;

use super::backoff::Backoff;

#[derive(Debug)]
pub enum SocketEvent {
    Connected,
    Message(Box<ServerToAgent>),
    Disconnected(String),
    /// The token is no longer valid (revoked, user deactivated): stop and log in again.
    Unauthorized,
}

pub struct SocketSettings {
    pub url: String,
    pub token: String,
    /// The longest wait between attempts (the policy's `config_sync_interval_seconds`).
    pub max_delay: watch::Receiver<Duration>,
}

/// Runs until `events` is closed or the token is refused.
pub async fn run(
    settings: SocketSettings,
    events: mpsc::Sender<SocketEvent>,
    mut outgoing: mpsc::Receiver<AgentToServer>,
) {
    let mut backoff = Backoff::new(Duration::from_millis(500), *settings.max_delay.borrow());
    loop {
        backoff.set_max(*settings.max_delay.borrow());
        match connect(&settings).await {
            Ok(mut ws) => {
                if events.send(SocketEvent::Connected).await.is_err() {
                    return;
                }
                let reason = loop {
                    tokio::select! {
                        incoming = ws.next() => match incoming {
                            Some(Ok(Message::Text(text))) => match serde_json::from_str::<ServerToAgent>(&text) {
                                Ok(msg) => {
                                    if matches!(msg, ServerToAgent::Hello { .. }) {
                                        backoff.reset();
                                    }
                                    if events.send(SocketEvent::Message(Box::new(msg))).await.is_err() {
                                        return;
                                    }
                                }
                                Err(e) => tracing::warn!(error = %e, "ignoring a message this agent does not understand"),
                            },
                            Some(Ok(Message::Close(frame))) => {
                                let code = frame.as_ref().map(|f| u16::from(f.code));
                                // Completes the closing handshake: tungstenite queued the answer
                                // to the hub's Close, and this sends it (RFC 6455 §5.5.1).
                                let _ = tokio::time::timeout(Duration::from_secs(1), ws.close(None)).await;
                                if code == Some(close_code::UNAUTHORIZED) {
                                    let _ = events.send(SocketEvent::Unauthorized).await;
                                    return;
                                }
                                break format!("closed by the hub ({})", frame.map(|f| format!("{} {}", u16::from(f.code), f.reason)).unwrap_or_default());
                            }
                            Some(Ok(_)) => {}
                            Some(Err(e)) => break format!("connection lost: {e}"),
                            None => break "connection closed".to_string(),
                        },
                        out = outgoing.recv() => match out {
                            Some(msg) => {
                                let text = match serde_json::to_string(&msg) { Ok(t) => t, Err(_) => continue };
                                if let Err(e) = ws.send(Message::Text(text.into())).await {
                                    break format!("send failed: {e}");
                                }
                            }
                            None => {
                                let _ = ws.close(None).await;
                                return;
                            }
                        },
                    }
                };
                if events
                    .send(SocketEvent::Disconnected(reason))
                    .await
                    .is_err()
                {
                    return;
                }
            }
            Err(ConnectError::Unauthorized) => {
                let _ = events.send(SocketEvent::Unauthorized).await;
                return;
            }
            Err(ConnectError::Other(e)) => {
                if events.send(SocketEvent::Disconnected(e)).await.is_err() {
                    return;
                }
            }
        }
        let delay = backoff.next_delay();
        tracing::debug!(?delay, "reconnecting after");
        tokio::time::sleep(delay).await;
    }
}

enum ConnectError {
    Unauthorized,
    Other(String),
}

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn connect(settings: &SocketSettings) -> Result<Ws, ConnectError> {
    let mut req = settings
        .url
        .as_str()
        .into_client_request()
        .map_err(|e| ConnectError::Other(e.to_string()))?;
    let auth = HeaderValue::from_str(&format!("Bearer {}", settings.token))
        .map_err(|e| ConnectError::Other(e.to_string()))?;
    req.headers_mut().insert("authorization", auth);
    let connecting = tokio_tungstenite::connect_async(req);
    match tokio::time::timeout(Duration::from_secs(10), connecting).await {
        Err(_) => Err(ConnectError::Other("connect timed out".into())),
        Ok(Ok((ws, _))) => Ok(ws),
        Ok(Err(tokio_tungstenite::tungstenite::Error::Http(res)))
            if res.status().as_u16() == 401 =>
        {
            Err(ConnectError::Unauthorized)
        }
        Ok(Err(e)) => Err(ConnectError::Other(e.to_string())),
    }
}

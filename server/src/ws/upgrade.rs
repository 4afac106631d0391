//! The WebSocket handshake (RFC 6455 §4.2), done here rather than by axum's `WebSocketUpgrade`
//! so the connection is a plain [`WsSocket`] (tungstenite's protocol) over the upgraded stream:
//! pushed messages are written to that stream directly (see `direct_write`), which axum's
//! socket does not allow, and its task is sized for the connection alone.

use axum::body::Body;
use axum::extract::FromRequestParts;
use axum::http::header::{
    CONNECTION, SEC_WEBSOCKET_ACCEPT, SEC_WEBSOCKET_KEY, SEC_WEBSOCKET_VERSION, UPGRADE,
};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, Response, StatusCode};
use hyper::upgrade::{OnUpgrade, Upgraded};
use hyper_util::rt::TokioIo;
use std::future::Future;
use tokio_util::task::TaskTracker;
use tungstenite::handshake::derive_accept_key;
use tungstenite::protocol::WebSocketConfig;

use super::socket::WsSocket;
use crate::error::ApiError;

/// An accepted WebSocket connection.
pub type Socket = WsSocket<TokioIo<Upgraded>>;

/// A valid upgrade request, not answered yet: the handler authenticates first, so a refused
/// socket gets an ordinary HTTP error.
pub struct SocketUpgrade {
    on_upgrade: OnUpgrade,
    accept_key: HeaderValue,
}

impl<S: Send + Sync> FromRequestParts<S> for SocketUpgrade {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        if parts.method != Method::GET {
            return Err(ApiError::MethodNotAllowed);
        }
        let headers = &parts.headers;
        if !has_token(headers, &CONNECTION, "upgrade") || !has_token(headers, &UPGRADE, "websocket")
        {
            return Err(ApiError::UpgradeRequired);
        }
        if headers
            .get(SEC_WEBSOCKET_VERSION)
            .map(HeaderValue::as_bytes)
            != Some(b"13")
        {
            return Err(ApiError::BadRequest(
                "Only WebSocket version 13 is supported.".into(),
            ));
        }
        let key = headers
            .get(SEC_WEBSOCKET_KEY)
            .ok_or_else(|| ApiError::BadRequest("Sec-WebSocket-Key is missing.".into()))?;
        let accept_key = HeaderValue::from_str(&derive_accept_key(key.as_bytes()))
            .map_err(|_| ApiError::BadRequest("Invalid Sec-WebSocket-Key.".into()))?;
        let on_upgrade = parts
            .extensions
            .remove::<OnUpgrade>()
            .ok_or(ApiError::UpgradeRequired)?;
        Ok(SocketUpgrade {
            on_upgrade,
            accept_key,
        })
    }
}

impl SocketUpgrade {
    /// Answers 101; once the client has the socket, `serve` makes the connection's future,
    /// which runs as a task of `tasks` (so shutdown can wait for it). Waiting for the upgrade
    /// is a short task of its own: the long-lived task is sized for the connection alone.
    pub fn accept<F, Fut>(
        self,
        tasks: &TaskTracker,
        config: WebSocketConfig,
        serve: F,
    ) -> Response<Body>
    where
        F: FnOnce(Socket) -> Fut + Send + 'static,
        Fut: Future + Send + 'static,
        Fut::Output: Send + 'static,
    {
        let on_upgrade = self.on_upgrade;
        let connections = tasks.clone();
        tasks.spawn(async move {
            let upgraded = match on_upgrade.await {
                Ok(upgraded) => upgraded,
                Err(e) => return tracing::debug!(error = %e, "WebSocket upgrade failed"),
            };
            let socket = WsSocket::server(TokioIo::new(upgraded), config);
            drop(connections.spawn(serve(socket)));
        });
        let mut response = Response::new(Body::empty());
        *response.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
        let headers = response.headers_mut();
        headers.insert(CONNECTION, HeaderValue::from_static("upgrade"));
        headers.insert(UPGRADE, HeaderValue::from_static("websocket"));
        headers.insert(SEC_WEBSOCKET_ACCEPT, self.accept_key);
        response
    }
}

/// Whether a comma-separated header (`Connection: keep-alive, Upgrade`) has `token`.
fn has_token(headers: &HeaderMap, name: &HeaderName, token: &str) -> bool {
    headers
        .get_all(name)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|t| t.trim().eq_ignore_ascii_case(token))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_tokens_are_found_in_lists_and_any_case() {
        let mut h = HeaderMap::new();
        h.append(CONNECTION, HeaderValue::from_static("keep-alive, Upgrade"));
        assert!(has_token(&h, &CONNECTION, "upgrade"));
        assert!(!has_token(&h, &CONNECTION, "close"));
        assert!(!has_token(&h, &UPGRADE, "websocket"));
    }

    #[test]
    fn the_accept_key_is_the_rfc_example() {
        // RFC 6455 §1.3.
        assert_eq!(
            derive_accept_key(b"dGhlIHNhbXBsZSBub25jZQ=="),
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        );
    }
}

//! A dashboard tab's socket as a non-browser client opens it (`/ws/tab` with a Bearer token):
//! the `presence_snapshot` first, then `presence_diff`s, kept as the latest entry per user.

use anyhow::{bail, Context};
use futures_util::StreamExt;
use serde_json::Value;
use std::collections::HashMap;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::{HeaderMap, HeaderValue};
use tokio_tungstenite::tungstenite::Message;

pub struct TabSocket {
    /// The headers of the `101 Switching Protocols` answer.
    pub handshake_headers: HeaderMap,
    /// The latest presence entry of each user (from the snapshot, then the diffs).
    presence: HashMap<i64, Value>,
    /// Every message after the snapshot that is not presence (session_ended, config_updated…).
    others: Vec<Value>,
    received: mpsc::UnboundedReceiver<Value>,
    task: JoinHandle<()>,
}

impl TabSocket {
    /// Connects to `ws_url` (`ws://host/ws/tab`) with the token and reads the
    /// `presence_snapshot` (within 5 s).
    pub async fn connect(ws_url: &str, token: &str) -> anyhow::Result<TabSocket> {
        let mut request = ws_url.into_client_request()?;
        request.headers_mut().insert(
            "authorization",
            HeaderValue::from_str(&format!("Bearer {token}"))?,
        );
        let (mut ws, response) = tokio_tungstenite::connect_async(request)
            .await
            .with_context(|| format!("tab socket handshake with {ws_url}"))?;
        let handshake_headers = response.headers().clone();
        let (tx, received) = mpsc::unbounded_channel();
        let task = tokio::spawn(async move {
            while let Some(Ok(msg)) = ws.next().await {
                if let Message::Text(text) = msg {
                    let value =
                        serde_json::from_str(&text).unwrap_or(Value::String(text.to_string()));
                    if tx.send(value).is_err() {
                        break;
                    }
                }
            }
        });
        let mut tab = TabSocket {
            handshake_headers,
            presence: HashMap::new(),
            others: Vec::new(),
            received,
            task,
        };
        let first = tokio::time::timeout(Duration::from_secs(5), tab.received.recv())
            .await
            .context("no presence_snapshot within 5 s on the tab socket")?
            .context("the hub closed the tab socket before its presence_snapshot")?;
        if first["type"] != "presence_snapshot" {
            bail!("the tab's first message is not a presence_snapshot: {first}");
        }
        tab.apply(first);
        Ok(tab)
    }

    fn apply(&mut self, msg: Value) {
        let entries = match msg["type"].as_str() {
            Some("presence_snapshot") => {
                self.presence.clear();
                &msg["users"]
            }
            Some("presence_diff") => &msg["changes"],
            _ => {
                self.others.push(msg);
                return;
            }
        };
        for entry in entries.as_array().into_iter().flatten() {
            if let Some(id) = entry["user_id"].as_i64() {
                self.presence.insert(id, entry.clone());
            }
        }
    }

    /// Applies whatever arrived so far.
    fn pump(&mut self) {
        while let Ok(msg) = self.received.try_recv() {
            self.apply(msg);
        }
    }

    /// The user's status as this tab shows it now (`active`, `idle`, `offline`), if listed.
    pub fn status(&mut self, user_id: i64) -> Option<String> {
        self.pump();
        self.presence
            .get(&user_id)
            .and_then(|e| e["status"].as_str())
            .map(str::to_string)
    }

    /// Non-presence messages received so far (taken).
    pub fn take_others(&mut self) -> Vec<Value> {
        self.pump();
        std::mem::take(&mut self.others)
    }

    /// Waits until `user_id`'s status satisfies `wanted` (e.g. `|s| s != "offline"`), for at
    /// most `timeout`; how long it took. The error names `what` and the last status seen.
    pub async fn wait_status(
        &mut self,
        user_id: i64,
        what: &str,
        timeout: Duration,
        wanted: impl Fn(&str) -> bool,
    ) -> anyhow::Result<Duration> {
        let started = Instant::now();
        let deadline = started + timeout;
        loop {
            if let Some(status) = self.status(user_id) {
                if wanted(&status) {
                    return Ok(started.elapsed());
                }
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                bail!(
                    "timed out after {timeout:?} waiting for {what}: the tab shows user {user_id} as {:?}{}",
                    self.status(user_id),
                    if self.is_closed() { " (its socket has closed)" } else { "" }
                );
            }
            match tokio::time::timeout(left, self.received.recv()).await {
                Ok(Some(msg)) => self.apply(msg),
                Ok(None) => bail!(
                    "the tab socket closed while waiting for {what}: it shows user {user_id} as {:?}",
                    self.presence.get(&user_id).map(|e| e["status"].clone())
                ),
                Err(_) => {}
            }
        }
    }

    /// Whether the socket has ended.
    pub fn is_closed(&self) -> bool {
        self.task.is_finished()
    }
}

impl Drop for TabSocket {
    fn drop(&mut self) {
        self.task.abort();
    }
}

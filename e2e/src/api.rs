//! Talking to the hub the way non-browser clients do: the JSON login, and the desktop agent's
//! WebSocket (`/ws/agent`, Bearer token, `hello` first, then `heartbeat`s).

use anyhow::{bail, Context};
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::Message;

/// A signed-in user as `POST /api/auth/login` returns them.
#[derive(Debug, Clone)]
pub struct ApiSession {
    pub token: String,
    pub user: Value,
    pub user_id: i64,
}

impl ApiSession {
    pub async fn login(base: &str, email: &str, password: &str) -> anyhow::Result<ApiSession> {
        let res = reqwest::Client::new()
            .post(format!("{base}/api/auth/login"))
            .json(&json!({ "email": email, "password": password }))
            .send()
            .await?;
        let status = res.status();
        let body: Value = res.json().await.context("login response is not JSON")?;
        if status != 200 {
            bail!("login of {email}: {status} {body}");
        }
        let token = body["token"]
            .as_str()
            .context("login response without token")?
            .to_string();
        let user_id = body["user"]["id"]
            .as_i64()
            .context("login response without user.id")?;
        Ok(ApiSession {
            token,
            user: body["user"].clone(),
            user_id,
        })
    }

    /// `{method} {base}{path}` with the Bearer token and a JSON body: the status and the JSON
    /// answer (`null` if there is none), whatever the status.
    pub async fn send_json(
        &self,
        method: reqwest::Method,
        base: &str,
        path: &str,
        body: &Value,
    ) -> anyhow::Result<(u16, Value)> {
        let res = reqwest::Client::new()
            .request(method, format!("{base}{path}"))
            .bearer_auth(&self.token)
            .json(body)
            .send()
            .await?;
        let status = res.status().as_u16();
        Ok((status, res.json().await.unwrap_or(Value::Null)))
    }

    /// [`ApiSession::send_json`] that fails unless the hub answers 2xx: the JSON answer.
    pub async fn call(
        &self,
        base: &str,
        method: reqwest::Method,
        path: &str,
        body: &Value,
    ) -> anyhow::Result<Value> {
        let (status, answer) = self.send_json(method.clone(), base, path, body).await?;
        if !(200..300).contains(&status) {
            bail!("{method} {path}: {status} {answer}");
        }
        Ok(answer)
    }

    /// `GET {base}{path}` with the Bearer token, as JSON.
    pub async fn get_json(&self, base: &str, path: &str) -> anyhow::Result<Value> {
        let res = reqwest::Client::new()
            .get(format!("{base}{path}"))
            .bearer_auth(&self.token)
            .send()
            .await?;
        let status = res.status();
        let body: Value = res.json().await?;
        if !status.is_success() {
            bail!("GET {path}: {status} {body}");
        }
        Ok(body)
    }
}

enum Command {
    Heartbeat { idle_seconds: u64 },
    Close,
}

/// A desktop agent's socket. A background task owns it: it sends what it is told (and, if
/// asked, a heartbeat every few seconds as the real agent does) and keeps every message received.
pub struct AgentSocket {
    /// The first message, `{"type":"hello", ...}`.
    pub hello: Value,
    /// The headers of the hub's `101 Switching Protocols` answer (behind the cluster's HAProxy,
    /// `X-Presence-Node` names the hub that took the socket).
    pub handshake_headers: tokio_tungstenite::tungstenite::http::HeaderMap,
    commands: mpsc::UnboundedSender<Command>,
    /// Each message with the moment its task read it off the socket.
    received: mpsc::UnboundedReceiver<(Instant, Value)>,
    task: JoinHandle<anyhow::Result<Option<Instant>>>,
}

impl AgentSocket {
    /// Connects to `ws_url` (`ws://host/ws/agent`) with the token and reads the `hello`.
    /// `heartbeat_every`: send `{"type":"heartbeat","idle_seconds":0}` at that period.
    pub async fn connect(
        ws_url: &str,
        token: &str,
        heartbeat_every: Option<Duration>,
    ) -> anyhow::Result<AgentSocket> {
        let mut request = ws_url.into_client_request()?;
        request.headers_mut().insert(
            "authorization",
            HeaderValue::from_str(&format!("Bearer {token}"))?,
        );
        let (mut ws, response) = tokio_tungstenite::connect_async(request)
            .await
            .context("agent socket handshake")?;
        let handshake_headers = response.headers().clone();
        let hello = tokio::time::timeout(Duration::from_secs(5), async {
            while let Some(msg) = ws.next().await {
                if let Message::Text(text) = msg? {
                    return Ok(serde_json::from_str::<Value>(&text)?);
                }
            }
            bail!("the hub closed the agent socket before its hello")
        })
        .await
        .context("no hello within 5 s")??;
        if hello["type"] != "hello" {
            bail!("the first message is not a hello: {hello}");
        }
        let (commands, mut command_rx) = mpsc::unbounded_channel();
        let (received_tx, received) = mpsc::unbounded_channel();
        let task = tokio::spawn(async move {
            let mut tick = heartbeat_every.map(|every| {
                let mut t = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
                t.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                t
            });
            loop {
                let periodic = async {
                    match tick.as_mut() {
                        Some(t) => t.tick().await,
                        None => std::future::pending().await,
                    }
                };
                tokio::select! {
                    _ = periodic => {
                        ws.send(heartbeat(0)).await.context("send a heartbeat")?;
                    }
                    command = command_rx.recv() => match command {
                        Some(Command::Heartbeat { idle_seconds }) => ws.send(heartbeat(idle_seconds)).await.context("send a heartbeat")?,
                        Some(Command::Close) | None => {
                            let closed_at = Instant::now();
                            ws.close(None).await.context("send the close frame")?;
                            // Drain until the hub answers the close (or gives up on us).
                            let _ = tokio::time::timeout(Duration::from_secs(5), async {
                                while let Some(Ok(_)) = ws.next().await {}
                            })
                            .await;
                            return Ok(Some(closed_at));
                        }
                    },
                    msg = ws.next() => match msg {
                        Some(Ok(Message::Text(text))) => {
                            let _ = received_tx.send((Instant::now(), serde_json::from_str(&text).unwrap_or(Value::String(text.to_string()))));
                        }
                        Some(Ok(_)) => {}
                        Some(Err(e)) => return Err(anyhow::Error::new(e).context("agent socket failed")),
                        None => return Ok(None),
                    },
                }
            }
        });
        Ok(AgentSocket {
            hello,
            handshake_headers,
            commands,
            received,
            task,
        })
    }

    /// Sends one `heartbeat` now.
    pub fn heartbeat(&self, idle_seconds: u64) -> anyhow::Result<()> {
        self.commands
            .send(Command::Heartbeat { idle_seconds })
            .map_err(|_| anyhow::anyhow!("the agent socket has ended"))
    }

    /// Whether the socket has ended (closed by the hub, or failed), as far as its task knows.
    pub fn is_closed(&self) -> bool {
        self.task.is_finished()
    }

    /// Messages received after the hello, so far.
    pub fn drain_received(&mut self) -> Vec<Value> {
        self.drain_received_at()
            .into_iter()
            .map(|(_, v)| v)
            .collect()
    }

    /// Messages received after the hello, so far, each with the moment it arrived (for
    /// latencies that do not depend on how often the test looks).
    pub fn drain_received_at(&mut self) -> Vec<(Instant, Value)> {
        let mut out = Vec::new();
        while let Ok(v) = self.received.try_recv() {
            out.push(v);
        }
        out
    }

    /// Closes the socket with a close handshake; returns when the close frame was sent.
    pub async fn close(self) -> anyhow::Result<Instant> {
        let _ = self.commands.send(Command::Close);
        match self.task.await.context("agent task panicked")?? {
            Some(at) => Ok(at),
            None => bail!("the hub had already closed the agent socket"),
        }
    }
}

fn heartbeat(idle_seconds: u64) -> Message {
    Message::text(json!({ "type": "heartbeat", "idle_seconds": idle_seconds }).to_string())
}

//! A real hub on a free loopback port, over a fresh database: SQLite by default, PostgreSQL
//! when `PRESENCE_TEST_PG` names a server (`postgres://user@127.0.0.1:port/postgres`); each
//! test gets its own database there.

#![allow(dead_code)]

use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use server::store::{NewUser, OrgRow, Store, UserRow};
use server::{Config, RunningHub};
use shared::Role;
use std::sync::OnceLock;
use std::time::Duration;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

pub const PASSWORD: &str = "test-pass-1";
pub type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

fn password_hash() -> &'static str {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| server::domain::auth::hash_password(PASSWORD).expect("hash"))
}

pub struct TestHub {
    pub hub: Option<RunningHub>,
    pub config: Config,
    pub url: String,
    pub store: Store,
    dir: Option<tempfile::TempDir>,
}

async fn fresh_database_url(dir: &std::path::Path) -> String {
    match std::env::var("PRESENCE_TEST_PG") {
        Ok(admin) if !admin.is_empty() => {
            use sqlx::Connection;
            let name = format!("ph_test_{}", rand_suffix());
            let mut conn = sqlx::PgConnection::connect(&admin)
                .await
                .expect("connect to the PostgreSQL test server");
            sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(&mut conn)
                .await
                .expect("create test database");
            let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin);
            format!("{base}/{name}")
        }
        _ => format!("sqlite://{}/hub.db", dir.display()),
    }
}

fn rand_suffix() -> String {
    use std::time::{SystemTime, UNIX_EPOCH};
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!("{}_{}", std::process::id(), nanos % 1_000_000_000_000)
}

pub fn on_postgres() -> bool {
    std::env::var("PRESENCE_TEST_PG").is_ok_and(|v| !v.is_empty())
}

impl TestHub {
    pub async fn start() -> TestHub {
        Self::start_with(|_| {}).await
    }

    pub async fn start_with(adjust: impl FnOnce(&mut Config)) -> TestHub {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = fresh_database_url(dir.path()).await;
        let mut config = Config::for_tests(url, dir.path().to_path_buf());
        adjust(&mut config);
        Self::launch(config, dir).await
    }

    async fn launch(config: Config, dir: tempfile::TempDir) -> TestHub {
        let hub = server::start(config.clone()).await.expect("hub starts");
        let url = hub.url();
        let store = hub.state.store.clone();
        TestHub {
            hub: Some(hub),
            config,
            url,
            store,
            dir: Some(dir),
        }
    }

    /// Another hub process on the same database (a second node of the cluster on PostgreSQL).
    pub async fn peer(&self, node_id: &str) -> TestHub {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut config = self.config.clone();
        config.data_dir = dir.path().to_path_buf();
        config.node_id = Some(node_id.to_string());
        Self::launch(config, dir).await
    }

    /// Stops the hub (gracefully) and starts a new one on the same database.
    pub async fn restart(mut self) -> TestHub {
        if let Some(hub) = self.hub.take() {
            hub.stop().await;
        }
        let config = self.config.clone();
        let dir = self.dir.take().expect("the test's folder");
        Self::launch(config, dir).await
    }

    pub async fn stop(&mut self) {
        if let Some(hub) = self.hub.take() {
            hub.stop().await;
        }
    }

    pub fn state(&self) -> &server::state::AppState {
        &self.hub.as_ref().expect("running").state
    }

    pub fn ws_url(&self, path: &str) -> String {
        format!("{}{}", self.url.replace("http://", "ws://"), path)
    }

    /// A new organization with one user per (e-mail, role); all with password `PASSWORD`.
    pub async fn org(&self, name: &str, users: &[(&str, Role)]) -> (OrgRow, Vec<UserRow>) {
        let org = self
            .store
            .create_org(name, "UTC")
            .await
            .expect("create org");
        let mut rows = Vec::new();
        for (email, role) in users {
            let display = email.split('@').next().unwrap_or(email).to_string();
            let user = self
                .store
                .create_user(NewUser {
                    org_id: org.id,
                    email,
                    name: &display,
                    role: *role,
                    password_hash: password_hash(),
                    game_name: None,
                    steam_id: None,
                    discord: None,
                    timezone: None,
                })
                .await
                .expect("create user");
            rows.push(user);
        }
        (org, rows)
    }

    pub fn http(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client")
    }

    /// A page as the browser of the login `token` gets it (session cookie): status and HTML.
    pub async fn page(&self, token: &str, path: &str) -> (u16, String) {
        let res = self
            .http()
            .get(format!("{}{path}", self.url))
            .header("cookie", format!("ph_session={token}"))
            .send()
            .await
            .expect("page request");
        let status = res.status().as_u16();
        (status, res.text().await.expect("page body"))
    }

    /// `GET /metrics`: the Prometheus text.
    pub async fn metrics(&self) -> String {
        self.http()
            .get(format!("{}/metrics", self.url))
            .send()
            .await
            .expect("GET /metrics")
            .text()
            .await
            .expect("metrics text")
    }

    /// `method path` with an optional bearer token and JSON body: the status and the JSON
    /// answer (`null` for an empty one).
    pub async fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value) {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let mut req = self.http().request(method, format!("{}{path}", self.url));
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        if let Some(body) = body {
            req = req.json(&body);
        }
        let res = req.send().await.expect("request");
        let status = res.status().as_u16();
        let text = res.text().await.expect("body");
        let value = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        (status, value)
    }

    /// Logs in with `password`; the token.
    pub async fn login_with(&self, email: &str, password: &str) -> Option<String> {
        let (status, body) = self
            .call(
                "POST",
                "/api/auth/login",
                None,
                Some(serde_json::json!({"email": email, "password": password})),
            )
            .await;
        (status == 200).then(|| body["token"].as_str().expect("token").to_string())
    }

    pub async fn login(&self, email: &str) -> String {
        let res = self
            .http()
            .post(format!("{}/api/auth/login", self.url))
            .json(&serde_json::json!({"email": email, "password": PASSWORD}))
            .send()
            .await
            .expect("login request");
        assert_eq!(res.status(), 200, "login of {email}");
        let body: Value = res.json().await.expect("login body");
        body["token"].as_str().expect("token").to_string()
    }

    pub async fn agent(&self, token: &str) -> Ws {
        let mut req = self
            .ws_url("/ws/agent")
            .into_client_request()
            .expect("request");
        req.headers_mut().insert(
            "authorization",
            HeaderValue::from_str(&format!("Bearer {token}")).expect("header"),
        );
        let (ws, _) = tokio_tungstenite::connect_async(req)
            .await
            .expect("agent socket");
        ws
    }

    pub async fn tab(&self, token: &str) -> Ws {
        let mut req = self
            .ws_url("/ws/tab")
            .into_client_request()
            .expect("request");
        req.headers_mut().insert(
            "authorization",
            HeaderValue::from_str(&format!("Bearer {token}")).expect("header"),
        );
        let (ws, _) = tokio_tungstenite::connect_async(req)
            .await
            .expect("tab socket");
        ws
    }
}

impl Drop for TestHub {
    fn drop(&mut self) {
        if let Some(hub) = self.hub.take() {
            hub.state.shutdown.cancel();
        }
    }
}

/// The next JSON text message, skipping pings; panics after `secs`.
pub async fn next_json(ws: &mut Ws, secs: u64) -> Value {
    next_json_within(ws, Duration::from_secs(secs)).await
}

pub async fn next_json_within(ws: &mut Ws, within: Duration) -> Value {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let msg = tokio::time::timeout_at(deadline, ws.next())
            .await
            .expect("a message in time")
            .expect("socket open")
            .expect("frame");
        match msg {
            Message::Text(t) => return serde_json::from_str(&t).expect("JSON"),
            Message::Close(f) => panic!("socket closed: {f:?}"),
            _ => continue,
        }
    }
}

/// Waits for a message of `kind` satisfying `pred`, skipping others.
pub async fn wait_for(ws: &mut Ws, kind: &str, secs: u64, pred: impl Fn(&Value) -> bool) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        assert!(!left.is_zero(), "no {kind} message matched within {secs} s");
        let msg = next_json_within(ws, left).await;
        if msg["type"] == kind && pred(&msg) {
            return msg;
        }
    }
}

/// The status of `user_id` in a presence diff, if it is there.
pub fn status_in_diff(msg: &Value, user_id: i64) -> Option<String> {
    msg["changes"]
        .as_array()?
        .iter()
        .find(|c| c["user_id"] == user_id)
        .map(|c| c["status"].as_str().unwrap_or("").to_string())
}

pub async fn send_json(ws: &mut Ws, v: Value) {
    ws.send(Message::Text(v.to_string().into()))
        .await
        .expect("send");
}

/// Reads until the socket closes; returns the close code.
pub async fn close_code(ws: &mut Ws, secs: u64) -> Option<u16> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    loop {
        match tokio::time::timeout_at(deadline, ws.next()).await {
            Err(_) => panic!("socket did not close within {secs} s"),
            Ok(None) => return None,
            Ok(Some(Err(_))) => return None,
            Ok(Some(Ok(Message::Close(frame)))) => return frame.map(|f| u16::from(f.code)),
            Ok(Some(Ok(_))) => continue,
        }
    }
}

//! The hub's REST API as the agent uses it.

use serde::de::DeserializeOwned;
use serde_json::json;
use shared::api::{ErrorBody, LoginResponse, Paged, Ticket};
use shared::device_flow::DeviceAuthorization;
use shared::protocol::SessionInfo;
use shared::timesheets::IdleSpan;
use shared::two_factor::LoginAnswer;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The hub could not be reached: worth queueing and retrying.
    #[error("hub unreachable: {0}")]
    Unreachable(String),
    /// The hub answered with an error: retrying the same request will not help.
    #[error("{status}: {message}")]
    Refused {
        status: u16,
        code: String,
        message: String,
    },
}

impl ApiError {
    pub fn is_unreachable(&self) -> bool {
        matches!(self, ApiError::Unreachable(_))
    }
    pub fn status(&self) -> Option<u16> {
        match self {
            ApiError::Refused { status, .. } => Some(*status),
            ApiError::Unreachable(_) => None,
        }
    }
}

pub use shared::policy::ConfigView;

#[derive(Clone)]
pub struct HubApi {
    base: String,
    token: Option<String>,
    http: reqwest::Client,
}

impl HubApi {
    pub fn new(base: &str, token: Option<String>) -> HubApi {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(20))
            .connect_timeout(Duration::from_secs(5))
            .build()
            .unwrap_or_else(|_| reqwest::Client::new());
        HubApi {
            base: base.trim_end_matches('/').to_string(),
            token,
            http,
        }
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn authed(&self, req: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match &self.token {
            Some(token) => req.bearer_auth(token),
            None => req,
        }
    }

    async fn send<T: DeserializeOwned>(&self, req: reqwest::RequestBuilder) -> Result<T, ApiError> {
        let res = self
            .authed(req)
            .send()
            .await
            .map_err(|e| ApiError::Unreachable(e.to_string()))?;
        let status = res.status().as_u16();
        if res.status().is_success() {
            return res
                .json()
                .await
                .map_err(|e| ApiError::Unreachable(format!("bad response: {e}")));
        }
        if status >= 500 {
            return Err(ApiError::Unreachable(format!("hub answered {status}")));
        }
        let (code, message) = match res.json::<ErrorBody>().await {
            Ok(body) => (body.error.code, body.error.message),
            Err(_) => ("unknown".into(), format!("HTTP {status}")),
        };
        Err(ApiError::Refused {
            status,
            code,
            message,
        })
    }

    /// `POST /api/auth/login` for a device token: signed in, or (two-factor sign-in) the
    /// second step to finish with [`HubApi::finish_mfa`].
    pub async fn login(&self, email: &str, password: &str) -> Result<LoginAnswer, ApiError> {
        self.send(
            self.http
                .post(self.url("/api/auth/login"))
                .json(&json!({"email": email, "password": password, "device": true})),
        )
        .await
    }

    /// `POST /api/auth/mfa`: the login's second step with a code of the authenticator app.
    pub async fn finish_mfa(&self, mfa_token: &str, code: &str) -> Result<LoginResponse, ApiError> {
        self.send(
            self.http
                .post(self.url("/api/auth/mfa"))
                .json(&json!({"mfa_token": mfa_token, "code": code})),
        )
        .await
    }

    /// `POST /api/auth/device`: the codes of a sign-in without a password (SPEC §17).
    pub async fn start_device_login(
        &self,
        client_name: &str,
    ) -> Result<DeviceAuthorization, ApiError> {
        self.send(
            self.http
                .post(self.url("/api/auth/device"))
                .json(&json!({ "client_name": client_name })),
        )
        .await
    }

    /// `POST /api/auth/device/token`: the login answer once the code is approved; until then
    /// the hub's refusal (`authorization_pending`, `slow_down`, ...) as [`ApiError::Refused`].
    pub async fn poll_device_login(&self, device_code: &str) -> Result<LoginResponse, ApiError> {
        self.send(
            self.http
                .post(self.url("/api/auth/device/token"))
                .json(&json!({ "device_code": device_code })),
        )
        .await
    }

    pub async fn logout(&self) -> Result<(), ApiError> {
        let res = self
            .authed(self.http.post(self.url("/api/auth/logout")))
            .send()
            .await
            .map_err(|e| ApiError::Unreachable(e.to_string()))?;
        if res.status().is_success() || res.status().as_u16() == 401 {
            Ok(())
        } else {
            Err(ApiError::Refused {
                status: res.status().as_u16(),
                code: "logout".into(),
                message: "logout failed".into(),
            })
        }
    }

    pub async fn config(&self) -> Result<ConfigView, ApiError> {
        self.send(self.http.get(self.url("/api/config"))).await
    }

    pub async fn tickets(&self) -> Result<Vec<Ticket>, ApiError> {
        let page: Paged<Ticket> = self
            .send(self.http.get(self.url("/api/tickets?per_page=200")))
            .await?;
        Ok(page.items)
    }

    /// `started_at` only for a start made offline and replayed now.
    pub async fn start_session(
        &self,
        ticket_id: Option<i64>,
        client_id: &str,
        started_at: Option<chrono::DateTime<chrono::Utc>>,
    ) -> Result<SessionInfo, ApiError> {
        let mut body = json!({"ticket_id": ticket_id, "client_id": client_id});
        if let Some(at) = started_at {
            body["started_at"] = json!(at);
        }
        self.send(self.http.post(self.url("/api/sessions/start")).json(&body))
            .await
    }

    /// The user's running session, if any.
    pub async fn active_session(&self) -> Result<Option<SessionInfo>, ApiError> {
        let page: Paged<SessionInfo> = self
            .send(
                self.http
                    .get(self.url("/api/sessions?active=true&per_page=1")),
            )
            .await?;
        Ok(page.items.into_iter().next())
    }

    pub async fn stop_session(
        &self,
        session_id: i64,
        ended_at: chrono::DateTime<chrono::Utc>,
    ) -> Result<SessionInfo, ApiError> {
        self.send(
            self.http
                .post(self.url("/api/sessions/stop"))
                .json(&json!({"session_id": session_id, "ended_at": ended_at})),
        )
        .await
    }

    /// Sets (or with an empty body clears) the user's status: `PUT /api/me/status`.
    pub async fn set_status(
        &self,
        body: &serde_json::Value,
    ) -> Result<serde_json::Value, ApiError> {
        self.send(self.http.put(self.url("/api/me/status")).json(body))
            .await
    }

    /// Reports a return from idle inside a running session (`client_id`: a replay adds
    /// nothing); the answer says what the policy decided.
    pub async fn report_idle(
        &self,
        session_id: i64,
        started_at: chrono::DateTime<chrono::Utc>,
        ended_at: chrono::DateTime<chrono::Utc>,
        client_id: &str,
    ) -> Result<IdleSpan, ApiError> {
        self.send(
            self.http
                .post(self.url(&format!("/api/sessions/{session_id}/idle")))
                .json(&json!({"started_at": started_at, "ended_at": ended_at, "client_id": client_id})),
        )
        .await
    }

    /// The user's answer to the keep-or-discard question.
    pub async fn answer_idle(
        &self,
        session_id: i64,
        span_id: i64,
        keep: bool,
    ) -> Result<IdleSpan, ApiError> {
        self.send(
            self.http
                .post(self.url(&format!("/api/sessions/{session_id}/idle/{span_id}")))
                .json(&json!({"keep": keep})),
        )
        .await
    }

    pub async fn upload_screenshot(
        &self,
        jpeg: Vec<u8>,
        session_id: Option<i64>,
        captured_at: chrono::DateTime<chrono::Utc>,
        client_id: &str,
    ) -> Result<shared::api::Screenshot, ApiError> {
        let mut query = vec![
            ("captured_at", captured_at.to_rfc3339()),
            ("client_id", client_id.to_string()),
        ];
        if let Some(id) = session_id {
            query.push(("session_id", id.to_string()));
        }
        self.send(
            self.http
                .post(self.url("/api/screenshots"))
                .query(&query)
                .header("content-type", "image/jpeg")
                .body(jpeg),
        )
        .await
    }

    /// The WebSocket URL of `/ws/agent` for this hub.
    pub fn socket_url(&self) -> String {
        let base = self
            .base
            .replacen("https://", "wss://", 1)
            .replacen("http://", "ws://", 1);
        format!("{base}/ws/agent")
    }

    pub fn token(&self) -> Option<&str> {
        self.token.as_deref()
    }
}

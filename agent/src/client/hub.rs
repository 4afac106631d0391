//! What the engine needs of the hub's REST API, as a trait: the agent runs it over HTTP
//! ([`HubApi`]); the engine's unit tests run it against an in-memory hub.

use chrono::{DateTime, Utc};
use shared::api::Screenshot;
use shared::protocol::SessionInfo;
use shared::timesheets::IdleSpan;
use std::future::Future;

use super::api::{ApiError, ConfigView, HubApi};

pub trait HubClient: Send + Sync + 'static {
    /// `started_at` only for a start made offline and replayed now.
    fn start_session(
        &self,
        ticket_id: Option<i64>,
        client_id: &str,
        started_at: Option<DateTime<Utc>>,
    ) -> impl Future<Output = Result<SessionInfo, ApiError>> + Send;

    fn stop_session(
        &self,
        session_id: i64,
        ended_at: DateTime<Utc>,
    ) -> impl Future<Output = Result<SessionInfo, ApiError>> + Send;

    /// The user's running session, if any.
    fn active_session(&self) -> impl Future<Output = Result<Option<SessionInfo>, ApiError>> + Send;

    fn config(&self) -> impl Future<Output = Result<ConfigView, ApiError>> + Send;

    fn upload_screenshot(
        &self,
        jpeg: Vec<u8>,
        session_id: Option<i64>,
        captured_at: DateTime<Utc>,
        client_id: &str,
    ) -> impl Future<Output = Result<Screenshot, ApiError>> + Send;

    fn report_idle(
        &self,
        session_id: i64,
        started_at: DateTime<Utc>,
        ended_at: DateTime<Utc>,
        client_id: &str,
    ) -> impl Future<Output = Result<IdleSpan, ApiError>> + Send;

    fn answer_idle(
        &self,
        session_id: i64,
        span_id: i64,
        keep: bool,
    ) -> impl Future<Output = Result<IdleSpan, ApiError>> + Send;
}

impl HubClient for HubApi {
    fn start_session(
        &self,
        ticket_id: Option<i64>,
        client_id: &str,
        started_at: Option<DateTime<Utc>>,
    ) -> impl Future<Output = Result<SessionInfo, ApiError>> + Send {
        HubApi::start_session(self, ticket_id, client_id, started_at)
    }

    fn stop_session(
        &self,
        session_id: i64,
        ended_at: DateTime<Utc>,
    ) -> impl Future<Output = Result<SessionInfo, ApiError>> + Send {
        HubApi::stop_session(self, session_id, ended_at)
    }

    fn active_session(&self) -> impl Future<Output = Result<Option<SessionInfo>, ApiError>> + Send {
        HubApi::active_session(self)
    }

    fn config(&self) -> impl Future<Output = Result<ConfigView, ApiError>> + Send {
        HubApi::config(self)
    }

    fn upload_screenshot(
        &self,
        jpeg: Vec<u8>,
        session_id: Option<i64>,
        captured_at: DateTime<Utc>,
        client_id: &str,
    ) -> impl Future<Output = Result<Screenshot, ApiError>> + Send {
        HubApi::upload_screenshot(self, jpeg, session_id, captured_at, client_id)
    }

    fn report_idle(
        &self,
        session_id: i64,
        started_at: DateTime<Utc>,
        ended_at: DateTime<Utc>,
        client_id: &str,
    ) -> impl Future<Output = Result<IdleSpan, ApiError>> + Send {
        HubApi::report_idle(self, session_id, started_at, ended_at, client_id)
    }

    fn answer_idle(
        &self,
        session_id: i64,
        span_id: i64,
        keep: bool,
    ) -> impl Future<Output = Result<IdleSpan, ApiError>> + Send {
        HubApi::answer_idle(self, session_id, span_id, keep)
    }
}

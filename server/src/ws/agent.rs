//! `/ws/agent`: a desktop agent. Bearer token; first message `hello`; then heartbeats in,
//! session and config events out.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use std::sync::Arc;

use super::connection::MessageHandler;
use super::upgrade::SocketUpgrade;
use super::{accept, explain};
use crate::api::extract::{bearer_token, ClientIp};
use crate::error::ApiError;
use crate::hub::devices::DeviceReport;
use crate::hub::{Heartbeat, Hub, OrgHub, PeerKind};
use crate::state::AppState;
use shared::protocol::{AgentToServer, ServerToAgent, SocketError};

pub async fn agent_socket(
    State(state): State<AppState>,
    headers: HeaderMap,
    ClientIp(ip): ClientIp,
    upgrade: SocketUpgrade,
) -> Result<Response, ApiError> {
    state.refuse_when_stopping()?;
    let token = bearer_token(&headers).ok_or(ApiError::Unauthorized)?;
    let owner = state
        .authenticate_from(&token, ip)
        .await?
        .ok_or(ApiError::Unauthorized)?;
    // Like every API call: until the person turns on the two-factor sign-in their
    // organization requires, their tokens open no socket (SPEC §17).
    if owner.must_enrol_two_factor() {
        return Err(crate::ops::OpError::TwoFactorRequired.into());
    }
    let org = state.org_for(&owner.user).await?;
    let user = owner.user.info();
    let user_id = user.id;
    let handler = AgentMessages {
        hub: state.hub.clone(),
        org: org.clone(),
        user_id,
        token_id: owner.token_id,
    };
    let hello = move |org: &OrgHub| {
        let policy = org.policy();
        Hub::frame(&ServerToAgent::Hello {
            active_session: org
                .member(user_id)
                .and_then(|m| m.active_session.map(|s| *s)),
            user,
            config_version: policy.version,
            config: policy.config,
            server_time: chrono::Utc::now(),
        })
    };
    Ok(accept(
        state,
        upgrade,
        org,
        &owner,
        PeerKind::Agent,
        hello,
        handler,
    ))
}

/// What the hub does with each text message of one socket (public for the fuzz targets).
pub struct AgentMessages {
    hub: Arc<Hub>,
    org: Arc<OrgHub>,
    user_id: i64,
    /// The device token the agent signed in with: the fleet's device.
    token_id: i64,
}

impl AgentMessages {
    pub fn new(hub: Arc<Hub>, org: Arc<OrgHub>, user_id: i64, token_id: i64) -> Self {
        AgentMessages {
            hub,
            org,
            user_id,
            token_id,
        }
    }
}

impl MessageHandler for AgentMessages {
    fn on_text(&mut self, text: &str) -> Result<(), SocketError> {
        match serde_json::from_str::<AgentToServer>(text) {
            Ok(AgentToServer::Heartbeat {
                idle_seconds,
                active_app,
                key_presses,
                mouse_events,
                agent_version,
                os,
                capture,
            }) => {
                let beat = Heartbeat {
                    idle_seconds,
                    active_app,
                    key_presses,
                    mouse_events,
                };
                self.hub.heartbeat(&self.org, self.user_id, beat);
                let report = DeviceReport {
                    agent_version,
                    os,
                    capture,
                    config_version: None,
                };
                self.hub
                    .device_report(&self.org, self.token_id, self.user_id, report);
                Ok(())
            }
            Ok(AgentToServer::ConfigApplied { config_version }) => {
                let report = DeviceReport {
                    config_version: Some(config_version),
                    ..DeviceReport::default()
                };
                self.hub
                    .device_report(&self.org, self.token_id, self.user_id, report);
                Ok(())
            }
            Err(e) => Err(explain(text, &["heartbeat", "config_applied"], e)),
        }
    }
}

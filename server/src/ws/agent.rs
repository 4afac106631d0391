//! `/ws/agent`: a desktop agent. Bearer token; first message `hello`; then heartbeats in,
//! session and config events out.

use axum::extract::ws::{WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use std::sync::Arc;

use super::connection::{drive, MessageHandler};
use super::{configure, explain};
use crate::api::extract::bearer_token;
use crate::app::AppState;
use crate::error::ApiError;
use crate::hub::{Heartbeat, Hub, OrgHub, PeerKind};
use crate::store::TokenOwner;
use shared::protocol::{AgentToServer, ServerToAgent, SocketError};

pub async fn agent_socket(
    State(state): State<AppState>,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> Result<Response, ApiError> {
    state.refuse_when_stopping()?;
    let token = bearer_token(&headers).ok_or(ApiError::Unauthorized)?;
    let owner = state
        .authenticate(&token)
        .await?
        .ok_or(ApiError::Unauthorized)?;
    let org = state.hub.org_for(&state.store, &owner.user).await?;
    let tasks = state.tasks.clone();
    Ok(
        configure(ws)
            .on_upgrade(move |socket| tasks.track_future(serve(state, org, owner, socket))),
    )
}

struct AgentMessages {
    hub: Arc<Hub>,
    org: Arc<OrgHub>,
    user_id: i64,
}

impl MessageHandler for AgentMessages {
    fn on_text(&mut self, text: &str) -> Result<(), SocketError> {
        match serde_json::from_str::<AgentToServer>(text) {
            Ok(AgentToServer::Heartbeat {
                idle_seconds,
                active_app,
                key_presses,
                mouse_events,
            }) => {
                let beat = Heartbeat {
                    idle_seconds,
                    active_app,
                    key_presses,
                    mouse_events,
                };
                self.hub.heartbeat(&self.org, self.user_id, beat);
                Ok(())
            }
            Err(e) => Err(explain(text, &["heartbeat"], e)),
        }
    }
}

async fn serve(state: AppState, org: Arc<OrgHub>, owner: TokenOwner, socket: WebSocket) {
    let user = owner.user.info();
    let user_id = user.id;
    let mut reg = state.hub.attach(
        &org,
        PeerKind::Agent,
        user_id,
        owner.user.role,
        owner.token_id,
        |org| {
            let policy = org.policy();
            Hub::frame(&ServerToAgent::Hello {
                active_session: org.member(user_id).and_then(|m| m.active_session),
                user,
                config_version: policy.version,
                config: policy.config,
                server_time: chrono::Utc::now(),
            })
        },
    );
    let mut handler = AgentMessages {
        hub: state.hub.clone(),
        org: org.clone(),
        user_id,
    };
    let metrics = &state.hub.metrics;
    let ended = drive(
        socket,
        &mut reg,
        &mut handler,
        state.socket_limits(),
        &state.shutdown,
        metrics,
        &metrics.agent_messages_in,
    )
    .await;
    state.hub.detach(&reg);
    tracing::debug!(user_id, ?ended, "agent socket closed");
}

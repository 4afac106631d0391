//! `/ws/tab`: a dashboard tab. Session cookie (with a same-origin check against cross-site
//! WebSocket hijacking) or a Bearer token; first message `presence_snapshot`.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use std::sync::Arc;

use super::connection::MessageHandler;
use super::upgrade::SocketUpgrade;
use super::{accept, explain};
use crate::api::extract::{bearer_token, cookie_token, ClientIp};
use crate::error::ApiError;
use crate::hub::{Hub, OrgHub, PeerKind};
use crate::state::AppState;
use crate::store::now_ms;
use shared::protocol::{ServerToTab, SocketError, TabToServer};

pub async fn tab_socket(
    State(state): State<AppState>,
    headers: HeaderMap,
    ClientIp(ip): ClientIp,
    upgrade: SocketUpgrade,
) -> Result<Response, ApiError> {
    state.refuse_when_stopping()?;
    let token = match bearer_token(&headers) {
        Some(token) => token,
        None => {
            let token = cookie_token(&headers).ok_or(ApiError::Unauthorized)?;
            if !crate::origin::is_same_origin(&headers) {
                return Err(ApiError::Forbidden(
                    "This page's origin may not open the dashboard socket.",
                ));
            }
            token
        }
    };
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
    let user_id = owner.user.id;
    let sees_org = owner.user.role.reads_whole_org();
    let handler = TabMessages {
        hub: state.hub.clone(),
        org: org.clone(),
        user_id,
    };
    let snapshot = move |org: &OrgHub| {
        Hub::frame(&ServerToTab::PresenceSnapshot {
            users: org.snapshot_for(user_id, sees_org),
        })
    };
    Ok(accept(
        state,
        upgrade,
        org,
        &owner,
        PeerKind::Tab,
        snapshot,
        handler,
    ))
}

/// What the hub does with each text message of one socket (public for the fuzz targets).
pub struct TabMessages {
    hub: Arc<Hub>,
    org: Arc<OrgHub>,
    user_id: i64,
}

impl TabMessages {
    pub fn new(hub: Arc<Hub>, org: Arc<OrgHub>, user_id: i64) -> Self {
        TabMessages { hub, org, user_id }
    }
}

impl MessageHandler for TabMessages {
    fn on_text(&mut self, text: &str) -> Result<(), SocketError> {
        match serde_json::from_str::<TabToServer>(text) {
            Ok(TabToServer::Activity {}) => {
                self.hub.activity(&self.org, self.user_id, now_ms());
                Ok(())
            }
            Err(e) => Err(explain(text, &["activity"], e)),
        }
    }
}

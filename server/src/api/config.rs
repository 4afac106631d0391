//! `GET /api/config`: the organization's tracking policy, for any member.

use axum::extract::State;
use axum::Json;
use serde::Serialize;

use super::extract::Caller;
use crate::app::AppState;
use crate::error::ApiResult;
use crate::store::ms_to_time;
use shared::Policy;

#[derive(Serialize, utoipa::ToSchema)]
pub struct ConfigView {
    pub config_version: i64,
    pub config: Policy,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

#[utoipa::path(
    get,
    path = "/api/config",
    tag = "policy",
    summary = "The organization's tracking policy and its version (any member)",
    responses((status = 200, description = "The policy", body = ConfigView))
)]
pub async fn show(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<ConfigView>> {
    let org = state.org_for(&caller.user).await?;
    let policy = org.policy();
    Ok(Json(ConfigView {
        config_version: policy.version,
        config: policy.config,
        updated_at: ms_to_time(policy.updated_at),
    }))
}

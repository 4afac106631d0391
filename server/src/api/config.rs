//! `GET /api/config`: the organization's tracking policy, for any member.

use axum::extract::State;
use axum::Json;

use super::extract::Caller;
use crate::error::ApiResult;
use crate::state::AppState;
use crate::store::ms_to_time;

pub use shared::policy::ConfigView;

#[utoipa::path(
    operation_id = "config_show",
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

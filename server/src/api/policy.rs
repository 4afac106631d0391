//! `PUT /api/policy`: the owner changes the company tracking policy; every agent and tab of the
//! organization gets `config_updated` right after the commit.

use axum::extract::State;
use axum::Json;
use serde_json::Value;

use super::config::ConfigView;
use super::extract::{ApiJson, Caller};
use super::openapi::PolicyPatch;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::store::ms_to_time;

#[utoipa::path(
    operation_id = "policy_update",
    put,
    path = "/api/policy",
    tag = "policy",
    summary = "Change any subset of the policy (owner only); pushed to every agent at once",
    request_body = PolicyPatch,
    responses((status = 200, description = "Saved (the version goes up by one if anything changed)", body = ConfigView))
)]
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<Json<ConfigView>> {
    let Value::Object(patch) = body else {
        return Err(ApiError::BadRequest(
            "Send a JSON object with the policy fields to change.".into(),
        ));
    };
    let row = crate::ops::policy::update(&state.ops(), &caller.actor(), &patch).await?;
    Ok(Json(ConfigView {
        config_version: row.config_version,
        config: row.config,
        updated_at: ms_to_time(row.updated_at),
    }))
}

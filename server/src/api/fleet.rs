//! `GET /api/agents`: the agent fleet (admins and owners).

use axum::extract::State;
use axum::Json;

use super::extract::Caller;
use crate::error::ApiResult;
use crate::state::AppState;
use shared::fleet::AgentList;
use shared::Role;

#[utoipa::path(
    operation_id = "agents_list",
    get,
    path = "/api/agents",
    tag = "fleet",
    summary = "Every agent device: user, version, OS, connected or last seen, the policy version it applied, its last screenshot result (admin and up)",
    responses((status = 200, description = "The fleet", body = AgentList))
)]
pub async fn list(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<AgentList>> {
    caller.require(Role::Admin, "Only admins and owners see the agent fleet.")?;
    Ok(Json(
        crate::queries::fleet::agents(&state.store, caller.org_id()).await?,
    ))
}

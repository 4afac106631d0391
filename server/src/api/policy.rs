//! `PUT /api/policy`: the owner changes the company tracking policy; every agent and tab of the
//! organization gets `config_updated` right after the commit.

use axum::extract::State;
use axum::Json;
use serde_json::{Map, Value};

use super::config::ConfigView;
use super::extract::{ApiJson, Caller, ClientIp};
use super::openapi::PolicyPatch;
use crate::app::AppState;
use crate::error::{ApiError, ApiResult};
use crate::hub::PolicyState;
use crate::store::{ms_to_time, NewAudit, PolicySave};
use shared::policy::FieldErrors;
use shared::Role;

#[utoipa::path(
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
    ClientIp(ip): ClientIp,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<Json<ConfigView>> {
    caller.require(
        Role::Owner,
        "Only the owner can change the tracking policy.",
    )?;
    let Value::Object(patch) = body else {
        return Err(ApiError::BadRequest(
            "Send a JSON object with the policy fields to change.".into(),
        ));
    };
    let org_id = caller.org_id();
    let audit = |old: &shared::Policy, new: &shared::Policy, changed: &[String], version: i64| {
        let (old, new) = (old.to_map(), new.to_map());
        let pick = |m: &Map<String, Value>| {
            changed
                .iter()
                .map(|f| (f.clone(), m.get(f).cloned().unwrap_or(Value::Null)))
                .collect::<Map<_, _>>()
        };
        NewAudit {
            org_id,
            actor_id: Some(caller.user.id),
            action: "POLICY_CHANGED",
            target_type: Some("policy"),
            target_id: Some(org_id),
            ip: Some(ip.to_string()),
            details: serde_json::json!({"old": pick(&old), "new": pick(&new), "config_version": version, "changed": changed}),
        }
    };
    let saved = state
        .store
        .save_policy(
            org_id,
            caller.user.id,
            |current| current.apply_patch(&patch),
            audit,
        )
        .await?;
    let row = match saved {
        Err(fields) => return Err(invalid_policy(fields)),
        Ok(PolicySave::Unchanged(row)) => row,
        Ok(PolicySave::Saved { row, changed, .. }) => {
            let org = state.hub.org_for(&state.store, &caller.user).await?;
            let policy = PolicyState {
                version: row.config_version,
                config: row.config.clone(),
                updated_at: row.updated_at,
            };
            state.hub.policy_changed(&org, policy, changed);
            tracing::info!(org_id, version = row.config_version, "policy changed");
            row
        }
    };
    Ok(Json(ConfigView {
        config_version: row.config_version,
        config: row.config,
        updated_at: ms_to_time(row.updated_at),
    }))
}

fn invalid_policy(fields: FieldErrors) -> ApiError {
    let names: Vec<&str> = fields.keys().map(String::as_str).collect();
    ApiError::Invalid {
        message: format!("Nothing was saved: invalid {}.", names.join(", ")),
        fields,
    }
}

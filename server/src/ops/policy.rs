//! The tracking policy: the owner saves any subset of its fields; a new version is announced
//! as `ConfigUpdated` to every agent and tab of the organization.

use serde_json::{Map, Value};

use super::{Actor, Ctx};
use crate::ops::error::{OpError, OpResult};
use crate::store::{NewAudit, PolicyRow, PolicySave};
use hub_core::events::Event;
use shared::policy::FieldErrors;
use shared::protocol::ConfigUpdated;
use shared::Role;

/// Applies `patch` (field → new value) to the organization's policy (the owner only). Nothing
/// is saved when a field is invalid; an unchanged policy keeps its version.
pub async fn update(
    ctx: &Ctx<'_>,
    actor: &Actor,
    patch: &Map<String, Value>,
) -> OpResult<PolicyRow> {
    if !actor.user.role.at_least(Role::Owner) {
        return Err(OpError::Forbidden(
            "Only the owner can change the tracking policy.",
        ));
    }
    let org_id = actor.user.org_id;
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
            actor_id: Some(actor.user.id),
            action: "POLICY_CHANGED",
            target_type: Some("policy"),
            target_id: Some(org_id),
            ip: actor.ip.clone(),
            details: serde_json::json!({"old": pick(&old), "new": pick(&new), "config_version": version, "changed": changed}),
        }
    };
    let announce = |row: &PolicyRow, changed: &[String]| Event::ConfigUpdated {
        update: ConfigUpdated {
            config_version: row.config_version,
            config: row.config.clone(),
            changed: changed.to_vec(),
        },
        updated_at: row.updated_at,
    };
    let saved = ctx
        .store
        .save_policy(
            org_id,
            actor.user.id,
            |current| current.apply_patch(patch),
            audit,
            announce,
        )
        .await?;
    match saved {
        Err(fields) => Err(invalid_policy(fields)),
        Ok(PolicySave::Unchanged(row)) => Ok(row),
        Ok(PolicySave::Saved { row, published, .. }) => {
            ctx.publish(*published);
            tracing::info!(org_id, version = row.config_version, "policy changed");
            Ok(row)
        }
    }
}

fn invalid_policy(fields: FieldErrors) -> OpError {
    let names: Vec<&str> = fields.keys().map(String::as_str).collect();
    OpError::Invalid {
        message: format!("Nothing was saved: invalid {}.", names.join(", ")),
        fields,
    }
}

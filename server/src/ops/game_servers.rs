//! Game servers: the servers with who is on them, an admin's create, change (disabling a
//! server closes its open sessions) and deletion; each announces `GameServerUpdated`.

use std::collections::BTreeMap;

use super::{Actor, Ctx};
use crate::domain::coverage::{rule_problems, CoverageRule, DEFAULT_ALERT_AFTER_MINUTES};
use crate::domain::game_servers::{check_address, check_name};
use crate::ops::error::{OpError, OpResult};
use crate::store::{GameServerPatch, GameServerRow, ServerSessionRow, Store, StoreResult};
use shared::game_servers::{CreateGameServerRequest, GameServer, UpdateGameServerRequest};

/// `rows` as the API shows them, each with the staff on it now.
pub async fn views(
    store: &Store,
    org_id: i64,
    rows: &[GameServerRow],
) -> StoreResult<Vec<GameServer>> {
    let open = store.open_server_sessions_of_org(org_id).await?;
    Ok(rows
        .iter()
        .map(|row| {
            let online = open
                .iter()
                .filter(|s| s.server_id == row.id)
                .map(ServerSessionRow::online)
                .collect();
            row.api(online)
        })
        .collect())
}

pub async fn view(store: &Store, row: &GameServerRow) -> StoreResult<GameServer> {
    let mut one = views(store, row.org_id, std::slice::from_ref(row)).await?;
    Ok(one.pop().unwrap_or_else(|| row.api(Vec::new())))
}

/// Checks a field with `check`, collecting what is wrong under its name.
fn checked(
    fields: &mut BTreeMap<String, String>,
    name: &str,
    value: Option<&str>,
    check: fn(&str) -> Result<String, String>,
) -> Option<String> {
    match check(value?) {
        Ok(v) => Some(v),
        Err(what) => {
            fields.insert(name.to_string(), what);
            None
        }
    }
}

/// The coverage rule's fields out of bounds, by name.
fn check_rule(fields: &mut BTreeMap<String, String>, min_staff: Option<i64>, after: Option<i64>) {
    for (name, what) in rule_problems(min_staff, after) {
        fields.insert(name.to_string(), what);
    }
}

pub async fn create(
    ctx: &Ctx<'_>,
    org_id: i64,
    req: &CreateGameServerRequest,
) -> OpResult<GameServer> {
    let mut fields = BTreeMap::new();
    let name = checked(&mut fields, "name", Some(req.name.as_str()), check_name);
    let address = checked(
        &mut fields,
        "address",
        Some(req.address.as_str()),
        check_address,
    );
    check_rule(&mut fields, req.min_staff, req.alert_after_minutes);
    OpError::unless_valid(fields)?;
    let (Some(name), Some(address)) = (name, address) else {
        return Err(OpError::BadRequest("name and address are required".into()));
    };
    let rule = CoverageRule {
        min_staff: req.min_staff.unwrap_or(0),
        alert_after_minutes: req
            .alert_after_minutes
            .unwrap_or(DEFAULT_ALERT_AFTER_MINUTES),
    };
    let (update, published) = ctx
        .store
        .create_game_server(org_id, &name, &address, req.enabled.unwrap_or(true), rule)
        .await?;
    ctx.publish(published);
    Ok(update.server)
}

pub async fn update(
    ctx: &Ctx<'_>,
    org_id: i64,
    id: i64,
    req: &UpdateGameServerRequest,
) -> OpResult<GameServer> {
    let mut fields = BTreeMap::new();
    let patch = GameServerPatch {
        name: checked(&mut fields, "name", req.name.as_deref(), check_name),
        address: checked(
            &mut fields,
            "address",
            req.address.as_deref(),
            check_address,
        ),
        enabled: req.enabled,
        min_staff: req.min_staff,
        alert_after_minutes: req.alert_after_minutes,
    };
    check_rule(&mut fields, req.min_staff, req.alert_after_minutes);
    OpError::unless_valid(fields)?;
    let (update, published) = ctx
        .store
        .update_game_server(org_id, id, &patch)
        .await?
        .ok_or(OpError::NotFound("Game server"))?;
    ctx.publish(published);
    Ok(update.server)
}

/// Deletes a game server (admin and up, checked by the caller): its open sessions close as
/// when it is disabled, then it disappears from lists and polls; its sessions stay.
pub async fn delete(ctx: &Ctx<'_>, actor: &Actor, id: i64) -> OpResult<()> {
    let org_id = actor.user.org_id;
    let current = ctx
        .store
        .get_game_server(org_id, id)
        .await?
        .ok_or(OpError::NotFound("Game server"))?;
    let audit = crate::store::NewAudit {
        org_id,
        actor_id: Some(actor.user.id),
        action: "GAME_SERVER_DELETED",
        target_type: Some("game_server"),
        target_id: Some(id),
        ip: actor.ip.clone(),
        details: serde_json::json!({ "name": current.name, "address": current.address }),
    };
    let (_, published) = ctx
        .store
        .delete_game_server(org_id, id, &audit)
        .await?
        .ok_or(OpError::NotFound("Game server"))?;
    ctx.publish(published);
    Ok(())
}

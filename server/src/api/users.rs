//! User management: `GET/POST /api/users`, `GET/PATCH /api/users/{id}`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use std::collections::BTreeMap;

use super::extract::{ApiJson, ApiQuery, Caller, IdPath, Paging};
use crate::accounts::normalize_email;
use crate::app::AppState;
use crate::domain::auth::{hash_password, password_problem};
use crate::error::{ApiError, ApiResult};
use crate::store::{NewUser, UserPatch};
use shared::api::{CreateUserRequest, Paged, UpdateUserRequest, UserRecord};
use shared::Role;

pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(paging): ApiQuery<Paging>,
) -> ApiResult<Json<Paged<UserRecord>>> {
    caller.require(
        Role::Supervisor,
        "Only supervisors and above can list users.",
    )?;
    let (page, per_page) = paging.resolve()?;
    let (rows, total) = state
        .store
        .list_users(caller.org_id(), page, per_page)
        .await?;
    Ok(Json(Paged {
        items: rows.iter().map(|u| u.record()).collect(),
        page,
        per_page,
        total,
    }))
}

pub async fn show(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
) -> ApiResult<Json<UserRecord>> {
    if id != caller.user.id {
        caller.require(Role::Supervisor, "Members can only see themselves.")?;
    }
    let user = state
        .store
        .get_user(caller.org_id(), id)
        .await?
        .ok_or(ApiError::NotFound("User"))?;
    Ok(Json(user.record()))
}

/// An admin may grant any role but owner; only an owner makes owners.
fn may_grant(actor: Role, role: Role) -> bool {
    actor == Role::Owner || (actor.at_least(Role::Admin) && role != Role::Owner)
}

fn check_text(fields: &mut BTreeMap<String, String>, name: &str, value: &str, max: usize) {
    let len = value.trim().chars().count();
    if len == 0 || len > max {
        fields.insert(name.to_string(), format!("must be 1 to {max} characters"));
    }
}

fn invalid(fields: BTreeMap<String, String>) -> ApiResult<()> {
    if fields.is_empty() {
        return Ok(());
    }
    let names: Vec<&str> = fields.keys().map(String::as_str).collect();
    Err(ApiError::Invalid {
        message: format!("Invalid value for {}.", names.join(", ")),
        fields,
    })
}

pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<CreateUserRequest>,
) -> ApiResult<(StatusCode, Json<UserRecord>)> {
    caller.require(Role::Admin, "Only admins and owners can add users.")?;
    if !may_grant(caller.user.role, body.role) {
        return Err(ApiError::Forbidden("Only an owner can make another owner."));
    }
    let email = normalize_email(&body.email);
    let mut fields = BTreeMap::new();
    check_text(&mut fields, "name", &body.name, 200);
    if email.len() > 254 || !email.contains('@') || email.starts_with('@') || email.ends_with('@') {
        fields.insert("email".into(), "must be an e-mail address".into());
    }
    if let Some(problem) = password_problem(&body.password) {
        fields.insert("password".into(), problem.into());
    }
    if let Some(game_name) = &body.game_name {
        check_text(&mut fields, "game_name", game_name, 64);
    }
    invalid(fields)?;
    let password = body.password.clone();
    let hash = tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(|e| ApiError::BadRequest(format!("password hashing failed: {e}")))?
        .map_err(|e| ApiError::BadRequest(e.to_string()))?;
    let user = state
        .store
        .create_user(NewUser {
            org_id: caller.org_id(),
            email: &email,
            name: body.name.trim(),
            role: body.role,
            password_hash: &hash,
            game_name: body.game_name.as_deref().map(str::trim),
        })
        .await?;
    state.hub.user_changed(&user);
    Ok((StatusCode::CREATED, Json(user.record())))
}

pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
    ApiJson(body): ApiJson<UpdateUserRequest>,
) -> ApiResult<Json<UserRecord>> {
    caller.require(Role::Admin, "Only admins and owners can change users.")?;
    let target = state
        .store
        .get_user(caller.org_id(), id)
        .await?
        .ok_or(ApiError::NotFound("User"))?;
    if target.role == Role::Owner && caller.user.role != Role::Owner {
        return Err(ApiError::Forbidden("Only an owner can change an owner."));
    }
    if let Some(role) = body.role {
        if !may_grant(caller.user.role, role) {
            return Err(ApiError::Forbidden("Only an owner can make another owner."));
        }
    }
    if id == caller.user.id
        && (body.active == Some(false) || body.role.is_some_and(|r| r != caller.user.role))
    {
        return Err(ApiError::Conflict(
            "You cannot deactivate yourself or change your own role.".into(),
        ));
    }
    let mut fields = BTreeMap::new();
    if let Some(name) = &body.name {
        check_text(&mut fields, "name", name, 200);
    }
    if let Some(Some(game_name)) = &body.game_name {
        check_text(&mut fields, "game_name", game_name, 64);
    }
    invalid(fields)?;
    let patch = UserPatch {
        name: body.name.map(|n| n.trim().to_string()),
        role: body.role,
        game_name: body
            .game_name
            .map(|g| g.map(|g| g.trim().to_string()).filter(|g| !g.is_empty())),
        active: body.active,
    };
    let user = state
        .store
        .update_user(caller.org_id(), id, &patch)
        .await?
        .ok_or(ApiError::NotFound("User"))?;
    if !user.active {
        state.store.revoke_user_tokens(user.id).await?;
    }
    state.hub.user_changed(&user);
    Ok(Json(user.record()))
}

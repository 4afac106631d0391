//! User management: `GET/POST /api/users`, `GET/PATCH /api/users/{id}`,
//! `POST /api/users/{id}/reset-link`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;

use super::extract::{ApiJson, ApiQuery, Caller, IdPath, Paging};
use crate::error::{ApiError, ApiResult};
use crate::ops;
use crate::state::AppState;
use crate::store::ms_to_time;
use shared::api::{CreateUserRequest, Paged, UpdateUserRequest, UserRecord};
use shared::people::{CreatedUser, LinkResponse};
use shared::Role;

#[utoipa::path(
    operation_id = "users_list",
    get,
    path = "/api/users",
    tag = "users",
    summary = "Users of the organization (supervisor and up)",
    params(Paging),
    responses((status = 200, description = "A page of users", body = Paged<UserRecord>))
)]
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

#[utoipa::path(
    operation_id = "users_show",
    get,
    path = "/api/users/{id}",
    tag = "users",
    summary = "One user (oneself, or supervisor and up)",
    params(("id" = i64, Path, description = "The resource's id (another organization's id answers 404)")),
    responses((status = 200, description = "The user", body = UserRecord))
)]
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

#[utoipa::path(
    operation_id = "users_create",
    post,
    path = "/api/users",
    tag = "users",
    summary = "Add a user (admin and up); without a password the answer has an invite link",
    request_body = CreateUserRequest,
    responses((status = 201, description = "Created", body = CreatedUser))
)]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<CreateUserRequest>,
) -> ApiResult<(StatusCode, Json<CreatedUser>)> {
    caller.require(Role::Admin, "Only admins and owners can add users.")?;
    if !caller.user.role.may_grant(body.role) {
        return Err(ApiError::Forbidden("Only an owner can make another owner."));
    }
    let actor = caller.actor();
    let (user, invite_link) =
        ops::people::create_user(&state.ops(), caller.org_id(), &body, &actor.audit("api")).await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedUser {
            user: user.record(),
            invite_link,
        }),
    ))
}

#[utoipa::path(
    operation_id = "users_update",
    patch,
    path = "/api/users/{id}",
    tag = "users",
    summary = "Change a user (admin and up; owners only by owners; the last active owner stays)",
    request_body = UpdateUserRequest,
    params(("id" = i64, Path, description = "The resource's id (another organization's id answers 404)")),
    responses((status = 200, description = "Saved", body = UserRecord))
)]
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
    ApiJson(body): ApiJson<UpdateUserRequest>,
) -> ApiResult<Json<UserRecord>> {
    let user = ops::people::update_user(&state.ops(), &caller.actor(), id, &body).await?;
    Ok(Json(user.record()))
}

#[utoipa::path(
    operation_id = "users_reset_link",
    post,
    path = "/api/users/{id}/reset-link",
    tag = "users",
    summary = "A one-time link (7 days) where the user sets a new password",
    params(("id" = i64, Path, description = "The resource's id (another organization's id answers 404)")),
    responses((status = 200, description = "The link", body = LinkResponse))
)]
pub async fn reset_link(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
) -> ApiResult<Json<LinkResponse>> {
    caller.require(Role::Admin, "Only admins and owners can issue reset links.")?;
    let user = state
        .store
        .get_user(caller.org_id(), id)
        .await?
        .ok_or(ApiError::NotFound("User"))?;
    let (link, expires_at) =
        ops::people::reset_link(&state.ops(), Some(&caller.actor()), &user, "api").await?;
    Ok(Json(LinkResponse {
        link,
        expires_at: ms_to_time(expires_at),
    }))
}

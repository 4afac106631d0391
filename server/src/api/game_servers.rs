//! Game servers: `GET/POST /api/game-servers` and `GET/PATCH /api/game-servers/{id}`
//! (`{enabled}` turns polling on and off). Reading is for supervisors and up, changing for
//! admins and owners.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;

use super::extract::{ApiJson, ApiQuery, Caller, IdPath, Paging};
use crate::error::{ApiError, ApiResult};
use crate::ops::game_servers;
use crate::state::AppState;
use shared::api::Paged;
use shared::game_servers::{CreateGameServerRequest, GameServer, UpdateGameServerRequest};
use shared::Role;

const READ: &str = "Only supervisors and above can see the game servers.";
const WRITE: &str = "Only admins and owners can change game servers.";

#[utoipa::path(
    operation_id = "game_servers_list",
    get,
    path = "/api/game-servers",
    tag = "game servers",
    summary = "Game servers with who is on them (supervisor and up)",
    params(Paging),
    responses((status = 200, description = "A page of servers", body = Paged<GameServer>))
)]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(paging): ApiQuery<Paging>,
) -> ApiResult<Json<Paged<GameServer>>> {
    caller.require(Role::Supervisor, READ)?;
    let (page, per_page) = paging.resolve()?;
    let (rows, total) = state
        .store
        .list_game_servers(caller.org_id(), page, per_page)
        .await?;
    Ok(Json(Paged {
        items: game_servers::views(&state.store, caller.org_id(), &rows).await?,
        page,
        per_page,
        total,
    }))
}

#[utoipa::path(
    operation_id = "game_servers_show",
    get,
    path = "/api/game-servers/{id}",
    tag = "game servers",
    summary = "One game server",
    params(("id" = i64, Path, description = "The resource's id (another organization's id answers 404)")),
    responses((status = 200, description = "The server", body = GameServer))
)]
pub async fn show(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
) -> ApiResult<Json<GameServer>> {
    caller.require(Role::Supervisor, READ)?;
    let row = state
        .store
        .get_game_server(caller.org_id(), id)
        .await?
        .ok_or(ApiError::NotFound("Game server"))?;
    Ok(Json(game_servers::view(&state.store, &row).await?))
}

#[utoipa::path(
    operation_id = "game_servers_create",
    post,
    path = "/api/game-servers",
    tag = "game servers",
    summary = "Add a game server to poll (admin and up)",
    request_body = CreateGameServerRequest,
    responses((status = 201, description = "Added", body = GameServer))
)]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<CreateGameServerRequest>,
) -> ApiResult<(StatusCode, Json<GameServer>)> {
    caller.require(Role::Admin, WRITE)?;
    let server = game_servers::create(&state.ops(), caller.org_id(), &body).await?;
    Ok((StatusCode::CREATED, Json(server)))
}

#[utoipa::path(
    operation_id = "game_servers_update",
    patch,
    path = "/api/game-servers/{id}",
    tag = "game servers",
    summary = "Rename, move, enable or disable a game server (admin and up)",
    request_body = UpdateGameServerRequest,
    params(("id" = i64, Path, description = "The resource's id (another organization's id answers 404)")),
    responses((status = 200, description = "Saved", body = GameServer))
)]
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
    ApiJson(body): ApiJson<UpdateGameServerRequest>,
) -> ApiResult<Json<GameServer>> {
    caller.require(Role::Admin, WRITE)?;
    Ok(Json(
        game_servers::update(&state.ops(), caller.org_id(), id, &body).await?,
    ))
}

#[utoipa::path(
    operation_id = "game_servers_delete",
    delete,
    path = "/api/game-servers/{id}",
    tag = "game servers",
    summary = "Delete a game server; its staff sessions are kept (admin and up)",
    params(("id" = i64, Path, description = "The resource's id (another organization's id answers 404)")),
    responses((status = 204, description = "Deleted"))
)]
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
) -> ApiResult<StatusCode> {
    caller.require(Role::Admin, WRITE)?;
    game_servers::delete(&state.ops(), &caller.actor(), id).await?;
    Ok(StatusCode::NO_CONTENT)
}

//! Tickets: `GET/POST /api/tickets`, `GET /api/tickets/{id}` with the time spent on them.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;

use super::extract::{ApiJson, ApiQuery, Caller, IdPath, Paging};
use crate::error::{ApiError, ApiResult};
use crate::ops;
use crate::state::AppState;
use shared::api::{CreateTicketRequest, Paged, Ticket};
use shared::people::UpdateTicketRequest;

#[utoipa::path(
    operation_id = "tickets_list",
    get,
    path = "/api/tickets",
    tag = "tickets",
    summary = "Tickets, newest first, with the time spent on them",
    params(Paging),
    responses((status = 200, description = "A page of tickets", body = Paged<Ticket>))
)]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(paging): ApiQuery<Paging>,
) -> ApiResult<Json<Paged<Ticket>>> {
    let (page, per_page) = paging.resolve()?;
    let (items, total) = state
        .store
        .list_tickets(caller.org_id(), page, per_page)
        .await?;
    Ok(Json(Paged {
        items,
        page,
        per_page,
        total,
    }))
}

#[utoipa::path(
    operation_id = "tickets_create",
    post,
    path = "/api/tickets",
    tag = "tickets",
    summary = "Create a ticket",
    request_body = CreateTicketRequest,
    responses((status = 201, description = "Created", body = Ticket))
)]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<CreateTicketRequest>,
) -> ApiResult<(StatusCode, Json<Ticket>)> {
    let ticket = ops::tickets::create(
        &state.ops(),
        &caller.actor(),
        &body.title,
        body.description.as_deref(),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(ticket)))
}

#[utoipa::path(
    operation_id = "tickets_show",
    get,
    path = "/api/tickets/{id}",
    tag = "tickets",
    summary = "One ticket with its total time",
    params(("id" = i64, Path, description = "The resource's id (another organization's id answers 404)")),
    responses((status = 200, description = "The ticket", body = Ticket))
)]
pub async fn show(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
) -> ApiResult<Json<Ticket>> {
    Ok(Json(
        state
            .store
            .get_ticket(caller.org_id(), id)
            .await?
            .ok_or(ApiError::NotFound("Ticket"))?,
    ))
}

/// `PATCH /api/tickets/{id}`: its creator, or supervisors and up, change the title and
/// description and close or reopen it.
#[utoipa::path(
    operation_id = "tickets_update",
    patch,
    path = "/api/tickets/{id}",
    tag = "tickets",
    summary = "Edit, close or reopen a ticket (its creator, or supervisor and up)",
    request_body = UpdateTicketRequest,
    params(("id" = i64, Path, description = "The resource's id (another organization's id answers 404)")),
    responses((status = 200, description = "Saved", body = Ticket))
)]
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
    ApiJson(body): ApiJson<UpdateTicketRequest>,
) -> ApiResult<Json<Ticket>> {
    Ok(Json(
        ops::tickets::update(&state.ops(), &caller.actor(), id, &body).await?,
    ))
}

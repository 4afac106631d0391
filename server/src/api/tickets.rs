//! Tickets: `GET/POST /api/tickets`, `GET /api/tickets/{id}` with the time spent on them.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;

use super::extract::{ApiJson, ApiQuery, Caller, IdPath, Paging};
use crate::app::AppState;
use crate::error::{ApiError, ApiResult};
use shared::api::{CreateTicketRequest, Paged, Ticket};

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

pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<CreateTicketRequest>,
) -> ApiResult<(StatusCode, Json<Ticket>)> {
    let title = body.title.trim();
    if title.is_empty() || title.chars().count() > 200 {
        return Err(ApiError::invalid_field(
            "title",
            "must be 1 to 200 characters",
        ));
    }
    let description = body
        .description
        .as_deref()
        .map(str::trim)
        .filter(|d| !d.is_empty());
    if description.is_some_and(|d| d.chars().count() > 10_000) {
        return Err(ApiError::invalid_field(
            "description",
            "must be at most 10000 characters",
        ));
    }
    let ticket = state
        .store
        .create_ticket(caller.org_id(), title, description, caller.user.id)
        .await?;
    Ok((StatusCode::CREATED, Json(ticket)))
}

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

//! Tickets: `GET/POST /api/tickets`, `GET /api/tickets/{id}` with the time spent on them.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;

use super::extract::{ApiJson, ApiQuery, Caller, IdPath, Paging};
use crate::app::AppState;
use crate::error::{ApiError, ApiResult};
use crate::store::{Changes, NewAudit};
use shared::api::{CreateTicketRequest, Paged, Ticket};
use shared::people::UpdateTicketRequest;
use shared::Role;

#[utoipa::path(
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

/// Checks a ticket's title and description; answers them trimmed (an empty description is none).
fn checked<'a>(
    title: &'a str,
    description: Option<&'a str>,
) -> ApiResult<(&'a str, Option<&'a str>)> {
    let title = title.trim();
    if title.is_empty() || title.chars().count() > 200 {
        return Err(ApiError::invalid_field(
            "title",
            "must be 1 to 200 characters",
        ));
    }
    let description = description.map(str::trim).filter(|d| !d.is_empty());
    if description.is_some_and(|d| d.chars().count() > 10_000) {
        return Err(ApiError::invalid_field(
            "description",
            "must be at most 10000 characters",
        ));
    }
    Ok((title, description))
}

#[utoipa::path(
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
    let (title, description) = checked(&body.title, body.description.as_deref())?;
    let ticket = state
        .store
        .create_ticket(caller.org_id(), title, description, caller.user.id)
        .await?;
    Ok((StatusCode::CREATED, Json(ticket)))
}

#[utoipa::path(
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
    let current = state
        .store
        .get_ticket(caller.org_id(), id)
        .await?
        .ok_or(ApiError::NotFound("Ticket"))?;
    if current.created_by != Some(caller.user.id) {
        caller.require(
            Role::Supervisor,
            "Only the ticket's creator and supervisors and above can change it.",
        )?;
    }
    let title = body.title.as_deref().unwrap_or(&current.title);
    let description = match &body.description {
        Some(d) => d.as_deref(),
        None => current.description.as_deref(),
    };
    let (title, description) = checked(title, description)?;
    let status = body.status.as_deref().unwrap_or(&current.status);
    if !matches!(status, "open" | "closed") {
        return Err(ApiError::invalid_field("status", "must be open or closed"));
    }
    let mut changes = Changes::default();
    changes.note("title", &current.title, title);
    changes.note("description", &current.description, description);
    changes.note("status", &current.status, status);
    if changes.is_empty() {
        return Ok(Json(current));
    }
    let audit = NewAudit {
        org_id: caller.org_id(),
        actor_id: Some(caller.user.id),
        action: "TICKET_UPDATED",
        target_type: Some("ticket"),
        target_id: Some(id),
        ip: Some(caller.ip.to_string()),
        details: serde_json::json!({ "number": current.number, "changes": changes.into_value() }),
    };
    let ticket = state
        .store
        .update_ticket(caller.org_id(), id, title, description, status, &audit)
        .await?
        .ok_or(ApiError::NotFound("Ticket"))?;
    Ok(Json(ticket))
}

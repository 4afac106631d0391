//! `/tickets` and `/tickets/{id}`. Another organization's ticket is not found (404), as in the
//! API; a member sees only their own sessions on a ticket.

use super::SignedIn;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::Response;

use super::{page_response, query_pairs};
use crate::error::ApiError;
use crate::state::AppState;
use crate::store::{SessionFilter, SessionRow};
use shared::api::Paged;
use web::data::{PageData, TicketPageData, TicketsPageData};
use web::query::{parse_page_only, PER_PAGE};

fn page_of(req: &Request) -> u32 {
    let pairs = query_pairs(req);
    parse_page_only(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())))
}

pub async fn tickets_page(
    State(state): State<AppState>,
    me: SignedIn,
    req: Request,
) -> Result<Response, ApiError> {
    let page = page_of(&req);
    let (items, total) = state
        .store
        .list_tickets(me.owner.user.org_id, page, PER_PAGE)
        .await?;
    let data = PageData {
        viewer: Some(me.viewer),
        tickets: Some(TicketsPageData {
            list: Paged {
                items,
                page,
                per_page: PER_PAGE,
                total,
            },
        }),
        ..PageData::default()
    };
    Ok(page_response(&state, data, req, None).await)
}

pub async fn ticket_page(
    State(state): State<AppState>,
    me: SignedIn,
    req: Request,
) -> Result<Response, ApiError> {
    let user = &me.owner.user;
    let id = req
        .uri()
        .path()
        .strip_prefix("/tickets/")
        .and_then(|id| id.parse::<i64>().ok());
    let ticket = match id {
        Some(id) => state.store.get_ticket(user.org_id, id).await?,
        None => None,
    };
    let Some(ticket) = ticket else {
        let data = PageData {
            viewer: Some(me.viewer),
            ..PageData::default()
        };
        return Ok(page_response(&state, data, req, Some(StatusCode::NOT_FOUND)).await);
    };
    let page = page_of(&req);
    let filter = SessionFilter {
        user_id: (!user.role.reads_whole_org()).then_some(user.id),
        ticket_id: Some(ticket.id),
        ..SessionFilter::default()
    };
    let (rows, total) = state
        .store
        .list_sessions(user.org_id, &filter, page, PER_PAGE)
        .await?;
    let data = PageData {
        viewer: Some(me.viewer),
        ticket: Some(TicketPageData {
            can_edit: ticket.created_by == Some(user.id)
                || user.role.at_least(shared::Role::Supervisor),
            ticket,
            sessions: Paged {
                items: rows.iter().map(SessionRow::info).collect(),
                page,
                per_page: PER_PAGE,
                total,
            },
        }),
        ..PageData::default()
    };
    Ok(page_response(&state, data, req, None).await)
}

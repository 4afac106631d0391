//! `/sessions`: the filtered first page (filters from the query string), the pickers, and the
//! viewer's running session. Members see only their own sessions, like `GET /api/sessions`.

use super::SignedIn;
use axum::extract::{Request, State};
use axum::response::Response;

use super::{page_response, query_pairs};
use crate::error::ApiError;
use crate::state::AppState;
use crate::store::{SessionFilter, SessionRow};
use shared::api::Paged;
use web::data::{PageData, SessionsPageData, TicketOption, UserOption};
use web::query::SessionQuery;

/// Pickers list at most this many users or tickets.
const PICKER_LIMIT: u32 = 500;

pub async fn sessions_page(
    State(state): State<AppState>,
    me: SignedIn,
    req: Request,
) -> Result<Response, ApiError> {
    let user = &me.owner.user;
    let org_id = user.org_id;
    let pairs = query_pairs(&req);
    let mut query = SessionQuery::parse(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    if !user.role.reads_whole_org() {
        query.user_id = Some(user.id);
    }
    let filter = SessionFilter {
        user_id: query.user_id,
        ticket_id: query.ticket_id,
        active: query.active,
        from: query.from_ms(),
        to: query.to_ms(),
    };
    let (rows, total) = state
        .store
        .list_sessions(org_id, &filter, query.page, query.per_page)
        .await?;
    let users = if user.role.reads_whole_org() {
        let (users, _) = state.store.list_users(org_id, 1, PICKER_LIMIT).await?;
        users
            .into_iter()
            .map(|u| UserOption {
                id: u.id,
                name: u.name,
            })
            .collect()
    } else {
        Vec::new()
    };
    let (tickets, _) = state.store.list_tickets(org_id, 1, PICKER_LIMIT).await?;
    let tickets = tickets
        .into_iter()
        .map(|t| TicketOption {
            id: t.id,
            number: t.number,
            title: t.title,
        })
        .collect();
    let own_active = me
        .org
        .member(user.id)
        .and_then(|m| m.active_session.map(|s| *s));
    let data = PageData {
        viewer: Some(me.viewer),
        sessions: Some(SessionsPageData {
            list: Paged {
                items: rows.iter().map(SessionRow::info).collect(),
                page: query.page,
                per_page: query.per_page,
                total,
            },
            query,
            users,
            tickets,
            own_active,
        }),
        ..PageData::default()
    };
    Ok(page_response(&state, data, req, None).await)
}

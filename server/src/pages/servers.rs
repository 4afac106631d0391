//! `/servers` (supervisors and up, like `GET /api/game-servers`; others get 403): every game
//! server of the organization with who is on it now.

use super::signed_in::ServerReaders;
use super::AtLeast;
use axum::extract::{Request, State};
use axum::response::Response;

use super::page_response;
use crate::error::ApiError;
use crate::ops::game_servers;
use crate::state::AppState;
use shared::Role;
use web::data::{PageData, ServersPageData, UserOption};

/// More servers than one organization runs; the page shows them all at once.
const MAX_SERVERS: u32 = 500;

pub async fn servers_page(
    State(state): State<AppState>,
    AtLeast(me, _): AtLeast<ServerReaders>,
    req: Request,
) -> Result<Response, ApiError> {
    let user = &me.owner.user;
    let (rows, _) = state
        .store
        .list_game_servers(user.org_id, 1, MAX_SERVERS)
        .await?;
    let servers = game_servers::views(&state.store, user.org_id, &rows).await?;
    let (users, _) = state.store.list_users(user.org_id, 1, 500).await?;
    let staff = users
        .into_iter()
        .filter(|u| u.active && u.game_name.as_deref().is_some_and(|g| !g.is_empty()))
        .map(|u| UserOption {
            id: u.id,
            name: u.name,
        })
        .collect();
    let data = PageData {
        viewer: Some(me.viewer),
        servers: Some(ServersPageData {
            servers,
            staff,
            can_edit: user.role.at_least(Role::Admin),
        }),
        ..PageData::default()
    };
    Ok(page_response(&state, data, req, None).await)
}

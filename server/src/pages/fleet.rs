//! `/fleet` (admins and owners, like `GET /api/agents`; others get 403): every agent device.

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::Response;

use super::{page_response, signed_in, to_login};
use crate::app::AppState;
use crate::error::ApiError;
use shared::Role;
use web::data::{FleetPageData, PageData};

pub async fn fleet_page(State(state): State<AppState>, req: Request) -> Result<Response, ApiError> {
    let Some(me) = signed_in(&state, req.headers()).await? else {
        return Ok(to_login());
    };
    let user = &me.owner.user;
    if !user.role.at_least(Role::Admin) {
        let data = PageData {
            viewer: Some(me.viewer),
            forbidden: Some("Only admins and owners can see the agent fleet.".into()),
            ..PageData::default()
        };
        return Ok(page_response(&state, data, req, Some(StatusCode::FORBIDDEN)).await);
    }
    let list = crate::queries::fleet::agents(&state.store, user.org_id).await?;
    let data = PageData {
        viewer: Some(me.viewer),
        fleet: Some(FleetPageData { list }),
        ..PageData::default()
    };
    Ok(page_response(&state, data, req, None).await)
}

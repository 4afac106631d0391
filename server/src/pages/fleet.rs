//! `/fleet` (admins and owners, like `GET /api/agents`; others get 403): every agent device.

use super::signed_in::FleetReaders;
use super::AtLeast;
use axum::extract::{Request, State};
use axum::response::Response;

use super::page_response;
use crate::error::ApiError;
use crate::state::AppState;
use web::data::{FleetPageData, PageData};

pub async fn fleet_page(
    State(state): State<AppState>,
    AtLeast(me, _): AtLeast<FleetReaders>,
    req: Request,
) -> Result<Response, ApiError> {
    let user = &me.owner.user;
    let list = crate::queries::fleet::agents(&state.store, user.org_id).await?;
    let data = PageData {
        viewer: Some(me.viewer),
        fleet: Some(FleetPageData { list }),
        ..PageData::default()
    };
    Ok(page_response(&state, data, req, None).await)
}

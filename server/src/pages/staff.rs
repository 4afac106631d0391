//! `/staff/{id}` (supervisors and up, like `GET /api/staff/{id}/details`; others get 403):
//! the details and one page of server sessions. Another organization's user is a 404 page.

use super::SignedIn;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::Response;

use super::{page_response, query_pairs};
use crate::error::ApiError;
use crate::queries::staff_time::{self, SessionQuery};
use crate::state::AppState;
use web::data::{PageData, StaffPageData};
use web::query::StaffQuery;

pub async fn staff_page(
    State(state): State<AppState>,
    me: SignedIn,
    req: Request,
) -> Result<Response, ApiError> {
    let id = req
        .uri()
        .path()
        .strip_prefix("/staff/")
        .and_then(|id| id.parse::<i64>().ok())
        .unwrap_or(0);
    let user = match staff_time::staff_member(&state.store, &me.owner.user, id).await {
        Ok(user) => user,
        Err(ApiError::Forbidden(why)) => {
            let data = PageData {
                viewer: Some(me.viewer),
                forbidden: Some(why.to_string()),
                ..PageData::default()
            };
            return Ok(page_response(&state, data, req, Some(StatusCode::FORBIDDEN)).await);
        }
        Err(ApiError::NotFound(_)) => {
            let data = PageData {
                viewer: Some(me.viewer),
                ..PageData::default()
            };
            return Ok(page_response(&state, data, req, Some(StatusCode::NOT_FOUND)).await);
        }
        Err(e) => return Err(e),
    };
    let pairs = query_pairs(&req);
    let query = StaffQuery::parse(user.id, pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let details = staff_time::details(&state.store, &user).await?;
    let sessions = staff_time::sessions(
        &state.store,
        &user,
        &SessionQuery {
            active_only: query.active_only,
            page: query.page,
            per_page: query.per_page,
            ..SessionQuery::default()
        },
    )
    .await?;
    let data = PageData {
        viewer: Some(me.viewer),
        staff: Some(StaffPageData {
            details,
            query,
            sessions,
        }),
        ..PageData::default()
    };
    Ok(page_response(&state, data, req, None).await)
}

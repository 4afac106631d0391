//! `/me`: what the organization holds about the signed-in person (SPEC §18), from the same
//! query as `GET /api/me/data`; `?user_id=` shows someone else's to admins and owners (and
//! owners the erasure form); anyone else asking for another person's gets 403.

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::Response;

use super::{page_response, query_pairs, SignedIn};
use crate::error::ApiError;
use crate::queries::own_data::own_data;
use crate::state::AppState;
use shared::Role;
use web::data::{MePageData, PageData};

pub async fn me_page(
    State(state): State<AppState>,
    me: SignedIn,
    req: Request,
) -> Result<Response, ApiError> {
    let pairs = query_pairs(&req);
    let user_id = pairs
        .iter()
        .find(|(k, _)| k == "user_id")
        .and_then(|(_, v)| v.parse::<i64>().ok());
    let viewer = &me.owner.user;
    let data = match own_data(&state.store, viewer, user_id, None).await {
        Ok(data) => data,
        Err(ApiError::Forbidden(why)) => {
            let page = PageData {
                viewer: Some(me.viewer),
                forbidden: Some(why.to_string()),
                ..PageData::default()
            };
            return Ok(page_response(&state, page, req, Some(StatusCode::FORBIDDEN)).await);
        }
        Err(e) => return Err(e),
    };
    let own = data.user.id == viewer.id;
    let page = PageData {
        viewer: Some(me.viewer),
        me: Some(MePageData {
            own,
            can_erase: !own && viewer.role == Role::Owner && data.user.active,
            data,
        }),
        ..PageData::default()
    };
    Ok(page_response(&state, page, req, None).await)
}

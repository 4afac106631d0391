//! `/screenshots`: one page of the filtered screenshots, like `GET /api/screenshots` —
//! supervisors and up see the organization, members only their own.

use super::SignedIn;
use axum::extract::{Request, State};
use axum::response::Response;

use super::{page_response, query_pairs};
use crate::error::ApiError;
use crate::state::AppState;
use shared::api::Paged;
use web::data::{PageData, ScreenshotsPageData, UserOption};
use web::query::ScreenshotQuery;

/// The user filter lists at most this many users.
const PICKER_LIMIT: u32 = 500;

pub async fn screenshots_page(
    State(state): State<AppState>,
    me: SignedIn,
    req: Request,
) -> Result<Response, ApiError> {
    let user = &me.owner.user;
    let org_id = user.org_id;
    let pairs = query_pairs(&req);
    let mut query = ScreenshotQuery::parse(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())));
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
        query.user_id = Some(user.id);
        Vec::new()
    };
    let (items, total) = state
        .store
        .list_screenshots(
            org_id,
            query.user_id,
            query.session_id,
            query.page,
            query.per_page,
        )
        .await?;
    let data = PageData {
        viewer: Some(me.viewer),
        screenshots: Some(ScreenshotsPageData {
            list: Paged {
                items,
                page: query.page,
                per_page: query.per_page,
                total,
            },
            query,
            users,
        }),
        ..PageData::default()
    };
    Ok(page_response(&state, data, req, None).await)
}

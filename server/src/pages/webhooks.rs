//! `/settings/webhooks` (admins and owners, like `/api/webhooks`; others get 403): the
//! organization's webhooks with their recent deliveries.

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::Response;

use super::{page_response, signed_in, to_login};
use crate::app::AppState;
use crate::error::ApiError;
use shared::Role;
use web::data::{PageData, WebhookView, WebhooksPageData};

/// Deliveries shown per webhook.
const RECENT: u32 = 10;

pub async fn webhooks_page(
    State(state): State<AppState>,
    req: Request,
) -> Result<Response, ApiError> {
    let Some(me) = signed_in(&state, req.headers()).await? else {
        return Ok(to_login());
    };
    let user = &me.owner.user;
    if !user.role.at_least(Role::Admin) {
        let data = PageData {
            viewer: Some(me.viewer),
            forbidden: Some("Only admins and owners manage webhooks.".into()),
            ..PageData::default()
        };
        return Ok(page_response(&state, data, req, Some(StatusCode::FORBIDDEN)).await);
    }
    let mut webhooks = Vec::new();
    for row in state.store.list_webhooks(user.org_id).await? {
        let (recent, _) = state.store.list_deliveries(row.id, 1, RECENT).await?;
        webhooks.push(WebhookView {
            webhook: row.api(recent.first().cloned()),
            recent,
        });
    }
    let data = PageData {
        viewer: Some(me.viewer),
        webhooks: Some(WebhooksPageData { webhooks }),
        ..PageData::default()
    };
    Ok(page_response(&state, data, req, None).await)
}

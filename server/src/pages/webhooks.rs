//! `/settings/webhooks` (admins and owners, like `/api/webhooks`; others get 403): the
//! organization's webhooks with their recent deliveries.

use super::signed_in::WebhookManagers;
use super::AtLeast;
use axum::extract::{Request, State};
use axum::response::Response;

use super::page_response;
use crate::error::ApiError;
use crate::state::AppState;
use web::data::{PageData, WebhookView, WebhooksPageData};

/// Deliveries shown per webhook.
const RECENT: u32 = 10;

pub async fn webhooks_page(
    State(state): State<AppState>,
    AtLeast(me, _): AtLeast<WebhookManagers>,
    req: Request,
) -> Result<Response, ApiError> {
    let user = &me.owner.user;
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

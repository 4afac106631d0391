//! `/audit` (admins and owners, like `GET /api/audit`; others get 403): one page of the log,
//! optionally one action only.

use super::signed_in::AuditReaders;
use super::AtLeast;
use axum::extract::{Request, State};
use axum::response::Response;

use super::{page_response, query_pairs};
use crate::error::ApiError;
use crate::state::AppState;
use shared::api::Paged;
use web::data::{AuditPageData, PageData};
use web::query::AuditQuery;

pub async fn audit_page(
    State(state): State<AppState>,
    AtLeast(me, _): AtLeast<AuditReaders>,
    req: Request,
) -> Result<Response, ApiError> {
    let pairs = query_pairs(&req);
    let query = AuditQuery::parse(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let (items, total) = state
        .store
        .list_audit(
            me.owner.user.org_id,
            query.action.as_deref(),
            query.page,
            query.per_page,
        )
        .await?;
    let data = PageData {
        viewer: Some(me.viewer),
        audit: Some(AuditPageData {
            list: Paged {
                items,
                page: query.page,
                per_page: query.per_page,
                total,
            },
            query,
        }),
        ..PageData::default()
    };
    Ok(page_response(&state, data, req, None).await)
}

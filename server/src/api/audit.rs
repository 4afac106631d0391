//! `GET /api/audit?action=&page=&per_page=`: the organization's audit log, newest first.

use axum::extract::State;
use axum::Json;
use serde::Deserialize;

use super::extract::{ApiQuery, Caller, Paging};
use crate::error::ApiResult;
use crate::state::AppState;
use shared::api::{AuditEntry, Paged};
use shared::Role;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    action: Option<String>,
    page: Option<u32>,
    per_page: Option<u32>,
}

#[utoipa::path(
    operation_id = "audit_list",
    get,
    path = "/api/audit",
    tag = "audit",
    summary = "The audit log, newest first (admin and up)",
    params(AuditQuery),
    responses((status = 200, description = "A page of entries", body = Paged<AuditEntry>))
)]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> ApiResult<Json<Paged<AuditEntry>>> {
    caller.require(
        Role::Admin,
        "Only admins and owners can read the audit log.",
    )?;
    let (page, per_page) = Paging {
        page: q.page,
        per_page: q.per_page,
    }
    .resolve()?;
    let action = q.action.as_deref().map(str::trim).filter(|a| !a.is_empty());
    let (items, total) = state
        .store
        .list_audit(caller.org_id(), action, page, per_page)
        .await?;
    Ok(Json(Paged {
        items,
        page,
        per_page,
        total,
    }))
}

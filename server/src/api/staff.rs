//! Staff time on game servers: `GET /api/staff/{id}/details`, `/server-sessions` and `/stats`,
//! for supervisors and up (403 below; another organization's user is 404).

use axum::extract::State;
use axum::Json;
use chrono::NaiveDate;
use serde::Deserialize;

use super::extract::{ApiQuery, Caller, IdPath, Paging};
use crate::error::{ApiError, ApiResult};
use crate::queries::staff_time::{self, SessionQuery};
use crate::state::AppState;
use shared::api::Paged;
use shared::game_servers::{Period, ServerSession, StaffDetails, StaffStats};

#[utoipa::path(
    operation_id = "staff_details",
    get,
    path = "/api/staff/{id}/details",
    tag = "staff",
    summary = "A staff member's profile, game-server time and work time (supervisor and up)",
    params(("id" = i64, Path, description = "The resource's id (another organization's id answers 404)")),
    responses((status = 200, description = "Details", body = StaffDetails))
)]
pub async fn details(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
) -> ApiResult<Json<StaffDetails>> {
    let user = staff_time::staff_member(&state.store, &caller.user, id).await?;
    Ok(Json(staff_time::details(&state.store, &user).await?))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SessionsQuery {
    server: Option<i64>,
    start_date: Option<String>,
    end_date: Option<String>,
    active_only: Option<bool>,
    page: Option<u32>,
    per_page: Option<u32>,
}

/// `YYYY-MM-DD`, a local day of the organization; empty reads as absent.
fn date(field: &str, value: Option<&str>) -> ApiResult<Option<NaiveDate>> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) => NaiveDate::parse_from_str(v, "%Y-%m-%d")
            .map(Some)
            .map_err(|_| ApiError::invalid_field(field, "must be a date as YYYY-MM-DD")),
    }
}

#[utoipa::path(
    operation_id = "staff_server_sessions",
    get,
    path = "/api/staff/{id}/server-sessions",
    tag = "staff",
    summary = "A staff member's game-server sessions, newest first",
    params(("id" = i64, Path, description = "The resource's id (another organization's id answers 404)"), SessionsQuery),
    responses((status = 200, description = "A page of sessions", body = Paged<ServerSession>))
)]
pub async fn server_sessions(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
    ApiQuery(q): ApiQuery<SessionsQuery>,
) -> ApiResult<Json<Paged<ServerSession>>> {
    let user = staff_time::staff_member(&state.store, &caller.user, id).await?;
    let (page, per_page) = Paging {
        page: q.page,
        per_page: q.per_page,
    }
    .resolve()?;
    let query = SessionQuery {
        server_id: q.server,
        start_date: date("start_date", q.start_date.as_deref())?,
        end_date: date("end_date", q.end_date.as_deref())?,
        active_only: q.active_only.unwrap_or(false),
        page,
        per_page,
    };
    Ok(Json(
        staff_time::sessions(&state.store, &user, &query).await?,
    ))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StatsQuery {
    period: Option<String>,
    server: Option<i64>,
}

#[utoipa::path(
    operation_id = "staff_stats",
    get,
    path = "/api/staff/{id}/stats",
    tag = "staff",
    summary = "Totals for a period in the organization's timezone",
    params(("id" = i64, Path, description = "The resource's id (another organization's id answers 404)"), StatsQuery),
    responses((status = 200, description = "Totals", body = StaffStats))
)]
pub async fn stats(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
    ApiQuery(q): ApiQuery<StatsQuery>,
) -> ApiResult<Json<StaffStats>> {
    let user = staff_time::staff_member(&state.store, &caller.user, id).await?;
    let period = match q.period.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
        None => Period::AllTime,
        Some(p) => Period::parse(p).ok_or_else(|| {
            ApiError::invalid_field("period", "must be daily, weekly, monthly or all_time")
        })?,
    };
    Ok(Json(
        staff_time::stats(&state.store, &user, period, q.server).await?,
    ))
}

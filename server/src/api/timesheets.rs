//! Timesheets and reports: `GET /api/timesheets`, approving and reopening a week,
//! `GET /api/reports/time` (JSON, or CSV with `Accept: text/csv` or `/api/reports/time.csv`).

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::extract::{ApiQuery, Caller, ClientIp};
use crate::error::{ApiError, ApiResult};
use crate::ops::timesheets::{self as weeks, WeekAction};
use crate::queries::timesheets::{self, ReportRequest};
use crate::state::AppState;
use shared::timesheets::{GroupBy, TimeReport, TimesheetWeek};

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct WeekQuery {
    /// ISO week, e.g. `2026-W49`; this week when absent.
    week: Option<String>,
    /// Also list this person's sessions that touch the week, each with its part in the week
    /// (`sessions`); 404 for someone whose row the caller does not see.
    user_id: Option<i64>,
}

#[utoipa::path(
    operation_id = "timesheets_week",
    get,
    path = "/api/timesheets",
    tag = "timesheets",
    summary = "Every user's week: seconds per day, total, and state (members: their own)",
    params(WeekQuery),
    responses((status = 200, description = "The week", body = TimesheetWeek))
)]
pub async fn week(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<WeekQuery>,
) -> ApiResult<Json<TimesheetWeek>> {
    let week = match q.week.as_deref() {
        Some(w) => weeks::parse_week(w)?,
        None => timesheets::current_week(&state.store, caller.org_id()).await?,
    };
    let sheet = timesheets::week(&state.store, &caller.user, week, q.user_id).await?;
    if q.user_id.is_some() && sheet.sessions.is_none() {
        return Err(ApiError::NotFound("User"));
    }
    Ok(Json(sheet))
}

/// A week's new state as answered by approve and reopen.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct WeekState {
    pub user_id: i64,
    pub week: String,
    /// `open` or `approved`.
    pub state: String,
    pub changed_by: Option<i64>,
    pub changed_at: chrono::DateTime<chrono::Utc>,
}

async fn set(
    state: &AppState,
    caller: &Caller,
    ip: std::net::IpAddr,
    (user, week): (String, String),
    action: WeekAction,
) -> ApiResult<Json<WeekState>> {
    let user_id: i64 = user.parse().map_err(|_| ApiError::NotFound("User"))?;
    let row = weeks::set_week(&state.ops(), &caller.user, user_id, &week, action, Some(ip)).await?;
    Ok(Json(WeekState {
        user_id: row.user_id,
        week: row.week,
        state: row.state,
        changed_by: row.changed_by,
        changed_at: crate::store::ms_to_time(row.changed_at),
    }))
}

#[utoipa::path(
    operation_id = "timesheets_approve",
    post,
    path = "/api/timesheets/{user_id}/{iso_week}/approve",
    tag = "timesheets",
    summary = "Approve a user's week (supervisor and up): its time is locked",
    params(
        ("user_id" = i64, Path, description = "The user"),
        ("iso_week" = String, Path, description = "e.g. 2026-W49, in the organization's timezone")
    ),
    responses(
        (status = 200, description = "Approved", body = WeekState)
    )
)]
pub async fn approve(
    State(state): State<AppState>,
    caller: Caller,
    ClientIp(ip): ClientIp,
    Path(path): Path<(String, String)>,
) -> ApiResult<Json<WeekState>> {
    set(&state, &caller, ip, path, WeekAction::Approve).await
}

#[utoipa::path(
    operation_id = "timesheets_reopen",
    post,
    path = "/api/timesheets/{user_id}/{iso_week}/reopen",
    tag = "timesheets",
    summary = "Reopen an approved week (admin and up)",
    params(
        ("user_id" = i64, Path, description = "The user"),
        ("iso_week" = String, Path, description = "e.g. 2026-W49")
    ),
    responses(
        (status = 200, description = "Open again", body = WeekState)
    )
)]
pub async fn reopen(
    State(state): State<AppState>,
    caller: Caller,
    ClientIp(ip): ClientIp,
    Path(path): Path<(String, String)>,
) -> ApiResult<Json<WeekState>> {
    set(&state, &caller, ip, path, WeekAction::Reopen).await
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportQuery {
    /// First local day (organization's timezone), inclusive.
    from: NaiveDate,
    /// Last local day, inclusive; at most 366 days after `from`.
    to: NaiveDate,
    #[serde(default)]
    group_by: GroupBy,
    user_id: Option<i64>,
    ticket_id: Option<i64>,
}

impl ReportQuery {
    fn request(&self) -> ReportRequest {
        ReportRequest {
            from: self.from,
            to: self.to,
            group_by: self.group_by,
            user_id: self.user_id,
            ticket_id: self.ticket_id,
        }
    }
}

fn csv_response(report: &TimeReport) -> ApiResult<Response> {
    let body = timesheets::report_csv(report)
        .map_err(|e| ApiError::Internal(format!("report CSV: {e}")))?;
    let name = format!(
        "attachment; filename=\"time-by-{}-{}-{}.csv\"",
        report.group_by.as_str(),
        report.from,
        report.to
    );
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (header::CONTENT_DISPOSITION, name),
        ],
        body,
    )
        .into_response())
}

#[utoipa::path(
    operation_id = "reports_time",
    get,
    path = "/api/reports/time",
    tag = "timesheets",
    summary = "Counted time per user, ticket or day for a range (CSV with Accept: text/csv)",
    params(ReportQuery),
    responses((status = 200, description = "Totals in seconds per group (with `Accept: text/csv`: the CSV of /api/reports/time.csv)", body = TimeReport))
)]
pub async fn report(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<ReportQuery>,
) -> ApiResult<Response> {
    let report = timesheets::time_report(&state.store, &caller.user, &q.request()).await?;
    let wants_csv = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/csv"));
    if wants_csv {
        csv_response(&report)
    } else {
        Ok(Json(report).into_response())
    }
}

#[utoipa::path(
    operation_id = "reports_time_csv",
    get,
    path = "/api/reports/time.csv",
    tag = "timesheets",
    summary = "The same report as CSV",
    params(ReportQuery),
    responses((status = 200, description = "CSV: one row per group, then the total", body = String, content_type = "text/csv"))
)]
pub async fn report_csv(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<ReportQuery>,
) -> ApiResult<Response> {
    let report = timesheets::time_report(&state.store, &caller.user, &q.request()).await?;
    csv_response(&report)
}

//! Working time (SPEC §19): `GET /api/worktime` (planned, worked, absence, balance), the
//! plans (`/api/worktime/plans`), holidays (`/api/holidays`, with an iCalendar import) and
//! absences (`/api/absences`, requested, approved, refused, cancelled).

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::NaiveDate;
use serde::Deserialize;

use super::extract::{ApiJson, ApiQuery, Caller, IdPath};
use crate::error::{ApiError, ApiResult};
use crate::ops::worktime::{self as ops, AbsenceAction};
use crate::queries::worktime::{self as figures, WorktimeRequest};
use crate::state::AppState;
use crate::store::AbsenceFilter;
use shared::worktime::{
    Absence, AbsenceState, DecideAbsence, Holiday, HolidayImport, NewHoliday, RequestAbsence,
    SetWorkPlan, WorkPlan, WorktimeReport,
};

/// The largest iCalendar file an import takes (a country's holidays for years are ~100 KB).
pub const MAX_ICS_BYTES: usize = 1024 * 1024;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct WorktimeQuery {
    /// First local day (organization's timezone), inclusive.
    from: NaiveDate,
    /// Last local day, inclusive; at most 366 days after `from`.
    to: NaiveDate,
    /// One person (members: only themselves); every active person when absent.
    user_id: Option<i64>,
}

#[utoipa::path(
    operation_id = "worktime_report",
    get,
    path = "/api/worktime",
    tag = "worktime",
    summary = "Planned, worked and absence time per person and day, and the overtime balance carried from the plan's start (members: their own)",
    params(WorktimeQuery),
    responses((status = 200, description = "The figures", body = WorktimeReport))
)]
pub async fn report(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<WorktimeQuery>,
) -> ApiResult<Json<WorktimeReport>> {
    let req = WorktimeRequest {
        from: q.from,
        to: q.to,
        user_id: q.user_id,
    };
    Ok(Json(
        figures::worktime(&state.store, &caller.user, req).await?,
    ))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PlansQuery {
    /// Also this person's own plans (members: only themselves).
    user_id: Option<i64>,
}

#[utoipa::path(
    operation_id = "worktime_plans",
    get,
    path = "/api/worktime/plans",
    tag = "worktime",
    summary = "The organization's default plans, and a person's own (oldest first)",
    params(PlansQuery),
    responses((status = 200, description = "The plans", body = Vec<WorkPlan>))
)]
pub async fn plans(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<PlansQuery>,
) -> ApiResult<Json<Vec<WorkPlan>>> {
    let user_id = match q.user_id {
        Some(id) if id != caller.user.id && !caller.user.role.reads_whole_org() => {
            return Err(ApiError::NotFound("User"))
        }
        other => other,
    };
    let rows = state.store.work_plans(caller.org_id(), user_id).await?;
    Ok(Json(rows.iter().map(|r| r.info()).collect()))
}

#[utoipa::path(
    operation_id = "worktime_set_plan",
    put,
    path = "/api/worktime/plans",
    tag = "worktime",
    summary = "Set a person's plan (or the organization's default) from a date: minutes per weekday, Monday first (admin and up)",
    request_body = SetWorkPlan,
    responses((status = 200, description = "The plan", body = WorkPlan))
)]
pub async fn set_plan(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(req): ApiJson<SetWorkPlan>,
) -> ApiResult<Json<WorkPlan>> {
    let row = ops::set_plan(&state.ops(), &caller.user, &req, Some(caller.ip)).await?;
    Ok(Json(row.info()))
}

#[utoipa::path(
    operation_id = "worktime_remove_plan",
    delete,
    path = "/api/worktime/plans/{id}",
    tag = "worktime",
    summary = "Remove a plan (admin and up)",
    params(("id" = i64, Path, description = "The plan")),
    responses((status = 204, description = "Removed"))
)]
pub async fn remove_plan(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
) -> ApiResult<StatusCode> {
    ops::remove_plan(&state.ops(), &caller.user, id, Some(caller.ip)).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HolidaysQuery {
    /// First day, inclusive.
    from: Option<NaiveDate>,
    /// Last day, inclusive.
    to: Option<NaiveDate>,
}

#[utoipa::path(
    operation_id = "holidays_list",
    get,
    path = "/api/holidays",
    tag = "worktime",
    summary = "The organization's holidays, in date order",
    params(HolidaysQuery),
    responses((status = 200, description = "The holidays", body = Vec<Holiday>))
)]
pub async fn holidays(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<HolidaysQuery>,
) -> ApiResult<Json<Vec<Holiday>>> {
    let rows = state.store.holidays(caller.org_id(), q.from, q.to).await?;
    Ok(Json(rows.iter().map(|r| r.info()).collect()))
}

#[utoipa::path(
    operation_id = "holidays_add",
    post,
    path = "/api/holidays",
    tag = "worktime",
    summary = "Add a holiday (admin and up); 409 if the day is one already",
    request_body = NewHoliday,
    responses((status = 201, description = "Added", body = Holiday))
)]
pub async fn add_holiday(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(req): ApiJson<NewHoliday>,
) -> ApiResult<(StatusCode, Json<Holiday>)> {
    let row = ops::add_holiday(&state.ops(), &caller.user, &req, Some(caller.ip)).await?;
    Ok((StatusCode::CREATED, Json(row.info())))
}

#[utoipa::path(
    operation_id = "holidays_import",
    post,
    path = "/api/holidays/import",
    tag = "worktime",
    summary = "Import the days of an iCalendar (.ics) file as holidays (admin and up); days that are holidays already are kept",
    request_body(content = String, content_type = "text/calendar", description = "An iCalendar file"),
    responses((status = 200, description = "What was added", body = HolidayImport))
)]
pub async fn import_holidays(
    State(state): State<AppState>,
    caller: Caller,
    body: String,
) -> ApiResult<Json<HolidayImport>> {
    let (added, skipped) =
        ops::import_holidays(&state.ops(), &caller.user, &body, Some(caller.ip)).await?;
    Ok(Json(HolidayImport {
        imported: u32::try_from(added.len()).unwrap_or(u32::MAX),
        skipped: u32::try_from(skipped).unwrap_or(u32::MAX),
        holidays: added.iter().map(|r| r.info()).collect(),
    }))
}

#[utoipa::path(
    operation_id = "holidays_remove",
    delete,
    path = "/api/holidays/{id}",
    tag = "worktime",
    summary = "Remove a holiday (admin and up)",
    params(("id" = i64, Path, description = "The holiday")),
    responses((status = 204, description = "Removed"))
)]
pub async fn remove_holiday(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
) -> ApiResult<StatusCode> {
    ops::remove_holiday(&state.ops(), &caller.user, id, Some(caller.ip)).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AbsencesQuery {
    /// One person (members: always themselves).
    user_id: Option<i64>,
    /// `requested`, `approved`, `refused` or `cancelled`.
    state: Option<AbsenceState>,
    /// Absences that reach into `from..=to` (local days).
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
}

#[utoipa::path(
    operation_id = "absences_list",
    get,
    path = "/api/absences",
    tag = "worktime",
    summary = "Absences in date order (members: their own; supervisors and up: anyone's)",
    params(AbsencesQuery),
    responses((status = 200, description = "The absences", body = Vec<Absence>))
)]
pub async fn absences(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<AbsencesQuery>,
) -> ApiResult<Json<Vec<Absence>>> {
    let user_id = if caller.user.role.reads_whole_org() {
        q.user_id
    } else {
        Some(caller.user.id)
    };
    let filter = AbsenceFilter {
        user_id,
        state: q.state.map(AbsenceState::as_str),
        from: q.from,
        to: q.to,
    };
    let rows = state.store.absences(caller.org_id(), &filter).await?;
    Ok(Json(rows.iter().map(|r| r.info()).collect()))
}

#[utoipa::path(
    operation_id = "absences_request",
    post,
    path = "/api/absences",
    tag = "worktime",
    summary = "Ask for days off (vacation, sick, other; full days or a half day); admins and owners may record one for someone, approved at once. 409 in an approved week or over another absence",
    request_body = RequestAbsence,
    responses((status = 201, description = "Requested", body = Absence))
)]
pub async fn request_absence(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(req): ApiJson<RequestAbsence>,
) -> ApiResult<(StatusCode, Json<Absence>)> {
    let row = ops::request_absence(&state.ops(), &caller.user, &req, Some(caller.ip)).await?;
    Ok((StatusCode::CREATED, Json(row.info())))
}

async fn decide(
    state: &AppState,
    caller: &Caller,
    id: i64,
    action: AbsenceAction,
    req: &DecideAbsence,
) -> ApiResult<Json<Absence>> {
    let row =
        ops::decide_absence(&state.ops(), &caller.user, id, action, req, Some(caller.ip)).await?;
    Ok(Json(row.info()))
}

#[utoipa::path(
    operation_id = "absences_approve",
    post,
    path = "/api/absences/{id}/approve",
    tag = "worktime",
    summary = "Approve a requested absence (supervisor and up; not one's own): it counts as planned time",
    params(("id" = i64, Path, description = "The absence")),
    request_body = DecideAbsence,
    responses((status = 200, description = "Approved", body = Absence))
)]
pub async fn approve(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
    ApiJson(req): ApiJson<DecideAbsence>,
) -> ApiResult<Json<Absence>> {
    decide(&state, &caller, id, AbsenceAction::Approve, &req).await
}

#[utoipa::path(
    operation_id = "absences_refuse",
    post,
    path = "/api/absences/{id}/refuse",
    tag = "worktime",
    summary = "Refuse a requested absence, saying why (supervisor and up)",
    params(("id" = i64, Path, description = "The absence")),
    request_body = DecideAbsence,
    responses((status = 200, description = "Refused", body = Absence))
)]
pub async fn refuse(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
    ApiJson(req): ApiJson<DecideAbsence>,
) -> ApiResult<Json<Absence>> {
    decide(&state, &caller, id, AbsenceAction::Refuse, &req).await
}

#[utoipa::path(
    operation_id = "absences_cancel",
    post,
    path = "/api/absences/{id}/cancel",
    tag = "worktime",
    summary = "Withdraw a request (the person), or take back any absence (admin and up)",
    params(("id" = i64, Path, description = "The absence")),
    request_body = DecideAbsence,
    responses((status = 200, description = "Cancelled", body = Absence))
)]
pub async fn cancel(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
    ApiJson(req): ApiJson<DecideAbsence>,
) -> ApiResult<Json<Absence>> {
    decide(&state, &caller, id, AbsenceAction::Cancel, &req).await
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// An ISO week, e.g. `2026-W49` (or give `month`).
    week: Option<String>,
    /// A month, e.g. `2026-12` (or give `week`).
    month: Option<String>,
    /// One person (members: only themselves); the whole team when absent.
    user_id: Option<i64>,
}

/// The formats a timesheet is exported in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ExportFormat {
    Csv,
    Xlsx,
    Pdf,
}

impl ExportFormat {
    fn content_type(self) -> &'static str {
        match self {
            ExportFormat::Csv => "text/csv; charset=utf-8",
            ExportFormat::Xlsx => XLSX_TYPE,
            ExportFormat::Pdf => "application/pdf",
        }
    }

    fn extension(self) -> &'static str {
        match self {
            ExportFormat::Csv => "csv",
            ExportFormat::Xlsx => "xlsx",
            ExportFormat::Pdf => "pdf",
        }
    }
}

const XLSX_TYPE: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// Letters, digits and dashes of `name`, for a file name.
fn file_part(name: &str) -> String {
    let part: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    let part = part.trim_matches('-').to_string();
    if part.is_empty() {
        "person".to_string()
    } else {
        part
    }
}

async fn export_file(
    state: &AppState,
    caller: &Caller,
    q: &ExportQuery,
    format: ExportFormat,
) -> ApiResult<axum::response::Response> {
    use crate::queries::worktime_export::{export, ExportPeriod};
    use axum::http::header;
    use axum::response::IntoResponse;

    let period = ExportPeriod::parse(q.week.as_deref(), q.month.as_deref())?;
    let sheet = export(&state.store, &caller.user, period, q.user_id).await?;
    let who = match (q.user_id, sheet.people.first()) {
        (Some(_), Some(person)) => file_part(&person.name),
        _ => "team".to_string(),
    };
    let body = match format {
        ExportFormat::Csv => crate::exports::csv::csv(&sheet).into_bytes(),
        ExportFormat::Xlsx => crate::exports::xlsx::xlsx(&sheet)
            .map_err(|e| ApiError::Internal(format!("XLSX export: {e}")))?,
        ExportFormat::Pdf => crate::exports::pdf::pdf(&sheet)
            .map_err(|e| ApiError::Internal(format!("PDF export: {e}")))?,
    };
    let name = format!(
        "attachment; filename=\"timesheet-{}-{who}.{}\"",
        period.slug(),
        format.extension()
    );
    Ok((
        [
            (header::CONTENT_TYPE, format.content_type().to_string()),
            (header::CONTENT_DISPOSITION, name),
        ],
        body,
    )
        .into_response())
}

#[utoipa::path(
    operation_id = "worktime_export",
    get,
    path = "/api/worktime/export",
    tag = "worktime",
    summary = "A week's or a month's timesheet of a person or the team, in the format the Accept header asks for: application/pdf (signed off, with the approval stamp), the XLSX type, or text/csv (the default)",
    params(ExportQuery),
    responses((status = 200, description = "The file", content(
        (String = "text/csv"),
        (Vec<u8> = "application/pdf"),
        (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    )))
)]
pub async fn export(
    State(state): State<AppState>,
    caller: Caller,
    headers: axum::http::HeaderMap,
    ApiQuery(q): ApiQuery<ExportQuery>,
) -> ApiResult<axum::response::Response> {
    let accept = headers
        .get(axum::http::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let format = if accept.contains("application/pdf") {
        ExportFormat::Pdf
    } else if accept.contains(XLSX_TYPE) {
        ExportFormat::Xlsx
    } else {
        ExportFormat::Csv
    };
    export_file(&state, &caller, &q, format).await
}

#[utoipa::path(
    operation_id = "worktime_export_csv",
    get,
    path = "/api/worktime/export.csv",
    tag = "worktime",
    summary = "The timesheet as CSV: a row per person and day, then each person's totals",
    params(ExportQuery),
    responses((status = 200, description = "CSV", body = String, content_type = "text/csv"))
)]
pub async fn export_csv(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<ExportQuery>,
) -> ApiResult<axum::response::Response> {
    export_file(&state, &caller, &q, ExportFormat::Csv).await
}

#[utoipa::path(
    operation_id = "worktime_export_xlsx",
    get,
    path = "/api/worktime/export.xlsx",
    tag = "worktime",
    summary = "The timesheet as an XLSX workbook: a summary sheet, then a sheet per person",
    params(ExportQuery),
    responses((status = 200, description = "XLSX", body = Vec<u8>, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))
)]
pub async fn export_xlsx(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<ExportQuery>,
) -> ApiResult<axum::response::Response> {
    export_file(&state, &caller, &q, ExportFormat::Xlsx).await
}

#[utoipa::path(
    operation_id = "worktime_export_pdf",
    get,
    path = "/api/worktime/export.pdf",
    tag = "worktime",
    summary = "The signed-off timesheet as PDF: a page per person with the days, the totals, the balance and each week's approval stamp",
    params(ExportQuery),
    responses((status = 200, description = "PDF", body = Vec<u8>, content_type = "application/pdf"))
)]
pub async fn export_pdf(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<ExportQuery>,
) -> ApiResult<axum::response::Response> {
    export_file(&state, &caller, &q, ExportFormat::Pdf).await
}

//! Work sessions: start, stop, manual entry, an admin's end, lists and CSV export.

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::extract::{ApiJson, ApiQuery, Caller, ClientIp, IdPath, Paging};
use crate::domain::sessions::Ending;
use crate::error::{ApiError, ApiResult};
use crate::ops::sessions as work_sessions;
use crate::state::AppState;
use crate::store::{Created, SessionFilter, SessionRow};
use shared::api::{
    EndSessionRequest, ManualSessionRequest, Paged, StartSessionRequest, StopSessionRequest,
};
use shared::protocol::SessionInfo;

fn created(result: Created<SessionRow>) -> (StatusCode, Json<SessionInfo>) {
    match result {
        Created::New(row) => (StatusCode::CREATED, Json(row.info())),
        Created::Existing(row) => (StatusCode::OK, Json(row.info())),
    }
}

#[utoipa::path(
    operation_id = "sessions_start",
    post,
    path = "/api/sessions/start",
    tag = "sessions",
    summary = "Start a work session",
    request_body = StartSessionRequest,
    responses((status = 201, description = "Started", body = SessionInfo), (status = 200, description = "A replay: a request with this client_id already made this session, which is answered again unchanged", body = SessionInfo))
)]
pub async fn start(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<StartSessionRequest>,
) -> ApiResult<(StatusCode, Json<SessionInfo>)> {
    let source = if caller.token_kind_is_device() {
        "agent"
    } else {
        "web"
    };
    Ok(created(
        work_sessions::start(&state.ops(), &caller.user, &body, source).await?,
    ))
}

#[utoipa::path(
    operation_id = "sessions_stop",
    post,
    path = "/api/sessions/stop",
    tag = "sessions",
    summary = "Stop one's own running session",
    request_body = StopSessionRequest,
    responses((status = 200, description = "Stopped, with its duration", body = SessionInfo))
)]
pub async fn stop(
    State(state): State<AppState>,
    caller: Caller,
    ClientIp(ip): ClientIp,
    ApiJson(body): ApiJson<StopSessionRequest>,
) -> ApiResult<Json<SessionInfo>> {
    let ending = Ending::Stopped { note: body.note };
    let requested_end = body.ended_at.map(|t| t.timestamp_millis());
    end_as(&state, &caller, ip, body.session_id, ending, requested_end).await
}

#[utoipa::path(
    operation_id = "sessions_manual",
    post,
    path = "/api/sessions/manual",
    tag = "sessions",
    summary = "Add a finished session by hand",
    request_body = ManualSessionRequest,
    responses((status = 201, description = "Added", body = SessionInfo), (status = 200, description = "A replay: a request with this client_id already made this session, which is answered again unchanged", body = SessionInfo))
)]
pub async fn manual(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<ManualSessionRequest>,
) -> ApiResult<(StatusCode, Json<SessionInfo>)> {
    Ok(created(
        work_sessions::manual(&state.ops(), &caller.user, &body).await?,
    ))
}

#[utoipa::path(
    operation_id = "sessions_end",
    post,
    path = "/api/sessions/{id}/end",
    tag = "sessions",
    summary = "End anyone's running session (admin and up); the agent stops at once",
    request_body = EndSessionRequest,
    params(("id" = i64, Path, description = "The resource's id (another organization's id answers 404)")),
    responses((status = 200, description = "Ended", body = SessionInfo))
)]
pub async fn end(
    State(state): State<AppState>,
    caller: Caller,
    ClientIp(ip): ClientIp,
    IdPath(id): IdPath,
    ApiJson(body): ApiJson<EndSessionRequest>,
) -> ApiResult<Json<SessionInfo>> {
    let ending = Ending::AdminEnded {
        reason: body.reason.trim().to_string(),
    };
    end_as(&state, &caller, ip, id, ending, None).await
}

/// Ends a session as the caller (a stop or an admin's end) and answers with it once the
/// agents have been told. The request's task yields once after the commit, so the sockets the
/// end has just woken write `session_ended` before the answer is encoded and sent: the agent
/// stopping is what the caller is waiting for. A task woken on this worker waits in its
/// next-task slot until the request's task gives the thread up, which otherwise happens only
/// once the answer has been serialized and written (and the client woken by it). Measured
/// (issue 28, `bench --peer`, 15,000 agent sockets): POST → `session_ended` on the agent's
/// socket p50 0.84 → 0.73 ms; the answer waits for those writes only.
async fn end_as(
    state: &AppState,
    caller: &Caller,
    ip: std::net::IpAddr,
    session_id: i64,
    ending: Ending,
    requested_end: Option<i64>,
) -> ApiResult<Json<SessionInfo>> {
    let ended = work_sessions::end(
        &state.ops(),
        Some(&caller.user),
        caller.user.org_id,
        session_id,
        ending,
        requested_end,
        Some(ip),
    )
    .await?;
    tokio::task::yield_now().await;
    Ok(Json(ended.info()))
}

#[utoipa::path(
    operation_id = "sessions_show",
    get,
    path = "/api/sessions/{id}",
    tag = "sessions",
    summary = "One session",
    params(("id" = i64, Path, description = "The resource's id (another organization's id answers 404)")),
    responses((status = 200, description = "The session", body = SessionInfo))
)]
pub async fn show(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
) -> ApiResult<Json<SessionInfo>> {
    let row = state
        .store
        .get_session(caller.org_id(), id)
        .await?
        .ok_or(ApiError::NotFound("Session"))?;
    if row.user_id != caller.user.id && !caller.user.role.reads_whole_org() {
        return Err(ApiError::NotFound("Session"));
    }
    Ok(Json(row.info()))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    user_id: Option<i64>,
    ticket_id: Option<i64>,
    active: Option<bool>,
    /// With `to`: the sessions that overlap `[from, to)` (running ones too), so a session
    /// across midnight is listed for both days.
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
    page: Option<u32>,
    per_page: Option<u32>,
}

impl ListQuery {
    fn paging(&self) -> Paging {
        Paging {
            page: self.page,
            per_page: self.per_page,
        }
    }
}

/// Members read their own sessions only; supervisors and up read the organization's.
fn scoped_user(caller: &Caller, requested: Option<i64>) -> ApiResult<Option<i64>> {
    if caller.user.role.reads_whole_org() {
        return Ok(requested);
    }
    match requested {
        None => Ok(Some(caller.user.id)),
        Some(id) if id == caller.user.id => Ok(Some(id)),
        Some(_) => Err(ApiError::Forbidden(
            "Members can only see their own sessions.",
        )),
    }
}

fn filter_of(caller: &Caller, q: &ListQuery) -> ApiResult<SessionFilter> {
    Ok(SessionFilter {
        user_id: scoped_user(caller, q.user_id)?,
        ticket_id: q.ticket_id,
        active: q.active,
        from: q.from.map(|t| t.timestamp_millis()),
        to: q.to.map(|t| t.timestamp_millis()),
    })
}

async fn page_of(
    state: &AppState,
    org_id: i64,
    filter: &SessionFilter,
    paging: Paging,
) -> ApiResult<Json<Paged<SessionInfo>>> {
    let (page, per_page) = paging.resolve()?;
    let (rows, total) = state
        .store
        .list_sessions(org_id, filter, page, per_page)
        .await?;
    Ok(Json(Paged {
        items: rows.iter().map(SessionRow::info).collect(),
        page,
        per_page,
        total,
    }))
}

#[utoipa::path(
    operation_id = "sessions_list",
    get,
    path = "/api/sessions",
    tag = "sessions",
    summary = "Sessions, newest first (members: their own)",
    params(ListQuery),
    responses((status = 200, description = "A page of sessions", body = Paged<SessionInfo>))
)]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Json<Paged<SessionInfo>>> {
    let filter = filter_of(&caller, &q)?;
    page_of(&state, caller.org_id(), &filter, q.paging()).await
}

#[utoipa::path(
    operation_id = "sessions_list_of_user",
    get,
    path = "/api/users/{id}/sessions",
    tag = "sessions",
    summary = "A user's sessions, newest first",
    params(("id" = i64, Path, description = "The resource's id (another organization's id answers 404)"), Paging),
    responses((status = 200, description = "A page of sessions", body = Paged<SessionInfo>))
)]
pub async fn of_user(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(user_id): IdPath,
    ApiQuery(paging): ApiQuery<Paging>,
) -> ApiResult<Json<Paged<SessionInfo>>> {
    state
        .store
        .get_user(caller.org_id(), user_id)
        .await?
        .ok_or(ApiError::NotFound("User"))?;
    let filter = SessionFilter {
        user_id: scoped_user(&caller, Some(user_id))?,
        ..SessionFilter::default()
    };
    page_of(&state, caller.org_id(), &filter, paging).await
}

#[utoipa::path(
    operation_id = "sessions_list_of_ticket",
    get,
    path = "/api/tickets/{id}/sessions",
    tag = "sessions",
    summary = "A ticket's sessions, newest first",
    params(("id" = i64, Path, description = "The resource's id (another organization's id answers 404)"), Paging),
    responses((status = 200, description = "A page of sessions", body = Paged<SessionInfo>))
)]
pub async fn of_ticket(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(ticket_id): IdPath,
    ApiQuery(paging): ApiQuery<Paging>,
) -> ApiResult<Json<Paged<SessionInfo>>> {
    state
        .store
        .get_ticket(caller.org_id(), ticket_id)
        .await?
        .ok_or(ApiError::NotFound("Ticket"))?;
    let filter = SessionFilter {
        user_id: scoped_user(&caller, None)?,
        ticket_id: Some(ticket_id),
        ..SessionFilter::default()
    };
    page_of(&state, caller.org_id(), &filter, paging).await
}

/// The filtered list as CSV (every page, up to 100,000 rows), newest first.
#[utoipa::path(
    operation_id = "sessions_export_csv",
    get,
    path = "/api/sessions/export.csv",
    tag = "sessions",
    summary = "The filtered sessions as CSV",
    params(ListQuery),
    responses((status = 200, description = "CSV with a header row", body = String, content_type = "text/csv"))
)]
pub async fn export_csv(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Response> {
    let filter = filter_of(&caller, &q)?;
    let mut out = csv::Writer::from_writer(Vec::new());
    let header = [
        "id",
        "user",
        "ticket",
        "started_at",
        "ended_at",
        "duration_seconds",
        "source",
        "end_reason",
        "end_note",
        "note",
    ];
    out.write_record(header).map_err(csv_error)?;
    let mut page = 1;
    loop {
        let (rows, total) = state
            .store
            .list_sessions(caller.org_id(), &filter, page, 500)
            .await?;
        for s in &rows {
            let info = s.info();
            out.write_record([
                s.id.to_string(),
                s.user_name.clone(),
                s.ticket_title.clone().unwrap_or_default(),
                info.started_at.to_rfc3339(),
                info.ended_at.map(|t| t.to_rfc3339()).unwrap_or_default(),
                s.duration_seconds
                    .map(|d| d.to_string())
                    .unwrap_or_default(),
                s.source.clone(),
                s.end_reason.clone().unwrap_or_default(),
                s.end_note.clone().unwrap_or_default(),
                s.note.clone().unwrap_or_default(),
            ])
            .map_err(csv_error)?;
        }
        if rows.is_empty() || i64::from(page) * 500 >= total.min(100_000) {
            break;
        }
        page += 1;
    }
    let body = out
        .into_inner()
        .map_err(|e| ApiError::BadRequest(format!("CSV export failed: {e}")))?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"sessions.csv\"",
            ),
        ],
        body,
    )
        .into_response())
}

fn csv_error(e: csv::Error) -> ApiError {
    ApiError::BadRequest(format!("CSV export failed: {e}"))
}

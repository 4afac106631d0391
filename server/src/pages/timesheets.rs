//! `/timesheets` and `/reports`, with the scoping of `GET /api/timesheets` and
//! `GET /api/reports/time` (members see their own time).

use super::SignedIn;
use axum::extract::{Request, State};
use axum::response::Response;
use chrono::Utc;

use super::{page_response, query_pairs};
use crate::error::ApiError;
use crate::ops::timesheets::parse_week;
use crate::queries::timesheets::{self, ReportRequest};
use crate::state::AppState;
use shared::Role;
use web::data::{PageData, ReportsPageData, TimesheetsPageData};
use web::query::{ReportQuery, TimesheetQuery};

pub async fn timesheets_page(
    State(state): State<AppState>,
    me: SignedIn,
    req: Request,
) -> Result<Response, ApiError> {
    let user = &me.owner.user;
    let pairs = query_pairs(&req);
    let query = TimesheetQuery::parse(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let week = match query.week.as_deref().map(parse_week) {
        Some(Ok(week)) => week,
        // An unreadable week shows this one.
        _ => timesheets::current_week(&state.store, user.org_id).await?,
    };
    // Members see their own sessions; others whoever they chose (if they are on the sheet).
    let wanted = if user.role.reads_whole_org() {
        query.user
    } else {
        Some(user.id)
    };
    let sheet = timesheets::week(&state.store, user, week, wanted).await?;
    let selected = wanted.filter(|_| sheet.sessions.is_some());
    let days = week.days();
    let figures = |from, to| {
        crate::queries::worktime::worktime(
            &state.store,
            user,
            crate::queries::worktime::WorktimeRequest {
                from,
                to,
                user_id: None,
            },
        )
    };
    let worktime = figures(days[0], days[6]).await?;
    let (month_first, month_last) =
        crate::queries::worktime_export::ExportPeriod::month_of(days[0]).days();
    let month = figures(month_first, month_last).await?;
    let data = PageData {
        viewer: Some(me.viewer),
        timesheets: Some(TimesheetsPageData {
            sheet,
            can_approve: user.role.at_least(Role::Supervisor),
            can_reopen: user.role.at_least(Role::Admin),
            selected,
            worktime,
            month,
        }),
        ..PageData::default()
    };
    Ok(page_response(&state, data, req, None).await)
}

pub async fn reports_page(
    State(state): State<AppState>,
    me: SignedIn,
    req: Request,
) -> Result<Response, ApiError> {
    let user = &me.owner.user;
    let pairs = query_pairs(&req);
    let query = ReportQuery::parse(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let tz = state.store.org_timezone(user.org_id).await?;
    let today = Utc::now().with_timezone(&tz).date_naive();
    let (from, to) = query.range(today);
    let request = ReportRequest {
        from,
        to,
        group_by: query.group_by,
        user_id: None,
        ticket_id: None,
    };
    // A range the hub refuses (reversed, too long) is said on the page, over the last week.
    let (report, error) = match timesheets::time_report(&state.store, user, &request).await {
        Ok(report) => (report, None),
        Err(ApiError::Invalid { message, .. }) => {
            let fallback = ReportRequest {
                from: today - chrono::Duration::days(6),
                to: today,
                ..request
            };
            (
                timesheets::time_report(&state.store, user, &fallback).await?,
                Some(message),
            )
        }
        Err(e) => return Err(e),
    };
    let data = PageData {
        viewer: Some(me.viewer),
        reports: Some(ReportsPageData {
            query,
            report,
            error,
        }),
        ..PageData::default()
    };
    Ok(page_response(&state, data, req, None).await)
}

//! `/absences`: asking for time off and the decisions on it, with the scoping of
//! `GET /api/absences` (members: their own; supervisors and up: everyone's), and for admins
//! and owners the holidays and working-time plans.

use super::SignedIn;
use axum::extract::{Request, State};
use axum::response::Response;
use chrono::{Datelike, Days, NaiveDate, Utc};

use super::page_response;
use crate::error::ApiError;
use crate::state::AppState;
use crate::store::AbsenceFilter;
use shared::Role;
use web::data::{AbsencesPageData, PageData, Person};

pub async fn absences_page(
    State(state): State<AppState>,
    me: SignedIn,
    req: Request,
) -> Result<Response, ApiError> {
    let user = &me.owner.user;
    let tz = state.store.org_timezone(user.org_id).await?;
    let today = Utc::now().with_timezone(&tz).date_naive();
    // From the start of last year: this year's and last year's absences stay in view.
    let since = NaiveDate::from_ymd_opt(today.year() - 1, 1, 1).unwrap_or(today);
    let filter = AbsenceFilter {
        user_id: (!user.role.reads_whole_org()).then_some(user.id),
        from: Some(since),
        ..AbsenceFilter::default()
    };
    let absences = state.store.absences(user.org_id, &filter).await?;
    let holidays = state
        .store
        .holidays(
            user.org_id,
            Some(since),
            today.checked_add_days(Days::new(2 * 366)),
        )
        .await?;
    let admin = user.role.at_least(Role::Admin);
    let (plans, people) = if admin {
        let plans = state.store.all_work_plans(user.org_id).await?;
        let people = state
            .store
            .org_users(user.org_id)
            .await?
            .into_iter()
            .filter(|u| u.active)
            .map(|u| Person {
                id: u.id,
                name: u.name,
            })
            .collect();
        (plans.iter().map(|p| p.info()).collect(), people)
    } else {
        (Vec::new(), Vec::new())
    };
    let data = PageData {
        viewer: Some(me.viewer),
        absences: Some(AbsencesPageData {
            absences: absences.iter().map(|a| a.info()).collect(),
            holidays: holidays.iter().map(|h| h.info()).collect(),
            plans,
            people,
            can_decide: user.role.at_least(Role::Supervisor),
            can_admin: admin,
            today,
        }),
        ..PageData::default()
    };
    Ok(page_response(&state, data, req, None).await)
}

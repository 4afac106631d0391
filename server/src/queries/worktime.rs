//! `GET /api/worktime`: per person and local day, planned, worked, absence, and the overtime
//! balance carried from the plan's start (SPEC §19). Worked time is counted as timesheets and
//! reports count it (`domain::tally`: deletions left out, discarded idle time subtracted, a
//! running session until now), so the figures are the sum of the sessions.

use std::collections::HashMap;

use chrono::{Days, NaiveDate};
use chrono_tz::Tz;

use crate::domain::periods::start_of_day;
use crate::domain::tally::{dates, Worked};
use crate::domain::weeks::local_date;
use crate::domain::worktime::{day_figures, AbsenceDays, PlanStart, Plans, Totals};
use crate::error::{ApiError, ApiResult};
use crate::store::{now_ms, AbsenceFilter, Store, UserRow, WorkedRow};
use shared::worktime::{AbsenceKind, UserWorktime, WorktimeDay, WorktimeReport};

/// The longest range one request covers.
pub const MAX_WORKTIME_DAYS: usize = 366;
/// How far back a balance is carried at most (about three years).
const MAX_BALANCE_DAYS: u64 = 1100;

/// Seconds per local day of `rows` inside `first..=last`: each session split over the days it
/// touches within the range, so the days add up to its time inside the range.
fn worked_by_day(
    rows: &[&WorkedRow],
    first: NaiveDate,
    last: NaiveDate,
    tz: Tz,
    now: i64,
) -> HashMap<NaiveDate, i64> {
    let mut by_day: HashMap<NaiveDate, i64> = HashMap::new();
    for row in rows {
        let worked = Worked {
            started_ms: row.started_at,
            ended_ms: row.ended_at.unwrap_or(now).max(row.started_at),
            discarded: row.discarded.clone(),
            duration_seconds: row.duration_seconds,
        };
        let from = local_date(worked.started_ms, tz).max(first);
        let to = local_date(worked.ended_ms, tz).min(last);
        if to < from {
            continue;
        }
        let days = dates(from, to, MAX_BALANCE_DAYS as usize + 1);
        for (day, seconds) in days.iter().zip(worked.seconds_by_day(&days, tz)) {
            *by_day.entry(*day).or_default() += seconds;
        }
    }
    by_day
}

/// What a request for working time asks.
#[derive(Debug, Clone, Copy)]
pub struct WorktimeRequest {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub user_id: Option<i64>,
}

/// The figures of `req.from..=req.to`: members their own; supervisors and up anyone's, or
/// every active person's without `user_id`.
pub async fn worktime(
    store: &Store,
    viewer: &UserRow,
    req: WorktimeRequest,
) -> ApiResult<WorktimeReport> {
    if req.to < req.from {
        return Err(ApiError::invalid_field("to", "must not be before from"));
    }
    let days = dates(req.from, req.to, MAX_WORKTIME_DAYS + 1);
    if days.len() > MAX_WORKTIME_DAYS {
        return Err(ApiError::invalid_field(
            "to",
            format!("working time covers at most {MAX_WORKTIME_DAYS} days at a time"),
        ));
    }
    let wanted = if viewer.role.reads_whole_org() {
        req.user_id
    } else {
        match req.user_id {
            Some(id) if id != viewer.id => return Err(ApiError::NotFound("User")),
            _ => Some(viewer.id),
        }
    };
    let people: Vec<UserRow> = store
        .org_users(viewer.org_id)
        .await?
        .into_iter()
        .filter(|u| match wanted {
            Some(id) => u.id == id,
            None => u.active,
        })
        .collect();
    if wanted.is_some() && people.is_empty() {
        return Err(ApiError::NotFound("User"));
    }
    let tz = store.org_timezone(viewer.org_id).await?;

    let plans = store.all_work_plans(viewer.org_id).await?;
    let starts = |user: Option<i64>| -> Vec<PlanStart> {
        plans
            .iter()
            .filter(|p| p.user_id == user)
            .map(|p| PlanStart {
                valid_from: p.valid_from,
                minutes: p.minutes,
            })
            .collect()
    };
    let defaults = starts(None);
    let earliest_allowed = req
        .to
        .checked_sub_days(Days::new(MAX_BALANCE_DAYS))
        .unwrap_or(req.from);
    let people_plans: Vec<(UserRow, Plans, NaiveDate)> = people
        .into_iter()
        .map(|u| {
            let own = Plans::new(starts(Some(u.id)), defaults.clone());
            let joined = local_date(u.created_at, tz);
            let balance_from = own.balance_from(joined).max(earliest_allowed);
            (u, own, balance_from)
        })
        .collect();
    // Everything the balances reach back to, read once.
    let first = people_plans
        .iter()
        .map(|p| p.2)
        .min()
        .unwrap_or(req.from)
        .min(req.from);
    let holidays: HashMap<NaiveDate, String> = store
        .holidays(viewer.org_id, Some(first), Some(req.to))
        .await?
        .into_iter()
        .map(|h| (h.day, h.name))
        .collect();
    let filter = AbsenceFilter {
        user_id: wanted,
        state: Some("approved"),
        from: Some(first),
        to: Some(req.to),
    };
    let mut absences: HashMap<i64, Vec<AbsenceDays>> = HashMap::new();
    for a in store.absences(viewer.org_id, &filter).await? {
        absences.entry(a.user_id).or_default().push(AbsenceDays {
            kind: AbsenceKind::parse(&a.kind).unwrap_or(AbsenceKind::Other),
            first_day: a.first_day,
            last_day: a.last_day,
            half_day: a.half_day,
        });
    }
    let end_ms = req
        .to
        .checked_add_days(Days::new(1))
        .map_or(i64::MAX, |d| start_of_day(d, tz).timestamp_millis());
    let rows = store
        .worked_between(
            viewer.org_id,
            start_of_day(first, tz).timestamp_millis(),
            end_ms,
            wanted,
            None,
        )
        .await?;
    let now = now_ms();
    // The balance stops at today: days still to come are planned, not yet missed.
    let today = local_date(now, tz);
    let balance_to = req.to.min(today);

    let users = people_plans
        .into_iter()
        .map(|(user, plans, balance_from)| {
            let own_rows: Vec<&WorkedRow> = rows.iter().filter(|r| r.user_id == user.id).collect();
            let own_absences = absences.remove(&user.id).unwrap_or_default();
            let figures = day_figures(
                &days,
                &plans,
                &holidays,
                &own_absences,
                &worked_by_day(&own_rows, req.from, req.to, tz, now),
            );
            let totals = Totals::of(&figures);
            let balance = if balance_from <= balance_to {
                let span = dates(balance_from, balance_to, MAX_BALANCE_DAYS as usize + 2);
                let carried = day_figures(
                    &span,
                    &plans,
                    &holidays,
                    &own_absences,
                    &worked_by_day(&own_rows, balance_from, balance_to, tz, now),
                );
                Totals::of(&carried).difference_seconds()
            } else {
                0
            };
            UserWorktime {
                user_id: user.id,
                name: user.name.clone(),
                planned_seconds: totals.planned_seconds,
                worked_seconds: totals.worked_seconds,
                absence_seconds: totals.absence_seconds,
                difference_seconds: totals.difference_seconds(),
                balance_seconds: balance,
                balance_from,
                days: figures
                    .into_iter()
                    .map(|f| WorktimeDay {
                        date: f.date,
                        planned_seconds: f.planned_seconds,
                        worked_seconds: f.worked_seconds,
                        absence_seconds: f.absence_seconds,
                        holiday: f.holiday,
                        absence: f.absence,
                    })
                    .collect(),
            }
        })
        .collect();
    Ok(WorktimeReport {
        from: req.from,
        to: req.to,
        timezone: tz.name().to_string(),
        users,
    })
}

//! A week's timesheet (every user, seconds per day, approval state) and time reports
//! (per user, ticket or day for a range). Both count time the same way (`domain::tally`):
//! deletions left out, discarded idle time subtracted, a running session until now.

use std::collections::{BTreeMap, HashMap};

use chrono::{Days, NaiveDate};

use crate::domain::periods::start_of_day;
use crate::domain::tally::{dates, Worked};
use crate::domain::weeks::IsoWeek;
use crate::error::{ApiError, ApiResult};
use crate::store::{ms_to_time, now_ms, SessionFilter, Store, UserRow, WorkedRow};
use shared::timesheets::{
    GroupBy, ReportGroup, TimeReport, TimesheetRow, TimesheetWeek, WeekSession,
};

/// The longest range a report covers.
pub const MAX_REPORT_DAYS: usize = 366;

fn worked(row: &WorkedRow, now: i64) -> Worked {
    Worked {
        started_ms: row.started_at,
        ended_ms: row.ended_at.unwrap_or(now).max(row.started_at),
        discarded: row.discarded.clone(),
        duration_seconds: row.duration_seconds,
    }
}

/// The most sessions of one person a week lists.
const MAX_WEEK_SESSIONS: u32 = 500;

/// `GET /api/timesheets?week=`: supervisors and up see every active user (and anyone with
/// time that week); members their own row. With `sessions_of`, that person's sessions that
/// touch the week are listed too (`None` when the viewer does not see their row).
pub async fn week(
    store: &Store,
    viewer: &UserRow,
    week: IsoWeek,
    sessions_of: Option<i64>,
) -> ApiResult<TimesheetWeek> {
    let tz = store.org_timezone(viewer.org_id).await?;
    let (from, to) = week.bounds_ms(tz);
    let days = week.days();
    let scope = (!viewer.role.reads_whole_org()).then_some(viewer.id);
    let rows = store
        .worked_between(viewer.org_id, from, to, scope, None)
        .await?;
    let states = store.week_states(viewer.org_id, &week.to_string()).await?;
    let now = now_ms();
    let mut per_user: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
    for row in &rows {
        let split = worked(row, now).seconds_by_day(&days, tz);
        let sums = per_user.entry(row.user_id).or_insert_with(|| vec![0; 7]);
        for (sum, s) in sums.iter_mut().zip(split) {
            *sum += s;
        }
    }
    let users: Vec<UserRow> = store
        .org_users(viewer.org_id)
        .await?
        .into_iter()
        .filter(|u| scope.is_none_or(|id| id == u.id))
        .filter(|u| u.active || per_user.contains_key(&u.id))
        .collect();
    let mut out: Vec<TimesheetRow> = users
        .iter()
        .map(|u| {
            let days = per_user.remove(&u.id).unwrap_or_else(|| vec![0; 7]);
            let state = states.iter().find(|s| s.user_id == u.id);
            TimesheetRow {
                user_id: u.id,
                name: u.name.clone(),
                total_seconds: days.iter().sum(),
                days,
                state: state.map_or("open".to_string(), |s| s.state.clone()),
                changed_by_name: state.and_then(|s| s.changed_by_name.clone()),
                changed_at: state.map(|s| ms_to_time(s.changed_at)),
            }
        })
        .collect();
    out.sort_by_key(|row| row.name.to_lowercase());
    let sessions = match sessions_of {
        Some(id) if out.iter().any(|row| row.user_id == id) => {
            // The same rows the grid counted, so the parts add up to the person's total.
            let parts: HashMap<i64, i64> = rows
                .iter()
                .filter(|row| row.user_id == id)
                .map(|row| (row.id, worked(row, now).seconds_within(from, to)))
                .collect();
            let filter = SessionFilter {
                user_id: Some(id),
                from: Some(from),
                to: Some(to),
                ..SessionFilter::default()
            };
            let (mut listed, _) = store
                .list_sessions(viewer.org_id, &filter, 1, MAX_WEEK_SESSIONS)
                .await?;
            listed.reverse();
            Some(
                listed
                    .iter()
                    .map(|s| WeekSession {
                        seconds_in_week: parts.get(&s.id).copied().unwrap_or(0),
                        session: s.info(),
                    })
                    .collect(),
            )
        }
        _ => None,
    };
    Ok(TimesheetWeek {
        week: week.to_string(),
        timezone: tz.name().to_string(),
        dates: days.to_vec(),
        users: out,
        previous_week: week.previous().to_string(),
        next_week: week.next().to_string(),
        sessions,
    })
}

/// What a report is asked for.
#[derive(Debug, Clone)]
pub struct ReportRequest {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub group_by: GroupBy,
    pub user_id: Option<i64>,
    pub ticket_id: Option<i64>,
}

/// `GET /api/reports/time`: members are held to their own time.
pub async fn time_report(
    store: &Store,
    viewer: &UserRow,
    req: &ReportRequest,
) -> ApiResult<TimeReport> {
    if req.to < req.from {
        return Err(ApiError::invalid_field("to", "must not be before from"));
    }
    let days = dates(req.from, req.to, MAX_REPORT_DAYS + 1);
    if days.len() > MAX_REPORT_DAYS {
        return Err(ApiError::invalid_field(
            "to",
            format!("a report covers at most {MAX_REPORT_DAYS} days"),
        ));
    }
    let user_id = if viewer.role.reads_whole_org() {
        req.user_id
    } else {
        match req.user_id {
            Some(id) if id != viewer.id => {
                return Err(ApiError::Forbidden("Members can only see their own time."))
            }
            _ => Some(viewer.id),
        }
    };
    let tz = store.org_timezone(viewer.org_id).await?;
    let from = start_of_day(req.from, tz).timestamp_millis();
    let to = req
        .to
        .checked_add_days(Days::new(1))
        .map_or(i64::MAX, |d| start_of_day(d, tz).timestamp_millis());
    let rows = store
        .worked_between(viewer.org_id, from, to, user_id, req.ticket_id)
        .await?;
    let now = now_ms();
    // key → (label, seconds, sessions); BTreeMap keeps days in order.
    let mut groups: BTreeMap<String, (String, i64, i64)> = BTreeMap::new();
    let mut add = |key: String, label: String, seconds: i64| {
        let g = groups.entry(key).or_insert((label, 0, 0));
        g.1 += seconds;
        g.2 += 1;
    };
    for row in &rows {
        let w = worked(row, now);
        match req.group_by {
            GroupBy::User => add(
                row.user_id.to_string(),
                row.user_name.clone(),
                w.seconds_within(from, to),
            ),
            GroupBy::Ticket => {
                let (key, label) = match (row.ticket_id, row.ticket_number) {
                    (Some(id), Some(n)) => (
                        id.to_string(),
                        format!("#{n} {}", row.ticket_title.clone().unwrap_or_default()),
                    ),
                    _ => ("none".to_string(), "No ticket".to_string()),
                };
                add(key, label, w.seconds_within(from, to));
            }
            GroupBy::Day => {
                for (day, seconds) in days.iter().zip(w.seconds_by_day(&days, tz)) {
                    if seconds > 0 {
                        add(
                            day.to_string(),
                            day.format("%a %-d %b").to_string(),
                            seconds,
                        );
                    }
                }
            }
        }
    }
    let mut groups: Vec<ReportGroup> = groups
        .into_iter()
        .filter(|(_, (_, seconds, _))| *seconds > 0)
        .map(|(key, (label, seconds, sessions))| ReportGroup {
            key,
            label,
            seconds,
            sessions,
        })
        .collect();
    if req.group_by != GroupBy::Day {
        groups.sort_by(|a, b| b.seconds.cmp(&a.seconds).then(a.label.cmp(&b.label)));
    }
    Ok(TimeReport {
        from: req.from,
        to: req.to,
        timezone: tz.name().to_string(),
        group_by: req.group_by,
        total_seconds: groups.iter().map(|g| g.seconds).sum(),
        groups,
    })
}

/// The report as CSV: one row per group, then the total.
pub fn report_csv(report: &TimeReport) -> Result<Vec<u8>, csv::Error> {
    let mut out = csv::Writer::from_writer(Vec::new());
    out.write_record([
        report.group_by.as_str(),
        "label",
        "seconds",
        "hours",
        "sessions",
    ])?;
    let hours = |s: i64| format!("{:.2}", s as f64 / 3600.0);
    for g in &report.groups {
        out.write_record([
            g.key.clone(),
            g.label.clone(),
            g.seconds.to_string(),
            hours(g.seconds),
            g.sessions.to_string(),
        ])?;
    }
    out.write_record([
        "total".to_string(),
        format!("{} to {} ({})", report.from, report.to, report.timezone),
        report.total_seconds.to_string(),
        hours(report.total_seconds),
        String::new(),
    ])?;
    out.into_inner().map_err(|e| e.into_error().into())
}

/// This week in the organization's timezone.
pub async fn current_week(store: &Store, org_id: i64) -> ApiResult<IsoWeek> {
    let tz = store.org_timezone(org_id).await?;
    Ok(IsoWeek::current(chrono::Utc::now(), tz))
}

//! Staff time on game servers behind `/api/staff/{id}/…` and the `/staff/{id}` page: the
//! details, the aggregates of a period and the session list, scoped to the caller's
//! organization (another organization's user is not found).

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;

use crate::domain::periods::{average_seconds, date_range_ms, period_bounds, timezone};
use crate::error::{ApiError, ApiResult};
use crate::store::{
    ms_to_time, ServerSessionFilter, ServerSessionRow, ServerSums, Store, TimeScope, TimeSums,
    UserRow,
};
use shared::api::Paged;
use shared::game_servers::{
    Period, ServerSession, ServerTime, StaffDetails, StaffProfile, StaffStats, TimeTotals,
};
use shared::Role;

/// Sessions shown under "recent" in the details.
pub const RECENT_SESSIONS: u32 = 10;

/// The staff member `user_id` of the caller's organization, if the caller may read staff time.
pub async fn staff_member(store: &Store, caller: &UserRow, user_id: i64) -> ApiResult<UserRow> {
    if !caller.role.at_least(Role::Supervisor) {
        return Err(ApiError::Forbidden(
            "Only supervisors and above can see staff details.",
        ));
    }
    store
        .get_user(caller.org_id, user_id)
        .await?
        .ok_or(ApiError::NotFound("User"))
}

async fn org_timezone(store: &Store, org_id: i64) -> ApiResult<(String, Tz)> {
    let name = store
        .get_org(org_id)
        .await?
        .map(|o| o.timezone)
        .unwrap_or_else(|| "UTC".into());
    let tz = timezone(&name);
    Ok((tz.name().to_string(), tz))
}

fn totals(s: TimeSums) -> TimeTotals {
    TimeTotals {
        total_seconds: s.total_seconds,
        session_count: s.count,
        average_seconds: average_seconds(s.total_seconds, s.count),
        longest_seconds: s.longest_seconds,
    }
}

fn server_time(s: ServerSums) -> ServerTime {
    ServerTime {
        server_id: s.server_id,
        server_name: s.server_name,
        totals: totals(s.sums),
    }
}

/// The current `period` (in the organization's timezone), over all servers or one.
async fn period_stats(
    store: &Store,
    user: &UserRow,
    period: Period,
    server_id: Option<i64>,
    (tz_name, tz): (&str, Tz),
    now: DateTime<Utc>,
) -> ApiResult<StaffStats> {
    let bounds = period_bounds(period, now, tz);
    let scope = TimeScope {
        org_id: user.org_id,
        user_id: user.id,
        server_id,
        from: bounds.map_or(i64::MIN, |(a, _)| a.timestamp_millis()),
        to: bounds.map_or(i64::MAX, |(_, b)| b.timestamp_millis()),
        now: now.timestamp_millis(),
    };
    Ok(StaffStats {
        user_id: user.id,
        period,
        server_id,
        timezone: tz_name.to_string(),
        period_start: bounds.map(|(a, _)| a),
        period_end: bounds.map(|(_, b)| b),
        totals: totals(store.time_sums(&scope).await?),
        per_server: store
            .time_sums_per_server(&scope)
            .await?
            .into_iter()
            .map(server_time)
            .collect(),
    })
}

pub async fn stats(
    store: &Store,
    user: &UserRow,
    period: Period,
    server_id: Option<i64>,
) -> ApiResult<StaffStats> {
    if let Some(id) = server_id {
        store
            .get_game_server(user.org_id, id)
            .await?
            .ok_or(ApiError::NotFound("Game server"))?;
    }
    let (name, tz) = org_timezone(store, user.org_id).await?;
    period_stats(store, user, period, server_id, (&name, tz), Utc::now()).await
}

pub async fn details(store: &Store, user: &UserRow) -> ApiResult<StaffDetails> {
    let (tz_name, tz) = org_timezone(store, user.org_id).await?;
    let now = Utc::now();
    let extras = store.staff_extras(user.org_id, user.id).await?;
    let mut periods = Vec::new();
    for period in Period::ALL {
        periods.push(period_stats(store, user, period, None, (&tz_name, tz), now).await?);
    }
    let all_time = periods.pop().ok_or(ApiError::NotFound("Statistics"))?;
    let (recent, _) = store
        .list_server_sessions(
            user.org_id,
            &ServerSessionFilter {
                user_id: Some(user.id),
                ..ServerSessionFilter::default()
            },
            1,
            RECENT_SESSIONS,
        )
        .await?;
    Ok(StaffDetails {
        profile: StaffProfile {
            id: user.id,
            name: user.name.clone(),
            email: user.email.clone(),
            role: user.role,
            active: user.active,
            game_name: user.game_name.clone(),
            steam_id: extras.as_ref().and_then(|e| e.steam_id.clone()),
            discord: extras.and_then(|e| e.discord),
            timezone: tz_name,
        },
        totals: all_time.totals,
        last_join: store.last_join(user.org_id, user.id).await?.map(ms_to_time),
        per_server: all_time.per_server,
        recent_sessions: recent.iter().map(ServerSessionRow::api).collect(),
        periods,
        work: store.work_summary(user.org_id, user.id).await?,
    })
}

/// `server-sessions` filters as the API receives them.
#[derive(Debug, Clone, Default)]
pub struct SessionQuery {
    pub server_id: Option<i64>,
    pub start_date: Option<NaiveDate>,
    pub end_date: Option<NaiveDate>,
    pub active_only: bool,
    pub page: u32,
    pub per_page: u32,
}

pub async fn sessions(
    store: &Store,
    user: &UserRow,
    q: &SessionQuery,
) -> ApiResult<Paged<ServerSession>> {
    let (_, tz) = org_timezone(store, user.org_id).await?;
    let (from, to) = date_range_ms(q.start_date, q.end_date, tz)
        .map_err(|e| ApiError::invalid_field("end_date", e.to_string()))?;
    let filter = ServerSessionFilter {
        user_id: Some(user.id),
        server_id: q.server_id,
        from,
        to,
        open_only: q.active_only,
    };
    let (rows, total) = store
        .list_server_sessions(user.org_id, &filter, q.page, q.per_page)
        .await?;
    Ok(Paged {
        items: rows.iter().map(ServerSessionRow::api).collect(),
        page: q.page,
        per_page: q.per_page,
        total,
    })
}

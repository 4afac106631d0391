//! Read-time aggregates of staff time on game servers, and the staff profile with its
//! work-session side. Computed by queries over the sessions tables, so a session that closed
//! a minute ago counts, and open sessions count up to `now`.

use super::{get, Store, StoreResult};
use shared::game_servers::WorkSummary;

/// Sums over a set of server sessions (the average is the domain's business).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TimeSums {
    pub total_seconds: i64,
    pub count: i64,
    pub longest_seconds: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerSums {
    pub server_id: i64,
    pub server_name: String,
    pub sums: TimeSums,
}

/// Which sessions: one staff member's, started in `[from, to)` (ms), optionally one server.
#[derive(Debug, Clone, Copy)]
pub struct TimeScope {
    pub org_id: i64,
    pub user_id: i64,
    pub server_id: Option<i64>,
    pub from: i64,
    pub to: i64,
    pub now: i64,
}

/// A session's seconds: its stored duration, or up to `$1` (now) while open.
const SECONDS: &str = "CASE WHEN s.leave_time IS NOT NULL THEN s.duration_seconds
    WHEN $1 > s.join_time THEN ($1 - s.join_time) / 1000 ELSE 0 END";

/// The profile fields of the staff details page.
#[derive(Debug, Clone)]
pub struct StaffExtras {
    pub steam_id: Option<String>,
    pub discord: Option<String>,
}

impl Store {
    fn scoped(sql: &str, scope: &TimeScope) -> (String, Vec<i64>) {
        let mut binds = vec![scope.now, scope.org_id, scope.user_id, scope.from, scope.to];
        let mut sql = sql.replace(
            "{WHERE}",
            "s.org_id = $2 AND s.user_id = $3 AND s.join_time >= $4 AND s.join_time < $5",
        );
        if let Some(server_id) = scope.server_id {
            binds.push(server_id);
            sql = sql.replace("{SERVER}", " AND s.server_id = $6");
        } else {
            sql = sql.replace("{SERVER}", "");
        }
        (sql, binds)
    }

    pub async fn time_sums(&self, scope: &TimeScope) -> StoreResult<TimeSums> {
        let (sql, binds) = Self::scoped(
            &format!(
                "SELECT COUNT(*) AS n, CAST(COALESCE(SUM(x.d), 0) AS BIGINT) AS total,
                 CAST(COALESCE(MAX(x.d), 0) AS BIGINT) AS longest
                 FROM (SELECT {SECONDS} AS d FROM server_sessions s WHERE {{WHERE}}{{SERVER}}) x"
            ),
            scope,
        );
        let mut q = sqlx::query(&sql);
        for b in binds {
            q = q.bind(b);
        }
        let row = q.fetch_one(self.reader()).await?;
        Ok(TimeSums {
            total_seconds: get(&row, "total")?,
            count: get(&row, "n")?,
            longest_seconds: get(&row, "longest")?,
        })
    }

    /// Server by server, most time first.
    pub async fn time_sums_per_server(&self, scope: &TimeScope) -> StoreResult<Vec<ServerSums>> {
        let (sql, binds) = Self::scoped(
            &format!(
                "SELECT x.server_id, g.name AS server_name, COUNT(*) AS n,
                 CAST(SUM(x.d) AS BIGINT) AS total, CAST(MAX(x.d) AS BIGINT) AS longest
                 FROM (SELECT s.server_id, {SECONDS} AS d FROM server_sessions s WHERE {{WHERE}}{{SERVER}}) x
                 JOIN game_servers g ON g.id = x.server_id
                 GROUP BY x.server_id, g.name ORDER BY total DESC, x.server_id"
            ),
            scope,
        );
        let mut q = sqlx::query(&sql);
        for b in binds {
            q = q.bind(b);
        }
        let rows = q.fetch_all(self.reader()).await?;
        rows.iter()
            .map(|r| {
                Ok(ServerSums {
                    server_id: get(r, "server_id")?,
                    server_name: get(r, "server_name")?,
                    sums: TimeSums {
                        total_seconds: get(r, "total")?,
                        count: get(r, "n")?,
                        longest_seconds: get(r, "longest")?,
                    },
                })
            })
            .collect()
    }

    /// When the staff member last joined any server (ms).
    pub async fn last_join(&self, org_id: i64, user_id: i64) -> StoreResult<Option<i64>> {
        let row = sqlx::query(
            "SELECT MAX(join_time) AS t FROM server_sessions WHERE org_id = $1 AND user_id = $2",
        )
        .bind(org_id)
        .bind(user_id)
        .fetch_one(self.reader())
        .await?;
        get(&row, "t")
    }

    pub async fn staff_extras(
        &self,
        org_id: i64,
        user_id: i64,
    ) -> StoreResult<Option<StaffExtras>> {
        let row = sqlx::query("SELECT steam_id, discord FROM users WHERE id = $1 AND org_id = $2")
            .bind(user_id)
            .bind(org_id)
            .fetch_optional(self.reader())
            .await?;
        row.map(|r| {
            Ok(StaffExtras {
                steam_id: get(&r, "steam_id")?,
                discord: get(&r, "discord")?,
            })
        })
        .transpose()
    }

    /// Tickets worked and time spent (completed work sessions; deleted ones left out).
    pub async fn work_summary(&self, org_id: i64, user_id: i64) -> StoreResult<WorkSummary> {
        let row = sqlx::query(
            "SELECT COUNT(DISTINCT ticket_id) AS tickets,
             CAST(COALESCE(SUM(CASE WHEN ticket_id IS NOT NULL THEN duration_seconds ELSE 0 END), 0) AS BIGINT) AS on_tickets,
             COUNT(*) AS sessions, CAST(COALESCE(SUM(duration_seconds), 0) AS BIGINT) AS seconds
             FROM work_sessions WHERE org_id = $1 AND user_id = $2 AND deleted_at IS NULL",
        )
        .bind(org_id)
        .bind(user_id)
        .fetch_one(self.reader())
        .await?;
        Ok(WorkSummary {
            tickets_worked: get(&row, "tickets")?,
            time_on_tickets_seconds: get(&row, "on_tickets")?,
            work_sessions: get(&row, "sessions")?,
            work_seconds: get(&row, "seconds")?,
        })
    }
}

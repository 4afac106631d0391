//! Staff sessions on game servers, written by the poller. The database guarantees at most one
//! open session per staff member and server (partial unique index); an insert that meets it
//! is skipped, so a restarted or second hub never opens a session twice.

use super::{get, limit_offset, ms_to_time, now_ms, Store, StoreResult};
use crate::domain::server_presence::{OpenSession, Plan};
use hub_core::events::{Event, Published};
use shared::game_servers::{GameServerUpdate, ServerSession, StaffOnline};

#[derive(Debug, Clone, PartialEq)]
pub struct ServerSessionRow {
    pub id: i64,
    pub org_id: i64,
    pub user_id: i64,
    pub server_id: i64,
    pub player_name: String,
    pub join_time: i64,
    pub leave_time: Option<i64>,
    pub last_seen_at: i64,
    pub duration_seconds: Option<i64>,
    pub end_reason: Option<String>,
    pub user_name: String,
    pub server_name: String,
}

impl ServerSessionRow {
    pub fn api(&self) -> ServerSession {
        ServerSession {
            id: self.id,
            user_id: self.user_id,
            user_name: self.user_name.clone(),
            server_id: self.server_id,
            server_name: self.server_name.clone(),
            player_name: self.player_name.clone(),
            join_time: ms_to_time(self.join_time),
            leave_time: self.leave_time.map(ms_to_time),
            last_seen_at: ms_to_time(self.last_seen_at),
            duration_seconds: self.duration_seconds,
            end_reason: self.end_reason.clone(),
        }
    }

    pub fn online(&self) -> StaffOnline {
        StaffOnline {
            user_id: self.user_id,
            name: self.user_name.clone(),
            session_id: self.id,
            join_time: ms_to_time(self.join_time),
        }
    }
}

/// What one poll learned about the server itself.
#[derive(Debug, Clone, Default)]
pub struct PollRecord {
    pub polled_at: i64,
    pub answered: bool,
    /// From A2S_INFO, when it answered.
    pub server_name: Option<String>,
    pub map: Option<String>,
    pub players_online: Option<i64>,
    pub max_players: Option<i64>,
}

/// Filters of a staff member's session list. `from`/`to` bound `join_time` (ms).
#[derive(Debug, Clone, Default)]
pub struct ServerSessionFilter {
    pub user_id: Option<i64>,
    pub server_id: Option<i64>,
    pub from: Option<i64>,
    pub to: Option<i64>,
    pub open_only: bool,
}

/// A staff member's game name, for matching player lists.
#[derive(Debug, Clone)]
pub struct GameName {
    pub org_id: i64,
    pub user_id: i64,
    pub game_name: String,
}

const SELECT: &str = "SELECT s.id, s.org_id, s.user_id, s.server_id, s.player_name, s.join_time, s.leave_time,
    s.last_seen_at, s.duration_seconds, s.end_reason, u.name AS user_name, g.name AS server_name
    FROM server_sessions s JOIN users u ON u.id = s.user_id JOIN game_servers g ON g.id = s.server_id";

async fn sessions_by_id(
    conn: &mut sqlx::AnyConnection,
    ids: &[i64],
) -> StoreResult<Vec<shared::game_servers::ServerSession>> {
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        let row = sqlx::query(&format!("{SELECT} WHERE s.id = $1"))
            .bind(id)
            .fetch_one(&mut *conn)
            .await?;
        out.push(server_session_row(&row)?.api());
    }
    Ok(out)
}

impl Store {
    /// Active users with a game name, in every organization.
    pub async fn game_names(&self) -> StoreResult<Vec<GameName>> {
        let rows = sqlx::query(
            "SELECT org_id, id, game_name FROM users WHERE active = 1 AND game_name IS NOT NULL AND game_name <> ''",
        )
        .fetch_all(self.reader())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(GameName {
                    org_id: get(r, "org_id")?,
                    user_id: get(r, "id")?,
                    game_name: get(r, "game_name")?,
                })
            })
            .collect()
    }

    /// The open sessions of one server, read from the writer so a poll sees its predecessor.
    pub async fn open_server_sessions(&self, server_id: i64) -> StoreResult<Vec<OpenSession>> {
        let rows = sqlx::query(
            "SELECT id, user_id, last_seen_at FROM server_sessions WHERE server_id = $1 AND leave_time IS NULL ORDER BY id",
        )
        .bind(server_id)
        .fetch_all(self.writer())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(OpenSession {
                    id: get(r, "id")?,
                    user_id: get(r, "user_id")?,
                    last_seen_at: get(r, "last_seen_at")?,
                })
            })
            .collect()
    }

    /// Commits one poll: the server's new state and the plan's opens, touches and closes, in
    /// one transaction. Returns the sessions opened and closed.
    /// `shows_differently(before, after)` says whether dashboards should hear of a poll that
    /// opened and closed nothing; the update (and its event) comes back when they should.
    pub async fn apply_poll(
        &self,
        before: &super::GameServerRow,
        record: &PollRecord,
        plan: &Plan,
        shows_differently: impl FnOnce(&super::GameServerRow, &super::GameServerRow) -> bool,
    ) -> StoreResult<Option<(GameServerUpdate, Published)>> {
        let (org_id, server_id) = (before.org_id, before.id);
        let started = std::time::Instant::now();
        let now = record.polled_at;
        let mut tx = self.writer().begin().await?;
        sqlx::query(
            "UPDATE game_servers SET last_polled_at = $1, consecutive_failures = $2,
             last_ok_at = CASE WHEN $3 = 1 THEN $1 ELSE last_ok_at END,
             server_name = COALESCE($4, server_name), map = COALESCE($5, map),
             players_online = CASE WHEN $3 = 1 THEN COALESCE($6, players_online) ELSE players_online END,
             max_players = COALESCE($7, max_players)
             WHERE id = $8",
        )
        .bind(now)
        .bind(plan.failures)
        .bind(record.answered as i64)
        .bind(record.server_name.as_deref())
        .bind(record.map.as_deref())
        .bind(record.players_online)
        .bind(record.max_players)
        .bind(server_id)
        .execute(&mut *tx)
        .await?;
        for id in &plan.touch {
            sqlx::query(
                "UPDATE server_sessions SET last_seen_at = $1 WHERE id = $2 AND leave_time IS NULL",
            )
            .bind(now)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        }
        let mut closed = Vec::new();
        for c in &plan.close {
            let done = sqlx::query(
                "UPDATE server_sessions SET leave_time = $1, duration_seconds = ($1 - join_time) / 1000, end_reason = $2
                 WHERE id = $3 AND leave_time IS NULL AND join_time <= $1",
            )
            .bind(c.leave_time)
            .bind(c.reason.as_str())
            .bind(c.session_id)
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() > 0 {
                closed.push(c.session_id);
            }
        }
        let mut opened = Vec::new();
        for p in &plan.open {
            let row = sqlx::query(
                "INSERT INTO server_sessions (org_id, user_id, server_id, player_name, join_time, last_seen_at, created_at)
                 VALUES ($1, $2, $3, $4, $5, $5, $6) ON CONFLICT DO NOTHING RETURNING id",
            )
            .bind(org_id)
            .bind(p.user_id)
            .bind(server_id)
            .bind(&p.player_name)
            .bind(now)
            .bind(now_ms())
            .fetch_optional(&mut *tx)
            .await?;
            if let Some(row) = row {
                opened.push(get::<i64>(&row, "id")?);
            }
        }
        let after = super::game_servers::server_in(&mut tx, org_id, server_id).await?;
        let announced = match after {
            Some(after)
                if !opened.is_empty()
                    || !closed.is_empty()
                    || shows_differently(before, &after) =>
            {
                Some(
                    self.announce_server_update(&mut tx, &after, &opened, &closed, false)
                        .await?,
                )
            }
            _ => None,
        };
        tx.commit().await?;
        self.observe_write(started);
        Ok(announced)
    }

    /// The update every dashboard gets about `server`, read inside the change's transaction
    /// (the staff on it now, the sessions this change opened and closed), appended to the
    /// outbox there.
    pub(super) async fn announce_server_update(
        &self,
        conn: &mut sqlx::AnyConnection,
        server: &super::GameServerRow,
        opened: &[i64],
        closed: &[i64],
        deleted: bool,
    ) -> StoreResult<(GameServerUpdate, Published)> {
        let online = sqlx::query(&format!(
            "{SELECT} WHERE s.server_id = $1 AND s.leave_time IS NULL ORDER BY u.name, s.id"
        ))
        .bind(server.id)
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|r| server_session_row(r).map(|s| s.online()))
        .collect::<StoreResult<Vec<_>>>()?;
        let update = GameServerUpdate {
            server: server.api(online),
            opened: sessions_by_id(conn, opened).await?,
            closed: sessions_by_id(conn, closed).await?,
            deleted,
        };
        let event = Event::GameServerUpdated {
            update: Box::new(update.clone()),
        };
        let published = self.announce(conn, server.org_id, event).await?;
        Ok((update, published))
    }

    /// Closes every open session of a server (disabled or deleted) where it was last seen.
    pub(super) async fn close_open_sessions(
        conn: &mut sqlx::AnyConnection,
        server_id: i64,
        reason: &'static str,
    ) -> StoreResult<Vec<i64>> {
        let rows = sqlx::query(
            "UPDATE server_sessions SET leave_time = last_seen_at, duration_seconds = (last_seen_at - join_time) / 1000,
             end_reason = $1 WHERE server_id = $2 AND leave_time IS NULL RETURNING id",
        )
        .bind(reason)
        .bind(server_id)
        .fetch_all(&mut *conn)
        .await?;
        rows.iter().map(|r| get(r, "id")).collect()
    }

    /// Who is on each of the organization's servers now (every open session).
    pub async fn open_server_sessions_of_org(
        &self,
        org_id: i64,
    ) -> StoreResult<Vec<ServerSessionRow>> {
        let rows = sqlx::query(&format!(
            "{SELECT} WHERE s.org_id = $1 AND s.leave_time IS NULL ORDER BY u.name, s.id"
        ))
        .bind(org_id)
        .fetch_all(self.reader())
        .await?;
        rows.iter().map(server_session_row).collect()
    }

    /// Newest first.
    pub async fn list_server_sessions(
        &self,
        org_id: i64,
        filter: &ServerSessionFilter,
        page: u32,
        per_page: u32,
    ) -> StoreResult<(Vec<ServerSessionRow>, i64)> {
        let mut conds = vec!["s.org_id = $1".to_string()];
        let mut binds = vec![org_id];
        let mut push = |cond: &str, value: i64| {
            binds.push(value);
            conds.push(cond.replace("{}", &format!("${}", binds.len())));
        };
        if let Some(user_id) = filter.user_id {
            push("s.user_id = {}", user_id);
        }
        if let Some(server_id) = filter.server_id {
            push("s.server_id = {}", server_id);
        }
        if let Some(from) = filter.from {
            push("s.join_time >= {}", from);
        }
        if let Some(to) = filter.to {
            push("s.join_time < {}", to);
        }
        if filter.open_only {
            conds.push("s.leave_time IS NULL".into());
        }
        let wheres = conds.join(" AND ");
        let (limit, offset) = limit_offset(page, per_page);
        let sql = format!(
            "{SELECT} WHERE {wheres} ORDER BY s.join_time DESC, s.id DESC LIMIT {limit} OFFSET {offset}"
        );
        let count_sql = format!("SELECT COUNT(*) AS n FROM server_sessions s WHERE {wheres}");
        let mut rows_q = sqlx::query(&sql);
        let mut count_q = sqlx::query(&count_sql);
        for b in &binds {
            rows_q = rows_q.bind(*b);
            count_q = count_q.bind(*b);
        }
        let rows = rows_q.fetch_all(self.reader()).await?;
        let total = count_q.fetch_one(self.reader()).await?;
        Ok((
            rows.iter()
                .map(server_session_row)
                .collect::<StoreResult<_>>()?,
            get(&total, "n")?,
        ))
    }
}

pub(super) fn server_session_row(r: &sqlx::any::AnyRow) -> StoreResult<ServerSessionRow> {
    Ok(ServerSessionRow {
        id: get(r, "id")?,
        org_id: get(r, "org_id")?,
        user_id: get(r, "user_id")?,
        server_id: get(r, "server_id")?,
        player_name: get(r, "player_name")?,
        join_time: get(r, "join_time")?,
        leave_time: get(r, "leave_time")?,
        last_seen_at: get(r, "last_seen_at")?,
        duration_seconds: get(r, "duration_seconds")?,
        end_reason: get(r, "end_reason")?,
        user_name: get(r, "user_name")?,
        server_name: get(r, "server_name")?,
    })
}

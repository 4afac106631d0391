//! Work sessions. The database guarantees one active session per user (partial unique index)
//! and, on PostgreSQL, no overlap (exclusion constraint); SQLite's single writer makes the
//! overlap check and the insert one atomic step.

use super::{
    get, is_constraint_conflict, limit_offset, ms_to_time, now_ms, NewAudit, Store, StoreError,
    StoreResult,
};
use crate::events::{Event, Published};
use shared::protocol::SessionInfo;

pub const ACTIVE_SESSION_MESSAGE: &str =
    "You have an active session. Please stop it before starting a new one.";
pub const OVERLAP_MESSAGE: &str = "This time overlaps another of your sessions.";

#[derive(Debug, Clone, PartialEq)]
pub struct SessionRow {
    pub id: i64,
    pub org_id: i64,
    pub user_id: i64,
    pub ticket_id: Option<i64>,
    pub started_at: i64,
    pub ended_at: Option<i64>,
    pub duration_seconds: Option<i64>,
    pub note: Option<String>,
    pub source: String,
    pub end_reason: Option<String>,
    pub end_note: Option<String>,
    pub ended_by: Option<i64>,
    pub user_name: String,
    pub ticket_title: Option<String>,
}

impl SessionRow {
    pub fn info(&self) -> SessionInfo {
        SessionInfo {
            id: self.id,
            org_id: self.org_id,
            user_id: self.user_id,
            ticket_id: self.ticket_id,
            started_at: ms_to_time(self.started_at),
            ended_at: self.ended_at.map(ms_to_time),
            duration_seconds: self.duration_seconds,
            note: self.note.clone(),
            source: self.source.clone(),
            end_reason: self.end_reason.clone(),
            end_note: self.end_note.clone(),
            ended_by: self.ended_by,
            user_name: Some(self.user_name.clone()),
            ticket_title: self.ticket_title.clone(),
        }
    }
}

/// A write that may have been applied before (same client id).
#[derive(Debug)]
pub enum Created<T> {
    New(T),
    Existing(T),
}

pub struct NewSession<'a> {
    pub org_id: i64,
    pub user_id: i64,
    pub ticket_id: Option<i64>,
    pub started_at: i64,
    /// `Some` for a completed (manual) entry.
    pub ended_at: Option<i64>,
    pub note: Option<&'a str>,
    pub source: &'static str,
    pub client_id: Option<&'a str>,
}

pub struct SessionEnd<'a> {
    pub ended_at: i64,
    pub end_reason: &'static str,
    pub end_note: Option<&'a str>,
    pub ended_by: i64,
    /// Replaces the session's note when given.
    pub note: Option<&'a str>,
}

/// Filters of a session list; all optional. Times in ms; `from`/`to` bound `started_at`.
#[derive(Debug, Default, Clone)]
pub struct SessionFilter {
    pub user_id: Option<i64>,
    pub ticket_id: Option<i64>,
    pub active: Option<bool>,
    pub from: Option<i64>,
    pub to: Option<i64>,
}

const SELECT: &str = "SELECT s.id, s.org_id, s.user_id, s.ticket_id, s.started_at, s.ended_at, s.duration_seconds, s.note, s.source,
    s.end_reason, s.end_note, s.ended_by, u.name AS user_name, t.title AS ticket_title
    FROM work_sessions s JOIN users u ON u.id = s.user_id LEFT JOIN tickets t ON t.id = s.ticket_id";

/// The columns of [`SELECT`] as the `RETURNING` list of a statement on `work_sessions`.
const RETURNING: &str =
    "id, org_id, user_id, ticket_id, started_at, ended_at, duration_seconds, note, source,
    end_reason, end_note, ended_by,
    (SELECT u.name FROM users u WHERE u.id = work_sessions.user_id) AS user_name,
    (SELECT t.title FROM tickets t WHERE t.id = work_sessions.ticket_id) AS ticket_title";

impl Store {
    /// Starts a session (`ended_at` = None) or records a completed one, refusing overlaps
    /// and a second active session. A known client id returns the first result.
    /// `announce` names the event of a new session (outbox, same transaction).
    pub async fn create_session(
        &self,
        new: NewSession<'_>,
        announce: impl FnOnce(&SessionRow) -> Option<Event>,
    ) -> StoreResult<(Created<SessionRow>, Option<Published>)> {
        let started = std::time::Instant::now();
        if let Some(existing) = self
            .session_by_client_id(new.user_id, new.client_id)
            .await?
        {
            return Ok((Created::Existing(existing), None));
        }
        let mut tx = self.writer().begin().await?;
        if new.ended_at.is_none() {
            let active =
                sqlx::query("SELECT id FROM work_sessions WHERE user_id = $1 AND ended_at IS NULL")
                    .bind(new.user_id)
                    .fetch_optional(&mut *tx)
                    .await?;
            if active.is_some() {
                return Err(StoreError::Conflict(ACTIVE_SESSION_MESSAGE));
            }
        }
        let overlap = sqlx::query(
            "SELECT id FROM work_sessions WHERE user_id = $1 AND started_at < $2 AND COALESCE(ended_at, 9223372036854775807) > $3 LIMIT 1",
        )
        .bind(new.user_id)
        .bind(new.ended_at.unwrap_or(i64::MAX))
        .bind(new.started_at)
        .fetch_optional(&mut *tx)
        .await?;
        if overlap.is_some() {
            return Err(StoreError::Conflict(if new.ended_at.is_none() {
                ACTIVE_SESSION_MESSAGE
            } else {
                OVERLAP_MESSAGE
            }));
        }
        let inserted = sqlx::query(&format!(
            "INSERT INTO work_sessions (org_id, user_id, ticket_id, started_at, ended_at, duration_seconds, note, source, client_id, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING {RETURNING}"
        ))
        .bind(new.org_id)
        .bind(new.user_id)
        .bind(new.ticket_id)
        .bind(new.started_at)
        .bind(new.ended_at)
        .bind(new.ended_at.map(|end| crate::domain::sessions::duration_seconds(new.started_at, end)))
        .bind(new.note)
        .bind(new.source)
        .bind(new.client_id)
        .bind(now_ms())
        .fetch_one(&mut *tx)
        .await;
        let row = match inserted {
            Ok(row) => session_row(&row)?,
            Err(e) if is_constraint_conflict(&e) => {
                drop(tx);
                // A concurrent replay of the same client id won the race: answer with it.
                if let Some(existing) = self
                    .session_by_client_id(new.user_id, new.client_id)
                    .await?
                {
                    return Ok((Created::Existing(existing), None));
                }
                return Err(StoreError::Conflict(if new.ended_at.is_none() {
                    ACTIVE_SESSION_MESSAGE
                } else {
                    OVERLAP_MESSAGE
                }));
            }
            Err(e) => return Err(e.into()),
        };
        let published = match announce(&row) {
            Some(event) => Some(self.announce(&mut tx, new.org_id, event).await?),
            None => None,
        };
        tx.commit().await?;
        self.observe_write(started);
        Ok((Created::New(row), published))
    }

    async fn session_by_client_id(
        &self,
        user_id: i64,
        client_id: Option<&str>,
    ) -> StoreResult<Option<SessionRow>> {
        let Some(client_id) = client_id else {
            return Ok(None);
        };
        let row = sqlx::query(&format!(
            "{SELECT} WHERE s.user_id = $1 AND s.client_id = $2"
        ))
        .bind(user_id)
        .bind(client_id)
        .fetch_optional(self.writer())
        .await?;
        row.map(|r| session_row(&r)).transpose()
    }

    /// Ends an active session; `None` if it is not active (already ended or unknown).
    /// The audit entry, if any, commits in the same transaction.
    pub async fn end_session(
        &self,
        org_id: i64,
        id: i64,
        end: &SessionEnd<'_>,
        audit: Option<&NewAudit>,
        announce: impl FnOnce(&SessionRow) -> Event,
    ) -> StoreResult<Option<(SessionRow, Published)>> {
        let started = std::time::Instant::now();
        let mut tx = self.writer().begin().await?;
        // The ended row comes back from the UPDATE itself: one statement less while the
        // single SQLite writer is held.
        let done = sqlx::query(&format!(
            "UPDATE work_sessions SET ended_at = $1, duration_seconds = ($1 - started_at) / 1000, end_reason = $2, end_note = $3,
             ended_by = $4, note = COALESCE($5, note)
             WHERE id = $6 AND org_id = $7 AND ended_at IS NULL AND started_at <= $1
             RETURNING {RETURNING}"
        ))
        .bind(end.ended_at)
        .bind(end.end_reason)
        .bind(end.end_note)
        .bind(end.ended_by)
        .bind(end.note)
        .bind(id)
        .bind(org_id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = done else {
            return Ok(None);
        };
        let row = session_row(&row)?;
        if let Some(audit) = audit {
            Store::insert_audit(&mut tx, audit).await?;
        }
        let published = self.announce(&mut tx, org_id, announce(&row)).await?;
        tx.commit().await?;
        self.observe_write(started);
        Ok(Some((row, published)))
    }

    pub async fn get_session(&self, org_id: i64, id: i64) -> StoreResult<Option<SessionRow>> {
        let row = sqlx::query(&format!("{SELECT} WHERE s.id = $1 AND s.org_id = $2"))
            .bind(id)
            .bind(org_id)
            .fetch_optional(self.reader())
            .await?;
        row.map(|r| session_row(&r)).transpose()
    }

    /// An organization's running sessions.
    pub async fn active_sessions_of_org(&self, org_id: i64) -> StoreResult<Vec<SessionRow>> {
        let rows = sqlx::query(&format!(
            "{SELECT} WHERE s.ended_at IS NULL AND s.org_id = $1"
        ))
        .bind(org_id)
        .fetch_all(self.reader())
        .await?;
        rows.iter().map(session_row).collect()
    }

    /// Every running session: the hub's view at start-up.
    pub async fn active_sessions(&self) -> StoreResult<Vec<SessionRow>> {
        let rows = sqlx::query(&format!("{SELECT} WHERE s.ended_at IS NULL"))
            .fetch_all(self.reader())
            .await?;
        rows.iter().map(session_row).collect()
    }

    /// Newest first.
    pub async fn list_sessions(
        &self,
        org_id: i64,
        filter: &SessionFilter,
        page: u32,
        per_page: u32,
    ) -> StoreResult<(Vec<SessionRow>, i64)> {
        let mut conds = vec!["s.org_id = $1".to_string()];
        let mut binds = vec![org_id];
        let mut push = |cond: &str, value: i64| {
            binds.push(value);
            conds.push(cond.replace("{}", &format!("${}", binds.len())));
        };
        if let Some(user_id) = filter.user_id {
            push("s.user_id = {}", user_id);
        }
        if let Some(ticket_id) = filter.ticket_id {
            push("s.ticket_id = {}", ticket_id);
        }
        if let Some(from) = filter.from {
            push("s.started_at >= {}", from);
        }
        if let Some(to) = filter.to {
            push("s.started_at < {}", to);
        }
        match filter.active {
            Some(true) => conds.push("s.ended_at IS NULL".into()),
            Some(false) => conds.push("s.ended_at IS NOT NULL".into()),
            None => {}
        }
        let wheres = conds.join(" AND ");
        let (limit, offset) = limit_offset(page, per_page);
        let sql = format!("{SELECT} WHERE {wheres} ORDER BY s.started_at DESC, s.id DESC LIMIT {limit} OFFSET {offset}");
        let mut rows_q = sqlx::query(&sql);
        let count_sql = format!("SELECT COUNT(*) AS n FROM work_sessions s WHERE {wheres}");
        let mut count_q = sqlx::query(&count_sql);
        for b in &binds {
            rows_q = rows_q.bind(*b);
            count_q = count_q.bind(*b);
        }
        let rows = rows_q.fetch_all(self.reader()).await?;
        let total = count_q.fetch_one(self.reader()).await?;
        Ok((
            rows.iter().map(session_row).collect::<StoreResult<_>>()?,
            get(&total, "n")?,
        ))
    }
}

fn session_row(r: &sqlx::any::AnyRow) -> StoreResult<SessionRow> {
    Ok(SessionRow {
        id: get(r, "id")?,
        org_id: get(r, "org_id")?,
        user_id: get(r, "user_id")?,
        ticket_id: get(r, "ticket_id")?,
        started_at: get(r, "started_at")?,
        ended_at: get(r, "ended_at")?,
        duration_seconds: get(r, "duration_seconds")?,
        note: get(r, "note")?,
        source: get(r, "source")?,
        end_reason: get(r, "end_reason")?,
        end_note: get(r, "end_note")?,
        ended_by: get(r, "ended_by")?,
        user_name: get(r, "user_name")?,
        ticket_title: get(r, "ticket_title")?,
    })
}

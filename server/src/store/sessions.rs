//! Work sessions. The database guarantees one active session per user (partial unique index)
//! and, on PostgreSQL, no overlap (exclusion constraint); SQLite's single writer makes the
//! overlap check and the insert one atomic step.

use super::exec::Exec;
use super::{
    get, is_constraint_conflict, limit_offset, ms_to_time, now_ms, NewAudit, Store, StoreError,
    StoreResult,
};
use hub_core::events::{Event, Published};
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
    pub discarded_seconds: i64,
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
            discarded_seconds: self.discarded_seconds,
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
    /// The ISO weeks (organization's timezone) the new session touches: refused if one of
    /// them is approved.
    pub weeks: Vec<String>,
}

/// A corrected session's new values (all of them: the operation merges the request into the
/// current row), and the current times it was made from: if those changed meanwhile the
/// correction is refused rather than applied to a different session state.
pub struct SessionCorrection<'a> {
    pub started_at: i64,
    pub ended_at: Option<i64>,
    pub ticket_id: Option<i64>,
    pub note: Option<&'a str>,
    pub discarded_seconds: i64,
    pub was_started_at: i64,
    pub was_ended_at: Option<i64>,
    /// Every ISO week the old and the new times touch.
    pub weeks: Vec<String>,
}

pub struct SessionEnd<'a> {
    pub ended_at: i64,
    pub end_reason: &'static str,
    pub end_note: Option<&'a str>,
    /// `None` for an automatic stop.
    pub ended_by: Option<i64>,
    /// Replaces the session's note when given.
    pub note: Option<&'a str>,
}

/// Who deletes a session and why; the weeks its time lies in.
pub struct SessionDeletion<'a> {
    pub by: i64,
    pub reason: &'a str,
    pub weeks: Vec<String>,
}

/// Filters of a session list; all optional. Times in ms; `from`/`to` keep the sessions that
/// overlap `[from, to)`, so a session across midnight or Monday 00:00 is in both periods.
#[derive(Debug, Default, Clone)]
pub struct SessionFilter {
    pub user_id: Option<i64>,
    pub ticket_id: Option<i64>,
    pub active: Option<bool>,
    pub from: Option<i64>,
    pub to: Option<i64>,
}

const SELECT: &str = "SELECT s.id, s.org_id, s.user_id, s.ticket_id, s.started_at, s.ended_at, s.duration_seconds, s.note, s.source,
    s.end_reason, s.end_note, s.ended_by, u.name AS user_name, t.title AS ticket_title, s.discarded_seconds
    FROM work_sessions s JOIN users u ON u.id = s.user_id LEFT JOIN tickets t ON t.id = s.ticket_id";

/// Live (not deleted) sessions only.
const LIVE: &str = "s.deleted_at IS NULL";

pub const CHANGED_MEANWHILE_MESSAGE: &str =
    "This session changed meanwhile (it was stopped, ended or corrected): reload and try again.";

/// The columns of [`SELECT`] as the `RETURNING` list of a statement on `work_sessions`.
const RETURNING: &str =
    "id, org_id, user_id, ticket_id, started_at, ended_at, duration_seconds, note, source,
    end_reason, end_note, ended_by, discarded_seconds,
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
        self.refuse_locked_weeks(&mut tx, new.org_id, new.user_id, &new.weeks)
            .await?;
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
        if Store::overlaps_other(&mut tx, new.user_id, None, new.started_at, new.ended_at).await? {
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
        let ended = match self.direct() {
            // An admin waits on this one: the whole transaction on this thread (store/direct.rs).
            Some(direct) => {
                let _writer = self.writer().acquire().await?;
                direct.transaction(async |tx| {
                    self.end_in(tx, org_id, id, end, audit, announce).await
                })?
            }
            None => {
                let mut tx = self.writer().begin().await?;
                let ended = self
                    .end_in(&mut *tx, org_id, id, end, audit, announce)
                    .await?;
                tx.commit().await?;
                ended
            }
        };
        self.observe_write(started);
        Ok(ended)
    }

    /// The steps of [`Store::end_session`] in the caller's transaction.
    async fn end_in(
        &self,
        tx: &mut impl Exec,
        org_id: i64,
        id: i64,
        end: &SessionEnd<'_>,
        audit: Option<&NewAudit>,
        announce: impl FnOnce(&SessionRow) -> Event,
    ) -> StoreResult<Option<(SessionRow, Published)>> {
        // The ended row comes back from the UPDATE itself: one statement less while the
        // single SQLite writer is held.
        let sql = format!(
            "UPDATE work_sessions SET ended_at = $1, duration_seconds = ($1 - started_at) / 1000 - discarded_seconds,
             end_reason = $2, end_note = $3, ended_by = $4, note = COALESCE($5, note)
             WHERE id = $6 AND org_id = $7 AND ended_at IS NULL AND started_at <= $1
             RETURNING {RETURNING}"
        );
        let done = tx
            .maybe_row(
                sqlx::query(&sql)
                    .bind(end.ended_at)
                    .bind(end.end_reason)
                    .bind(end.end_note)
                    .bind(end.ended_by)
                    .bind(end.note)
                    .bind(id)
                    .bind(org_id),
            )
            .await?;
        let Some(row) = done else {
            return Ok(None);
        };
        let mut row = session_row(&row)?;
        // Ended in the past (a live rule's crossing moment): idle time discarded after the end
        // is no longer the session's, so its discarded seconds and duration are counted again.
        if row.discarded_seconds > 0 {
            row = self.recount_discarded(tx, org_id, id).await?;
        }
        if let Some(audit) = audit {
            Store::insert_audit(tx, audit).await?;
        }
        let published = self.announce(tx, org_id, announce(&row)).await?;
        Ok(Some((row, published)))
    }

    /// A session read inside a transaction (deleted or not).
    pub(crate) async fn session_in(
        &self,
        conn: &mut impl Exec,
        org_id: i64,
        id: i64,
    ) -> StoreResult<SessionRow> {
        let sql = format!("{SELECT} WHERE s.id = $1 AND s.org_id = $2");
        let row = conn
            .one_row(sqlx::query(&sql).bind(id).bind(org_id))
            .await?;
        session_row(&row)
    }

    /// A live session (a stop or an end reads it first: on the direct connection, store/direct.rs).
    pub async fn get_session(&self, org_id: i64, id: i64) -> StoreResult<Option<SessionRow>> {
        let sql = format!("{SELECT} WHERE s.id = $1 AND s.org_id = $2 AND {LIVE}");
        let row = self
            .fetch_on_path(sqlx::query(&sql).bind(id).bind(org_id))
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
        let mut conds = vec!["s.org_id = $1".to_string(), LIVE.to_string()];
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
            push("COALESCE(s.ended_at, 9223372036854775807) > {}", from);
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

impl Store {
    /// Whether `[start, end)` (`end` `None`: still running) overlaps a live session of the
    /// user other than `except`.
    async fn overlaps_other(
        conn: &mut sqlx::AnyConnection,
        user_id: i64,
        except: Option<i64>,
        start: i64,
        end: Option<i64>,
    ) -> StoreResult<bool> {
        let found = sqlx::query(
            "SELECT id FROM work_sessions WHERE user_id = $1 AND id <> $2 AND deleted_at IS NULL
             AND started_at < $3 AND COALESCE(ended_at, 9223372036854775807) > $4 LIMIT 1",
        )
        .bind(user_id)
        // Ids are positive: -1 excludes nothing.
        .bind(except.unwrap_or(-1))
        .bind(end.unwrap_or(i64::MAX))
        .bind(start)
        .fetch_optional(&mut *conn)
        .await?;
        Ok(found.is_some())
    }

    /// Refuses a write into any of `weeks` that is approved for the user, inside the write's
    /// transaction. An approval and a write of the same user are serialized: SQLite has one
    /// writer; on PostgreSQL both lock the user's row first, so an approval commits either
    /// before the write (which is refused) or after it (and sees it).
    pub(crate) async fn refuse_locked_weeks(
        &self,
        conn: &mut sqlx::AnyConnection,
        org_id: i64,
        user_id: i64,
        weeks: &[String],
    ) -> StoreResult<()> {
        self.lock_user_time(conn, user_id).await?;
        for week in weeks {
            let approved = sqlx::query(
                "SELECT week FROM timesheet_weeks WHERE org_id = $1 AND user_id = $2 AND week = $3 AND state = 'approved'",
            )
            .bind(org_id)
            .bind(user_id)
            .bind(week.as_str())
            .fetch_optional(&mut *conn)
            .await?;
            if approved.is_some() {
                return Err(StoreError::Refused(locked_message(week)));
            }
        }
        Ok(())
    }

    /// Applies a correction: refused if the session changed meanwhile, if the new times
    /// overlap another of the user's sessions, or if a week it touches is approved. The
    /// audit entry and the event commit with it.
    pub async fn correct_session(
        &self,
        org_id: i64,
        id: i64,
        fix: &SessionCorrection<'_>,
        audit: &NewAudit,
        announce: impl FnOnce(&SessionRow) -> Event,
    ) -> StoreResult<(SessionRow, Published)> {
        let started = std::time::Instant::now();
        let mut tx = self.writer().begin().await?;
        let owner = sqlx::query(
            "SELECT user_id FROM work_sessions WHERE id = $1 AND org_id = $2 AND deleted_at IS NULL",
        )
        .bind(id)
        .bind(org_id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::Conflict(CHANGED_MEANWHILE_MESSAGE))?;
        let user_id: i64 = get(&owner, "user_id")?;
        self.refuse_locked_weeks(&mut tx, org_id, user_id, &fix.weeks)
            .await?;
        if Store::overlaps_other(&mut tx, user_id, Some(id), fix.started_at, fix.ended_at).await? {
            return Err(StoreError::Conflict(OVERLAP_MESSAGE));
        }
        let duration = fix.ended_at.map(|end| {
            crate::domain::sessions::duration_seconds(fix.started_at, end) - fix.discarded_seconds
        });
        let updated = sqlx::query(&format!(
            "UPDATE work_sessions SET started_at = $1, ended_at = $2, duration_seconds = $3, ticket_id = $4, note = $5,
             discarded_seconds = $6
             WHERE id = $7 AND org_id = $8 AND deleted_at IS NULL AND started_at = $9
             AND COALESCE(ended_at, -1) = $10
             RETURNING {RETURNING}"
        ))
        .bind(fix.started_at)
        .bind(fix.ended_at)
        .bind(duration)
        .bind(fix.ticket_id)
        .bind(fix.note)
        .bind(fix.discarded_seconds)
        .bind(id)
        .bind(org_id)
        .bind(fix.was_started_at)
        .bind(fix.was_ended_at.unwrap_or(-1))
        .fetch_optional(&mut *tx)
        .await;
        let row = match updated {
            Ok(Some(row)) => session_row(&row)?,
            Ok(None) => return Err(StoreError::Conflict(CHANGED_MEANWHILE_MESSAGE)),
            Err(e) if is_constraint_conflict(&e) => {
                return Err(StoreError::Conflict(OVERLAP_MESSAGE))
            }
            Err(e) => return Err(e.into()),
        };
        Store::insert_audit(&mut tx, audit).await?;
        let published = self.announce(&mut tx, org_id, announce(&row)).await?;
        tx.commit().await?;
        self.observe_write(started);
        Ok((row, published))
    }

    /// Turns an ended session into a tombstone: no longer listed or counted, kept for the
    /// audit. Refused for a running session, an unknown one, or one in an approved week.
    pub async fn delete_session(
        &self,
        org_id: i64,
        id: i64,
        deletion: &SessionDeletion<'_>,
        audit: &NewAudit,
        announce: impl FnOnce(&SessionRow) -> Event,
    ) -> StoreResult<Option<(SessionRow, Published)>> {
        let started = std::time::Instant::now();
        let mut tx = self.writer().begin().await?;
        let owner = sqlx::query(
            "SELECT user_id FROM work_sessions WHERE id = $1 AND org_id = $2 AND deleted_at IS NULL",
        )
        .bind(id)
        .bind(org_id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(owner) = owner else {
            return Ok(None);
        };
        self.refuse_locked_weeks(&mut tx, org_id, get(&owner, "user_id")?, &deletion.weeks)
            .await?;
        let done = sqlx::query(&format!(
            "UPDATE work_sessions SET deleted_at = $1, deleted_by = $2, delete_reason = $3
             WHERE id = $4 AND org_id = $5 AND deleted_at IS NULL AND ended_at IS NOT NULL
             RETURNING {RETURNING}"
        ))
        .bind(now_ms())
        .bind(deletion.by)
        .bind(deletion.reason)
        .bind(id)
        .bind(org_id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = done else {
            return Err(StoreError::Conflict(
                "A running session cannot be deleted: stop or end it first.",
            ));
        };
        let row = session_row(&row)?;
        Store::insert_audit(&mut tx, audit).await?;
        let published = self.announce(&mut tx, org_id, announce(&row)).await?;
        tx.commit().await?;
        self.observe_write(started);
        Ok(Some((row, published)))
    }
}

impl Store {
    /// Serializes changes to one user's recorded time with approvals of their weeks
    /// (PostgreSQL; SQLite's single writer does it already).
    pub(crate) async fn lock_user_time(
        &self,
        conn: &mut sqlx::AnyConnection,
        user_id: i64,
    ) -> StoreResult<()> {
        if self.backend() == super::Backend::Postgres {
            sqlx::query("SELECT id FROM users WHERE id = $1 FOR UPDATE")
                .bind(user_id)
                .fetch_optional(&mut *conn)
                .await?;
        }
        Ok(())
    }
}

/// The 409 text for a write into an approved week.
pub fn locked_message(week: &str) -> String {
    format!("The week {week} is approved and locked: an admin must reopen it before its time can change.")
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
        discarded_seconds: get(r, "discarded_seconds")?,
    })
}

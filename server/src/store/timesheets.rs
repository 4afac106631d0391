//! Approved weeks, and the sessions a timesheet or a report counts.

use std::collections::HashMap;

use super::{get, now_ms, NewAudit, Store, StoreError, StoreResult};
use hub_core::events::{Event, Published};

#[derive(Debug, Clone, PartialEq)]
pub struct WeekStateRow {
    pub user_id: i64,
    pub week: String,
    /// `open` or `approved`.
    pub state: String,
    pub changed_by: Option<i64>,
    pub changed_by_name: Option<String>,
    pub changed_at: i64,
}

/// A live session overlapping a range, with what a tally needs.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkedRow {
    pub id: i64,
    pub user_id: i64,
    pub user_name: String,
    pub ticket_id: Option<i64>,
    pub ticket_number: Option<i64>,
    pub ticket_title: Option<String>,
    pub started_at: i64,
    pub ended_at: Option<i64>,
    pub duration_seconds: Option<i64>,
    /// Discarded idle spans, `[start, end)` in ms.
    pub discarded: Vec<(i64, i64)>,
}

const WEEK_COLUMNS: &str =
    "w.user_id, w.week, w.state, w.changed_by, w.changed_at, u.name AS changed_by_name
    FROM timesheet_weeks w LEFT JOIN users u ON u.id = w.changed_by";

impl Store {
    /// Every user's recorded state of `week` (users without a row are open).
    pub async fn week_states(&self, org_id: i64, week: &str) -> StoreResult<Vec<WeekStateRow>> {
        let rows = sqlx::query(&format!(
            "SELECT {WEEK_COLUMNS} WHERE w.org_id = $1 AND w.week = $2"
        ))
        .bind(org_id)
        .bind(week)
        .fetch_all(self.reader())
        .await?;
        rows.iter().map(week_row).collect()
    }

    /// Approves (`approved`) or reopens (`open`) a user's week. Refused if it is in that
    /// state already, or — approving — while the user has a session running since before the
    /// week's end. The audit entry and the event commit with it.
    #[allow(clippy::too_many_arguments)]
    pub async fn set_week_state(
        &self,
        org_id: i64,
        user_id: i64,
        week: &str,
        week_end_ms: i64,
        state: &'static str,
        by: i64,
        audit: &NewAudit,
        announce: impl FnOnce(&WeekStateRow) -> Event,
    ) -> StoreResult<(WeekStateRow, Published)> {
        let started = std::time::Instant::now();
        let mut tx = self.writer().begin().await?;
        self.lock_user_time(&mut tx, user_id).await?;
        let current: Option<String> = sqlx::query(
            "SELECT state FROM timesheet_weeks WHERE org_id = $1 AND user_id = $2 AND week = $3",
        )
        .bind(org_id)
        .bind(user_id)
        .bind(week)
        .fetch_optional(&mut *tx)
        .await?
        .map(|r| get(&r, "state"))
        .transpose()?;
        let current = current.as_deref().unwrap_or("open");
        if current == state {
            return Err(StoreError::Refused(match state {
                "approved" => format!("The week {week} is already approved."),
                _ => format!("The week {week} is not approved: there is nothing to reopen."),
            }));
        }
        if state == "approved" {
            let running = sqlx::query(
                "SELECT id FROM work_sessions WHERE user_id = $1 AND ended_at IS NULL AND started_at < $2",
            )
            .bind(user_id)
            .bind(week_end_ms)
            .fetch_optional(&mut *tx)
            .await?;
            if running.is_some() {
                return Err(StoreError::Refused(format!(
                    "A session of this user is still running in {week}: it must end before the week can be approved."
                )));
            }
        }
        sqlx::query(
            "INSERT INTO timesheet_weeks (org_id, user_id, week, state, changed_by, changed_at)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (org_id, user_id, week) DO UPDATE SET state = $4, changed_by = $5, changed_at = $6",
        )
        .bind(org_id)
        .bind(user_id)
        .bind(week)
        .bind(state)
        .bind(by)
        .bind(now_ms())
        .execute(&mut *tx)
        .await?;
        let row = sqlx::query(&format!(
            "SELECT {WEEK_COLUMNS} WHERE w.org_id = $1 AND w.user_id = $2 AND w.week = $3"
        ))
        .bind(org_id)
        .bind(user_id)
        .bind(week)
        .fetch_one(&mut *tx)
        .await?;
        let row = week_row(&row)?;
        Store::insert_audit(&mut tx, audit).await?;
        let published = self.announce(&mut tx, org_id, announce(&row)).await?;
        tx.commit().await?;
        self.observe_write(started);
        Ok((row, published))
    }

    /// Live sessions overlapping `[from, to)`, optionally of one user or ticket, with their
    /// discarded idle spans.
    pub async fn worked_between(
        &self,
        org_id: i64,
        from: i64,
        to: i64,
        user_id: Option<i64>,
        ticket_id: Option<i64>,
    ) -> StoreResult<Vec<WorkedRow>> {
        let mut sql = String::from(
            "SELECT s.id, s.user_id, u.name AS user_name, s.ticket_id, t.number AS ticket_number, t.title AS ticket_title,
             s.started_at, s.ended_at, s.duration_seconds
             FROM work_sessions s JOIN users u ON u.id = s.user_id LEFT JOIN tickets t ON t.id = s.ticket_id
             WHERE s.org_id = $1 AND s.deleted_at IS NULL AND s.started_at < $2
             AND COALESCE(s.ended_at, 9223372036854775807) > $3",
        );
        let mut binds = vec![org_id, to, from];
        if let Some(user) = user_id {
            binds.push(user);
            sql.push_str(&format!(" AND s.user_id = ${}", binds.len()));
        }
        if let Some(ticket) = ticket_id {
            binds.push(ticket);
            sql.push_str(&format!(" AND s.ticket_id = ${}", binds.len()));
        }
        sql.push_str(" ORDER BY s.started_at, s.id");
        let mut query = sqlx::query(&sql);
        for b in &binds {
            query = query.bind(*b);
        }
        let rows = query.fetch_all(self.reader()).await?;
        let spans = sqlx::query(
            "SELECT p.session_id, p.started_at, p.ended_at FROM idle_spans p
             WHERE p.org_id = $1 AND p.decision = 'discarded' AND p.started_at < $2 AND p.ended_at > $3
             UNION ALL SELECT r.session_id, r.slot_start AS started_at, r.slot_end AS ended_at FROM removed_slots r
             WHERE r.org_id = $1 AND r.slot_start < $2 AND r.slot_end > $3",
        )
        .bind(org_id)
        .bind(to)
        .bind(from)
        .fetch_all(self.reader())
        .await?;
        let mut discarded: HashMap<i64, Vec<(i64, i64)>> = HashMap::new();
        for span in &spans {
            discarded
                .entry(get(span, "session_id")?)
                .or_default()
                .push((get(span, "started_at")?, get(span, "ended_at")?));
        }
        rows.iter()
            .map(|r| {
                let id: i64 = get(r, "id")?;
                Ok(WorkedRow {
                    id,
                    user_id: get(r, "user_id")?,
                    user_name: get(r, "user_name")?,
                    ticket_id: get(r, "ticket_id")?,
                    ticket_number: get(r, "ticket_number")?,
                    ticket_title: get(r, "ticket_title")?,
                    started_at: get(r, "started_at")?,
                    ended_at: get(r, "ended_at")?,
                    duration_seconds: get(r, "duration_seconds")?,
                    discarded: hub_core::domain::tally::union_of_spans(
                        discarded.remove(&id).unwrap_or_default(),
                    ),
                })
            })
            .collect()
    }
}

fn week_row(r: &sqlx::any::AnyRow) -> StoreResult<WeekStateRow> {
    Ok(WeekStateRow {
        user_id: get(r, "user_id")?,
        week: get(r, "week")?,
        state: get(r, "state")?,
        changed_by: get(r, "changed_by")?,
        changed_by_name: get(r, "changed_by_name")?,
        changed_at: get(r, "changed_at")?,
    })
}

//! Tickets and the time spent on them.

use super::{get, limit_offset, ms_to_time, now_ms, unique, NewAudit, Store, StoreResult};
use shared::api::Ticket;

/// Totals count completed sessions only, deleted ones not at all; PostgreSQL's SUM of BIGINT is
/// NUMERIC, hence the cast.
const SELECT: &str = "SELECT t.id, t.org_id, t.number, t.title, t.description, t.status, t.created_by, t.created_at,
    CAST(COALESCE((SELECT SUM(s.duration_seconds) FROM work_sessions s WHERE s.ticket_id = t.id AND s.ended_at IS NOT NULL AND s.deleted_at IS NULL), 0) AS BIGINT) AS total,
    (SELECT COUNT(*) FROM work_sessions s WHERE s.ticket_id = t.id AND s.deleted_at IS NULL) AS sessions
    FROM tickets t";

impl Store {
    /// Numbers tickets 1, 2, 3… per organization.
    pub async fn create_ticket(
        &self,
        org_id: i64,
        title: &str,
        description: Option<&str>,
        created_by: i64,
    ) -> StoreResult<Ticket> {
        let started = std::time::Instant::now();
        let mut tx = self.writer().begin().await?;
        let next =
            sqlx::query("SELECT COALESCE(MAX(number), 0) + 1 AS n FROM tickets WHERE org_id = $1")
                .bind(org_id)
                .fetch_one(&mut *tx)
                .await?;
        let number: i64 = get(&next, "n")?;
        let row = sqlx::query("INSERT INTO tickets (org_id, number, title, description, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id")
            .bind(org_id)
            .bind(number)
            .bind(title)
            .bind(description)
            .bind(created_by)
            .bind(now_ms())
            .fetch_one(&mut *tx)
            .await
            .map_err(unique("A ticket with this number"))?;
        let id: i64 = get(&row, "id")?;
        tx.commit().await?;
        self.observe_write(started);
        self.get_ticket(org_id, id)
            .await?
            .ok_or_else(|| super::StoreError::Corrupt(format!("ticket {id} vanished")))
    }

    pub async fn get_ticket(&self, org_id: i64, id: i64) -> StoreResult<Option<Ticket>> {
        let row = sqlx::query(&format!("{SELECT} WHERE t.id = $1 AND t.org_id = $2"))
            .bind(id)
            .bind(org_id)
            .fetch_optional(self.reader())
            .await?;
        row.map(|r| ticket(&r)).transpose()
    }

    /// Changes a ticket's title, description and status, with its audit entry.
    pub async fn update_ticket(
        &self,
        org_id: i64,
        id: i64,
        title: &str,
        description: Option<&str>,
        status: &str,
        audit: &NewAudit,
    ) -> StoreResult<Option<Ticket>> {
        let started = std::time::Instant::now();
        let mut tx = self.writer().begin().await?;
        let done = sqlx::query(
            "UPDATE tickets SET title = $1, description = $2, status = $3 WHERE id = $4 AND org_id = $5",
        )
        .bind(title)
        .bind(description)
        .bind(status)
        .bind(id)
        .bind(org_id)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Ok(None);
        }
        Store::insert_audit(&mut tx, audit).await?;
        tx.commit().await?;
        self.observe_write(started);
        self.get_ticket(org_id, id).await
    }

    /// Newest first.
    pub async fn list_tickets(
        &self,
        org_id: i64,
        page: u32,
        per_page: u32,
    ) -> StoreResult<(Vec<Ticket>, i64)> {
        let (limit, offset) = limit_offset(page, per_page);
        let rows = sqlx::query(&format!(
            "{SELECT} WHERE t.org_id = $1 ORDER BY t.number DESC LIMIT $2 OFFSET $3"
        ))
        .bind(org_id)
        .bind(limit)
        .bind(offset)
        .fetch_all(self.reader())
        .await?;
        let total = sqlx::query("SELECT COUNT(*) AS n FROM tickets WHERE org_id = $1")
            .bind(org_id)
            .fetch_one(self.reader())
            .await?;
        Ok((
            rows.iter().map(ticket).collect::<StoreResult<_>>()?,
            get(&total, "n")?,
        ))
    }
}

fn ticket(r: &sqlx::any::AnyRow) -> StoreResult<Ticket> {
    Ok(Ticket {
        id: get(r, "id")?,
        org_id: get(r, "org_id")?,
        number: get(r, "number")?,
        title: get(r, "title")?,
        description: get(r, "description")?,
        status: get(r, "status")?,
        created_by: get(r, "created_by")?,
        created_at: ms_to_time(get(r, "created_at")?),
        total_time_spent_seconds: get(r, "total")?,
        session_count: get(r, "sessions")?,
    })
}

//! Write-through of presence: batched, one transaction per flush.

use super::PresenceWrite;
use super::{get, now_ms, Store, StoreResult};
use shared::PresenceStatus;

/// The most rows [`Store::write_presence`] should get at once: a transaction short enough
/// that a force-end queued behind it on the single SQLite writer hardly notices (6 parameters
/// a row also stay far below both databases' parameter limits).
pub const PRESENCE_BATCH_ROWS: usize = 100;

/// `($1, $2), ($3, $4), …`: `rows` groups of `width` numbered parameters.
pub(super) fn numbered_rows(rows: usize, width: usize) -> String {
    let mut out = String::with_capacity(rows * width * 5);
    for r in 0..rows {
        if r > 0 {
            out.push_str(", ");
        }
        out.push('(');
        for c in 0..width {
            if c > 0 {
                out.push_str(", ");
            }
            out.push('$');
            out.push_str(&(r * width + c + 1).to_string());
        }
        out.push(')');
    }
    out
}

impl Store {
    /// Starts a new hub epoch. With `reset`, every stored status from before is stale and
    /// turns offline (not when other nodes of a cluster run: their users' statuses stand).
    pub async fn begin_epoch(&self, reset: bool) -> StoreResult<i64> {
        let now = now_ms();
        let mut tx = self.writer().begin().await?;
        let row = sqlx::query("INSERT INTO hub_epochs (started_at) VALUES ($1) RETURNING id")
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
        let epoch: i64 = get(&row, "id")?;
        if reset {
            sqlx::query(
                "UPDATE presence SET status = 'offline', updated_at = $1 WHERE status <> 'offline'",
            )
            .bind(now)
            .execute(&mut *tx)
            .await?;
            // Nor does any agent device hold a socket here yet.
            sqlx::query("UPDATE agent_devices SET connected = 0 WHERE connected = 1")
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(epoch)
    }

    /// Writes one batch in one transaction, with two multi-row statements (the presence
    /// upsert and the users' last activity) instead of two statements per row: the writer
    /// hands over at most [`PRESENCE_BATCH_ROWS`] rows at a time, so the single SQLite writer
    /// is never held long by presence while a force-end waits for it.
    pub async fn write_presence(&self, epoch: i64, batch: &[PresenceWrite]) -> StoreResult<()> {
        if batch.is_empty() {
            return Ok(());
        }
        let started = std::time::Instant::now();
        let now = now_ms();
        let mut tx = self.writer().begin().await?;
        let rows = numbered_rows(batch.len(), 6);
        let upsert = format!(
            "INSERT INTO presence (user_id, org_id, status, last_activity_at, hub_epoch, updated_at) VALUES {rows}
             ON CONFLICT (user_id) DO UPDATE SET status = excluded.status, last_activity_at = excluded.last_activity_at,
             hub_epoch = excluded.hub_epoch, updated_at = excluded.updated_at"
        );
        let mut query = sqlx::query(&upsert);
        for w in batch {
            query = query
                .bind(w.user_id)
                .bind(w.org_id)
                .bind(w.status.as_str())
                .bind(w.last_activity_at)
                .bind(epoch)
                .bind(now);
        }
        query.execute(&mut *tx).await?;
        let active: Vec<(i64, i64)> = batch
            .iter()
            .filter_map(|w| w.last_activity_at.map(|at| (w.user_id, at)))
            .collect();
        if !active.is_empty() {
            // One statement, by primary key: `$1, $3, …` are the ids, `$2, $4, …` their times.
            let newest = active
                .iter()
                .enumerate()
                .map(|(i, _)| format!("WHEN ${} THEN ${}", 2 * i + 1, 2 * i + 2))
                .collect::<Vec<_>>()
                .join(" ");
            let ids = (0..active.len())
                .map(|i| format!("${}", 2 * i + 1))
                .collect::<Vec<_>>()
                .join(", ");
            let update = format!(
                "UPDATE users SET last_activity_at = CASE id {newest} END
                 WHERE id IN ({ids}) AND (last_activity_at IS NULL OR last_activity_at < CASE id {newest} END)"
            );
            let mut query = sqlx::query(&update);
            for (user_id, at) in active {
                query = query.bind(user_id).bind(at);
            }
            query.execute(&mut *tx).await?;
        }
        tx.commit().await?;
        self.observe_write(started);
        Ok(())
    }

    /// Presence rows untouched for a day are dropped (the last activity stays on the user).
    pub async fn delete_stale_presence(&self, now: i64) -> StoreResult<u64> {
        let done = sqlx::query("DELETE FROM presence WHERE updated_at < $1")
            .bind(now - 24 * 3600 * 1000)
            .execute(self.writer())
            .await?;
        Ok(done.rows_affected())
    }

    /// Number of rows in `presence` with the given status (tests and diagnostics).
    pub async fn count_presence(&self, status: PresenceStatus) -> StoreResult<i64> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM presence WHERE status = $1")
            .bind(status.as_str())
            .fetch_one(self.reader())
            .await?;
        get(&row, "n")
    }

    pub async fn stored_presence(
        &self,
        user_id: i64,
    ) -> StoreResult<Option<(PresenceStatus, Option<i64>)>> {
        let row = sqlx::query("SELECT status, last_activity_at FROM presence WHERE user_id = $1")
            .bind(user_id)
            .fetch_optional(self.reader())
            .await?;
        match row {
            None => Ok(None),
            Some(r) => {
                let status: String = get(&r, "status")?;
                let status = PresenceStatus::parse(&status).ok_or_else(|| {
                    super::StoreError::Corrupt(format!("presence status {status:?}"))
                })?;
                Ok(Some((status, get(&r, "last_activity_at")?)))
            }
        }
    }
}

//! Session activity: per-slot sums and per-app time, added to by the coalescing writer in one
//! transaction per flush, read by the activity endpoint.

use super::{get, now_ms, Store, StoreResult};
use super::{AppWrite, SlotWrite};
use crate::domain::activity::SlotCounts;

/// A stored app row of a session.
#[derive(Debug, Clone, PartialEq)]
pub struct AppRow {
    pub app: String,
    pub active_ms: i64,
    pub last_title: Option<String>,
}

impl Store {
    /// Adds the batch to the stored sums. A row is written only for a session of that user
    /// that is running, or whose end is not before the slot (the slot it ended in).
    pub async fn write_activity(&self, slots: &[SlotWrite], apps: &[AppWrite]) -> StoreResult<()> {
        if slots.is_empty() && apps.is_empty() {
            return Ok(());
        }
        let started = std::time::Instant::now();
        let now = now_ms();
        let mut tx = self.writer().begin().await?;
        for w in slots {
            let c = &w.counts;
            sqlx::query(
                "INSERT INTO session_activity (session_id, slot_start, org_id, user_id, heartbeats, active_heartbeats,
                    counted_heartbeats, input_heartbeats, key_presses, mouse_events, updated_at)
                 SELECT s.id, $2, s.org_id, s.user_id, $4, $5, $6, $7, $8, $9, $10 FROM work_sessions s
                 WHERE s.id = $1 AND s.user_id = $3 AND (s.ended_at IS NULL OR s.ended_at >= $2)
                 ON CONFLICT (session_id, slot_start) DO UPDATE SET
                    heartbeats = session_activity.heartbeats + excluded.heartbeats,
                    active_heartbeats = session_activity.active_heartbeats + excluded.active_heartbeats,
                    counted_heartbeats = session_activity.counted_heartbeats + excluded.counted_heartbeats,
                    input_heartbeats = session_activity.input_heartbeats + excluded.input_heartbeats,
                    key_presses = session_activity.key_presses + excluded.key_presses,
                    mouse_events = session_activity.mouse_events + excluded.mouse_events,
                    updated_at = excluded.updated_at",
            )
            .bind(w.session_id)
            .bind(w.slot_start)
            .bind(w.user_id)
            .bind(c.heartbeats)
            .bind(c.active_heartbeats)
            .bind(c.counted_heartbeats)
            .bind(c.input_heartbeats)
            .bind(c.key_presses)
            .bind(c.mouse_events)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        for w in apps {
            sqlx::query(
                "INSERT INTO session_app_time (session_id, app, org_id, user_id, active_ms, last_title, updated_at)
                 SELECT s.id, $2, s.org_id, s.user_id, $4, $5, $6 FROM work_sessions s
                 WHERE s.id = $1 AND s.user_id = $3
                 ON CONFLICT (session_id, app) DO UPDATE SET
                    active_ms = session_app_time.active_ms + excluded.active_ms,
                    last_title = COALESCE(excluded.last_title, session_app_time.last_title),
                    updated_at = excluded.updated_at",
            )
            .bind(w.session_id)
            .bind(&w.app)
            .bind(w.user_id)
            .bind(w.active_ms)
            .bind(w.last_title.as_deref())
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        self.observe_write(started);
        Ok(())
    }

    /// A session's slots, oldest first: (slot start in ms, sums).
    pub async fn session_activity_slots(
        &self,
        session_id: i64,
    ) -> StoreResult<Vec<(i64, SlotCounts)>> {
        let rows = sqlx::query(
            "SELECT slot_start, heartbeats, active_heartbeats, counted_heartbeats, input_heartbeats, key_presses, mouse_events
             FROM session_activity WHERE session_id = $1 ORDER BY slot_start",
        )
        .bind(session_id)
        .fetch_all(self.reader())
        .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    get(r, "slot_start")?,
                    SlotCounts {
                        heartbeats: get(r, "heartbeats")?,
                        active_heartbeats: get(r, "active_heartbeats")?,
                        counted_heartbeats: get(r, "counted_heartbeats")?,
                        input_heartbeats: get(r, "input_heartbeats")?,
                        key_presses: get(r, "key_presses")?,
                        mouse_events: get(r, "mouse_events")?,
                    },
                ))
            })
            .collect()
    }

    /// A session's apps, most time first.
    pub async fn session_app_times(&self, session_id: i64) -> StoreResult<Vec<AppRow>> {
        let rows = sqlx::query(
            "SELECT app, active_ms, last_title FROM session_app_time WHERE session_id = $1
             ORDER BY active_ms DESC, app",
        )
        .bind(session_id)
        .fetch_all(self.reader())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(AppRow {
                    app: get(r, "app")?,
                    active_ms: get(r, "active_ms")?,
                    last_title: get(r, "last_title")?,
                })
            })
            .collect()
    }

    /// Activity rows (slots, apps) stored for a user's sessions (tests and diagnostics).
    pub async fn count_activity_rows(&self, user_id: i64) -> StoreResult<(i64, i64)> {
        let slots = sqlx::query("SELECT COUNT(*) AS n FROM session_activity WHERE user_id = $1")
            .bind(user_id)
            .fetch_one(self.reader())
            .await?;
        let apps = sqlx::query("SELECT COUNT(*) AS n FROM session_app_time WHERE user_id = $1")
            .bind(user_id)
            .fetch_one(self.reader())
            .await?;
        Ok((get(&slots, "n")?, get(&apps, "n")?))
    }
}

//! Users' custom statuses and breaks (the `status_*` columns of `users`).

use super::{get, ms_to_time, now_ms, Store, StoreResult};
use hub_core::events::{Event, Published};
use shared::{ContextKind, CustomStatus};

const STATUS_COLUMNS: &str =
    "id, status_kind, status_text, status_emoji, status_until, status_dnd, status_set_at";

fn status_of(row: &sqlx::any::AnyRow) -> StoreResult<Option<(i64, CustomStatus)>> {
    let kind: Option<String> = get(row, "status_kind")?;
    let Some(kind) = kind else {
        return Ok(None);
    };
    let kind = if kind == "break" {
        ContextKind::Break
    } else {
        ContextKind::Custom
    };
    let dnd: i64 = get(row, "status_dnd")?;
    let status = CustomStatus {
        kind,
        text: get::<Option<String>>(row, "status_text")?.unwrap_or_default(),
        emoji: get(row, "status_emoji")?,
        until: get::<Option<i64>>(row, "status_until")?.map(ms_to_time),
        dnd: dnd == 1,
        set_at: ms_to_time(get::<Option<i64>>(row, "status_set_at")?.unwrap_or(0)),
    };
    Ok(Some((get(row, "id")?, status)))
}

impl Store {
    /// Sets (or with `None` clears) a user's status and announces it, in one transaction.
    pub async fn set_status(
        &self,
        org_id: i64,
        user_id: i64,
        status: Option<&CustomStatus>,
    ) -> StoreResult<Published> {
        let started = std::time::Instant::now();
        let mut tx = self.writer().begin().await?;
        let kind = status.map(|s| match s.kind {
            ContextKind::Break => "break",
            _ => "custom",
        });
        sqlx::query(
            "UPDATE users SET status_kind = $1, status_text = $2, status_emoji = $3,
                status_until = $4, status_dnd = $5, status_set_at = $6
             WHERE id = $7 AND org_id = $8",
        )
        .bind(kind)
        .bind(status.map(|s| s.text.clone()))
        .bind(status.and_then(|s| s.emoji.clone()))
        .bind(status.and_then(|s| s.until).map(|u| u.timestamp_millis()))
        .bind(i64::from(status.is_some_and(|s| s.dnd)))
        .bind(status.map(|s| s.set_at.timestamp_millis()))
        .bind(user_id)
        .bind(org_id)
        .execute(&mut *tx)
        .await?;
        let event = Event::StatusChanged {
            user_id,
            status: status.cloned(),
        };
        let published = self.announce(&mut tx, org_id, event).await?;
        tx.commit().await?;
        self.observe_write(started);
        Ok(published)
    }

    /// A user's status, if one is set and in force.
    pub async fn get_status(&self, org_id: i64, user_id: i64) -> StoreResult<Option<CustomStatus>> {
        let row = sqlx::query(&format!(
            "SELECT {STATUS_COLUMNS} FROM users WHERE id = $1 AND org_id = $2"
        ))
        .bind(user_id)
        .bind(org_id)
        .fetch_optional(self.reader())
        .await?;
        let now = now_ms();
        Ok(match row {
            Some(r) => status_of(&r)?.map(|(_, s)| s).filter(|s| s.in_force(now)),
            None => None,
        })
    }

    /// Every status in force in an organization (the directory loader's).
    pub async fn list_statuses(&self, org_id: i64) -> StoreResult<Vec<(i64, CustomStatus)>> {
        let rows = sqlx::query(&format!(
            "SELECT {STATUS_COLUMNS} FROM users WHERE org_id = $1 AND status_kind IS NOT NULL"
        ))
        .bind(org_id)
        .fetch_all(self.reader())
        .await?;
        let now = now_ms();
        let mut out = Vec::new();
        for r in &rows {
            if let Some((id, s)) = status_of(r)? {
                if s.in_force(now) {
                    out.push((id, s));
                }
            }
        }
        Ok(out)
    }
}

//! The audit log: who did what, from where, with old and new values.

use super::exec::Exec;
use super::{get, limit_offset, ms_to_time, now_ms, Store, StoreError, StoreResult};
use shared::api::AuditEntry;

#[derive(Debug, Clone)]
pub struct NewAudit {
    pub org_id: i64,
    pub actor_id: Option<i64>,
    pub action: &'static str,
    pub target_type: Option<&'static str>,
    pub target_id: Option<i64>,
    pub ip: Option<String>,
    pub details: serde_json::Value,
}

/// The `changes` of an audit entry: `{field: {"old": .., "new": ..}}` for each field that
/// differs.
#[derive(Debug, Default)]
pub struct Changes(serde_json::Map<String, serde_json::Value>);

impl Changes {
    pub fn note(&mut self, field: &str, old: impl serde::Serialize, new: impl serde::Serialize) {
        let (old, new) = (serde_json::json!(old), serde_json::json!(new));
        if old != new {
            self.0.insert(
                field.to_string(),
                serde_json::json!({"old": old, "new": new}),
            );
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn into_value(self) -> serde_json::Value {
        serde_json::Value::Object(self.0)
    }
}

impl Store {
    /// Writes an audit entry inside the caller's transaction, so it commits with the change.
    pub(crate) async fn insert_audit(conn: &mut impl Exec, entry: &NewAudit) -> StoreResult<()> {
        // Whom the entry is about, from what it names: the person's own page lists these.
        conn.run(sqlx::query(
            "INSERT INTO audit_log (org_id, actor_id, action, target_type, target_id, ip, details, created_at, subject_user_id)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, CASE $4
                WHEN 'user' THEN $5
                WHEN 'session' THEN (SELECT s.user_id FROM work_sessions s WHERE s.id = $5)
                WHEN 'screenshot' THEN (SELECT s.user_id FROM screenshots s WHERE s.id = $5)
                WHEN 'absence' THEN (SELECT a.user_id FROM absences a WHERE a.id = $5)
             END)",
        )
        .bind(entry.org_id)
        .bind(entry.actor_id)
        .bind(entry.action)
        .bind(entry.target_type)
        .bind(entry.target_id)
        .bind(entry.ip.as_deref())
        .bind(entry.details.to_string())
        .bind(now_ms()))
        .await?;
        Ok(())
    }

    /// Writes an audit entry on its own, for what changes nothing else (a screenshot viewed).
    pub async fn record_audit(&self, entry: &NewAudit) -> StoreResult<()> {
        let started = std::time::Instant::now();
        let mut conn = self.writer().acquire().await?;
        Store::insert_audit(&mut conn, entry).await?;
        self.observe_write(started);
        Ok(())
    }

    /// Newest first, optionally only one action.
    pub async fn list_audit(
        &self,
        org_id: i64,
        action: Option<&str>,
        page: u32,
        per_page: u32,
    ) -> StoreResult<(Vec<AuditEntry>, i64)> {
        let (limit, offset) = limit_offset(page, per_page);
        let rows = sqlx::query(
            "SELECT a.id, a.org_id, a.actor_id, u.name AS actor_name, a.action, a.target_type, a.target_id, a.ip, a.details, a.created_at
             FROM audit_log a LEFT JOIN users u ON u.id = a.actor_id
             WHERE a.org_id = $1 AND ($2 = '' OR a.action = $2)
             ORDER BY a.created_at DESC, a.id DESC LIMIT $3 OFFSET $4",
        )
        .bind(org_id)
        .bind(action.unwrap_or(""))
        .bind(limit)
        .bind(offset)
        .fetch_all(self.reader())
        .await?;
        let total = sqlx::query(
            "SELECT COUNT(*) AS n FROM audit_log WHERE org_id = $1 AND ($2 = '' OR action = $2)",
        )
        .bind(org_id)
        .bind(action.unwrap_or(""))
        .fetch_one(self.reader())
        .await?;
        let items = rows
            .iter()
            .map(audit_entry)
            .collect::<StoreResult<Vec<_>>>()?;
        Ok((items, get(&total, "n")?))
    }

    /// How often someone else viewed each of a person's screenshots: screenshot id → views.
    pub async fn screenshot_views_of(
        &self,
        org_id: i64,
        user_id: i64,
    ) -> StoreResult<std::collections::HashMap<i64, i64>> {
        let rows = sqlx::query(
            "SELECT target_id, COUNT(*) AS n FROM audit_log
             WHERE org_id = $1 AND subject_user_id = $2 AND action = 'SCREENSHOT_VIEWED' GROUP BY target_id",
        )
        .bind(org_id)
        .bind(user_id)
        .fetch_all(self.reader())
        .await?;
        rows.iter()
            .map(|r| Ok((get(r, "target_id")?, get(r, "n")?)))
            .collect()
    }

    /// The entries about one person (see `insert_audit`), newest first, at most `limit`.
    pub async fn audit_about(
        &self,
        org_id: i64,
        user_id: i64,
        limit: i64,
    ) -> StoreResult<Vec<AuditEntry>> {
        let rows = sqlx::query(
            "SELECT a.id, a.org_id, a.actor_id, u.name AS actor_name, a.action, a.target_type, a.target_id, a.ip, a.details, a.created_at
             FROM audit_log a LEFT JOIN users u ON u.id = a.actor_id
             WHERE a.org_id = $1 AND a.subject_user_id = $2
             ORDER BY a.created_at DESC, a.id DESC LIMIT $3",
        )
        .bind(org_id)
        .bind(user_id)
        .bind(limit)
        .fetch_all(self.reader())
        .await?;
        rows.iter().map(audit_entry).collect()
    }
}

fn audit_entry(r: &sqlx::any::AnyRow) -> StoreResult<AuditEntry> {
    let details: String = get(r, "details")?;
    Ok(AuditEntry {
        id: get(r, "id")?,
        org_id: get(r, "org_id")?,
        actor_id: get(r, "actor_id")?,
        actor_name: get(r, "actor_name")?,
        action: get(r, "action")?,
        target_type: get(r, "target_type")?,
        target_id: get(r, "target_id")?,
        ip: get(r, "ip")?,
        details: serde_json::from_str(&details)
            .map_err(|e| StoreError::Corrupt(format!("audit details: {e}")))?,
        created_at: ms_to_time(get(r, "created_at")?),
    })
}

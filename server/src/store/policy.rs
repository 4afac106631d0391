//! The organization's tracking policy row.

use super::{get, Store, StoreError, StoreResult};
use hub_core::events::{Event, Published};
use shared::Policy;

#[derive(Debug, Clone)]
pub struct PolicyRow {
    pub org_id: i64,
    pub config_version: i64,
    pub config: Policy,
    pub updated_at: i64,
}

impl Store {
    pub async fn get_policy(&self, org_id: i64) -> StoreResult<PolicyRow> {
        let row = sqlx::query(
            "SELECT org_id, config_version, config, updated_at FROM org_policies WHERE org_id = $1",
        )
        .bind(org_id)
        .fetch_optional(self.reader())
        .await?
        .ok_or_else(|| StoreError::Corrupt(format!("organization {org_id} has no policy row")))?;
        policy_row(&row)
    }

    pub async fn list_policies(&self) -> StoreResult<Vec<PolicyRow>> {
        let rows =
            sqlx::query("SELECT org_id, config_version, config, updated_at FROM org_policies")
                .fetch_all(self.reader())
                .await?;
        rows.iter().map(policy_row).collect()
    }
}

fn policy_row(r: &sqlx::any::AnyRow) -> StoreResult<PolicyRow> {
    let text: String = get(r, "config")?;
    // Fields missing from an older row take their defaults; the stored values are clamped.
    let stored: serde_json::Map<String, serde_json::Value> = serde_json::from_str(&text)
        .map_err(|e| StoreError::Corrupt(format!("policy JSON: {e}")))?;
    let mut merged = Policy::default().to_map();
    merged.extend(stored);
    let config: Policy = serde_json::from_value(serde_json::Value::Object(merged))
        .map_err(|e| StoreError::Corrupt(format!("policy JSON: {e}")))?;
    Ok(PolicyRow {
        org_id: get(r, "org_id")?,
        config_version: get(r, "config_version")?,
        config: config.clamped(),
        updated_at: get(r, "updated_at")?,
    })
}

/// What a policy save did.
#[derive(Debug, Clone)]
pub enum PolicySave {
    /// Nothing changed: the version stays.
    Unchanged(PolicyRow),
    /// Saved as a new version; `changed` names the fields whose value changed.
    Saved {
        row: PolicyRow,
        previous: Policy,
        changed: Vec<String>,
        published: Box<Published>,
    },
}

impl Store {
    /// Read-modify-write of the policy in one transaction (the row locked on PostgreSQL; the
    /// single writer on SQLite), so concurrent saves get consecutive versions and none is lost.
    /// `decide` gets the current policy and returns the next one and the changed fields, or
    /// refuses; `audit` builds the audit entry from (old, new, changed, new version).
    pub async fn save_policy<E>(
        &self,
        org_id: i64,
        actor_id: i64,
        decide: impl FnOnce(&Policy) -> Result<(Policy, Vec<String>), E>,
        audit: impl FnOnce(&Policy, &Policy, &[String], i64) -> super::NewAudit,
        announce: impl FnOnce(&PolicyRow, &[String]) -> Event,
    ) -> StoreResult<Result<PolicySave, E>> {
        let started = std::time::Instant::now();
        let mut tx = self.writer().begin().await?;
        let lock = if self.backend() == super::Backend::Postgres {
            " FOR UPDATE"
        } else {
            ""
        };
        let row = sqlx::query(&format!("SELECT org_id, config_version, config, updated_at FROM org_policies WHERE org_id = $1{lock}"))
            .bind(org_id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| StoreError::Corrupt(format!("organization {org_id} has no policy row")))?;
        let current = policy_row(&row)?;
        let (next, changed) = match decide(&current.config) {
            Ok(decided) => decided,
            Err(refusal) => return Ok(Err(refusal)),
        };
        if changed.is_empty() {
            return Ok(Ok(PolicySave::Unchanged(current)));
        }
        let now = super::now_ms();
        let config =
            serde_json::to_string(&next).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let version = current.config_version + 1;
        sqlx::query("UPDATE org_policies SET config_version = $1, config = $2, updated_at = $3, updated_by = $4 WHERE org_id = $5")
            .bind(version)
            .bind(config)
            .bind(now)
            .bind(actor_id)
            .bind(org_id)
            .execute(&mut *tx)
            .await?;
        Store::insert_audit(&mut tx, &audit(&current.config, &next, &changed, version)).await?;
        let row = PolicyRow {
            org_id,
            config_version: version,
            config: next,
            updated_at: now,
        };
        let published = self
            .announce(&mut tx, org_id, announce(&row, &changed))
            .await?;
        tx.commit().await?;
        self.observe_write(started);
        Ok(Ok(PolicySave::Saved {
            row,
            previous: current.config,
            changed,
            published: Box::new(published),
        }))
    }
}

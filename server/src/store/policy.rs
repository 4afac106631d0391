//! The organization's tracking policy row.

use super::{get, Store, StoreError, StoreResult};
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
        let row = sqlx::query("SELECT org_id, config_version, config, updated_at FROM org_policies WHERE org_id = $1")
            .bind(org_id)
            .fetch_optional(self.reader())
            .await?
            .ok_or_else(|| StoreError::Corrupt(format!("organization {org_id} has no policy row")))?;
        policy_row(&row)
    }

    pub async fn list_policies(&self) -> StoreResult<Vec<PolicyRow>> {
        let rows = sqlx::query("SELECT org_id, config_version, config, updated_at FROM org_policies")
            .fetch_all(self.reader())
            .await?;
        rows.iter().map(policy_row).collect()
    }
}

fn policy_row(r: &sqlx::any::AnyRow) -> StoreResult<PolicyRow> {
    let text: String = get(r, "config")?;
    // Fields missing from an older row take their defaults; the stored values are clamped.
    let stored: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(&text).map_err(|e| StoreError::Corrupt(format!("policy JSON: {e}")))?;
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

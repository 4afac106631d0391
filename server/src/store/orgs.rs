//! Organizations (tenants).

use super::{get, now_ms, Store, StoreResult};
use shared::Policy;

#[derive(Debug, Clone)]
pub struct OrgRow {
    pub id: i64,
    pub name: String,
    pub timezone: String,
}

impl Store {
    /// Creates an organization with the default policy at version 1.
    pub async fn create_org(&self, name: &str, timezone: &str) -> StoreResult<OrgRow> {
        let started = std::time::Instant::now();
        let now = now_ms();
        let mut tx = self.writer().begin().await?;
        let row = sqlx::query("INSERT INTO organizations (name, timezone, created_at) VALUES ($1, $2, $3) RETURNING id")
            .bind(name)
            .bind(timezone)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
        let id: i64 = get(&row, "id")?;
        let config = serde_json::to_string(&Policy::default())
            .map_err(|e| super::StoreError::Corrupt(e.to_string()))?;
        sqlx::query("INSERT INTO org_policies (org_id, config_version, config, updated_at) VALUES ($1, 1, $2, $3)")
            .bind(id)
            .bind(config)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        self.observe_write(started);
        Ok(OrgRow {
            id,
            name: name.to_string(),
            timezone: timezone.to_string(),
        })
    }

    pub async fn find_org_by_name(&self, name: &str) -> StoreResult<Option<OrgRow>> {
        let row = sqlx::query(
            "SELECT id, name, timezone FROM organizations WHERE name = $1 ORDER BY id LIMIT 1",
        )
        .bind(name)
        .fetch_optional(self.reader())
        .await?;
        row.map(|r| org_row(&r)).transpose()
    }

    pub async fn get_org(&self, id: i64) -> StoreResult<Option<OrgRow>> {
        let row = sqlx::query("SELECT id, name, timezone FROM organizations WHERE id = $1")
            .bind(id)
            .fetch_optional(self.reader())
            .await?;
        row.map(|r| org_row(&r)).transpose()
    }

    pub async fn list_orgs(&self) -> StoreResult<Vec<OrgRow>> {
        let rows = sqlx::query("SELECT id, name, timezone FROM organizations ORDER BY id")
            .fetch_all(self.reader())
            .await?;
        rows.iter().map(org_row).collect()
    }
}

fn org_row(r: &sqlx::any::AnyRow) -> StoreResult<OrgRow> {
    Ok(OrgRow {
        id: get(r, "id")?,
        name: get(r, "name")?,
        timezone: get(r, "timezone")?,
    })
}

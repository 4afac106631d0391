//! Organizations (tenants).

use super::users::insert_user;
use super::{get, now_ms, NewAudit, NewUser, Store, StoreError, StoreResult, UserRow};
use hub_core::events::{Event, Published};
use shared::two_factor::TwoFactorRequirement;
use shared::Policy;

#[derive(Debug, Clone)]
pub struct OrgRow {
    pub id: i64,
    pub name: String,
    pub timezone: String,
    pub created_at: i64,
    /// Whom two-factor sign-in is required of (SPEC §17).
    pub require_2fa_for: TwoFactorRequirement,
}

/// The columns [`org_row`] reads.
const ORG_COLUMNS: &str = "id, name, timezone, created_at, require_2fa_for";

/// Refused when a setup link is used after the first organization exists, or twice.
const SETUP_GONE: &str =
    "This setup link was already used or has expired. Log in, or ask the hub's operator.";

impl Store {
    /// Creates an organization with the default policy at version 1.
    pub async fn create_org(&self, name: &str, timezone: &str) -> StoreResult<OrgRow> {
        let started = std::time::Instant::now();
        let mut tx = self.writer().begin().await?;
        let org = insert_org(&mut tx, name, timezone).await?;
        tx.commit().await?;
        self.observe_write(started);
        Ok(org)
    }

    /// Creates an organization, its default policy and its owner in one transaction (the
    /// command line's `org create` and the first-run setup page). With `setup_token_hash`,
    /// the setup link is used up in the same transaction, and refused when any organization
    /// already exists. `owner.org_id` is ignored. Audited as `ORG_CREATED` by the new owner.
    pub async fn create_org_with_owner(
        &self,
        name: &str,
        timezone: &str,
        owner: NewUser<'_>,
        setup_token_hash: Option<&str>,
        via: &'static str,
        ip: Option<String>,
    ) -> StoreResult<(OrgRow, UserRow)> {
        let started = std::time::Instant::now();
        let mut tx = self.writer().begin().await?;
        if let Some(hash) = setup_token_hash {
            let none_yet = sqlx::query("SELECT COUNT(*) AS n FROM organizations")
                .fetch_one(&mut *tx)
                .await
                .and_then(|r| sqlx::Row::try_get::<i64, _>(&r, "n"))?
                == 0;
            if !none_yet || !Store::consume_setup_link(&mut tx, hash).await? {
                return Err(StoreError::Conflict(SETUP_GONE));
            }
        }
        let org = insert_org(&mut tx, name, timezone).await?;
        let owner = insert_user(
            &mut tx,
            &NewUser {
                org_id: org.id,
                role: shared::Role::Owner,
                ..owner
            },
        )
        .await?;
        let audit = NewAudit {
            org_id: org.id,
            actor_id: Some(owner.id),
            action: "ORG_CREATED",
            target_type: Some("organization"),
            target_id: Some(org.id),
            ip,
            details: serde_json::json!({
                "name": org.name, "timezone": org.timezone,
                "owner": {"id": owner.id, "email": owner.email}, "via": via,
            }),
        };
        Store::insert_audit(&mut tx, &audit).await?;
        tx.commit().await?;
        self.observe_write(started);
        Ok((org, owner))
    }

    /// Renames an organization, changes its timezone or whom it requires two-factor sign-in
    /// of, with its audit entry.
    pub async fn update_org(
        &self,
        id: i64,
        name: &str,
        timezone: &str,
        require_2fa_for: TwoFactorRequirement,
        audit: &NewAudit,
    ) -> StoreResult<Option<(OrgRow, Published)>> {
        let started = std::time::Instant::now();
        let mut tx = self.writer().begin().await?;
        let row = sqlx::query(&format!(
            "UPDATE organizations SET name = $1, timezone = $2, require_2fa_for = $3 WHERE id = $4 RETURNING {ORG_COLUMNS}"
        ))
        .bind(name)
        .bind(timezone)
        .bind(require_2fa_for.as_str())
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let org = org_row(&row)?;
        Store::insert_audit(&mut tx, audit).await?;
        let event = Event::OrgUpdated {
            name: org.name.clone(),
            timezone: org.timezone.clone(),
        };
        let published = self.announce(&mut tx, id, event).await?;
        tx.commit().await?;
        self.observe_write(started);
        Ok(Some((org, published)))
    }

    pub async fn count_orgs(&self) -> StoreResult<i64> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM organizations")
            .fetch_one(self.reader())
            .await?;
        get(&row, "n")
    }

    pub async fn find_org_by_name(&self, name: &str) -> StoreResult<Option<OrgRow>> {
        let row = sqlx::query(&format!(
            "SELECT {ORG_COLUMNS} FROM organizations WHERE name = $1 ORDER BY id LIMIT 1"
        ))
        .bind(name)
        .fetch_optional(self.reader())
        .await?;
        row.map(|r| org_row(&r)).transpose()
    }

    /// The organization's timezone, for its days and weeks (UTC if it is gone or unreadable).
    pub async fn org_timezone(&self, id: i64) -> StoreResult<chrono_tz::Tz> {
        Ok(self.get_org(id).await?.map_or(chrono_tz::Tz::UTC, |org| {
            crate::domain::periods::timezone(&org.timezone)
        }))
    }

    pub async fn get_org(&self, id: i64) -> StoreResult<Option<OrgRow>> {
        let row = sqlx::query(&format!(
            "SELECT {ORG_COLUMNS} FROM organizations WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(self.reader())
        .await?;
        row.map(|r| org_row(&r)).transpose()
    }

    pub async fn list_orgs(&self) -> StoreResult<Vec<OrgRow>> {
        let rows = sqlx::query(&format!(
            "SELECT {ORG_COLUMNS} FROM organizations ORDER BY id"
        ))
        .fetch_all(self.reader())
        .await?;
        rows.iter().map(org_row).collect()
    }
}

async fn insert_org(
    conn: &mut sqlx::AnyConnection,
    name: &str,
    timezone: &str,
) -> StoreResult<OrgRow> {
    let now = now_ms();
    let row = sqlx::query(
        "INSERT INTO organizations (name, timezone, created_at) VALUES ($1, $2, $3) RETURNING id",
    )
    .bind(name)
    .bind(timezone)
    .bind(now)
    .fetch_one(&mut *conn)
    .await?;
    let id: i64 = get(&row, "id")?;
    let config = serde_json::to_string(&Policy::default())
        .map_err(|e| StoreError::Corrupt(e.to_string()))?;
    sqlx::query(
        "INSERT INTO org_policies (org_id, config_version, config, updated_at) VALUES ($1, 1, $2, $3)",
    )
    .bind(id)
    .bind(config)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(OrgRow {
        id,
        name: name.to_string(),
        timezone: timezone.to_string(),
        created_at: now,
        require_2fa_for: TwoFactorRequirement::Nobody,
    })
}

fn org_row(r: &sqlx::any::AnyRow) -> StoreResult<OrgRow> {
    let required: String = get(r, "require_2fa_for")?;
    Ok(OrgRow {
        id: get(r, "id")?,
        name: get(r, "name")?,
        timezone: get(r, "timezone")?,
        created_at: get(r, "created_at")?,
        require_2fa_for: TwoFactorRequirement::parse(&required)
            .ok_or_else(|| StoreError::Corrupt(format!("require_2fa_for {required:?}")))?,
    })
}

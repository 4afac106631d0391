//! Single sign-on: each organization's OpenID Connect provider (`org_sso`) and the sign-ins on
//! their way through it (`sso_flows`, single use, in the database so any node can finish one).

use super::{get, now_ms, NewAudit, Store, StoreError, StoreResult};

/// Flows that expired this long ago are deleted when a new one is written (until then a late
/// answer is told "too old" rather than "unknown").
const FLOW_KEEP_MS: i64 = 3600 * 1000;

/// An organization's provider.
#[derive(Debug, Clone)]
pub struct SsoConfigRow {
    pub org_id: i64,
    pub issuer: String,
    pub client_id: String,
    /// `None`: a public client (PKCE only).
    pub client_secret: Option<String>,
    pub allowed_domains: Vec<String>,
    pub sso_only: bool,
    pub updated_at: i64,
    pub updated_by: Option<i64>,
}

/// What becomes of the stored client secret.
#[derive(Debug, Clone, Copy)]
pub enum SecretChange<'a> {
    Keep,
    Set(&'a str),
    /// No secret any more (a public client).
    Clear,
}

/// A provider's settings as saved.
pub struct SsoConfigSave<'a> {
    pub issuer: &'a str,
    pub client_id: &'a str,
    pub client_secret: SecretChange<'a>,
    pub allowed_domains: &'a [String],
    pub sso_only: bool,
    pub updated_by: Option<i64>,
}

/// A sign-in sent to a provider.
pub struct NewSsoFlow<'a> {
    pub state_hash: &'a str,
    pub org_id: i64,
    pub nonce: &'a str,
    pub pkce_verifier: &'a str,
    pub return_to: Option<&'a str>,
    pub expires_at: i64,
}

/// A sign-in taken for finishing (now used).
#[derive(Debug, Clone)]
pub struct SsoFlowRow {
    pub org_id: i64,
    pub nonce: String,
    pub pkce_verifier: String,
    pub return_to: Option<String>,
}

/// What taking a flow by its state found.
#[derive(Debug, Clone)]
pub enum FlowTake {
    /// Live and unused: now marked used.
    Fresh(SsoFlowRow),
    /// Already used, or expired.
    Spent { org_id: i64, used: bool },
    /// No such flow.
    Unknown,
}

const COLUMNS: &str =
    "org_id, issuer, client_id, client_secret, allowed_domains, sso_only, updated_at, updated_by";

impl Store {
    /// The organization's provider, if it has one.
    pub async fn sso_config(&self, org_id: i64) -> StoreResult<Option<SsoConfigRow>> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM org_sso WHERE org_id = $1"))
            .bind(org_id)
            .fetch_optional(self.reader())
            .await?;
        row.map(|r| config_row(&r)).transpose()
    }

    /// The organizations (id and name, oldest first) whose provider lists `domain` among its
    /// allowed domains.
    pub async fn sso_orgs_for_domain(&self, domain: &str) -> StoreResult<Vec<(i64, String)>> {
        // The JSON text is filtered by the quoted domain first; the exact match is made on the
        // parsed list. Domains hold no LIKE wildcards (letters, digits, '-', '.').
        let rows = sqlx::query(
            "SELECT s.org_id AS org_id, s.issuer AS issuer, s.client_id AS client_id, s.client_secret AS client_secret,
                    s.allowed_domains AS allowed_domains, s.sso_only AS sso_only, s.updated_at AS updated_at,
                    s.updated_by AS updated_by, o.name AS org_name
             FROM org_sso s JOIN organizations o ON o.id = s.org_id
             WHERE s.allowed_domains LIKE $1 ORDER BY s.org_id",
        )
        .bind(format!("%\"{domain}\"%"))
        .fetch_all(self.reader())
        .await?;
        let mut found = Vec::new();
        for r in &rows {
            let config = config_row(r)?;
            if config.allowed_domains.iter().any(|d| d == domain) {
                found.push((config.org_id, get::<String>(r, "org_name")?));
            }
        }
        Ok(found)
    }

    /// Saves the organization's provider (created or replaced) with its audit entry, in one
    /// transaction.
    pub async fn save_sso_config(
        &self,
        org_id: i64,
        save: &SsoConfigSave<'_>,
        audit: &NewAudit,
    ) -> StoreResult<SsoConfigRow> {
        let started = std::time::Instant::now();
        let mut tx = self.writer().begin().await?;
        let stored: Option<Option<String>> =
            sqlx::query("SELECT client_secret FROM org_sso WHERE org_id = $1")
                .bind(org_id)
                .fetch_optional(&mut *tx)
                .await?
                .map(|r| get::<Option<String>>(&r, "client_secret"))
                .transpose()?;
        let secret: Option<String> = match save.client_secret {
            SecretChange::Keep => stored.flatten(),
            SecretChange::Set(s) => Some(s.to_string()),
            SecretChange::Clear => None,
        };
        let domains = serde_json::to_string(save.allowed_domains)
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let now = now_ms();
        let row = sqlx::query(&format!(
            "INSERT INTO org_sso (org_id, issuer, client_id, client_secret, allowed_domains, sso_only, updated_at, updated_by)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
             ON CONFLICT (org_id) DO UPDATE SET issuer = excluded.issuer, client_id = excluded.client_id,
                 client_secret = excluded.client_secret, allowed_domains = excluded.allowed_domains,
                 sso_only = excluded.sso_only, updated_at = excluded.updated_at, updated_by = excluded.updated_by
             RETURNING {COLUMNS}"
        ))
        .bind(org_id)
        .bind(save.issuer)
        .bind(save.client_id)
        .bind(secret.as_deref())
        .bind(domains)
        .bind(save.sso_only as i64)
        .bind(now)
        .bind(save.updated_by)
        .fetch_one(&mut *tx)
        .await?;
        let saved = config_row(&row)?;
        Store::insert_audit(&mut tx, audit).await?;
        tx.commit().await?;
        self.observe_write(started);
        Ok(saved)
    }

    /// Removes the organization's provider with its audit entry; `None` when it had none.
    pub async fn delete_sso_config(
        &self,
        org_id: i64,
        audit: &NewAudit,
    ) -> StoreResult<Option<SsoConfigRow>> {
        let started = std::time::Instant::now();
        let mut tx = self.writer().begin().await?;
        let row = sqlx::query(&format!(
            "DELETE FROM org_sso WHERE org_id = $1 RETURNING {COLUMNS}"
        ))
        .bind(org_id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let removed = config_row(&row)?;
        // Sign-ins on their way can no longer be finished.
        sqlx::query("UPDATE sso_flows SET used_at = $1 WHERE org_id = $2 AND used_at IS NULL")
            .bind(now_ms())
            .bind(org_id)
            .execute(&mut *tx)
            .await?;
        Store::insert_audit(&mut tx, audit).await?;
        tx.commit().await?;
        self.observe_write(started);
        Ok(Some(removed))
    }

    /// Another organization's provider already lists `domain`.
    pub async fn sso_domain_taken(&self, org_id: i64, domain: &str) -> StoreResult<bool> {
        Ok(self
            .sso_orgs_for_domain(domain)
            .await?
            .iter()
            .any(|(id, _)| *id != org_id))
    }

    /// Records a sign-in sent to a provider (and forgets those expired an hour ago).
    pub async fn insert_sso_flow(&self, flow: &NewSsoFlow<'_>) -> StoreResult<()> {
        let started = std::time::Instant::now();
        let now = now_ms();
        let mut tx = self.writer().begin().await?;
        sqlx::query("DELETE FROM sso_flows WHERE expires_at < $1")
            .bind(now - FLOW_KEEP_MS)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO sso_flows (state_hash, org_id, nonce, pkce_verifier, return_to, created_at, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(flow.state_hash)
        .bind(flow.org_id)
        .bind(flow.nonce)
        .bind(flow.pkce_verifier)
        .bind(flow.return_to)
        .bind(now)
        .bind(flow.expires_at)
        .execute(&mut *tx)
        .await
        .map_err(super::unique("A sign-in with this state"))?;
        tx.commit().await?;
        self.observe_write(started);
        Ok(())
    }

    /// Takes the flow of `state_hash` for finishing: marks it used in the same statement that
    /// finds it, so of two answers with one state only one gets it (on any node).
    pub async fn take_sso_flow(&self, state_hash: &str, now: i64) -> StoreResult<FlowTake> {
        let taken = sqlx::query(
            "UPDATE sso_flows SET used_at = $1 WHERE state_hash = $2 AND used_at IS NULL AND expires_at > $1
             RETURNING org_id, nonce, pkce_verifier, return_to",
        )
        .bind(now)
        .bind(state_hash)
        .fetch_optional(self.writer())
        .await?;
        if let Some(r) = taken {
            return Ok(FlowTake::Fresh(SsoFlowRow {
                org_id: get(&r, "org_id")?,
                nonce: get(&r, "nonce")?,
                pkce_verifier: get(&r, "pkce_verifier")?,
                return_to: get(&r, "return_to")?,
            }));
        }
        let spent = sqlx::query("SELECT org_id, used_at FROM sso_flows WHERE state_hash = $1")
            .bind(state_hash)
            .fetch_optional(self.writer())
            .await?;
        Ok(match spent {
            Some(r) => FlowTake::Spent {
                org_id: get(&r, "org_id")?,
                used: get::<Option<i64>>(&r, "used_at")?.is_some(),
            },
            None => FlowTake::Unknown,
        })
    }

    /// An audit entry of its own (a refused or finished sign-in changes nothing else).
    pub async fn write_audit(&self, audit: &NewAudit) -> StoreResult<()> {
        let started = std::time::Instant::now();
        let mut conn = self.writer().acquire().await?;
        Store::insert_audit(&mut conn, audit).await?;
        self.observe_write(started);
        Ok(())
    }
}

fn config_row(r: &sqlx::any::AnyRow) -> StoreResult<SsoConfigRow> {
    let domains: String = get(r, "allowed_domains")?;
    let sso_only: i64 = get(r, "sso_only")?;
    Ok(SsoConfigRow {
        org_id: get(r, "org_id")?,
        issuer: get(r, "issuer")?,
        client_id: get(r, "client_id")?,
        client_secret: get(r, "client_secret")?,
        allowed_domains: serde_json::from_str(&domains)
            .map_err(|e| StoreError::Corrupt(format!("allowed_domains: {e}")))?,
        sso_only: sso_only != 0,
        updated_at: get(r, "updated_at")?,
        updated_by: get(r, "updated_by")?,
    })
}

//! One-time links: the first-run setup link, invites and password resets. Only the SHA-256 of
//! a link's token is stored; a link works once, until it expires.

use super::users::{user_row, COLUMNS};
use super::{get, now_ms, NewAudit, Store, StoreError, StoreResult, UserRow};
use hub_core::events::Published;

/// What a link is for (the `kind` column).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkPurpose {
    Setup,
    Invite,
    Reset,
}

impl LinkPurpose {
    fn as_str(self) -> &'static str {
        match self {
            LinkPurpose::Setup => "setup",
            LinkPurpose::Invite => "invite",
            LinkPurpose::Reset => "reset",
        }
    }

    fn parse(s: &str) -> StoreResult<Self> {
        match s {
            "setup" => Ok(LinkPurpose::Setup),
            "invite" => Ok(LinkPurpose::Invite),
            "reset" => Ok(LinkPurpose::Reset),
            other => Err(StoreError::Corrupt(format!("link kind {other:?}"))),
        }
    }
}

/// A live (unused, unexpired) link to set a user's password, with whose it is.
#[derive(Debug, Clone)]
pub struct PasswordLink {
    pub id: i64,
    pub purpose: LinkPurpose,
    pub expires_at: i64,
    pub user: UserRow,
    pub org_name: String,
}

/// Why a link could not be used.
const LINK_GONE: &str = "This link was already used or has expired. Ask an admin for a new one.";

impl Store {
    /// Stores a new link. Earlier unused links of the same purpose (and user) stop working:
    /// only the newest one a person was given is valid.
    pub async fn create_link(
        &self,
        purpose: LinkPurpose,
        user: Option<&UserRow>,
        created_by: Option<i64>,
        token_hash: &str,
        expires_at: i64,
        audit: Option<&NewAudit>,
    ) -> StoreResult<()> {
        let started = std::time::Instant::now();
        let now = now_ms();
        let mut tx = self.writer().begin().await?;
        sqlx::query(
            "UPDATE one_time_links SET expires_at = $1
             WHERE kind = $2 AND used_at IS NULL AND expires_at > $1 AND COALESCE(user_id, 0) = $3",
        )
        .bind(now)
        .bind(purpose.as_str())
        .bind(user.map_or(0, |u| u.id))
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO one_time_links (token_hash, kind, org_id, user_id, created_by, created_at, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(token_hash)
        .bind(purpose.as_str())
        .bind(user.map(|u| u.org_id))
        .bind(user.map(|u| u.id))
        .bind(created_by)
        .bind(now)
        .bind(expires_at)
        .execute(&mut *tx)
        .await?;
        if let Some(entry) = audit {
            Store::insert_audit(&mut tx, entry).await?;
        }
        tx.commit().await?;
        self.observe_write(started);
        Ok(())
    }

    /// True while a setup link with this hash can still be used.
    pub async fn setup_link_valid(&self, token_hash: &str) -> StoreResult<bool> {
        let row = sqlx::query(
            "SELECT id FROM one_time_links WHERE token_hash = $1 AND kind = 'setup' AND used_at IS NULL AND expires_at > $2",
        )
        .bind(token_hash)
        .bind(now_ms())
        .fetch_optional(self.reader())
        .await?;
        Ok(row.is_some())
    }

    /// The live invite or reset link with this hash, if any (an inactive user's links are dead).
    pub async fn password_link(&self, token_hash: &str) -> StoreResult<Option<PasswordLink>> {
        let cols = COLUMNS
            .split(", ")
            .map(|c| format!("u.{c}"))
            .collect::<Vec<_>>()
            .join(", ");
        let row = sqlx::query(&format!(
            "SELECT l.id AS link_id, l.kind AS link_kind, l.expires_at AS link_expires_at, o.name AS org_name, {cols}
             FROM one_time_links l JOIN users u ON u.id = l.user_id JOIN organizations o ON o.id = u.org_id
             WHERE l.token_hash = $1 AND l.kind IN ('invite', 'reset') AND l.used_at IS NULL
               AND l.expires_at > $2 AND u.active = 1"
        ))
        .bind(token_hash)
        .bind(now_ms())
        .fetch_optional(self.reader())
        .await?;
        let Some(r) = row else { return Ok(None) };
        let kind: String = get(&r, "link_kind")?;
        Ok(Some(PasswordLink {
            id: get(&r, "link_id")?,
            purpose: LinkPurpose::parse(&kind)?,
            expires_at: get(&r, "link_expires_at")?,
            user: user_row(&r)?,
            org_name: get(&r, "org_name")?,
        }))
    }

    /// Uses a link (once): marks it used, sets the user's password, signs out every earlier
    /// login of theirs and writes the audit entry, in one transaction. A link used meanwhile
    /// is refused with a conflict.
    pub async fn use_password_link(
        &self,
        link: &PasswordLink,
        password_hash: &str,
        audit: &NewAudit,
    ) -> StoreResult<Option<Published>> {
        let started = std::time::Instant::now();
        let now = now_ms();
        let mut tx = self.writer().begin().await?;
        let used = sqlx::query(
            "UPDATE one_time_links SET used_at = $1 WHERE id = $2 AND used_at IS NULL AND expires_at > $1",
        )
        .bind(now)
        .bind(link.id)
        .execute(&mut *tx)
        .await?;
        if used.rows_affected() != 1 {
            return Err(StoreError::Conflict(LINK_GONE));
        }
        sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
            .bind(password_hash)
            .bind(link.user.id)
            .execute(&mut *tx)
            .await?;
        let revoked = sqlx::query(
            "UPDATE auth_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL RETURNING id",
        )
        .bind(now)
        .bind(link.user.id)
        .fetch_all(&mut *tx)
        .await?;
        Store::insert_audit(&mut tx, audit).await?;
        let published = self
            .announce_revoked(&mut tx, audit.org_id, &revoked)
            .await?;
        tx.commit().await?;
        self.observe_write(started);
        Ok(published)
    }

    /// Marks a setup link used inside the transaction of the first organization; false when
    /// it was not live.
    pub(super) async fn consume_setup_link(
        conn: &mut sqlx::AnyConnection,
        token_hash: &str,
    ) -> StoreResult<bool> {
        let now = now_ms();
        let done = sqlx::query(
            "UPDATE one_time_links SET used_at = $1
             WHERE token_hash = $2 AND kind = 'setup' AND used_at IS NULL AND expires_at > $1",
        )
        .bind(now)
        .bind(token_hash)
        .execute(conn)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Changes a user's password, signs out their other logins and writes the audit entry,
    /// in one transaction; returns the ids of the revoked tokens.
    pub async fn change_password(
        &self,
        user_id: i64,
        keep_token: i64,
        password_hash: &str,
        audit: &NewAudit,
    ) -> StoreResult<Option<Published>> {
        let started = std::time::Instant::now();
        let mut tx = self.writer().begin().await?;
        sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
            .bind(password_hash)
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        let revoked = sqlx::query(
            "UPDATE auth_tokens SET revoked_at = $1 WHERE user_id = $2 AND id <> $3 AND revoked_at IS NULL RETURNING id",
        )
        .bind(now_ms())
        .bind(user_id)
        .bind(keep_token)
        .fetch_all(&mut *tx)
        .await?;
        Store::insert_audit(&mut tx, audit).await?;
        let published = self
            .announce_revoked(&mut tx, audit.org_id, &revoked)
            .await?;
        tx.commit().await?;
        self.observe_write(started);
        Ok(published)
    }
}

//! Auth tokens: only their SHA-256 is stored; revocable; expiring.

use super::users::user_row;
use super::{get, now_ms, Store, StoreResult};
use crate::store::UserRow;

/// The user a valid token belongs to.
#[derive(Debug, Clone)]
pub struct TokenOwner {
    pub token_id: i64,
    /// `web`, `device` (the desktop agent) or `api`.
    pub kind: String,
    pub user: UserRow,
}

impl Store {
    pub async fn insert_token(
        &self,
        user: &UserRow,
        token_hash: &str,
        kind: &str,
        expires_at: i64,
    ) -> StoreResult<i64> {
        let started = std::time::Instant::now();
        let row = sqlx::query(
            "INSERT INTO auth_tokens (token_hash, user_id, org_id, kind, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(token_hash)
        .bind(user.id)
        .bind(user.org_id)
        .bind(kind)
        .bind(now_ms())
        .bind(expires_at)
        .fetch_one(self.writer())
        .await?;
        self.observe_write(started);
        get(&row, "id")
    }

    /// The active user owning an unexpired, unrevoked token with this hash.
    pub async fn token_owner(&self, token_hash: &str) -> StoreResult<Option<TokenOwner>> {
        let row = sqlx::query(
            "SELECT t.id AS token_id, t.kind AS token_kind, u.id, u.org_id, u.email, u.name, u.role, u.password_hash, u.game_name, u.active, u.last_activity_at
             FROM auth_tokens t JOIN users u ON u.id = t.user_id
             WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND t.expires_at > $2 AND u.active = 1",
        )
        .bind(token_hash)
        .bind(now_ms())
        .fetch_optional(self.reader())
        .await?;
        match row {
            Some(r) => Ok(Some(TokenOwner {
                token_id: get(&r, "token_id")?,
                kind: get(&r, "token_kind")?,
                user: user_row(&r)?,
            })),
            None => Ok(None),
        }
    }

    /// Revokes one token; returns its id and organization if it was live.
    pub async fn revoke_token(&self, token_hash: &str) -> StoreResult<Option<(i64, i64)>> {
        let started = std::time::Instant::now();
        let row = sqlx::query("UPDATE auth_tokens SET revoked_at = $1 WHERE token_hash = $2 AND revoked_at IS NULL RETURNING id, org_id")
            .bind(now_ms())
            .bind(token_hash)
            .fetch_optional(self.writer())
            .await?;
        self.observe_write(started);
        row.map(|r| Ok((get(&r, "id")?, get(&r, "org_id")?)))
            .transpose()
    }

    pub async fn revoke_user_tokens(&self, user_id: i64) -> StoreResult<u64> {
        let started = std::time::Instant::now();
        let done = sqlx::query(
            "UPDATE auth_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL",
        )
        .bind(now_ms())
        .bind(user_id)
        .execute(self.writer())
        .await?;
        self.observe_write(started);
        Ok(done.rows_affected())
    }

    /// Deletes tokens that expired or were revoked more than a day ago.
    pub async fn delete_dead_tokens(&self, now: i64) -> StoreResult<u64> {
        let day_ago = now - 24 * 3600 * 1000;
        let done = sqlx::query("DELETE FROM auth_tokens WHERE expires_at < $1 OR revoked_at < $2")
            .bind(now)
            .bind(day_ago)
            .execute(self.writer())
            .await?;
        Ok(done.rows_affected())
    }
}

//! Auth tokens: only their SHA-256 is stored; revocable; expiring.

use super::exec::Statement;
use super::users::user_row;
use super::{get, now_ms, NewAudit, Store, StoreError, StoreResult};
use crate::store::UserRow;
use hub_core::events::{Event, Published};
use shared::two_factor::TwoFactorRequirement;
use sqlx::any::AnyRow;

/// The user a valid token belongs to.
#[derive(Debug, Clone)]
pub struct TokenOwner {
    pub token_id: i64,
    /// `web`, `device` (the desktop agent) or `api`.
    pub kind: String,
    /// When the token was last marked as used (at most once a minute).
    pub last_used_at: Option<i64>,
    pub user: UserRow,
    /// Whom the user's organization requires two-factor sign-in of.
    pub require_2fa_for: TwoFactorRequirement,
    /// The user has two-factor sign-in on.
    pub two_factor_on: bool,
}

impl TokenOwner {
    /// Required by the organization and not on yet: until they turn it on, the API answers
    /// 403 `two_factor_required` and pages lead to `/account` (SPEC §17).
    pub fn must_enrol_two_factor(&self) -> bool {
        crate::domain::two_factor::must_enrol(
            self.require_2fa_for,
            self.user.role,
            self.two_factor_on,
        )
    }
}

/// A live token as `GET /api/auth/tokens` lists it.
#[derive(Debug, Clone)]
pub struct TokenRow {
    pub id: i64,
    pub user_id: i64,
    pub user_name: String,
    pub org_id: i64,
    pub kind: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub client_ip: Option<String>,
    pub expires_at: i64,
}

/// Sockets opened with these tokens close (4001) on every node.
pub(super) fn tokens_revoked(token_ids: Vec<i64>) -> Event {
    Event::TokensRevoked { token_ids }
}

impl Store {
    /// Announces the tokens in `rows` (their `id` column) as revoked, in the transaction
    /// that revoked them; nothing when there are none.
    pub(super) async fn announce_revoked(
        &self,
        conn: &mut sqlx::AnyConnection,
        org_id: i64,
        rows: &[sqlx::any::AnyRow],
    ) -> StoreResult<Option<Published>> {
        let token_ids = rows
            .iter()
            .map(|r| get(r, "id"))
            .collect::<StoreResult<Vec<i64>>>()?;
        if token_ids.is_empty() {
            return Ok(None);
        }
        Ok(Some(
            self.announce(conn, org_id, tokens_revoked(token_ids))
                .await?,
        ))
    }

    pub async fn insert_token(
        &self,
        user: &UserRow,
        token_hash: &str,
        kind: &str,
        expires_at: i64,
        client_ip: Option<&str>,
    ) -> StoreResult<i64> {
        let started = std::time::Instant::now();
        let now = now_ms();
        let row = sqlx::query(
            "INSERT INTO auth_tokens (token_hash, user_id, org_id, kind, created_at, expires_at, last_used_at, client_ip)
             VALUES ($1, $2, $3, $4, $5, $6, $5, $7) RETURNING id",
        )
        .bind(token_hash)
        .bind(user.id)
        .bind(user.org_id)
        .bind(kind)
        .bind(now)
        .bind(expires_at)
        .bind(client_ip)
        .fetch_one(self.writer())
        .await?;
        self.observe_write(started);
        get(&row, "id")
    }

    /// The active user owning an unexpired, unrevoked token with this hash, read from the
    /// reader pool: a socket's handshake. They come in bursts (a fleet reconnecting); read on
    /// the direct connection, the 19,000 of SPEC §14's benchmark left the hub 0.38 KiB a socket
    /// larger (2.22 against 1.84 KiB; why was not found), and they would queue there before the
    /// API's requests.
    pub async fn token_owner(&self, token_hash: &str) -> StoreResult<Option<TokenOwner>> {
        let row = token_owner_statement(token_hash)
            .fetch_optional(self.reader())
            .await?;
        row.map(|r| token_owner_of(&r)).transpose()
    }

    /// The same for an API request, which waits on it: on the direct connection of a SQLite
    /// file (store/direct.rs).
    pub async fn token_owner_of_request(
        &self,
        token_hash: &str,
    ) -> StoreResult<Option<TokenOwner>> {
        let row = self
            .fetch_on_path(token_owner_statement(token_hash))
            .await?;
        row.map(|r| token_owner_of(&r)).transpose()
    }

    /// Revokes one token; returns its id and organization if it was live.
    pub async fn revoke_token(&self, token_hash: &str) -> StoreResult<Option<Published>> {
        let started = std::time::Instant::now();
        let mut tx = self.writer().begin().await?;
        let row = sqlx::query("UPDATE auth_tokens SET revoked_at = $1 WHERE token_hash = $2 AND revoked_at IS NULL RETURNING id, org_id")
            .bind(now_ms())
            .bind(token_hash)
            .fetch_optional(&mut *tx)
            .await?;
        let Some(row) = row else { return Ok(None) };
        let (token_id, org_id): (i64, i64) = (get(&row, "id")?, get(&row, "org_id")?);
        let published = self
            .announce(&mut tx, org_id, tokens_revoked(vec![token_id]))
            .await?;
        tx.commit().await?;
        self.observe_write(started);
        Ok(Some(published))
    }

    /// Marks a token as used now, from `client_ip`.
    pub async fn touch_token(&self, token_id: i64, client_ip: &str) -> StoreResult<()> {
        sqlx::query("UPDATE auth_tokens SET last_used_at = $1, client_ip = $2 WHERE id = $3")
            .bind(now_ms())
            .bind(client_ip)
            .bind(token_id)
            .execute(self.writer())
            .await?;
        Ok(())
    }

    /// Live tokens of an organization, newest use first; only `user_id`'s when given.
    pub async fn list_tokens(
        &self,
        org_id: i64,
        user_id: Option<i64>,
    ) -> StoreResult<Vec<TokenRow>> {
        let rows = sqlx::query(
            "SELECT t.id, t.user_id, u.name AS user_name, t.org_id, t.kind, t.created_at, t.last_used_at, t.client_ip, t.expires_at
             FROM auth_tokens t JOIN users u ON u.id = t.user_id
             WHERE t.org_id = $1 AND ($2 = 0 OR t.user_id = $2) AND t.revoked_at IS NULL AND t.expires_at > $3
             ORDER BY COALESCE(t.last_used_at, t.created_at) DESC, t.id DESC
             LIMIT 1000",
        )
        .bind(org_id)
        .bind(user_id.unwrap_or(0))
        .bind(now_ms())
        .fetch_all(self.reader())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(TokenRow {
                    id: get(r, "id")?,
                    user_id: get(r, "user_id")?,
                    user_name: get(r, "user_name")?,
                    org_id: get(r, "org_id")?,
                    kind: get(r, "kind")?,
                    created_at: get(r, "created_at")?,
                    last_used_at: get(r, "last_used_at")?,
                    client_ip: get(r, "client_ip")?,
                    expires_at: get(r, "expires_at")?,
                })
            })
            .collect()
    }

    /// Revokes a live token of `org_id` by id; returns its owner's id, `None` if there is no
    /// such live token in the organization.
    pub async fn revoke_token_by_id(
        &self,
        org_id: i64,
        token_id: i64,
        audit: &NewAudit,
    ) -> StoreResult<Option<(i64, Published)>> {
        let started = std::time::Instant::now();
        let mut tx = self.writer().begin().await?;
        let row = sqlx::query(
            "UPDATE auth_tokens SET revoked_at = $1 WHERE id = $2 AND org_id = $3 AND revoked_at IS NULL RETURNING user_id",
        )
        .bind(now_ms())
        .bind(token_id)
        .bind(org_id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else { return Ok(None) };
        Store::insert_audit(&mut tx, audit).await?;
        let published = self
            .announce(&mut tx, org_id, tokens_revoked(vec![token_id]))
            .await?;
        tx.commit().await?;
        self.observe_write(started);
        Ok(Some((get(&row, "user_id")?, published)))
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

/// The token's owner, their organization's two-factor rule and whether they have a second factor.
fn token_owner_statement(token_hash: &str) -> Statement<'_> {
    sqlx::query(
        "SELECT t.id AS token_id, t.kind AS token_kind, t.last_used_at AS token_used_at, u.id, u.org_id, u.email, u.name, u.role, u.password_hash, u.game_name, u.steam_id, u.discord, u.timezone, u.active, u.created_at, u.last_activity_at,
                    o.require_2fa_for AS org_require_2fa_for,
                    (SELECT COUNT(*) FROM user_totp z WHERE z.user_id = u.id AND z.enabled_at IS NOT NULL) AS two_factor_on
             FROM auth_tokens t JOIN users u ON u.id = t.user_id JOIN organizations o ON o.id = u.org_id
             WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND t.expires_at > $2 AND u.active = 1",
    )
    .bind(token_hash)
    .bind(now_ms())
}

fn token_owner_of(r: &AnyRow) -> StoreResult<TokenOwner> {
    let required: String = get(r, "org_require_2fa_for")?;
    let two_factor_on: i64 = get(r, "two_factor_on")?;
    Ok(TokenOwner {
        token_id: get(r, "token_id")?,
        kind: get(r, "token_kind")?,
        last_used_at: get(r, "token_used_at")?,
        user: user_row(r)?,
        require_2fa_for: TwoFactorRequirement::parse(&required)
            .ok_or_else(|| StoreError::Corrupt(format!("require_2fa_for {required:?}")))?,
        two_factor_on: two_factor_on > 0,
    })
}

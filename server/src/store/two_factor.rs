//! Two-factor sign-in: users' TOTP secrets, their recovery codes (only SHA-256 stored), and the
//! second steps of logins in progress. Each "used once" rule is one conditional UPDATE (a
//! code's time step must be newer than the last one accepted; a recovery code or challenge
//! must be unused), so two nodes of a cluster can never both accept the same one.

use super::users::{user_row, COLUMNS};
use super::{get, now_ms, NewAudit, Store, StoreResult, UserRow};

/// A user's TOTP set-up.
#[derive(Debug, Clone)]
pub struct TotpRow {
    /// Base32, as the authenticator app holds it.
    pub secret: String,
    /// `None` while only set up (no code confirmed it yet).
    pub enabled_at: Option<i64>,
    /// The time step of the last code accepted.
    pub last_step: i64,
}

impl TotpRow {
    pub fn enabled(&self) -> bool {
        self.enabled_at.is_some()
    }
}

/// A login waiting for its second step, with whose it is.
#[derive(Debug, Clone)]
pub struct MfaChallengeRow {
    pub id: i64,
    /// The kind of token the finished login gets: `web` or `device`.
    pub kind: String,
    pub attempts: i64,
    pub user: UserRow,
}

/// What proves the second step.
#[derive(Debug, Clone, Copy)]
pub enum MfaProof<'a> {
    /// A code of this time step: accepted only if newer than the last one accepted.
    Step(i64),
    /// A recovery code, by its hash: works once.
    RecoveryCode(&'a str),
}

/// How finishing a second step went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MfaFinish {
    /// The challenge is used up and the proof accepted: the login may be issued.
    Done,
    /// Used, expired or out of attempts meanwhile (another node may have finished it).
    ChallengeGone,
    /// The code's step was not newer than the last accepted, or the recovery code was used
    /// or unknown. Nothing was changed.
    ProofRefused,
}

impl Store {
    /// The user's TOTP set-up, enabled or not.
    pub async fn totp_of(&self, user_id: i64) -> StoreResult<Option<TotpRow>> {
        let row =
            sqlx::query("SELECT secret, enabled_at, last_step FROM user_totp WHERE user_id = $1")
                .bind(user_id)
                .fetch_optional(self.reader())
                .await?;
        row.map(|r| {
            Ok(TotpRow {
                secret: get(&r, "secret")?,
                enabled_at: get(&r, "enabled_at")?,
                last_step: get(&r, "last_step")?,
            })
        })
        .transpose()
    }

    /// Unused recovery codes of a user.
    pub async fn recovery_codes_left(&self, user_id: i64) -> StoreResult<i64> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS n FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL",
        )
        .bind(user_id)
        .fetch_one(self.reader())
        .await?;
        get(&row, "n")
    }

    /// The users of an organization who have two-factor sign-in on (for `/users`).
    pub async fn two_factor_user_ids(&self, org_id: i64) -> StoreResult<Vec<i64>> {
        let rows = sqlx::query(
            "SELECT user_id FROM user_totp WHERE org_id = $1 AND enabled_at IS NOT NULL ORDER BY user_id",
        )
        .bind(org_id)
        .fetch_all(self.reader())
        .await?;
        rows.iter().map(|r| get(r, "user_id")).collect()
    }

    /// Stores a new secret for `user`, replacing one that was only set up; false (nothing
    /// changed) when two-factor sign-in is already on.
    pub async fn save_totp_secret(&self, user: &UserRow, secret: &str) -> StoreResult<bool> {
        let started = std::time::Instant::now();
        let done = sqlx::query(
            "INSERT INTO user_totp (user_id, org_id, secret, created_at, enabled_at, last_step)
             VALUES ($1, $2, $3, $4, NULL, 0)
             ON CONFLICT (user_id) DO UPDATE SET secret = $3, created_at = $4, last_step = 0
             WHERE user_totp.enabled_at IS NULL",
        )
        .bind(user.id)
        .bind(user.org_id)
        .bind(secret)
        .bind(now_ms())
        .execute(self.writer())
        .await?;
        self.observe_write(started);
        Ok(done.rows_affected() == 1)
    }

    /// Turns two-factor sign-in on with a code of `step` and stores the hashes of the new
    /// recovery codes (earlier ones go), with the audit entry, in one transaction. False
    /// (nothing changed) when it was on already, or the step is not newer than the last one
    /// accepted.
    pub async fn enable_totp(
        &self,
        user_id: i64,
        step: i64,
        code_hashes: &[String],
        audit: &NewAudit,
    ) -> StoreResult<bool> {
        let started = std::time::Instant::now();
        let now = now_ms();
        let mut tx = self.writer().begin().await?;
        let enabled = sqlx::query(
            "UPDATE user_totp SET enabled_at = $1, last_step = $2
             WHERE user_id = $3 AND enabled_at IS NULL AND last_step < $2",
        )
        .bind(now)
        .bind(step)
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
        if enabled.rows_affected() != 1 {
            tx.rollback().await?;
            return Ok(false);
        }
        insert_recovery_codes(&mut tx, user_id, code_hashes, now).await?;
        Store::insert_audit(&mut tx, audit).await?;
        tx.commit().await?;
        self.observe_write(started);
        Ok(true)
    }

    /// Accepts a code of `step` of an enabled set-up: true only if the step is newer than the
    /// last one accepted, which it then becomes.
    pub async fn accept_totp_step(&self, user_id: i64, step: i64) -> StoreResult<bool> {
        let started = std::time::Instant::now();
        let done = sqlx::query(
            "UPDATE user_totp SET last_step = $1
             WHERE user_id = $2 AND enabled_at IS NOT NULL AND last_step < $1",
        )
        .bind(step)
        .bind(user_id)
        .execute(self.writer())
        .await?;
        self.observe_write(started);
        Ok(done.rows_affected() == 1)
    }

    /// New recovery codes (earlier ones stop working) against a code of `step`, with the audit
    /// entry, in one transaction; false (nothing changed) when the step is not newer than the
    /// last one accepted or two-factor sign-in is off.
    pub async fn renew_recovery_codes(
        &self,
        user_id: i64,
        step: i64,
        code_hashes: &[String],
        audit: &NewAudit,
    ) -> StoreResult<bool> {
        let started = std::time::Instant::now();
        let now = now_ms();
        let mut tx = self.writer().begin().await?;
        let accepted = sqlx::query(
            "UPDATE user_totp SET last_step = $1
             WHERE user_id = $2 AND enabled_at IS NOT NULL AND last_step < $1",
        )
        .bind(step)
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
        if accepted.rows_affected() != 1 {
            tx.rollback().await?;
            return Ok(false);
        }
        insert_recovery_codes(&mut tx, user_id, code_hashes, now).await?;
        Store::insert_audit(&mut tx, audit).await?;
        tx.commit().await?;
        self.observe_write(started);
        Ok(true)
    }

    /// Removes a user's secret and recovery codes (turned off, or reset by an admin), with the
    /// audit entry; false (nothing written) when there was neither.
    pub async fn remove_two_factor(&self, user_id: i64, audit: &NewAudit) -> StoreResult<bool> {
        let started = std::time::Instant::now();
        let mut tx = self.writer().begin().await?;
        let secret = sqlx::query("DELETE FROM user_totp WHERE user_id = $1")
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        let codes = sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        // Logins waiting for a code of the removed secret cannot finish any more.
        sqlx::query("DELETE FROM mfa_challenges WHERE user_id = $1")
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        if secret.rows_affected() == 0 && codes.rows_affected() == 0 {
            tx.rollback().await?;
            return Ok(false);
        }
        Store::insert_audit(&mut tx, audit).await?;
        tx.commit().await?;
        self.observe_write(started);
        Ok(true)
    }

    /// A login's second step, waiting for the code: the token only as its hash.
    pub async fn create_mfa_challenge(
        &self,
        user: &UserRow,
        token_hash: &str,
        kind: &str,
        client_ip: Option<&str>,
        expires_at: i64,
    ) -> StoreResult<()> {
        let started = std::time::Instant::now();
        sqlx::query(
            "INSERT INTO mfa_challenges (token_hash, user_id, kind, client_ip, created_at, expires_at, attempts)
             VALUES ($1, $2, $3, $4, $5, $6, 0)",
        )
        .bind(token_hash)
        .bind(user.id)
        .bind(kind)
        .bind(client_ip)
        .bind(now_ms())
        .bind(expires_at)
        .execute(self.writer())
        .await?;
        self.observe_write(started);
        Ok(())
    }

    /// The live challenge with this token hash (unused, unexpired, fewer than
    /// `max_attempts` wrong codes, its user active).
    pub async fn live_mfa_challenge(
        &self,
        token_hash: &str,
        max_attempts: i64,
    ) -> StoreResult<Option<MfaChallengeRow>> {
        let cols = COLUMNS
            .split(", ")
            .map(|c| format!("u.{c}"))
            .collect::<Vec<_>>()
            .join(", ");
        let row = sqlx::query(&format!(
            "SELECT c.id AS challenge_id, c.kind AS challenge_kind, c.attempts AS challenge_attempts, {cols}
             FROM mfa_challenges c JOIN users u ON u.id = c.user_id
             WHERE c.token_hash = $1 AND c.used_at IS NULL AND c.expires_at > $2 AND c.attempts < $3
               AND u.active = 1"
        ))
        .bind(token_hash)
        .bind(now_ms())
        .bind(max_attempts)
        .fetch_optional(self.reader())
        .await?;
        let Some(r) = row else { return Ok(None) };
        Ok(Some(MfaChallengeRow {
            id: get(&r, "challenge_id")?,
            kind: get(&r, "challenge_kind")?,
            attempts: get(&r, "challenge_attempts")?,
            user: user_row(&r)?,
        }))
    }

    /// Counts a wrong code against a challenge; answers its wrong codes so far.
    pub async fn count_mfa_failure(&self, challenge_id: i64) -> StoreResult<i64> {
        let started = std::time::Instant::now();
        let row = sqlx::query(
            "UPDATE mfa_challenges SET attempts = attempts + 1 WHERE id = $1 RETURNING attempts",
        )
        .bind(challenge_id)
        .fetch_optional(self.writer())
        .await?;
        self.observe_write(started);
        match row {
            Some(r) => get(&r, "attempts"),
            None => Ok(0),
        }
    }

    /// Finishes a second step: uses the challenge up and accepts `proof`, with `audit` (if
    /// any), in one transaction; nothing is changed unless both hold.
    pub async fn finish_mfa_challenge(
        &self,
        challenge: &MfaChallengeRow,
        proof: MfaProof<'_>,
        max_attempts: i64,
        audit: Option<&NewAudit>,
    ) -> StoreResult<MfaFinish> {
        let started = std::time::Instant::now();
        let now = now_ms();
        let mut tx = self.writer().begin().await?;
        let claimed = sqlx::query(
            "UPDATE mfa_challenges SET used_at = $1
             WHERE id = $2 AND used_at IS NULL AND expires_at > $1 AND attempts < $3",
        )
        .bind(now)
        .bind(challenge.id)
        .bind(max_attempts)
        .execute(&mut *tx)
        .await?;
        if claimed.rows_affected() != 1 {
            tx.rollback().await?;
            return Ok(MfaFinish::ChallengeGone);
        }
        let proven = match proof {
            MfaProof::Step(step) => {
                sqlx::query(
                    "UPDATE user_totp SET last_step = $1
                     WHERE user_id = $2 AND enabled_at IS NOT NULL AND last_step < $1",
                )
                .bind(step)
                .bind(challenge.user.id)
                .execute(&mut *tx)
                .await?
            }
            MfaProof::RecoveryCode(hash) => {
                sqlx::query(
                    "UPDATE recovery_codes SET used_at = $1
                     WHERE user_id = $2 AND code_hash = $3 AND used_at IS NULL",
                )
                .bind(now)
                .bind(challenge.user.id)
                .bind(hash)
                .execute(&mut *tx)
                .await?
            }
        };
        if proven.rows_affected() == 0 {
            tx.rollback().await?;
            return Ok(MfaFinish::ProofRefused);
        }
        if let Some(entry) = audit {
            Store::insert_audit(&mut tx, entry).await?;
        }
        tx.commit().await?;
        self.observe_write(started);
        Ok(MfaFinish::Done)
    }

    /// Deletes challenges that expired more than a day ago.
    pub async fn delete_dead_mfa_challenges(&self, now: i64) -> StoreResult<u64> {
        let day_ago = now - 24 * 3600 * 1000;
        let done = sqlx::query("DELETE FROM mfa_challenges WHERE expires_at < $1")
            .bind(day_ago)
            .execute(self.writer())
            .await?;
        Ok(done.rows_affected())
    }
}

/// Replaces a user's recovery codes by these hashes, inside the caller's transaction.
async fn insert_recovery_codes(
    conn: &mut sqlx::AnyConnection,
    user_id: i64,
    code_hashes: &[String],
    now: i64,
) -> StoreResult<()> {
    sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
        .bind(user_id)
        .execute(&mut *conn)
        .await?;
    for hash in code_hashes {
        sqlx::query(
            "INSERT INTO recovery_codes (user_id, code_hash, created_at) VALUES ($1, $2, $3)",
        )
        .bind(user_id)
        .bind(hash)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

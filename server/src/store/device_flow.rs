//! Device sign-ins (SPEC §17, RFC 8628): the codes agents asked for, their approval or denial,
//! and their single use. Only the SHA-256 of the device code is stored. Every state change is
//! one conditional `UPDATE`, so two nodes (or two polls) can never both approve, both deny or
//! both hand out the token.

use sqlx::any::AnyRow;

use super::{get, unique, NewAudit, Store, StoreError, StoreResult, UserRow};
use crate::domain::device_flow::{GrantState, PollFacts};

/// A request as an agent starts it.
#[derive(Debug, Clone)]
pub struct NewDeviceGrant<'a> {
    pub device_code_hash: &'a str,
    /// Stored without the dash (`BCDFGHJK`).
    pub user_code: &'a str,
    pub client_name: &'a str,
    pub client_ip: Option<&'a str>,
    pub created_at: i64,
    pub expires_at: i64,
    pub interval_ms: i64,
}

/// A stored request.
#[derive(Debug, Clone)]
pub struct DeviceGrantRow {
    pub id: i64,
    pub user_code: String,
    pub client_name: String,
    pub client_ip: Option<String>,
    pub created_at: i64,
    pub expires_at: i64,
    pub interval_ms: i64,
    pub last_polled_at: Option<i64>,
    pub state: GrantState,
    /// Who approved or denied it (and their organization); `None` while pending.
    pub user_id: Option<i64>,
    pub org_id: Option<i64>,
}

impl DeviceGrantRow {
    /// What decides the answer to a poll.
    pub fn poll_facts(&self) -> PollFacts {
        PollFacts {
            state: self.state,
            expires_at: self.expires_at,
            interval_ms: self.interval_ms,
            last_polled_at: self.last_polled_at,
        }
    }
}

const COLUMNS: &str = "id, user_code, client_name, client_ip, created_at, expires_at, interval_ms, last_polled_at, state, user_id, org_id";

fn grant_row(r: &AnyRow) -> StoreResult<DeviceGrantRow> {
    let state: String = get(r, "state")?;
    Ok(DeviceGrantRow {
        id: get(r, "id")?,
        user_code: get(r, "user_code")?,
        client_name: get(r, "client_name")?,
        client_ip: get(r, "client_ip")?,
        created_at: get(r, "created_at")?,
        expires_at: get(r, "expires_at")?,
        interval_ms: get(r, "interval_ms")?,
        last_polled_at: get(r, "last_polled_at")?,
        state: GrantState::parse(&state)
            .ok_or_else(|| StoreError::Corrupt(format!("device grant state {state:?}")))?,
        user_id: get(r, "user_id")?,
        org_id: get(r, "org_id")?,
    })
}

impl Store {
    /// Stores a new request; a user code still in the table is a `UniqueViolation` (the
    /// caller draws another).
    pub async fn insert_device_grant(&self, new: &NewDeviceGrant<'_>) -> StoreResult<i64> {
        let started = std::time::Instant::now();
        let row = sqlx::query(
            "INSERT INTO device_grants (device_code_hash, user_code, client_name, client_ip, created_at, expires_at, interval_ms)
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(new.device_code_hash)
        .bind(new.user_code)
        .bind(new.client_name)
        .bind(new.client_ip)
        .bind(new.created_at)
        .bind(new.expires_at)
        .bind(new.interval_ms)
        .fetch_one(self.writer())
        .await
        .map_err(unique("Sign-in code"))?;
        self.observe_write(started);
        get(&row, "id")
    }

    /// The request an agent polls with, by the hash of its device code (any state).
    pub async fn device_grant_by_device_code(
        &self,
        device_code_hash: &str,
    ) -> StoreResult<Option<DeviceGrantRow>> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM device_grants WHERE device_code_hash = $1"
        ))
        .bind(device_code_hash)
        .fetch_optional(self.reader())
        .await?;
        row.map(|r| grant_row(&r)).transpose()
    }

    /// The request a person typed the code of (stored form, no dash), in any state.
    pub async fn device_grant_by_user_code(
        &self,
        user_code: &str,
    ) -> StoreResult<Option<DeviceGrantRow>> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM device_grants WHERE user_code = $1"
        ))
        .bind(user_code)
        .fetch_optional(self.reader())
        .await?;
        row.map(|r| grant_row(&r)).transpose()
    }

    /// Notes a poll of a pending request at `at`, with its interval from now on (longer after
    /// a poll that came too soon).
    pub async fn note_device_poll(&self, id: i64, at: i64, interval_ms: i64) -> StoreResult<()> {
        sqlx::query(
            "UPDATE device_grants SET last_polled_at = $1, interval_ms = $2 WHERE id = $3 AND state = 'pending'",
        )
        .bind(at)
        .bind(interval_ms)
        .bind(id)
        .execute(self.writer())
        .await?;
        Ok(())
    }

    /// Approves or denies a pending, unexpired request as `user` (from `ip`) and writes the
    /// audit entry, in one transaction. False, and nothing written, when the request was no
    /// longer pending at `now` (answered meanwhile, or expired).
    pub async fn decide_device_grant(
        &self,
        id: i64,
        decision: GrantState,
        user: &UserRow,
        ip: Option<&str>,
        now: i64,
        audit: &NewAudit,
    ) -> StoreResult<bool> {
        let started = std::time::Instant::now();
        let mut tx = self.writer().begin().await?;
        let done = sqlx::query(
            "UPDATE device_grants SET state = $1, user_id = $2, org_id = $3, decided_at = $4, decided_ip = $5
             WHERE id = $6 AND state = 'pending' AND expires_at > $4",
        )
        .bind(decision.as_str())
        .bind(user.id)
        .bind(user.org_id)
        .bind(now)
        .bind(ip)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            return Ok(false);
        }
        Store::insert_audit(&mut tx, audit).await?;
        tx.commit().await?;
        self.observe_write(started);
        Ok(true)
    }

    /// Marks an approved, unexpired request used. True only for the one caller that did: a
    /// device code gives one token, however many polls race for it.
    pub async fn use_device_grant(&self, id: i64, now: i64) -> StoreResult<bool> {
        let started = std::time::Instant::now();
        let done = sqlx::query(
            "UPDATE device_grants SET state = 'used' WHERE id = $1 AND state = 'approved' AND expires_at > $2",
        )
        .bind(id)
        .bind(now)
        .execute(self.writer())
        .await?;
        self.observe_write(started);
        Ok(done.rows_affected() == 1)
    }

    /// Moves a request's expiry (by its stored user code); false when there is none. For the
    /// tests: a code that ran out without waiting ten minutes.
    pub async fn set_device_grant_expiry(
        &self,
        user_code: &str,
        expires_at: i64,
    ) -> StoreResult<bool> {
        let done = sqlx::query("UPDATE device_grants SET expires_at = $1 WHERE user_code = $2")
            .bind(expires_at)
            .bind(user_code)
            .execute(self.writer())
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Deletes the requests that expired before `now` (used, denied or never answered).
    pub async fn delete_expired_device_grants(&self, now: i64) -> StoreResult<u64> {
        let done = sqlx::query("DELETE FROM device_grants WHERE expires_at < $1")
            .bind(now)
            .execute(self.writer())
            .await?;
        Ok(done.rows_affected())
    }
}

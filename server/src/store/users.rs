//! Users of an organization.

use super::{get, limit_offset, now_ms, unique, Store, StoreError, StoreResult};
use shared::api::{UserInfo, UserRecord};
use shared::Role;

#[derive(Debug, Clone)]
pub struct UserRow {
    pub id: i64,
    pub org_id: i64,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub password_hash: String,
    pub game_name: Option<String>,
    pub active: bool,
    pub last_activity_at: Option<i64>,
}

impl UserRow {
    pub fn info(&self) -> UserInfo {
        UserInfo {
            id: self.id,
            name: self.name.clone(),
            email: self.email.clone(),
            role: self.role,
            org_id: self.org_id,
        }
    }

    pub fn record(&self) -> UserRecord {
        UserRecord {
            id: self.id,
            org_id: self.org_id,
            name: self.name.clone(),
            email: self.email.clone(),
            role: self.role,
            game_name: self.game_name.clone(),
            active: self.active,
        }
    }
}

pub struct NewUser<'a> {
    pub org_id: i64,
    pub email: &'a str,
    pub name: &'a str,
    pub role: Role,
    pub password_hash: &'a str,
    pub game_name: Option<&'a str>,
}

#[derive(Debug, Default, Clone)]
pub struct UserPatch {
    pub name: Option<String>,
    pub role: Option<Role>,
    pub game_name: Option<Option<String>>,
    pub active: Option<bool>,
}

const COLUMNS: &str =
    "id, org_id, email, name, role, password_hash, game_name, active, last_activity_at";

impl Store {
    pub async fn create_user(&self, new: NewUser<'_>) -> StoreResult<UserRow> {
        let started = std::time::Instant::now();
        let row = sqlx::query(&format!(
            "INSERT INTO users (org_id, email, name, role, password_hash, game_name, active, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, 1, $7) RETURNING {COLUMNS}"
        ))
        .bind(new.org_id)
        .bind(new.email)
        .bind(new.name)
        .bind(new.role.as_str())
        .bind(new.password_hash)
        .bind(new.game_name)
        .bind(now_ms())
        .fetch_one(self.writer())
        .await
        .map_err(unique("A user with this email"))?;
        self.observe_write(started);
        user_row(&row)
    }

    /// Any user by e-mail (lower-cased), active or not; login decides what to do with it.
    pub async fn find_user_by_email(&self, email: &str) -> StoreResult<Option<UserRow>> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM users WHERE email = $1"))
            .bind(email)
            .fetch_optional(self.reader())
            .await?;
        row.map(|r| user_row(&r)).transpose()
    }

    /// A user of `org_id`; another organization's id reads as absent.
    pub async fn get_user(&self, org_id: i64, id: i64) -> StoreResult<Option<UserRow>> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM users WHERE id = $1 AND org_id = $2"
        ))
        .bind(id)
        .bind(org_id)
        .fetch_optional(self.reader())
        .await?;
        row.map(|r| user_row(&r)).transpose()
    }

    pub async fn list_users(
        &self,
        org_id: i64,
        page: u32,
        per_page: u32,
    ) -> StoreResult<(Vec<UserRow>, i64)> {
        let (limit, offset) = limit_offset(page, per_page);
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM users WHERE org_id = $1 ORDER BY name, id LIMIT $2 OFFSET $3"
        ))
        .bind(org_id)
        .bind(limit)
        .bind(offset)
        .fetch_all(self.reader())
        .await?;
        let total = sqlx::query("SELECT COUNT(*) AS n FROM users WHERE org_id = $1")
            .bind(org_id)
            .fetch_one(self.reader())
            .await?;
        Ok((
            rows.iter().map(user_row).collect::<StoreResult<_>>()?,
            get(&total, "n")?,
        ))
    }

    /// Every user of every organization: the hub's in-memory directory at start-up.
    pub async fn all_users(&self) -> StoreResult<Vec<UserRow>> {
        let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM users ORDER BY id"))
            .fetch_all(self.reader())
            .await?;
        rows.iter().map(user_row).collect()
    }

    /// Applies the set fields of `patch` to a user of `org_id`; `None` if there is no such user.
    pub async fn update_user(
        &self,
        org_id: i64,
        id: i64,
        patch: &UserPatch,
    ) -> StoreResult<Option<UserRow>> {
        let started = std::time::Instant::now();
        let Some(current) = self.get_user(org_id, id).await? else {
            return Ok(None);
        };
        let name = patch.name.clone().unwrap_or(current.name);
        let role = patch.role.unwrap_or(current.role);
        let game_name = patch.game_name.clone().unwrap_or(current.game_name);
        let active = patch.active.unwrap_or(current.active);
        let row = sqlx::query(&format!(
            "UPDATE users SET name = $1, role = $2, game_name = $3, active = $4 WHERE id = $5 AND org_id = $6 RETURNING {COLUMNS}"
        ))
        .bind(name)
        .bind(role.as_str())
        .bind(game_name)
        .bind(active as i64)
        .bind(id)
        .bind(org_id)
        .fetch_optional(self.writer())
        .await?;
        self.observe_write(started);
        row.map(|r| user_row(&r)).transpose()
    }
}

pub(super) fn user_row(r: &sqlx::any::AnyRow) -> StoreResult<UserRow> {
    let role: String = get(r, "role")?;
    let active: i64 = get(r, "active")?;
    Ok(UserRow {
        id: get(r, "id")?,
        org_id: get(r, "org_id")?,
        email: get(r, "email")?,
        name: get(r, "name")?,
        role: role
            .parse()
            .map_err(|e: shared::role::UnknownRole| StoreError::Corrupt(e.to_string()))?,
        password_hash: get(r, "password_hash")?,
        game_name: get(r, "game_name")?,
        active: active != 0,
        last_activity_at: get(r, "last_activity_at")?,
    })
}

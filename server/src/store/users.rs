//! Users of an organization.

use super::{get, limit_offset, now_ms, unique, Changes, NewAudit, Store, StoreError, StoreResult};
use hub_core::events::{Event, MemberInfo, Published};
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
    pub steam_id: Option<String>,
    pub discord: Option<String>,
    pub timezone: Option<String>,
    pub active: bool,
    pub created_at: i64,
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
            steam_id: self.steam_id.clone(),
            discord: self.discord.clone(),
            timezone: self.timezone.clone(),
            active: self.active,
            created_at: super::ms_to_time(self.created_at),
            last_activity_at: self.last_activity_at.map(super::ms_to_time),
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
    pub steam_id: Option<&'a str>,
    pub discord: Option<&'a str>,
    pub timezone: Option<&'a str>,
}

#[derive(Debug, Default, Clone)]
pub struct UserPatch {
    pub name: Option<String>,
    pub role: Option<Role>,
    pub game_name: Option<Option<String>>,
    pub steam_id: Option<Option<String>>,
    pub discord: Option<Option<String>>,
    pub timezone: Option<Option<String>>,
    pub active: Option<bool>,
}

/// The columns [`user_row`] reads, for queries that join other tables (prefix `u.`).
pub(super) const COLUMNS: &str = "id, org_id, email, name, role, password_hash, game_name, steam_id, discord, timezone, active, created_at, last_activity_at";

impl Store {
    pub async fn create_user(&self, new: NewUser<'_>) -> StoreResult<UserRow> {
        let started = std::time::Instant::now();
        let mut conn = self.writer().acquire().await?;
        let user = insert_user(&mut conn, &new).await?;
        self.observe_write(started);
        Ok(user)
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
}

/// The one-time link stored with a new user who has no password yet.
/// A user before and after a change; the event when something changed.
#[derive(Debug, Clone)]
pub struct UserUpdate {
    pub before: UserRow,
    pub after: UserRow,
    pub published: Option<Published>,
}

/// What every node's directory learns of a created or changed user.
pub(super) fn member_changed(user: &UserRow) -> Event {
    Event::MemberChanged {
        member: MemberInfo::from(user),
    }
}

pub struct NewInvite<'a> {
    pub token_hash: &'a str,
    pub expires_at: i64,
}

/// Who changes users, for the audit entry (no actor: the command line).
pub struct UserAuditActor {
    pub actor_id: Option<i64>,
    pub ip: Option<String>,
    /// `api`, `web`, `cli`.
    pub via: &'static str,
}

const NO_OWNER_LEFT: &str =
    "An organization must keep at least one active owner: make someone else owner first.";

impl Store {
    /// Creates a user, their invite link (when they have no password yet) and the audit entry
    /// `USER_CREATED`, in one transaction.
    pub async fn create_user_audited(
        &self,
        new: NewUser<'_>,
        invite: Option<NewInvite<'_>>,
        actor: &UserAuditActor,
    ) -> StoreResult<(UserRow, Published)> {
        let started = std::time::Instant::now();
        let mut tx = self.writer().begin().await?;
        let user = insert_user(&mut tx, &new).await?;
        if let Some(invite) = &invite {
            sqlx::query(
                "INSERT INTO one_time_links (token_hash, kind, org_id, user_id, created_by, created_at, expires_at)
                 VALUES ($1, 'invite', $2, $3, $4, $5, $6)",
            )
            .bind(invite.token_hash)
            .bind(user.org_id)
            .bind(user.id)
            .bind(actor.actor_id)
            .bind(now_ms())
            .bind(invite.expires_at)
            .execute(&mut *tx)
            .await?;
        }
        let audit = NewAudit {
            org_id: user.org_id,
            actor_id: actor.actor_id,
            action: "USER_CREATED",
            target_type: Some("user"),
            target_id: Some(user.id),
            ip: actor.ip.clone(),
            details: serde_json::json!({
                "email": user.email, "name": user.name, "role": user.role.as_str(),
                "invited": invite.is_some(), "via": actor.via,
            }),
        };
        Store::insert_audit(&mut tx, &audit).await?;
        let published = self
            .announce(&mut tx, user.org_id, member_changed(&user))
            .await?;
        tx.commit().await?;
        self.observe_write(started);
        Ok((user, published))
    }

    /// Applies `patch` and writes `USER_UPDATED` with the old and new value of each changed
    /// field, in one transaction that fails (changing nothing) if the organization would be
    /// left without an active owner. Deactivating a user revokes their tokens. Answers the
    /// user before and after; `None` if there is no such user in `org_id`.
    pub async fn update_user_audited(
        &self,
        org_id: i64,
        id: i64,
        patch: &UserPatch,
        actor: &UserAuditActor,
    ) -> StoreResult<Option<UserUpdate>> {
        let started = std::time::Instant::now();
        let mut tx = self.writer().begin().await?;
        let current = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM users WHERE id = $1 AND org_id = $2"
        ))
        .bind(id)
        .bind(org_id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(current) = current.map(|r| user_row(&r)).transpose()? else {
            return Ok(None);
        };
        let next = UserRow {
            name: patch.name.clone().unwrap_or_else(|| current.name.clone()),
            role: patch.role.unwrap_or(current.role),
            game_name: patch
                .game_name
                .clone()
                .unwrap_or_else(|| current.game_name.clone()),
            steam_id: patch
                .steam_id
                .clone()
                .unwrap_or_else(|| current.steam_id.clone()),
            discord: patch
                .discord
                .clone()
                .unwrap_or_else(|| current.discord.clone()),
            timezone: patch
                .timezone
                .clone()
                .unwrap_or_else(|| current.timezone.clone()),
            active: patch.active.unwrap_or(current.active),
            ..current.clone()
        };
        let changes = user_changes(&current, &next);
        if changes.is_empty() {
            return Ok(Some(UserUpdate {
                before: current.clone(),
                after: current,
                published: None,
            }));
        }
        let row = sqlx::query(&format!(
            "UPDATE users SET name = $1, role = $2, game_name = $3, active = $4, steam_id = $5, discord = $6, timezone = $7
             WHERE id = $8 AND org_id = $9 RETURNING {COLUMNS}"
        ))
        .bind(&next.name)
        .bind(next.role.as_str())
        .bind(&next.game_name)
        .bind(next.active as i64)
        .bind(&next.steam_id)
        .bind(&next.discord)
        .bind(&next.timezone)
        .bind(id)
        .bind(org_id)
        .fetch_one(&mut *tx)
        .await?;
        let updated = user_row(&row)?;
        let was_owner = current.role == Role::Owner && current.active;
        let is_owner = updated.role == Role::Owner && updated.active;
        if was_owner && !is_owner {
            let owners = sqlx::query(
                "SELECT COUNT(*) AS n FROM users WHERE org_id = $1 AND role = 'owner' AND active = 1",
            )
            .bind(org_id)
            .fetch_one(&mut *tx)
            .await?;
            if get::<i64>(&owners, "n")? == 0 {
                return Err(StoreError::Conflict(NO_OWNER_LEFT));
            }
        }
        if current.active && !updated.active {
            sqlx::query(
                "UPDATE auth_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL",
            )
            .bind(now_ms())
            .bind(id)
            .execute(&mut *tx)
            .await?;
        }
        let audit = NewAudit {
            org_id,
            actor_id: actor.actor_id,
            action: "USER_UPDATED",
            target_type: Some("user"),
            target_id: Some(id),
            ip: actor.ip.clone(),
            details: serde_json::json!({ "changes": changes.into_value(), "via": actor.via }),
        };
        Store::insert_audit(&mut tx, &audit).await?;
        let published = self
            .announce(&mut tx, org_id, member_changed(&updated))
            .await?;
        tx.commit().await?;
        self.observe_write(started);
        Ok(Some(UserUpdate {
            before: current,
            after: updated,
            published: Some(published),
        }))
    }

    /// Active owners of an organization: the last one may not be demoted or deactivated.
    pub async fn count_active_owners(&self, org_id: i64) -> StoreResult<i64> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS n FROM users WHERE org_id = $1 AND role = 'owner' AND active = 1",
        )
        .bind(org_id)
        .fetch_one(self.reader())
        .await?;
        get(&row, "n")
    }

    /// Every user of an organization (the hub's directory of it; pickers).
    pub async fn org_users(&self, org_id: i64) -> StoreResult<Vec<UserRow>> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM users WHERE org_id = $1 ORDER BY name, id"
        ))
        .bind(org_id)
        .fetch_all(self.reader())
        .await?;
        rows.iter().map(user_row).collect()
    }
}

pub(super) async fn insert_user(
    conn: &mut sqlx::AnyConnection,
    new: &NewUser<'_>,
) -> StoreResult<UserRow> {
    let row = sqlx::query(&format!(
        "INSERT INTO users (org_id, email, name, role, password_hash, game_name, steam_id, discord, timezone, active, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 1, $10) RETURNING {COLUMNS}"
    ))
    .bind(new.org_id)
    .bind(new.email)
    .bind(new.name)
    .bind(new.role.as_str())
    .bind(new.password_hash)
    .bind(new.game_name)
    .bind(new.steam_id)
    .bind(new.discord)
    .bind(new.timezone)
    .bind(now_ms())
    .fetch_one(conn)
    .await
    .map_err(unique("A user with this email"))?;
    user_row(&row)
}

/// What an update changes of a user, for the audit entry.
fn user_changes(old: &UserRow, new: &UserRow) -> Changes {
    let mut changes = Changes::default();
    changes.note("name", &old.name, &new.name);
    changes.note("role", old.role.as_str(), new.role.as_str());
    changes.note("game_name", &old.game_name, &new.game_name);
    changes.note("steam_id", &old.steam_id, &new.steam_id);
    changes.note("discord", &old.discord, &new.discord);
    changes.note("timezone", &old.timezone, &new.timezone);
    changes.note("active", old.active, new.active);
    changes
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
        steam_id: get(r, "steam_id")?,
        discord: get(r, "discord")?,
        timezone: get(r, "timezone")?,
        active: active != 0,
        created_at: get(r, "created_at")?,
        last_activity_at: get(r, "last_activity_at")?,
    })
}

/// A user as every node's directory needs them.
impl From<&UserRow> for hub_core::events::MemberInfo {
    fn from(u: &UserRow) -> Self {
        hub_core::events::MemberInfo {
            user_id: u.id,
            name: u.name.clone(),
            role: u.role,
            active: u.active,
            last_activity_at: u.last_activity_at,
        }
    }
}

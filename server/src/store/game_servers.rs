//! Game servers of an organization and what their last poll found.

use super::{get, limit_offset, ms_to_time, now_ms, unique, NewAudit, Store, StoreResult};
use crate::domain::server_presence::EndReason;
use crate::events::Published;
use shared::game_servers::{GameServer, GameServerUpdate, StaffOnline};

/// A game server's row inside a write's transaction.
pub(super) async fn server_in(
    conn: &mut sqlx::AnyConnection,
    org_id: i64,
    id: i64,
) -> StoreResult<Option<GameServerRow>> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM game_servers WHERE id = $1 AND org_id = $2"
    ))
    .bind(id)
    .bind(org_id)
    .fetch_optional(&mut *conn)
    .await?;
    row.map(|r| game_server_row(&r)).transpose()
}

#[derive(Debug, Clone, PartialEq)]
pub struct GameServerRow {
    pub id: i64,
    pub org_id: i64,
    pub name: String,
    pub address: String,
    pub enabled: bool,
    pub server_name: Option<String>,
    pub map: Option<String>,
    pub players_online: Option<i64>,
    pub max_players: Option<i64>,
    pub last_polled_at: Option<i64>,
    pub last_ok_at: Option<i64>,
    pub consecutive_failures: i64,
}

impl GameServerRow {
    pub fn api(&self, staff_online: Vec<StaffOnline>) -> GameServer {
        GameServer {
            id: self.id,
            name: self.name.clone(),
            address: self.address.clone(),
            enabled: self.enabled,
            server_name: self.server_name.clone(),
            map: self.map.clone(),
            players_online: self.players_online,
            max_players: self.max_players,
            last_polled_at: self.last_polled_at.map(ms_to_time),
            last_ok_at: self.last_ok_at.map(ms_to_time),
            consecutive_failures: self.consecutive_failures,
            staff_online,
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct GameServerPatch {
    pub name: Option<String>,
    pub address: Option<String>,
    pub enabled: Option<bool>,
}

const COLUMNS: &str =
    "id, org_id, name, address, enabled, server_name, map, players_online, max_players,
    last_polled_at, last_ok_at, consecutive_failures";

const DUPLICATE: &str = "A game server with this address";

impl Store {
    pub async fn create_game_server(
        &self,
        org_id: i64,
        name: &str,
        address: &str,
        enabled: bool,
    ) -> StoreResult<(GameServerUpdate, Published)> {
        let started = std::time::Instant::now();
        let mut tx = self.writer().begin().await?;
        let row = sqlx::query(&format!(
            "INSERT INTO game_servers (org_id, name, address, enabled, created_at)
             VALUES ($1, $2, $3, $4, $5) RETURNING {COLUMNS}"
        ))
        .bind(org_id)
        .bind(name)
        .bind(address)
        .bind(enabled as i64)
        .bind(now_ms())
        .fetch_one(&mut *tx)
        .await
        .map_err(unique(DUPLICATE))?;
        let row = game_server_row(&row)?;
        let announced = self
            .announce_server_update(&mut tx, &row, &[], &[], false)
            .await?;
        tx.commit().await?;
        self.observe_write(started);
        Ok(announced)
    }

    /// A server of `org_id`; another organization's id reads as absent.
    pub async fn get_game_server(
        &self,
        org_id: i64,
        id: i64,
    ) -> StoreResult<Option<GameServerRow>> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM game_servers WHERE id = $1 AND org_id = $2 AND deleted_at IS NULL"
        ))
        .bind(id)
        .bind(org_id)
        .fetch_optional(self.reader())
        .await?;
        row.map(|r| game_server_row(&r)).transpose()
    }

    /// By name, then id.
    pub async fn list_game_servers(
        &self,
        org_id: i64,
        page: u32,
        per_page: u32,
    ) -> StoreResult<(Vec<GameServerRow>, i64)> {
        let (limit, offset) = limit_offset(page, per_page);
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM game_servers WHERE org_id = $1 AND deleted_at IS NULL ORDER BY name, id LIMIT $2 OFFSET $3"
        ))
        .bind(org_id)
        .bind(limit)
        .bind(offset)
        .fetch_all(self.reader())
        .await?;
        let total = sqlx::query(
            "SELECT COUNT(*) AS n FROM game_servers WHERE org_id = $1 AND deleted_at IS NULL",
        )
        .bind(org_id)
        .fetch_one(self.reader())
        .await?;
        Ok((
            rows.iter()
                .map(game_server_row)
                .collect::<StoreResult<_>>()?,
            get(&total, "n")?,
        ))
    }

    /// Every enabled server of every organization: what the poller queries.
    pub async fn enabled_game_servers(&self) -> StoreResult<Vec<GameServerRow>> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM game_servers WHERE enabled = 1 AND deleted_at IS NULL ORDER BY id"
        ))
        .fetch_all(self.reader())
        .await?;
        rows.iter().map(game_server_row).collect()
    }

    pub async fn update_game_server(
        &self,
        org_id: i64,
        id: i64,
        patch: &GameServerPatch,
    ) -> StoreResult<Option<(GameServerUpdate, Published)>> {
        let started = std::time::Instant::now();
        let mut tx = self.writer().begin().await?;
        let current = server_in(&mut tx, org_id, id).await?;
        let Some(current) = current else {
            return Ok(None);
        };
        let address_changed = patch
            .address
            .as_ref()
            .is_some_and(|a| *a != current.address);
        let row = sqlx::query(&format!(
            "UPDATE game_servers SET name = $1, address = $2, enabled = $3,
             consecutive_failures = CASE WHEN $4 = 1 THEN 0 ELSE consecutive_failures END
             WHERE id = $5 AND org_id = $6 AND deleted_at IS NULL RETURNING {COLUMNS}"
        ))
        .bind(patch.name.clone().unwrap_or(current.name))
        .bind(patch.address.clone().unwrap_or(current.address))
        .bind(patch.enabled.unwrap_or(current.enabled) as i64)
        .bind(address_changed as i64)
        .bind(id)
        .bind(org_id)
        .fetch_optional(&mut *tx)
        .await
        .map_err(unique(DUPLICATE))?;
        let Some(row) = row else { return Ok(None) };
        let row = game_server_row(&row)?;
        // Nobody watches a disabled server: its sessions end where they were last seen.
        let closed = if row.enabled {
            Vec::new()
        } else {
            Store::close_open_sessions(&mut tx, row.id, EndReason::ServerDisabled.as_str()).await?
        };
        let announced = self
            .announce_server_update(&mut tx, &row, &[], &closed, false)
            .await?;
        tx.commit().await?;
        self.observe_write(started);
        Ok(Some(announced))
    }
}

impl Store {
    /// Deletes a game server: it is no longer listed or polled (and its address may be added
    /// again), while the sessions staff spent on it stay, naming it. Audited in the same
    /// transaction; `None` when there is no such server in `org_id`.
    pub async fn delete_game_server(
        &self,
        org_id: i64,
        id: i64,
        audit: &NewAudit,
    ) -> StoreResult<Option<(GameServerUpdate, Published)>> {
        let started = std::time::Instant::now();
        let mut tx = self.writer().begin().await?;
        let row = sqlx::query(&format!(
            "UPDATE game_servers SET deleted_at = $1, enabled = 0
             WHERE id = $2 AND org_id = $3 AND deleted_at IS NULL RETURNING {COLUMNS}"
        ))
        .bind(super::now_ms())
        .bind(id)
        .bind(org_id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let row = game_server_row(&row)?;
        Store::insert_audit(&mut tx, audit).await?;
        // Its sessions close as when it is disabled, and stay.
        let closed =
            Store::close_open_sessions(&mut tx, row.id, EndReason::ServerDisabled.as_str()).await?;
        let announced = self
            .announce_server_update(&mut tx, &row, &[], &closed, true)
            .await?;
        tx.commit().await?;
        self.observe_write(started);
        Ok(Some(announced))
    }
}

pub(super) fn game_server_row(r: &sqlx::any::AnyRow) -> StoreResult<GameServerRow> {
    let enabled: i64 = get(r, "enabled")?;
    Ok(GameServerRow {
        id: get(r, "id")?,
        org_id: get(r, "org_id")?,
        name: get(r, "name")?,
        address: get(r, "address")?,
        enabled: enabled != 0,
        server_name: get(r, "server_name")?,
        map: get(r, "map")?,
        players_online: get(r, "players_online")?,
        max_players: get(r, "max_players")?,
        last_polled_at: get(r, "last_polled_at")?,
        last_ok_at: get(r, "last_ok_at")?,
        consecutive_failures: get(r, "consecutive_failures")?,
    })
}

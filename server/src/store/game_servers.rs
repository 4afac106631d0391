//! Game servers of an organization and what their last poll found.

use super::{get, limit_offset, ms_to_time, now_ms, unique, NewAudit, Store, StoreResult};
use crate::domain::coverage::{CoverageRule, CoverageState};
use crate::domain::server_presence::EndReason;
use hub_core::events::{Event, Published};
use shared::game_servers::{CoverageAlert, GameServer, GameServerUpdate, StaffOnline};

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
    pub min_staff: i64,
    pub alert_after_minutes: i64,
    pub coverage: CoverageState,
}

impl GameServerRow {
    pub fn coverage_rule(&self) -> CoverageRule {
        CoverageRule {
            min_staff: self.min_staff,
            alert_after_minutes: self.alert_after_minutes,
        }
    }

    /// The alert in force, with `staff` on the server now.
    pub fn coverage_alert(&self, staff: i64) -> Option<CoverageAlert> {
        let raised_at = self.coverage.raised_at?;
        Some(CoverageAlert {
            server_id: self.id,
            server_name: self.name.clone(),
            players: (self.players_online.unwrap_or(0) - staff).max(0),
            staff_online: staff,
            min_staff: self.min_staff,
            since: ms_to_time(self.coverage.short_since.unwrap_or(raised_at)),
            raised_at: ms_to_time(raised_at),
        })
    }

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
            coverage_alert: self.coverage_alert(staff_online.len() as i64),
            staff_online,
            min_staff: self.min_staff,
            alert_after_minutes: self.alert_after_minutes,
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct GameServerPatch {
    pub name: Option<String>,
    pub address: Option<String>,
    pub enabled: Option<bool>,
    pub min_staff: Option<i64>,
    pub alert_after_minutes: Option<i64>,
}

const COLUMNS: &str =
    "id, org_id, name, address, enabled, server_name, map, players_online, max_players,
    last_polled_at, last_ok_at, consecutive_failures, min_staff, alert_after_minutes, short_since,
    alert_raised_at";

const DUPLICATE: &str = "A game server with this address";

impl Store {
    pub async fn create_game_server(
        &self,
        org_id: i64,
        name: &str,
        address: &str,
        enabled: bool,
        rule: CoverageRule,
    ) -> StoreResult<(GameServerUpdate, Published)> {
        let started = std::time::Instant::now();
        let mut tx = self.writer().begin().await?;
        let row = sqlx::query(&format!(
            "INSERT INTO game_servers (org_id, name, address, enabled, created_at, min_staff, alert_after_minutes)
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {COLUMNS}"
        ))
        .bind(org_id)
        .bind(name)
        .bind(address)
        .bind(enabled as i64)
        .bind(now_ms())
        .bind(rule.min_staff)
        .bind(rule.alert_after_minutes)
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
             consecutive_failures = CASE WHEN $4 = 1 THEN 0 ELSE consecutive_failures END,
             min_staff = $7, alert_after_minutes = $8,
             short_since = CASE WHEN $3 = 1 THEN short_since END,
             alert_raised_at = CASE WHEN $3 = 1 THEN alert_raised_at END
             WHERE id = $5 AND org_id = $6 AND deleted_at IS NULL RETURNING {COLUMNS}"
        ))
        .bind(patch.name.clone().unwrap_or(current.name))
        .bind(patch.address.clone().unwrap_or(current.address))
        .bind(patch.enabled.unwrap_or(current.enabled) as i64)
        .bind(address_changed as i64)
        .bind(id)
        .bind(org_id)
        .bind(patch.min_staff.unwrap_or(current.min_staff))
        .bind(
            patch
                .alert_after_minutes
                .unwrap_or(current.alert_after_minutes),
        )
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
            "UPDATE game_servers SET deleted_at = $1, enabled = 0, short_since = NULL, alert_raised_at = NULL
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
        min_staff: get(r, "min_staff")?,
        alert_after_minutes: get(r, "alert_after_minutes")?,
        coverage: CoverageState {
            short_since: get(r, "short_since")?,
            raised_at: get(r, "alert_raised_at")?,
        },
    })
}

impl Store {
    /// The coverage alerts in force in an organization, with the staff on each server now.
    pub async fn coverage_alerts(&self, org_id: i64) -> StoreResult<Vec<CoverageAlert>> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS}, (SELECT COUNT(*) FROM server_sessions s
                 WHERE s.server_id = game_servers.id AND s.leave_time IS NULL) AS staff
             FROM game_servers
             WHERE org_id = $1 AND alert_raised_at IS NOT NULL AND deleted_at IS NULL
             ORDER BY alert_raised_at, id"
        ))
        .bind(org_id)
        .fetch_all(self.reader())
        .await?;
        let mut out = Vec::new();
        for r in &rows {
            let staff: i64 = get(r, "staff")?;
            if let Some(alert) = game_server_row(r)?.coverage_alert(staff) {
                out.push(alert);
            }
        }
        Ok(out)
    }

    /// Records a poll's coverage state and, when an alert was raised or cleared, announces it
    /// (one transaction).
    pub async fn set_coverage(
        &self,
        org_id: i64,
        server_id: i64,
        state: CoverageState,
        event: Option<Event>,
    ) -> StoreResult<Option<Published>> {
        let started = std::time::Instant::now();
        let mut tx = self.writer().begin().await?;
        sqlx::query(
            "UPDATE game_servers SET short_since = $1, alert_raised_at = $2
             WHERE id = $3 AND org_id = $4 AND deleted_at IS NULL AND enabled = 1",
        )
        .bind(state.short_since)
        .bind(state.raised_at)
        .bind(server_id)
        .bind(org_id)
        .execute(&mut *tx)
        .await?;
        let published = match event {
            Some(event) => Some(self.announce(&mut tx, org_id, event).await?),
            None => None,
        };
        tx.commit().await?;
        self.observe_write(started);
        Ok(published)
    }
}

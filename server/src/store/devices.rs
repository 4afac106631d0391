//! The agent fleet's rows: written in batches by the hub's device writer, read by
//! `GET /api/agents` and `/fleet`.

use super::presence::numbered_rows;
use super::DeviceWrite;
use super::{get, ms_to_time, now_ms, Store, StoreResult};
use shared::fleet::{AgentDevice, CaptureReport};

/// A device's socket is trusted to be open while its node renewed it within this long (a
/// node renews its devices every [`crate::hub::RENEW_EVERY`]; a crashed node's
/// devices turn "last seen" after it).
pub const CONNECTED_LEASE_MS: i64 = 150_000;

const DEVICE_COLUMNS: &str = "d.token_id, d.user_id, u.name AS user_name, d.agent_version, d.os,
    d.config_version, d.config_applied_at, d.connected, d.connected_at, d.last_seen_at,
    d.capture_at, d.capture_error";

fn device_of(row: &sqlx::any::AnyRow, now: i64) -> StoreResult<AgentDevice> {
    let connected: i64 = get(row, "connected")?;
    let last_seen: i64 = get(row, "last_seen_at")?;
    let capture_at: Option<i64> = get(row, "capture_at")?;
    let capture_error: Option<String> = get(row, "capture_error")?;
    Ok(AgentDevice {
        device_id: get(row, "token_id")?,
        user_id: get(row, "user_id")?,
        user_name: get(row, "user_name")?,
        agent_version: get(row, "agent_version")?,
        os: get(row, "os")?,
        connected: connected == 1 && now - last_seen < CONNECTED_LEASE_MS,
        connected_at: get::<Option<i64>>(row, "connected_at")?.map(ms_to_time),
        last_seen_at: ms_to_time(last_seen),
        config_version: get(row, "config_version")?,
        config_applied_at: get::<Option<i64>>(row, "config_applied_at")?.map(ms_to_time),
        config_current: false,
        last_capture: capture_at.map(|at| CaptureReport {
            at: ms_to_time(at),
            error: capture_error.filter(|e| !e.is_empty()),
        }),
    })
}

impl Store {
    /// Upserts a batch of device writes in one statement (rows of distinct devices).
    pub async fn write_devices(&self, batch: &[DeviceWrite]) -> StoreResult<()> {
        if batch.is_empty() {
            return Ok(());
        }
        let started = std::time::Instant::now();
        // Each row: the statement keeps what the write does not carry (COALESCE).
        let rows = numbered_rows(batch.len(), 12);
        let sql = format!(
            "INSERT INTO agent_devices (token_id, org_id, user_id, last_seen_at, connected, connected_at,
                agent_version, os, config_version, config_applied_at, capture_at, capture_error)
             VALUES {rows}
             ON CONFLICT (token_id) DO UPDATE SET
                last_seen_at = CASE WHEN excluded.last_seen_at > agent_devices.last_seen_at
                    THEN excluded.last_seen_at ELSE agent_devices.last_seen_at END,
                connected = excluded.connected,
                connected_at = COALESCE(excluded.connected_at, agent_devices.connected_at),
                agent_version = COALESCE(excluded.agent_version, agent_devices.agent_version),
                os = COALESCE(excluded.os, agent_devices.os),
                config_version = COALESCE(excluded.config_version, agent_devices.config_version),
                config_applied_at = COALESCE(excluded.config_applied_at, agent_devices.config_applied_at),
                capture_at = COALESCE(excluded.capture_at, agent_devices.capture_at),
                capture_error = CASE WHEN excluded.capture_at IS NULL
                    THEN agent_devices.capture_error ELSE excluded.capture_error END"
        );
        // Not kept prepared: a statement per batch size would sit in the writer's statement
        // cache (large ones: 12 parameters a row), which showed as memory per connection.
        let mut query = sqlx::query(&sql).persistent(false);
        for w in batch {
            let connected: i64 = w.connected.into();
            let r = w.reported();
            query = query
                .bind(w.token_id)
                .bind(w.org_id)
                .bind(w.user_id)
                .bind(w.seen_at)
                .bind(connected)
                .bind(w.connected_at)
                .bind(r.agent_version.clone())
                .bind(r.os.clone())
                .bind(r.config_version)
                .bind(r.config_applied_at)
                .bind(r.capture.as_ref().map(|c| c.0))
                .bind(r.capture.as_ref().map(|c| c.1.clone()));
        }
        query.execute(self.writer()).await?;
        self.observe_write(started);
        Ok(())
    }

    /// Every signed-in device of an organization (newest contact first), or only `only`.
    pub async fn list_devices(
        &self,
        org_id: i64,
        only: Option<&[i64]>,
    ) -> StoreResult<Vec<AgentDevice>> {
        let mut sql = format!(
            "SELECT {DEVICE_COLUMNS} FROM agent_devices d
             JOIN users u ON u.id = d.user_id
             JOIN auth_tokens t ON t.id = d.token_id
             WHERE d.org_id = $1 AND t.revoked_at IS NULL"
        );
        if let Some(ids) = only {
            if ids.is_empty() {
                return Ok(Vec::new());
            }
            let list = (0..ids.len())
                .map(|i| format!("${}", i + 2))
                .collect::<Vec<_>>()
                .join(", ");
            sql.push_str(&format!(" AND d.token_id IN ({list})"));
        }
        sql.push_str(" ORDER BY d.connected DESC, d.last_seen_at DESC, d.token_id");
        let mut query = sqlx::query(&sql).persistent(false).bind(org_id);
        for id in only.unwrap_or(&[]) {
            query = query.bind(*id);
        }
        let rows = query.fetch_all(self.reader()).await?;
        let now = now_ms();
        rows.iter().map(|r| device_of(r, now)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Reported;

    #[test]
    fn a_later_write_keeps_what_it_does_not_carry() {
        let mut w = DeviceWrite {
            token_id: 1,
            seen_at: 10,
            connected_at: Some(10),
            reported: Some(Box::new(Reported {
                agent_version: Some("0.1".into()),
                config_version: Some(3),
                ..Reported::default()
            })),
            ..DeviceWrite::default()
        };
        w.merge(DeviceWrite {
            token_id: 1,
            seen_at: 20,
            connected: false,
            reported: Some(Box::new(Reported {
                capture: Some((15, "no display".into())),
                ..Reported::default()
            })),
            ..DeviceWrite::default()
        });
        assert_eq!(w.seen_at, 20);
        assert!(!w.connected);
        assert_eq!(w.connected_at, Some(10));
        let r = w.reported();
        assert_eq!(r.agent_version.as_deref(), Some("0.1"));
        assert_eq!(r.config_version, Some(3));
        assert_eq!(r.capture, Some((15, "no display".into())));
        assert!(std::mem::size_of::<DeviceWrite>() <= 64);
    }
}

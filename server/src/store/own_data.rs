//! A person's own data (SPEC §18): the slots of screenshots they deleted (not counted), what
//! the retention job deletes, the rows of an export, and erasure.

use super::sessions::SessionRow;
use super::{get, ms_to_time, now_ms, Backend, NewAudit, Store, StoreError, StoreResult};
use hub_core::events::{Event, Published};
use serde_json::{Map, Value};
use sqlx::{Column, Row};

/// A member deleting their own screenshot, with the activity slot it belongs to.
pub struct ScreenshotRemoval {
    pub org_id: i64,
    pub user_id: i64,
    pub screenshot_id: i64,
    /// The session the screenshot was taken in; its slot stops counting there.
    pub session_id: Option<i64>,
    /// `[start, end)` of the 10-minute slot, in ms.
    pub slot: (i64, i64),
    /// The weeks of the slot: refused if one is approved.
    pub weeks: Vec<String>,
    pub audit: NewAudit,
}

/// What erasure leaves of a person: the placeholder they are shown as, and the screenshot
/// files the caller removes from disk.
#[derive(Debug)]
pub struct ErasedUser {
    pub shown_as: String,
    pub screenshot_paths: Vec<String>,
    /// `member_changed` (inactive, renamed): their sockets close, every page renames them.
    pub published: Published,
}

/// One JSON file of an export: its name and the query of the person's rows.
pub struct ExportKind {
    pub file: &'static str,
    /// `$1` is the organization, `$2` the person.
    sql: &'static str,
}

/// Every kind of personal data the hub holds, one file each in an export.
pub const EXPORT_KINDS: [ExportKind; 11] = [
    ExportKind {
        file: "profile.json",
        sql: "SELECT id, email, name, role, game_name, steam_id, discord, timezone, active, created_at,
              last_activity_at, status_kind, status_text, status_emoji, status_until, status_dnd
              FROM users WHERE org_id = $1 AND id = $2",
    },
    ExportKind {
        file: "sessions.json",
        sql: "SELECT s.id, s.ticket_id, t.title AS ticket_title, s.started_at, s.ended_at, s.duration_seconds,
              s.discarded_seconds, s.note, s.source, s.end_reason, s.end_note, s.ended_by, s.deleted_at, s.delete_reason
              FROM work_sessions s LEFT JOIN tickets t ON t.id = s.ticket_id
              WHERE s.org_id = $1 AND s.user_id = $2 ORDER BY s.started_at, s.id",
    },
    ExportKind {
        file: "activity_slots.json",
        sql: "SELECT session_id, slot_start, heartbeats, active_heartbeats, counted_heartbeats, input_heartbeats,
              key_presses, mouse_events FROM session_activity WHERE org_id = $1 AND user_id = $2
              ORDER BY slot_start, session_id",
    },
    ExportKind {
        file: "focused_apps.json",
        sql: "SELECT session_id, app, active_ms, last_title, updated_at FROM session_app_time
              WHERE org_id = $1 AND user_id = $2 ORDER BY session_id, app",
    },
    ExportKind {
        file: "idle_spans.json",
        sql: "SELECT id, session_id, started_at, ended_at, decision, decided_at FROM idle_spans
              WHERE org_id = $1 AND user_id = $2 ORDER BY started_at, id",
    },
    ExportKind {
        file: "removed_slots.json",
        sql: "SELECT session_id, slot_start, slot_end, removed_at FROM removed_slots
              WHERE org_id = $1 AND user_id = $2 ORDER BY slot_start",
    },
    ExportKind {
        file: "screenshots.json",
        sql: "SELECT id, session_id, captured_at, width, height, bytes FROM screenshots
              WHERE org_id = $1 AND user_id = $2 ORDER BY captured_at, id",
    },
    ExportKind {
        file: "absences.json",
        sql: "SELECT id, kind, first_day, last_day, half_day, note, state, requested_at, decided_by, decided_at,
              decision_note FROM absences WHERE org_id = $1 AND user_id = $2 ORDER BY first_day, id",
    },
    ExportKind {
        file: "game_server_sessions.json",
        sql: "SELECT s.id, g.name AS server, s.player_name, s.join_time, s.leave_time, s.duration_seconds, s.end_reason
              FROM server_sessions s JOIN game_servers g ON g.id = s.server_id
              WHERE s.org_id = $1 AND s.user_id = $2 ORDER BY s.join_time, s.id",
    },
    ExportKind {
        file: "devices.json",
        sql: "SELECT d.agent_version, d.os, d.config_version, d.connected_at, d.last_seen_at, t.created_at, t.revoked_at
              FROM agent_devices d JOIN auth_tokens t ON t.id = d.token_id
              WHERE d.org_id = $1 AND d.user_id = $2 ORDER BY t.created_at",
    },
    ExportKind {
        file: "audit.json",
        sql: "SELECT a.id, a.action, a.actor_id, u.name AS actor_name, a.target_type, a.target_id, a.ip, a.details,
              a.created_at FROM audit_log a LEFT JOIN users u ON u.id = a.actor_id
              WHERE a.org_id = $1 AND a.subject_user_id = $2 ORDER BY a.created_at, a.id",
    },
];

/// [`Store::uncounted_spans_of`] on a given connection (inside a writer's transaction too).
pub(super) async fn uncounted_spans_in(
    conn: &mut impl super::exec::Exec,
    org_id: i64,
    session_id: i64,
) -> StoreResult<Vec<(i64, i64)>> {
    let rows = conn
        .all_rows(
            sqlx::query(
                "SELECT started_at, ended_at FROM idle_spans WHERE org_id = $1 AND session_id = $2 AND decision = 'discarded'
                 UNION ALL SELECT slot_start AS started_at, slot_end AS ended_at FROM removed_slots WHERE org_id = $1 AND session_id = $2",
            )
            .bind(org_id)
            .bind(session_id),
        )
        .await?;
    rows.iter()
        .map(|r| Ok((get(r, "started_at")?, get(r, "ended_at")?)))
        .collect()
}

/// Columns holding an instant in ms, written as RFC 3339 in an export.
fn is_instant(column: &str) -> bool {
    column.ends_with("_at")
        || column.ends_with("_time")
        || matches!(column, "slot_start" | "slot_end" | "status_until")
}

/// One row as JSON: integers, text (an audit entry's details as the JSON they are), instants
/// as RFC 3339 text.
fn row_json(row: &sqlx::any::AnyRow) -> StoreResult<Map<String, Value>> {
    let mut out = Map::new();
    for column in row.columns() {
        let name = column.name();
        let index = column.ordinal();
        let value = if let Ok(n) = row.try_get::<Option<i64>, _>(index) {
            match n {
                Some(ms) if is_instant(name) => Value::from(ms_to_time(ms).to_rfc3339()),
                Some(n) => Value::from(n),
                None => Value::Null,
            }
        } else if let Ok(text) = row.try_get::<Option<String>, _>(index) {
            match text {
                Some(t) if name == "details" => serde_json::from_str(&t).unwrap_or(Value::from(t)),
                Some(t) => Value::from(t),
                None => Value::Null,
            }
        } else {
            let f: Option<f64> = row.try_get(index)?;
            f.map_or(Value::Null, Value::from)
        };
        out.insert(name.to_string(), value);
    }
    Ok(out)
}

/// The text a value has inside stored JSON (quotes and escapes as serde writes them).
fn json_text(value: &str) -> String {
    let quoted = Value::from(value).to_string();
    quoted[1..quoted.len() - 1].to_string()
}

impl Store {
    /// A session's spans not counted: discarded idle time and removed screenshot slots.
    pub async fn uncounted_spans_of(
        &self,
        org_id: i64,
        session_id: i64,
    ) -> StoreResult<Vec<(i64, i64)>> {
        let mut conn = self.reader().acquire().await?;
        uncounted_spans_in(&mut conn, org_id, session_id).await
    }

    /// Deletes a member's own screenshot and stops counting its slot, with the session's
    /// duration recounted and announced, in one transaction. Answers the file's path (the
    /// caller removes it) and the session's update; `None` if there is no such screenshot of
    /// this person.
    pub async fn remove_own_screenshot(
        &self,
        removal: &ScreenshotRemoval,
        announce: impl FnOnce(&SessionRow) -> Event,
    ) -> StoreResult<Option<(String, Option<(SessionRow, Published)>)>> {
        let started = std::time::Instant::now();
        let mut tx = self.writer().begin().await?;
        let found = sqlx::query(
            "SELECT path FROM screenshots WHERE id = $1 AND org_id = $2 AND user_id = $3",
        )
        .bind(removal.screenshot_id)
        .bind(removal.org_id)
        .bind(removal.user_id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(found) = found else {
            return Ok(None);
        };
        let path: String = get(&found, "path")?;
        self.refuse_locked_weeks(&mut tx, removal.org_id, removal.user_id, &removal.weeks)
            .await?;
        // Written while the screenshot still exists: the entry finds whom it is about.
        Store::insert_audit(&mut tx, &removal.audit).await?;
        sqlx::query("DELETE FROM screenshots WHERE id = $1")
            .bind(removal.screenshot_id)
            .execute(&mut *tx)
            .await?;
        let session = match removal.session_id {
            Some(session_id) => {
                sqlx::query(
                    "INSERT INTO removed_slots (org_id, session_id, user_id, slot_start, slot_end, removed_by, removed_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
                )
                .bind(removal.org_id)
                .bind(session_id)
                .bind(removal.user_id)
                .bind(removal.slot.0)
                .bind(removal.slot.1)
                .bind(removal.audit.actor_id)
                .bind(now_ms())
                .execute(&mut *tx)
                .await?;
                let row = self
                    .recount_discarded(&mut tx, removal.org_id, session_id)
                    .await?;
                let published = self
                    .announce(&mut tx, removal.org_id, announce(&row))
                    .await?;
                Some((row, published))
            }
            None => None,
        };
        tx.commit().await?;
        self.observe_write(started);
        Ok(Some((path, session)))
    }

    /// Deletes up to `limit` screenshots of an organization taken before `before_ms`; answers
    /// their files' paths (the caller removes them).
    pub async fn expire_screenshots(
        &self,
        org_id: i64,
        before_ms: i64,
        limit: i64,
    ) -> StoreResult<Vec<String>> {
        let started = std::time::Instant::now();
        let rows = sqlx::query(
            "DELETE FROM screenshots WHERE id IN
             (SELECT id FROM screenshots WHERE org_id = $1 AND captured_at < $2 ORDER BY id LIMIT $3)
             RETURNING path",
        )
        .bind(org_id)
        .bind(before_ms)
        .bind(limit)
        .fetch_all(self.writer())
        .await?;
        self.observe_write(started);
        rows.iter().map(|r| get(r, "path")).collect()
    }

    /// Deletes an organization's activity slots that ended before `before_ms` and the app
    /// times last added to before it; answers how many of each.
    pub async fn expire_activity(&self, org_id: i64, before_ms: i64) -> StoreResult<(u64, u64)> {
        let started = std::time::Instant::now();
        let mut tx = self.writer().begin().await?;
        let slots =
            sqlx::query("DELETE FROM session_activity WHERE org_id = $1 AND slot_start + $2 <= $3")
                .bind(org_id)
                .bind(shared::activity::SLOT_SECONDS * 1000)
                .bind(before_ms)
                .execute(&mut *tx)
                .await?;
        let apps =
            sqlx::query("DELETE FROM session_app_time WHERE org_id = $1 AND updated_at < $2")
                .bind(org_id)
                .bind(before_ms)
                .execute(&mut *tx)
                .await?;
        tx.commit().await?;
        self.observe_write(started);
        Ok((slots.rows_affected(), apps.rows_affected()))
    }

    /// One kind of a person's data, row by row as JSON.
    pub async fn export_rows(
        &self,
        kind: &ExportKind,
        org_id: i64,
        user_id: i64,
    ) -> StoreResult<Vec<Map<String, Value>>> {
        let rows = sqlx::query(kind.sql)
            .bind(org_id)
            .bind(user_id)
            .fetch_all(self.reader())
            .await?;
        rows.iter().map(row_json).collect()
    }

    /// The screenshots' ids and file paths of a person, oldest first.
    pub async fn screenshot_files_of(
        &self,
        org_id: i64,
        user_id: i64,
    ) -> StoreResult<Vec<(i64, String)>> {
        let rows = sqlx::query(
            "SELECT id, path FROM screenshots WHERE org_id = $1 AND user_id = $2 ORDER BY captured_at, id",
        )
        .bind(org_id)
        .bind(user_id)
        .fetch_all(self.reader())
        .await?;
        rows.iter()
            .map(|r| Ok((get(r, "id")?, get(r, "path")?)))
            .collect()
    }

    /// Erases a person: screenshots, activity and focused apps deleted; name, e-mail, game
    /// names, status, notes, second factors and sign-ins gone; their text replaced in the
    /// audit log and webhook payloads. Sessions keep their times (totals stay right) under
    /// "erased user #id". `None` if there is no such person; refused if already erased.
    pub async fn erase_user(
        &self,
        org_id: i64,
        user_id: i64,
        audit: &NewAudit,
    ) -> StoreResult<Option<ErasedUser>> {
        let started = std::time::Instant::now();
        let mut tx = self.writer().begin().await?;
        let person = sqlx::query(
            "SELECT email, name, game_name, steam_id, discord, status_text, erased_at FROM users WHERE id = $1 AND org_id = $2",
        )
        .bind(user_id)
        .bind(org_id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(person) = person else {
            return Ok(None);
        };
        if get::<Option<i64>>(&person, "erased_at")?.is_some() {
            return Err(StoreError::Refused(
                "This person was erased already.".into(),
            ));
        }
        let shown_as = format!("erased user #{user_id}");
        let now = now_ms();
        Store::insert_audit(&mut tx, audit).await?;
        let paths = sqlx::query(
            "DELETE FROM screenshots WHERE org_id = $1 AND user_id = $2 RETURNING path",
        )
        .bind(org_id)
        .bind(user_id)
        .fetch_all(&mut *tx)
        .await?
        .iter()
        .map(|r| get(r, "path"))
        .collect::<StoreResult<Vec<String>>>()?;
        for sql in [
            "DELETE FROM session_activity WHERE org_id = $1 AND user_id = $2",
            "DELETE FROM session_app_time WHERE org_id = $1 AND user_id = $2",
            "DELETE FROM agent_devices WHERE org_id = $1 AND user_id = $2",
            "DELETE FROM presence WHERE org_id = $1 AND user_id = $2",
            "DELETE FROM user_totp WHERE user_id = $2 AND user_id IN (SELECT id FROM users WHERE org_id = $1)",
            "DELETE FROM recovery_codes WHERE user_id = $2 AND user_id IN (SELECT id FROM users WHERE org_id = $1)",
            "DELETE FROM mfa_challenges WHERE user_id = $2 AND user_id IN (SELECT id FROM users WHERE org_id = $1)",
            "UPDATE work_sessions SET note = NULL, end_note = NULL, delete_reason = NULL, client_id = NULL
             WHERE org_id = $1 AND user_id = $2",
            "UPDATE absences SET note = NULL, decision_note = NULL WHERE org_id = $1 AND user_id = $2",
            "UPDATE device_grants SET client_ip = NULL, decided_ip = NULL WHERE org_id = $1 AND user_id = $2",
            "UPDATE audit_log SET ip = NULL WHERE org_id = $1 AND actor_id = $2",
        ] {
            sqlx::query(sql)
                .bind(org_id)
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
        }
        for sql in [
            "UPDATE auth_tokens SET revoked_at = $3 WHERE org_id = $1 AND user_id = $2 AND revoked_at IS NULL",
            "UPDATE one_time_links SET used_at = $3 WHERE org_id = $1 AND user_id = $2 AND used_at IS NULL",
        ] {
            sqlx::query(sql)
                .bind(org_id)
                .bind(user_id)
                .bind(now)
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query(
            "UPDATE server_sessions SET player_name = $3 WHERE org_id = $1 AND user_id = $2",
        )
        .bind(org_id)
        .bind(user_id)
        .bind(&shown_as)
        .execute(&mut *tx)
        .await?;
        // Their words inside stored JSON (audit details, webhook payloads, the cluster's event
        // log) become the placeholder. The e-mail is replaced wherever it appears; the other
        // words (a name may be part of other text) only in entries about or by them.
        let mut words: Vec<(String, bool)> = Vec::new();
        let email: String = get(&person, "email")?;
        words.push((email, true));
        for column in ["name", "game_name", "steam_id", "discord", "status_text"] {
            if let Some(word) = get::<Option<String>>(&person, column)?.filter(|w| w.len() >= 2) {
                words.push((word, false));
            }
        }
        for (word, everywhere) in &words {
            let text = json_text(word);
            let mut in_audit = sqlx::query(if *everywhere {
                "UPDATE audit_log SET details = REPLACE(details, $1, $2) WHERE org_id = $3"
            } else {
                "UPDATE audit_log SET details = REPLACE(details, $1, $2) WHERE org_id = $3
                 AND (subject_user_id = $4 OR actor_id = $4)"
            })
            .bind(&text)
            .bind(&shown_as)
            .bind(org_id);
            if !*everywhere {
                in_audit = in_audit.bind(user_id);
            }
            in_audit.execute(&mut *tx).await?;
            let mut payloads = vec![
                "UPDATE webhook_deliveries SET payload = REPLACE(payload, $1, $2) WHERE org_id = $3",
            ];
            if self.backend() == Backend::Postgres {
                payloads
                    .push("UPDATE events SET payload = REPLACE(payload, $1, $2) WHERE org_id = $3");
            }
            for sql in payloads {
                sqlx::query(sql)
                    .bind(&text)
                    .bind(&shown_as)
                    .bind(org_id)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        sqlx::query(
            "UPDATE users SET name = $1, email = $2, password_hash = '!erased', game_name = NULL, steam_id = NULL,
             discord = NULL, timezone = NULL, status_kind = NULL, status_text = NULL, status_emoji = NULL,
             status_until = NULL, status_dnd = 0, status_set_at = NULL, last_activity_at = NULL, active = 0,
             erased_at = $3 WHERE id = $4",
        )
        .bind(&shown_as)
        .bind(format!("erased-{user_id}@erased.invalid"))
        .bind(now)
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
        let erased = sqlx::query(&format!(
            "SELECT {} FROM users WHERE id = $1",
            super::users::COLUMNS
        ))
        .bind(user_id)
        .fetch_one(&mut *tx)
        .await?;
        let erased = super::users::user_row(&erased)?;
        let published = self
            .announce(&mut tx, org_id, super::users::member_changed(&erased))
            .await?;
        tx.commit().await?;
        self.observe_write(started);
        // The erasure is committed; a scrub that fails (a busy log) is said, and the next
        // checkpoint or vacuum does it.
        if let Err(e) = self.scrub_free_space().await {
            tracing::warn!(error = %e, user_id, "scrubbing the database files after an erasure");
        }
        Ok(Some(ErasedUser {
            shown_as,
            screenshot_paths: paths,
            published,
        }))
    }

    /// After an erasure: the old versions of changed rows must not stay in the files. SQLite
    /// overwrites freed space (`secure_delete`) in the database file, but the WAL keeps the
    /// old pages until a checkpoint resets it; PostgreSQL keeps dead row versions until a
    /// vacuum, which `VACUUM FULL` rewrites away for the tables that held the person's words.
    async fn scrub_free_space(&self) -> StoreResult<()> {
        match self.backend() {
            Backend::Sqlite => {
                // Readers hold snapshots briefly; a busy checkpoint is tried again.
                for _ in 0..50 {
                    let row = sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                        .fetch_one(self.writer())
                        .await?;
                    let busy: i64 = row.try_get(0)?;
                    if busy == 0 {
                        return Ok(());
                    }
                    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                }
                Err(StoreError::Corrupt(
                    "the database stayed busy: the erased data may remain in its log until the next checkpoint".into(),
                ))
            }
            Backend::Postgres => {
                sqlx::query(
                    "VACUUM FULL users, audit_log, work_sessions, absences, server_sessions, screenshots,
                     session_activity, session_app_time, webhook_deliveries, events, user_totp, recovery_codes",
                )
                .execute(self.writer())
                .await?;
                Ok(())
            }
        }
    }
}

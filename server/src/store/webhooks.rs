//! Webhooks and their deliveries. A delivery row is made in the transaction of the change it
//! reports (`Store::announce` calls [`Store::enqueue_webhooks`]), after the organization's
//! event order lock on PostgreSQL, so a webhook's deliveries are numbered in commit order and
//! none is lost or made twice; the deliverer (`crate::webhook_deliverer`) sends each
//! webhook's oldest pending delivery first.

use super::exec::Exec;
use super::{get, limit_offset, ms_to_time, now_ms, Backend, NewAudit, Store, StoreResult};
use crate::domain::webhooks::kind_and_data;
use hub_core::events::{Event, Published};
use shared::webhooks::{Webhook, WebhookDelivery};
use sqlx::AnyConnection;

/// A webhook as stored (with its secret, which only the deliverer reads).
#[derive(Debug, Clone, PartialEq)]
pub struct WebhookRow {
    pub id: i64,
    pub org_id: i64,
    pub url: String,
    pub events: Vec<String>,
    pub secret: String,
    pub description: String,
    pub enabled: bool,
    pub created_at: i64,
}

impl WebhookRow {
    pub fn api(&self, last_delivery: Option<WebhookDelivery>) -> Webhook {
        let hint: String = {
            let chars: Vec<char> = self.secret.chars().collect();
            chars[chars.len().saturating_sub(4)..].iter().collect()
        };
        Webhook {
            id: self.id,
            url: self.url.clone(),
            events: self.events.clone(),
            description: self.description.clone(),
            enabled: self.enabled,
            secret_hint: format!("…{hint}"),
            created_at: ms_to_time(self.created_at),
            last_delivery,
        }
    }
}

/// What a change of a webhook sets (`None`: unchanged).
#[derive(Debug, Clone, Default)]
pub struct WebhookPatch {
    pub url: Option<String>,
    pub events: Option<Vec<String>>,
    pub description: Option<String>,
    pub enabled: Option<bool>,
}

/// A pending delivery the deliverer may send now: its webhook's oldest.
#[derive(Debug, Clone)]
pub struct DueDelivery {
    pub id: i64,
    pub org_id: i64,
    pub webhook_id: i64,
    pub delivery_id: String,
    pub event: String,
    pub payload: String,
    pub attempts: i64,
    pub created_at: i64,
    pub url: String,
    pub secret: String,
}

/// How an attempt went.
#[derive(Debug, Clone, PartialEq)]
pub enum Attempt {
    Delivered {
        status: i64,
    },
    /// Failed; retried at `retry_at`, or given up when `None`.
    Failed {
        status: Option<i64>,
        error: String,
        retry_at: Option<i64>,
    },
}

const WEBHOOK_COLUMNS: &str = "id, org_id, url, events, secret, description, enabled, created_at";
const DELIVERY_COLUMNS: &str = "id, webhook_id, delivery_id, event, state, attempts, created_at,
    last_attempt_at, last_status, last_error, next_attempt_at, delivered_at";

fn webhook_row(r: &sqlx::any::AnyRow) -> StoreResult<WebhookRow> {
    let events: String = get(r, "events")?;
    let enabled: i64 = get(r, "enabled")?;
    Ok(WebhookRow {
        id: get(r, "id")?,
        org_id: get(r, "org_id")?,
        url: get(r, "url")?,
        events: serde_json::from_str(&events)
            .map_err(|e| super::StoreError::Corrupt(format!("webhook events: {e}")))?,
        secret: get(r, "secret")?,
        description: get(r, "description")?,
        enabled: enabled == 1,
        created_at: get(r, "created_at")?,
    })
}

fn delivery_of(r: &sqlx::any::AnyRow) -> StoreResult<WebhookDelivery> {
    let state: String = get(r, "state")?;
    let next: i64 = get(r, "next_attempt_at")?;
    Ok(WebhookDelivery {
        id: get(r, "id")?,
        webhook_id: get(r, "webhook_id")?,
        delivery_id: get(r, "delivery_id")?,
        event: get(r, "event")?,
        next_attempt_at: (state == "pending").then(|| ms_to_time(next)),
        state,
        attempts: get(r, "attempts")?,
        created_at: ms_to_time(get(r, "created_at")?),
        last_attempt_at: get::<Option<i64>>(r, "last_attempt_at")?.map(ms_to_time),
        last_status: get(r, "last_status")?,
        last_error: get(r, "last_error")?,
        delivered_at: get::<Option<i64>>(r, "delivered_at")?.map(ms_to_time),
    })
}

/// `X-Presence-Delivery`: unique, unguessable.
fn new_delivery_id() -> String {
    format!(
        "dlv_{:016x}{:016x}",
        rand::random::<u64>(),
        rand::random::<u64>()
    )
}

/// The JSON body of a delivery.
pub fn delivery_body(
    delivery_id: &str,
    kind: &str,
    org_id: i64,
    at: i64,
    data: &serde_json::Value,
) -> String {
    serde_json::json!({
        "id": delivery_id,
        "event": kind,
        "org_id": org_id,
        "created_at": ms_to_time(at),
        "data": data,
    })
    .to_string()
}

impl Store {
    /// Holds the organization's event order on PostgreSQL until the transaction ends (the
    /// outbox's head row), so deliveries made in concurrent transactions are numbered in
    /// commit order. SQLite's single writer orders them already.
    pub(crate) async fn lock_event_order(
        &self,
        conn: &mut AnyConnection,
        org_id: i64,
    ) -> StoreResult<()> {
        if self.backend() == Backend::Postgres {
            sqlx::query(
                "INSERT INTO org_event_heads (org_id, last_seq) VALUES ($1, 0)
                 ON CONFLICT (org_id) DO UPDATE SET last_seq = org_event_heads.last_seq",
            )
            .bind(org_id)
            .execute(&mut *conn)
            .await?;
        }
        Ok(())
    }

    /// Makes one delivery per enabled webhook of `org_id` that wants `event`, in the caller's
    /// transaction (called by `announce` for every committed event).
    pub(crate) async fn enqueue_webhooks(
        &self,
        conn: &mut impl Exec,
        org_id: i64,
        event: &Event,
    ) -> StoreResult<()> {
        let Some((kind, data)) = kind_and_data(event) else {
            return Ok(());
        };
        self.enqueue_kind(conn, org_id, kind, &data, None).await
    }

    /// Deliveries of `kind` to the webhooks of `org_id` that want it (or only to `only`).
    async fn enqueue_kind(
        &self,
        conn: &mut impl Exec,
        org_id: i64,
        kind: &str,
        data: &serde_json::Value,
        only: Option<i64>,
    ) -> StoreResult<()> {
        let hooks = conn
            .all_rows(
                sqlx::query(
                    "SELECT id, events FROM webhooks
                     WHERE org_id = $1 AND enabled = 1 AND deleted_at IS NULL ORDER BY id",
                )
                .bind(org_id),
            )
            .await?;
        let now = now_ms();
        for hook in &hooks {
            let id: i64 = get(hook, "id")?;
            let events: String = get(hook, "events")?;
            let wanted = match only {
                Some(only) => only == id,
                None => serde_json::from_str::<Vec<String>>(&events)
                    .is_ok_and(|list| list.iter().any(|e| e == kind)),
            };
            if !wanted {
                continue;
            }
            let delivery_id = new_delivery_id();
            let body = delivery_body(&delivery_id, kind, org_id, now, data);
            conn.run(
                sqlx::query(
                    "INSERT INTO webhook_deliveries (webhook_id, org_id, delivery_id, event, payload,
                        next_attempt_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $6)",
                )
                .bind(id)
                .bind(org_id)
                .bind(&delivery_id)
                .bind(kind)
                .bind(&body)
                .bind(now),
            )
            .await?;
        }
        Ok(())
    }

    /// Deliveries of events that are not committed changes (presence, a test), in their own
    /// transaction, ordered with the organization's other events.
    pub async fn enqueue_direct(
        &self,
        org_id: i64,
        kind: &str,
        data: &serde_json::Value,
        only: Option<i64>,
    ) -> StoreResult<()> {
        let mut tx = self.writer().begin().await?;
        self.lock_event_order(&mut tx, org_id).await?;
        self.enqueue_kind(&mut tx, org_id, kind, data, only).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Organizations with an enabled webhook that wants `kind`.
    pub async fn orgs_wanting(&self, kind: &str) -> StoreResult<Vec<i64>> {
        let rows = sqlx::query(
            "SELECT org_id, events FROM webhooks WHERE enabled = 1 AND deleted_at IS NULL",
        )
        .fetch_all(self.reader())
        .await?;
        let mut orgs = Vec::new();
        for r in &rows {
            let events: String = get(r, "events")?;
            if serde_json::from_str::<Vec<String>>(&events)
                .is_ok_and(|l| l.iter().any(|e| e == kind))
            {
                orgs.push(get(r, "org_id")?);
            }
        }
        orgs.sort_unstable();
        orgs.dedup();
        Ok(orgs)
    }

    pub async fn create_webhook(
        &self,
        new: &WebhookRow,
        created_by: i64,
        audit: &NewAudit,
    ) -> StoreResult<WebhookRow> {
        let mut tx = self.writer().begin().await?;
        let events = serde_json::to_string(&new.events).unwrap_or_else(|_| "[]".into());
        let row = sqlx::query(&format!(
            "INSERT INTO webhooks (org_id, url, events, secret, description, enabled, created_at, created_by)
             VALUES ($1, $2, $3, $4, $5, 1, $6, $7) RETURNING {WEBHOOK_COLUMNS}"
        ))
        .bind(new.org_id)
        .bind(&new.url)
        .bind(events)
        .bind(&new.secret)
        .bind(&new.description)
        .bind(now_ms())
        .bind(created_by)
        .fetch_one(&mut *tx)
        .await?;
        let row = webhook_row(&row)?;
        let mut audit = audit.clone();
        audit.target_id = Some(row.id);
        Store::insert_audit(&mut tx, &audit).await?;
        tx.commit().await?;
        Ok(row)
    }

    pub async fn list_webhooks(&self, org_id: i64) -> StoreResult<Vec<WebhookRow>> {
        let rows = sqlx::query(&format!(
            "SELECT {WEBHOOK_COLUMNS} FROM webhooks WHERE org_id = $1 AND deleted_at IS NULL ORDER BY id"
        ))
        .bind(org_id)
        .fetch_all(self.reader())
        .await?;
        rows.iter().map(webhook_row).collect()
    }

    pub async fn get_webhook(&self, org_id: i64, id: i64) -> StoreResult<Option<WebhookRow>> {
        let row = sqlx::query(&format!(
            "SELECT {WEBHOOK_COLUMNS} FROM webhooks WHERE id = $1 AND org_id = $2 AND deleted_at IS NULL"
        ))
        .bind(id)
        .bind(org_id)
        .fetch_optional(self.reader())
        .await?;
        row.map(|r| webhook_row(&r)).transpose()
    }

    pub async fn update_webhook(
        &self,
        org_id: i64,
        id: i64,
        patch: &WebhookPatch,
        audit: &NewAudit,
    ) -> StoreResult<Option<WebhookRow>> {
        let mut tx = self.writer().begin().await?;
        let events = patch
            .events
            .as_ref()
            .map(|e| serde_json::to_string(e).unwrap_or_else(|_| "[]".into()));
        let row = sqlx::query(&format!(
            "UPDATE webhooks SET url = COALESCE($1, url), events = COALESCE($2, events),
                description = COALESCE($3, description), enabled = COALESCE($4, enabled)
             WHERE id = $5 AND org_id = $6 AND deleted_at IS NULL RETURNING {WEBHOOK_COLUMNS}"
        ))
        .bind(patch.url.clone())
        .bind(events)
        .bind(patch.description.clone())
        .bind(patch.enabled.map(i64::from))
        .bind(id)
        .bind(org_id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else { return Ok(None) };
        Store::insert_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(Some(webhook_row(&row)?))
    }

    /// Deletes a webhook: it gets nothing more; what was pending is marked failed.
    pub async fn delete_webhook(
        &self,
        org_id: i64,
        id: i64,
        audit: &NewAudit,
    ) -> StoreResult<bool> {
        let mut tx = self.writer().begin().await?;
        let now = now_ms();
        let done = sqlx::query(
            "UPDATE webhooks SET deleted_at = $1, enabled = 0 WHERE id = $2 AND org_id = $3 AND deleted_at IS NULL",
        )
        .bind(now)
        .bind(id)
        .bind(org_id)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Ok(false);
        }
        sqlx::query(
            "UPDATE webhook_deliveries SET state = 'failed', last_error = 'The webhook was deleted.'
             WHERE webhook_id = $1 AND state = 'pending'",
        )
        .bind(id)
        .execute(&mut *tx)
        .await?;
        Store::insert_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// A webhook's deliveries, newest first.
    pub async fn list_deliveries(
        &self,
        webhook_id: i64,
        page: u32,
        per_page: u32,
    ) -> StoreResult<(Vec<WebhookDelivery>, i64)> {
        let (limit, offset) = limit_offset(page, per_page);
        let rows = sqlx::query(&format!(
            "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries WHERE webhook_id = $1
             ORDER BY id DESC LIMIT $2 OFFSET $3"
        ))
        .bind(webhook_id)
        .bind(limit)
        .bind(offset)
        .fetch_all(self.reader())
        .await?;
        let total =
            sqlx::query("SELECT COUNT(*) AS n FROM webhook_deliveries WHERE webhook_id = $1")
                .bind(webhook_id)
                .fetch_one(self.reader())
                .await?;
        Ok((
            rows.iter().map(delivery_of).collect::<StoreResult<_>>()?,
            get(&total, "n")?,
        ))
    }

    /// The newest delivery of each of an organization's webhooks.
    pub async fn last_deliveries(&self, org_id: i64) -> StoreResult<Vec<WebhookDelivery>> {
        let rows = sqlx::query(&format!(
            "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries d WHERE d.org_id = $1 AND d.id =
                (SELECT MAX(id) FROM webhook_deliveries n WHERE n.webhook_id = d.webhook_id)"
        ))
        .bind(org_id)
        .fetch_all(self.reader())
        .await?;
        rows.iter().map(delivery_of).collect()
    }

    /// Each enabled webhook's oldest pending delivery, when it is due and nobody holds it.
    pub async fn due_deliveries(&self, now: i64, limit: i64) -> StoreResult<Vec<DueDelivery>> {
        let rows = sqlx::query(
            "SELECT d.id, d.org_id, d.webhook_id, d.delivery_id, d.event, d.payload, d.attempts,
                d.created_at, w.url, w.secret
             FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id
             WHERE d.state = 'pending' AND w.enabled = 1 AND w.deleted_at IS NULL
               AND d.id = (SELECT MIN(p.id) FROM webhook_deliveries p
                           WHERE p.webhook_id = d.webhook_id AND p.state = 'pending')
               AND d.next_attempt_at <= $1
               AND (d.claimed_until IS NULL OR d.claimed_until < $1)
             ORDER BY d.next_attempt_at, d.id LIMIT $2",
        )
        .bind(now)
        .bind(limit)
        .fetch_all(self.reader())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(DueDelivery {
                    id: get(r, "id")?,
                    org_id: get(r, "org_id")?,
                    webhook_id: get(r, "webhook_id")?,
                    delivery_id: get(r, "delivery_id")?,
                    event: get(r, "event")?,
                    payload: get(r, "payload")?,
                    attempts: get(r, "attempts")?,
                    created_at: get(r, "created_at")?,
                    url: get(r, "url")?,
                    secret: get(r, "secret")?,
                })
            })
            .collect()
    }

    /// Claims a delivery for one attempt by `node` until `until`; false when another node
    /// holds it or it is no longer pending.
    pub async fn claim_delivery(
        &self,
        id: i64,
        node: &str,
        now: i64,
        until: i64,
    ) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE webhook_deliveries SET claimed_by = $1, claimed_until = $2
             WHERE id = $3 AND state = 'pending' AND (claimed_until IS NULL OR claimed_until < $4)",
        )
        .bind(node)
        .bind(until)
        .bind(id)
        .bind(now)
        .execute(self.writer())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Records an attempt of a delivery `node` holds, and announces it to admins' pages.
    pub async fn record_attempt(
        &self,
        id: i64,
        node: &str,
        attempt: &Attempt,
    ) -> StoreResult<Option<Published>> {
        let now = now_ms();
        let mut tx = self.writer().begin().await?;
        let (state, status, error, next, delivered) = match attempt {
            Attempt::Delivered { status } => ("delivered", Some(*status), None, now, Some(now)),
            Attempt::Failed {
                status,
                error,
                retry_at,
            } => (
                if retry_at.is_some() {
                    "pending"
                } else {
                    "failed"
                },
                *status,
                Some(error.clone()),
                retry_at.unwrap_or(now),
                None,
            ),
        };
        let row = sqlx::query(&format!(
            "UPDATE webhook_deliveries SET state = $1, attempts = attempts + 1, last_attempt_at = $2,
                last_status = $3, last_error = $4, next_attempt_at = $5, delivered_at = $6,
                claimed_by = NULL, claimed_until = NULL
             WHERE id = $7 AND claimed_by = $8 RETURNING org_id, {DELIVERY_COLUMNS}"
        ))
        .bind(state)
        .bind(now)
        .bind(status)
        .bind(error)
        .bind(next)
        .bind(delivered)
        .bind(id)
        .bind(node)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let org_id: i64 = get(&row, "org_id")?;
        let delivery = delivery_of(&row)?;
        let published = self
            .announce(&mut tx, org_id, Event::WebhookDeliveryUpdated { delivery })
            .await?;
        tx.commit().await?;
        Ok(Some(published))
    }
}

//! The outbox (PostgreSQL): every pushed event is appended inside the transaction of the change
//! it reports, numbered per organization without gaps, and PostgreSQL wakes the other nodes
//! (`NOTIFY hub_events`) when it commits. SQLite runs one node: there is nobody to wake and
//! nothing to append.

use super::exec::Exec;
use super::{get, now_ms, Backend, Store, StoreError, StoreResult};
use hub_core::events::{Event, Published};

/// The channel the other nodes listen on; the payload is `org_id:seq`.
pub const EVENTS_CHANNEL: &str = "hub_events";

/// An event read back from the outbox.
#[derive(Debug, Clone)]
pub struct StoredEvent {
    pub seq: i64,
    pub created_at: i64,
    pub event: Event,
}

impl Store {
    /// Appends `event` to `org_id`'s outbox in the caller's transaction. The organization's
    /// head row stays locked until that transaction ends, so numbers follow commit order.
    pub(crate) async fn announce(
        &self,
        conn: &mut impl Exec,
        org_id: i64,
        event: Event,
    ) -> StoreResult<Published> {
        if self.backend() != Backend::Postgres {
            self.enqueue_webhooks(conn, org_id, &event).await?;
            return Ok(Published {
                org_id,
                seq: None,
                event,
            });
        }
        let payload = serde_json::to_string(&event)
            .map_err(|e| StoreError::Corrupt(format!("event not serializable: {e}")))?;
        let head = conn
            .one_row(
                sqlx::query(
                    "INSERT INTO org_event_heads (org_id, last_seq) VALUES ($1, 1)
                     ON CONFLICT (org_id) DO UPDATE SET last_seq = org_event_heads.last_seq + 1
                     RETURNING last_seq",
                )
                .bind(org_id),
            )
            .await?;
        let seq: i64 = get(&head, "last_seq")?;
        // After the head row's lock: webhook deliveries are numbered in commit order too.
        self.enqueue_webhooks(conn, org_id, &event).await?;
        conn.run(
            sqlx::query(
                "INSERT INTO events (org_id, seq, created_at, payload) VALUES ($1, $2, $3, $4)",
            )
            .bind(org_id)
            .bind(seq)
            .bind(now_ms())
            .bind(payload),
        )
        .await?;
        conn.run(
            sqlx::query("SELECT pg_notify($1, $2)")
                .bind(EVENTS_CHANNEL)
                .bind(format!("{org_id}:{seq}")),
        )
        .await?;
        Ok(Published {
            org_id,
            seq: Some(seq),
            event,
        })
    }

    /// `org_id`'s events after `after`, oldest first.
    pub async fn events_after(
        &self,
        org_id: i64,
        after: i64,
        limit: i64,
    ) -> StoreResult<Vec<StoredEvent>> {
        let rows = sqlx::query(
            "SELECT seq, created_at, payload FROM events WHERE org_id = $1 AND seq > $2 ORDER BY seq LIMIT $3",
        )
        .bind(org_id)
        .bind(after)
        .bind(limit)
        .fetch_all(self.reader())
        .await?;
        rows.iter()
            .map(|r| {
                let payload: String = get(r, "payload")?;
                Ok(StoredEvent {
                    seq: get(r, "seq")?,
                    created_at: get(r, "created_at")?,
                    event: serde_json::from_str(&payload).map_err(|e| {
                        StoreError::Corrupt(format!("outbox event of org {org_id}: {e}"))
                    })?,
                })
            })
            .collect()
    }

    /// The last event number of every organization that has events.
    pub async fn event_heads(&self) -> StoreResult<Vec<(i64, i64)>> {
        if self.backend() != Backend::Postgres {
            return Ok(Vec::new());
        }
        let rows = sqlx::query("SELECT org_id, last_seq FROM org_event_heads")
            .fetch_all(self.reader())
            .await?;
        rows.iter()
            .map(|r| Ok((get(r, "org_id")?, get(r, "last_seq")?)))
            .collect()
    }

    /// Deletes events older than `before` (ms): every node has long had them.
    pub async fn prune_events(&self, before: i64) -> StoreResult<u64> {
        let done = sqlx::query("DELETE FROM events WHERE created_at < $1")
            .bind(before)
            .execute(self.writer())
            .await?;
        Ok(done.rows_affected())
    }
}

impl Store {
    /// A notification that is not an event (presence, membership): sent at once.
    pub async fn notify(&self, channel: &str, payload: &str) -> StoreResult<()> {
        sqlx::query("SELECT pg_notify($1, $2)")
            .bind(channel)
            .bind(payload)
            .execute(self.writer())
            .await?;
        Ok(())
    }
}

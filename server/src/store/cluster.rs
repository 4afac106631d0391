//! Cluster membership (PostgreSQL): each node's heartbeat row. Times come from the database's
//! clock, so nodes with drifting clocks still agree on who is silent.

use super::{get, Store, StoreResult};

/// Now on the database's clock, in ms.
const DB_NOW_MS: &str = "(EXTRACT(EPOCH FROM clock_timestamp()) * 1000)::BIGINT";

/// One node as the others see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeRow {
    pub node_id: String,
    pub incarnation: i64,
    /// `alive`, `dead` (silent past its lease) or `left` (stopped cleanly).
    pub state: String,
    pub listen: String,
    /// Milliseconds since its last heartbeat.
    pub heartbeat_age_ms: i64,
}

impl Store {
    /// Joins (or rejoins) the cluster as `node_id`: a new incarnation each time.
    pub async fn join_cluster(&self, node_id: &str, listen: &str) -> StoreResult<i64> {
        let row = sqlx::query(&format!(
            "INSERT INTO cluster_nodes (node_id, incarnation, state, listen, started_at, heartbeat_at)
             VALUES ($1, 1, 'alive', $2, {DB_NOW_MS}, {DB_NOW_MS})
             ON CONFLICT (node_id) DO UPDATE SET incarnation = cluster_nodes.incarnation + 1,
             state = 'alive', listen = excluded.listen, started_at = excluded.started_at,
             heartbeat_at = excluded.heartbeat_at
             RETURNING incarnation"
        ))
        .bind(node_id)
        .bind(listen)
        .fetch_one(self.writer())
        .await?;
        get(&row, "incarnation")
    }

    /// Renews this node's lease; false when the others declared this incarnation dead.
    pub async fn node_heartbeat(&self, node_id: &str, incarnation: i64) -> StoreResult<bool> {
        let done = sqlx::query(&format!(
            "UPDATE cluster_nodes SET heartbeat_at = {DB_NOW_MS}
             WHERE node_id = $1 AND incarnation = $2 AND state = 'alive'"
        ))
        .bind(node_id)
        .bind(incarnation)
        .execute(self.writer())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Marks every node silent for `lease_ms` as dead; returns them (node, incarnation).
    pub async fn declare_dead(&self, lease_ms: i64) -> StoreResult<Vec<(String, i64)>> {
        let rows = sqlx::query(&format!(
            "UPDATE cluster_nodes SET state = 'dead'
             WHERE state = 'alive' AND heartbeat_at < {DB_NOW_MS} - $1
             RETURNING node_id, incarnation"
        ))
        .bind(lease_ms)
        .fetch_all(self.writer())
        .await?;
        rows.iter()
            .map(|r| Ok((get(r, "node_id")?, get(r, "incarnation")?)))
            .collect()
    }

    /// A clean stop: the others forget this node at once.
    pub async fn leave_cluster(&self, node_id: &str, incarnation: i64) -> StoreResult<()> {
        sqlx::query(
            "UPDATE cluster_nodes SET state = 'left' WHERE node_id = $1 AND incarnation = $2",
        )
        .bind(node_id)
        .bind(incarnation)
        .execute(self.writer())
        .await?;
        Ok(())
    }

    /// Every node ever seen, by id.
    pub async fn cluster_nodes(&self) -> StoreResult<Vec<NodeRow>> {
        let rows = sqlx::query(&format!(
            "SELECT node_id, incarnation, state, listen, {DB_NOW_MS} - heartbeat_at AS age
             FROM cluster_nodes ORDER BY node_id"
        ))
        .fetch_all(self.reader())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(NodeRow {
                    node_id: get(r, "node_id")?,
                    incarnation: get(r, "incarnation")?,
                    state: get(r, "state")?,
                    listen: get(r, "listen")?,
                    heartbeat_age_ms: get(r, "age")?,
                })
            })
            .collect()
    }
}

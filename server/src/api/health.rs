//! `GET /healthz` and `GET /metrics`.

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;

use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

use crate::state::AppState;
use crate::store::Backend;

/// What `/healthz` reports: the database, and in a cluster this node and what it sees.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// `ok` or `unavailable` (the database cannot be reached).
    pub status: &'static str,
    /// `sqlite` or `postgres`.
    pub backend: &'static str,
    /// This node's name (cluster mode).
    pub node: Option<String>,
    /// This node's incarnation: it grows each time the node (re)joins.
    pub incarnation: Option<i64>,
    pub cluster: Option<ClusterHealth>,
    pub bus: Option<BusHealth>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ClusterHealth {
    /// Live nodes, this one included.
    pub alive: usize,
    pub nodes: Vec<NodeHealth>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NodeHealth {
    pub node: String,
    pub incarnation: i64,
    /// `alive`, `dead` or `left`.
    pub state: String,
    pub alive: bool,
    #[serde(rename = "self")]
    pub is_self: bool,
    pub listen: String,
    pub heartbeat_age_ms: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BusHealth {
    /// Whether the LISTEN connection is up and caught up.
    pub listening: bool,
}

/// How long the health check waits for the database.
const PING_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(1);

#[utoipa::path(
    operation_id = "health_check",
    get,
    path = "/healthz",
    tag = "operations",
    summary = "200 while the database is reachable; names the node and its cluster view",
    responses((status = 200, description = "ok", body = Health), (status = 503, description = "The database is unreachable", body = Health)),
    security(())
)]
pub async fn healthz(State(state): State<AppState>) -> impl IntoResponse {
    // A load balancer gives its check ~2 s: answer 503 well before, not when the pool
    // gives up waiting for a connection.
    let reachable = match tokio::time::timeout(PING_TIMEOUT, state.store.ping()).await {
        Ok(Ok(())) => true,
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "health check: database unreachable");
            false
        }
        Err(_) => {
            tracing::warn!("health check: no database answer within {PING_TIMEOUT:?}");
            false
        }
    };
    let bus = state.events.bus();
    let health = Health {
        status: if reachable { "ok" } else { "unavailable" },
        backend: match state.store.backend() {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        },
        node: bus.map(|b| b.membership().node_id().to_string()),
        incarnation: bus.map(|b| b.membership().incarnation()),
        cluster: bus.map(|b| {
            let me = b.membership();
            let nodes: Vec<NodeHealth> = me
                .view()
                .into_iter()
                .map(|n| NodeHealth {
                    is_self: n.node_id == **me.node_id(),
                    alive: n.state == "alive",
                    node: n.node_id,
                    incarnation: n.incarnation,
                    state: n.state,
                    listen: n.listen,
                    heartbeat_age_ms: n.heartbeat_age_ms,
                })
                .collect();
            ClusterHealth {
                alive: nodes.iter().filter(|n| n.alive).count(),
                nodes,
            }
        }),
        bus: bus.map(|b| BusHealth {
            listening: b.listening(),
        }),
    };
    let status = if reachable {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(health))
}

#[utoipa::path(
    operation_id = "metrics_show",
    get,
    path = "/metrics",
    tag = "operations",
    summary = "Prometheus metrics",
    responses((status = 200, description = "Prometheus text format", body = String, content_type = "text/plain")),
    security(())
)]
pub async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.hub.metrics.render(),
    )
}

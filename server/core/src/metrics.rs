//! Prometheus metrics: open connections by kind, messages in/out, push latency, DB write latency.

use prometheus::{
    Encoder, Histogram, HistogramOpts, IntCounter, IntCounterVec, IntGauge, IntGaugeVec, Opts,
    Registry, TextEncoder,
};

#[derive(Clone)]
pub struct Metrics {
    registry: Registry,
    pub agents_open: IntGauge,
    pub tabs_open: IntGauge,
    pub agent_messages_in: IntCounter,
    pub tab_messages_in: IntCounter,
    pub messages_out: IntCounter,
    pub slow_consumers_dropped: IntCounter,
    pub push_latency_seconds: Histogram,
    pub db_write_seconds: Histogram,
    pub presence_rows_written: IntCounter,
    pub activity_rows_written: IntCounter,
    pub device_rows_written: IntCounter,
    /// Events this node committed and published.
    pub events_published: IntCounter,
    /// Events of the other nodes this node applied.
    pub events_received: IntCounter,
    /// Events found in the outbox without having been notified of them (after a reconnection of
    /// the listener, or by the periodic sweep).
    pub events_caught_up: IntCounter,
    /// Events dropped because they had been applied already (the local fast path and the
    /// outbox both bring a node's own events).
    pub events_duplicate: IntCounter,
    /// From an event's commit on any node to its delivery here.
    pub bus_lag_seconds: Histogram,
    pub nodes_alive: IntGauge,
    /// Reconnections of the listening connection.
    pub bus_reconnects: IntCounter,
    /// Sockets closed at once, by reason (`too_many_connections`).
    refused: IntCounterVec,
    /// Sockets failed for breaking the protocol, by the close code sent (1002, 1007, 1009).
    protocol_errors: IntCounterVec,
    /// What the retention job deleted, by kind (`screenshots`, `activity_slots`, `app_times`).
    retention_deleted: IntCounterVec,
    /// When the retention job last finished a pass on this node (Unix seconds; 0 = never).
    pub retention_last_run: IntGauge,
}

impl Metrics {
    pub fn new() -> Self {
        let registry = Registry::new();
        let open = IntGaugeVec::new(
            Opts::new(
                "presence_hub_open_connections",
                "Open WebSocket connections by kind",
            ),
            &["kind"],
        )
        .unwrap_or_else(|e| panic!("metric definition: {e}"));
        let messages_in = IntCounterVec::new(
            Opts::new(
                "presence_hub_messages_in_total",
                "WebSocket messages received by kind",
            ),
            &["kind"],
        )
        .unwrap_or_else(|e| panic!("metric definition: {e}"));
        let messages_out =
            IntCounter::new("presence_hub_messages_out_total", "WebSocket messages sent")
                .unwrap_or_else(|e| panic!("metric definition: {e}"));
        let slow = IntCounter::new(
            "presence_hub_slow_consumers_dropped_total",
            "Sockets closed because they did not read their messages",
        )
        .unwrap_or_else(|e| panic!("metric definition: {e}"));
        let push = Histogram::with_opts(
            HistogramOpts::new(
                "presence_hub_push_latency_seconds",
                "From an event to its frame written to a socket",
            )
            .buckets(vec![
                0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0,
            ]),
        )
        .unwrap_or_else(|e| panic!("metric definition: {e}"));
        let db = Histogram::with_opts(
            HistogramOpts::new(
                "presence_hub_db_write_seconds",
                "Database write (transaction) latency",
            )
            .buckets(vec![
                0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.5, 1.0,
            ]),
        )
        .unwrap_or_else(|e| panic!("metric definition: {e}"));
        let rows = IntCounter::new(
            "presence_hub_presence_rows_written_total",
            "Presence rows written through to the database",
        )
        .unwrap_or_else(|e| panic!("metric definition: {e}"));
        let activity_rows = IntCounter::new(
            "presence_hub_activity_rows_written_total",
            "Session activity rows (slots, apps) written through to the database",
        )
        .unwrap_or_else(|e| panic!("metric definition: {e}"));
        let device_rows = IntCounter::new(
            "presence_hub_device_rows_written_total",
            "Agent device rows (the fleet) written through to the database",
        )
        .unwrap_or_else(|e| panic!("metric definition: {e}"));
        let counter = |name: &str, help: &str| {
            IntCounter::new(name, help).unwrap_or_else(|e| panic!("metric definition: {e}"))
        };
        let published = counter(
            "presence_hub_bus_events_published_total",
            "Events committed and published by this node",
        );
        let received = counter(
            "presence_hub_bus_events_received_total",
            "Events of other nodes applied by this node",
        );
        let caught_up = counter(
            "presence_hub_bus_events_caught_up_total",
            "Events found in the outbox without a notification (after a reconnection, or by the periodic sweep)",
        );
        let duplicate = counter(
            "presence_hub_bus_events_duplicate_total",
            "Events dropped because they were applied already",
        );
        let reconnects = counter(
            "presence_hub_bus_reconnects_total",
            "Reconnections of the LISTEN connection",
        );
        let lag = Histogram::with_opts(
            HistogramOpts::new(
                "presence_hub_bus_lag_seconds",
                "From an event's commit (any node) to its delivery on this node",
            )
            .buckets(vec![
                0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 5.0, 30.0,
            ]),
        )
        .unwrap_or_else(|e| panic!("metric definition: {e}"));
        let alive = IntGauge::new(
            "presence_hub_cluster_nodes_alive",
            "Live nodes of the cluster as this node sees them",
        )
        .unwrap_or_else(|e| panic!("metric definition: {e}"));
        let refused = IntCounterVec::new(
            Opts::new(
                "presence_hub_connections_refused_total",
                "Sockets closed as soon as they opened, by reason",
            ),
            &["reason"],
        )
        .unwrap_or_else(|e| panic!("metric definition: {e}"));
        let protocol_errors = IntCounterVec::new(
            Opts::new(
                "presence_hub_protocol_errors_total",
                "Sockets closed for breaking the WebSocket protocol, by close code",
            ),
            &["code"],
        )
        .unwrap_or_else(|e| panic!("metric definition: {e}"));
        let retention_deleted = IntCounterVec::new(
            Opts::new(
                "presence_hub_retention_deleted_total",
                "Rows (and their files) the retention job deleted as older than the policy keeps, by kind",
            ),
            &["kind"],
        )
        .unwrap_or_else(|e| panic!("metric definition: {e}"));
        let retention_last_run = IntGauge::new(
            "presence_hub_retention_last_run_timestamp_seconds",
            "When this node last finished a retention pass (0 = never; one node of a cluster runs it)",
        )
        .unwrap_or_else(|e| panic!("metric definition: {e}"));
        for c in [
            Box::new(published.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(retention_deleted.clone()),
            Box::new(retention_last_run.clone()),
            Box::new(refused.clone()),
            Box::new(protocol_errors.clone()),
            Box::new(received.clone()),
            Box::new(caught_up.clone()),
            Box::new(duplicate.clone()),
            Box::new(reconnects.clone()),
            Box::new(lag.clone()),
            Box::new(alive.clone()),
            Box::new(open.clone()),
            Box::new(messages_in.clone()),
            Box::new(messages_out.clone()),
            Box::new(slow.clone()),
            Box::new(push.clone()),
            Box::new(db.clone()),
            Box::new(rows.clone()),
            Box::new(activity_rows.clone()),
            Box::new(device_rows.clone()),
        ] {
            registry
                .register(c)
                .unwrap_or_else(|e| panic!("metric registration: {e}"));
        }
        Metrics {
            agents_open: open.with_label_values(&["agent"]),
            tabs_open: open.with_label_values(&["tab"]),
            agent_messages_in: messages_in.with_label_values(&["agent"]),
            tab_messages_in: messages_in.with_label_values(&["tab"]),
            messages_out,
            slow_consumers_dropped: slow,
            push_latency_seconds: push,
            db_write_seconds: db,
            presence_rows_written: rows,
            activity_rows_written: activity_rows,
            device_rows_written: device_rows,
            events_published: published,
            events_received: received,
            events_caught_up: caught_up,
            events_duplicate: duplicate,
            bus_lag_seconds: lag,
            nodes_alive: alive,
            bus_reconnects: reconnects,
            refused,
            protocol_errors,
            retention_deleted,
            retention_last_run,
            registry,
        }
    }

    /// The counter of sockets refused for `reason` (a close cause's `metric_label`).
    pub fn connections_refused(&self, reason: &str) -> IntCounter {
        self.refused.with_label_values(&[reason])
    }

    /// The counter of sockets failed with close `code` for a protocol error.
    pub fn protocol_errors(&self, code: u16) -> IntCounter {
        self.protocol_errors.with_label_values(&[&code.to_string()])
    }

    /// The counter of rows of `kind` the retention job deleted.
    pub fn retention_deleted(&self, kind: &str) -> IntCounter {
        self.retention_deleted.with_label_values(&[kind])
    }

    /// The Prometheus text exposition of every metric.
    pub fn render(&self) -> String {
        let mut buf = Vec::new();
        if let Err(e) = TextEncoder::new().encode(&self.registry.gather(), &mut buf) {
            tracing::error!(error = %e, "encoding metrics");
        }
        String::from_utf8(buf).unwrap_or_default()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

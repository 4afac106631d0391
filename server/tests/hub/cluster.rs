//! Cluster mode in-process: two hubs on one PostgreSQL database, each a node of the cluster.
//! An admin's force-end and a policy change made on one node reach the agent held by the
//! other exactly once; presence crosses nodes; a node that leaves takes its users' presence
//! with it; the LISTEN connection is cut and nothing is lost. (On SQLite there is no cluster:
//! these tests say so and end.)

use crate::common;

use common::{status_in_diff, wait_for, TestHub, Ws};
use futures_util::StreamExt;
use serde_json::{json, Value};
use shared::Role;
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

async fn two_nodes() -> Option<(TestHub, TestHub)> {
    if !common::on_postgres() {
        eprintln!("cluster tests need PostgreSQL (PRESENCE_TEST_PG): nothing to run on SQLite");
        return None;
    }
    let a = TestHub::start_with(|c| c.node_id = Some("node-a".into())).await;
    let b = a.peer("node-b").await;
    Some((a, b))
}

/// Every message of `kind` that arrives within `window`.
async fn count_within(ws: &mut Ws, kind: &str, window: Duration) -> Vec<Value> {
    let deadline = tokio::time::Instant::now() + window;
    let mut seen = Vec::new();
    while let Ok(Some(Ok(frame))) = tokio::time::timeout_at(deadline, ws.next()).await {
        if let Message::Text(text) = frame {
            let msg: Value = serde_json::from_str(&text).expect("JSON");
            if msg["type"] == kind {
                seen.push(msg);
            }
        }
    }
    seen
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_force_end_and_a_policy_change_on_one_node_reach_the_agent_on_the_other_once() {
    let Some((a, b)) = two_nodes().await else {
        return;
    };
    let (_, users) = a
        .org(
            "Acme",
            &[
                ("owner@acme.test", Role::Owner),
                ("ann@acme.test", Role::Member),
            ],
        )
        .await;
    let ann_id = users[1].id;
    let owner_on_b = b.login("owner@acme.test").await;
    let ann = a.login("ann@acme.test").await;
    let mut agent = a.agent(&ann).await;
    wait_for(&mut agent, "hello", 5, |_| true).await;

    for round in 0..5 {
        let (status, session) = a
            .call("POST", "/api/sessions/start", Some(&ann), Some(json!({})))
            .await;
        assert_eq!(status, 201, "round {round}: {session}");
        let id = session["id"].as_i64().expect("session id");
        wait_for(&mut agent, "session_started", 5, |m| {
            m["session"]["id"] == id
        })
        .await;
        let (status, body) = b
            .call(
                "POST",
                &format!("/api/sessions/{id}/end"),
                Some(&owner_on_b),
                Some(json!({"reason": "end of shift"})),
            )
            .await;
        assert_eq!(status, 200, "round {round}: {body}");
        let ended = wait_for(&mut agent, "session_ended", 5, |m| m["session_id"] == id).await;
        assert_eq!(ended["reason"], "end of shift");
    }
    // Nothing arrives twice (the node's own copy and the outbox's are one event).
    let again = count_within(&mut agent, "session_ended", Duration::from_millis(800)).await;
    assert!(again.is_empty(), "duplicates: {again:?}");

    let (status, body) = b
        .call(
            "PUT",
            "/api/policy",
            Some(&owner_on_b),
            Some(json!({"notification_interval_minutes": 15})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let version = body["config_version"].as_i64().expect("version");
    let updates = count_within(&mut agent, "config_updated", Duration::from_secs(2)).await;
    assert_eq!(updates.len(), 1, "exactly one config_updated: {updates:?}");
    assert_eq!(updates[0]["config_version"], version);
    assert_eq!(updates[0]["config"]["notification_interval_minutes"], 15);

    // Node A's copy of the policy moved too: a new agent there starts from it.
    let mut second = a.agent(&ann).await;
    let hello = wait_for(&mut second, "hello", 5, |_| true).await;
    assert_eq!(hello["config_version"], version, "{hello}");
    let _ = ann_id;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn presence_crosses_nodes_and_a_leaving_node_takes_its_users_with_it() {
    let Some((a, mut b)) = two_nodes().await else {
        return;
    };
    let (_, users) = a
        .org(
            "Acme",
            &[
                ("lead@acme.test", Role::Supervisor),
                ("ann@acme.test", Role::Member),
                ("bob@acme.test", Role::Member),
            ],
        )
        .await;
    let (ann_id, bob_id) = (users[1].id, users[2].id);
    let lead = a.login("lead@acme.test").await;
    let mut dash = a.tab(&lead).await;
    wait_for(&mut dash, "presence_snapshot", 5, |_| true).await;

    // Ann connects to node B: node A's dashboard shows her online.
    let ann = b.login("ann@acme.test").await;
    let mut ann_agent = b.agent(&ann).await;
    wait_for(&mut ann_agent, "hello", 5, |_| true).await;
    common::send_json(
        &mut ann_agent,
        json!({"type": "heartbeat", "idle_seconds": 0}),
    )
    .await;
    let diff = wait_for(&mut dash, "presence_diff", 5, |m| {
        status_in_diff(m, ann_id).is_some_and(|s| s == "active")
    })
    .await;
    assert!(status_in_diff(&diff, ann_id).is_some());

    // She disconnects: offline on node A after node B's grace period.
    drop(ann_agent);
    wait_for(&mut dash, "presence_diff", 5, |m| {
        status_in_diff(m, ann_id).is_some_and(|s| s == "offline")
    })
    .await;

    // Bob is on node B when it stops cleanly: node A shows him offline at once.
    let bob = b.login("bob@acme.test").await;
    let mut bob_agent = b.agent(&bob).await;
    wait_for(&mut bob_agent, "hello", 5, |_| true).await;
    common::send_json(
        &mut bob_agent,
        json!({"type": "heartbeat", "idle_seconds": 0}),
    )
    .await;
    wait_for(&mut dash, "presence_diff", 5, |m| {
        status_in_diff(m, bob_id).is_some_and(|s| s == "active")
    })
    .await;
    b.stop().await;
    wait_for(&mut dash, "presence_diff", 3, |m| {
        status_in_diff(m, bob_id).is_some_and(|s| s == "offline")
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cutting_the_listening_connections_loses_no_event() {
    let Some((a, b)) = two_nodes().await else {
        return;
    };
    let (_, _users) = a
        .org(
            "Acme",
            &[
                ("owner@acme.test", Role::Owner),
                ("ann@acme.test", Role::Member),
            ],
        )
        .await;
    let owner_on_b = b.login("owner@acme.test").await;
    let ann = a.login("ann@acme.test").await;
    let mut agent = a.agent(&ann).await;
    wait_for(&mut agent, "hello", 5, |_| true).await;
    let pool = sqlx::PgPool::connect(a.config.database_url.as_deref().expect("url"))
        .await
        .expect("admin connection");
    let mut versions = Vec::new();
    for i in 0..20u32 {
        if i % 5 == 2 {
            // Every LISTEN connection of this database goes away.
            sqlx::query(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                 WHERE datname = current_database() AND query ILIKE 'LISTEN%'",
            )
            .execute(&pool)
            .await
            .expect("terminate listeners");
        }
        let (status, body) = b
            .call(
                "PUT",
                "/api/policy",
                Some(&owner_on_b),
                Some(json!({"notification_interval_minutes": 5 + i})),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        versions.push(body["config_version"].as_i64().expect("version"));
    }
    let mut seen = Vec::new();
    while seen.len() < versions.len() {
        let msg = wait_for(&mut agent, "config_updated", 15, |_| true).await;
        seen.push(msg["config_version"].as_i64().expect("version"));
    }
    assert_eq!(seen, versions, "every change, once, in order");
    let extra = count_within(&mut agent, "config_updated", Duration::from_millis(800)).await;
    assert!(extra.is_empty(), "duplicates: {extra:?}");
    // The cuts happened: node A listened again each time, and read what it missed.
    let metrics = a.metrics().await;
    let counter = |name: &str| {
        metrics
            .lines()
            .find_map(|l| l.strip_prefix(name)?.trim().parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    assert!(
        counter("presence_hub_bus_reconnects_total ") >= 1.0,
        "{metrics}"
    );
    assert!(
        counter("presence_hub_bus_events_received_total ") >= versions.len() as f64,
        "{metrics}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn healthz_names_the_node_and_its_cluster() {
    let Some((a, b)) = two_nodes().await else {
        return;
    };
    let health: Value = a
        .http()
        .get(format!("{}/healthz", b.url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health["status"], "ok");
    assert_eq!(health["node"], "node-b");
    assert_eq!(health["backend"], "postgres");
    let nodes = health["cluster"]["nodes"].as_array().expect("nodes");
    assert!(
        nodes
            .iter()
            .any(|n| n["node"] == "node-a" && n["alive"] == true),
        "{health}"
    );
    assert!(
        nodes
            .iter()
            .any(|n| n["node"] == "node-b" && n["self"] == true),
        "{health}"
    );
    drop(a);
}

//! Presence end to end: agents and tabs report, dashboards get diffs, storage follows.

use crate::common;

use common::{send_json, status_in_diff, wait_for, TestHub};
use serde_json::json;
use shared::{PresenceStatus, Role};
use std::time::{Duration, Instant};

#[tokio::test]
async fn an_agent_heartbeat_turns_the_user_active_on_a_supervisors_dashboard() {
    let hub = TestHub::start().await;
    let (_, users) = hub
        .org(
            "Acme",
            &[
                ("sup@a.test", Role::Supervisor),
                ("ann@a.test", Role::Member),
            ],
        )
        .await;
    let ann = users[1].id;
    let sup = hub.login("sup@a.test").await;
    let mut tab = hub.tab(&sup).await;
    let snapshot = wait_for(&mut tab, "presence_snapshot", 5, |_| true).await;
    let names: Vec<&str> = snapshot["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["ann", "sup"], "the whole org, sorted by name");
    let ann_row = &snapshot["users"][0];
    assert_eq!(ann_row["status"], "offline");
    assert_eq!(ann_row["role"], "member");

    let token = hub.login("ann@a.test").await;
    let mut agent = hub.agent(&token).await;
    wait_for(&mut agent, "hello", 5, |_| true).await;
    let idle = wait_for(&mut tab, "presence_diff", 5, |m| {
        status_in_diff(m, ann).is_some()
    })
    .await;
    assert_eq!(
        status_in_diff(&idle, ann).as_deref(),
        Some("idle"),
        "connected but no activity yet"
    );
    let sent = Instant::now();
    send_json(&mut agent, json!({"type": "heartbeat", "idle_seconds": 0})).await;
    let active = wait_for(&mut tab, "presence_diff", 5, |m| {
        status_in_diff(m, ann).as_deref() == Some("active")
    })
    .await;
    println!("heartbeat → presence_diff: {:?}", sent.elapsed());
    let change = active["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["user_id"] == ann)
        .unwrap();
    assert!(change["last_activity_at"].as_str().is_some());

    drop(agent);
    let offline = wait_for(&mut tab, "presence_diff", 5, |m| {
        status_in_diff(m, ann).is_some()
    })
    .await;
    assert_eq!(status_in_diff(&offline, ann).as_deref(), Some("offline"));
}

#[tokio::test]
async fn a_heartbeat_reporting_long_idle_time_keeps_the_user_idle() {
    let hub = TestHub::start().await;
    let (_, users) = hub
        .org(
            "Acme",
            &[
                ("sup@a.test", Role::Supervisor),
                ("ann@a.test", Role::Member),
            ],
        )
        .await;
    let ann = users[1].id;
    let mut tab = hub.tab(&hub.login("sup@a.test").await).await;
    wait_for(&mut tab, "presence_snapshot", 5, |_| true).await;
    let mut agent = hub.agent(&hub.login("ann@a.test").await).await;
    wait_for(&mut tab, "presence_diff", 5, |m| {
        status_in_diff(m, ann).as_deref() == Some("idle")
    })
    .await;
    // Idle for 10 minutes according to the desktop: beyond the 5-minute policy threshold.
    send_json(
        &mut agent,
        json!({"type": "heartbeat", "idle_seconds": 600}),
    )
    .await;
    let woke = tokio::time::timeout(
        Duration::from_millis(800),
        wait_for(&mut tab, "presence_diff", 1, |m| {
            status_in_diff(m, ann).as_deref() == Some("active")
        }),
    )
    .await;
    assert!(
        woke.is_err(),
        "a heartbeat 10 minutes idle must not make the user active"
    );
    send_json(&mut agent, json!({"type": "heartbeat", "idle_seconds": 0})).await;
    wait_for(&mut tab, "presence_diff", 5, |m| {
        status_in_diff(m, ann).as_deref() == Some("active")
    })
    .await;
}

#[tokio::test]
async fn active_turns_idle_after_the_threshold() {
    let hub = TestHub::start_with(|c| c.idle_threshold_ms_override = 600).await;
    let (_, users) = hub
        .org(
            "Acme",
            &[
                ("sup@a.test", Role::Supervisor),
                ("ann@a.test", Role::Member),
            ],
        )
        .await;
    let ann = users[1].id;
    let mut tab = hub.tab(&hub.login("sup@a.test").await).await;
    wait_for(&mut tab, "presence_snapshot", 5, |_| true).await;
    let mut ann_tab = hub.tab(&hub.login("ann@a.test").await).await;
    send_json(&mut ann_tab, json!({"type": "activity"})).await;
    wait_for(&mut tab, "presence_diff", 5, |m| {
        status_in_diff(m, ann).as_deref() == Some("active")
    })
    .await;
    let became_active = Instant::now();
    wait_for(&mut tab, "presence_diff", 5, |m| {
        status_in_diff(m, ann).as_deref() == Some("idle")
    })
    .await;
    let after = became_active.elapsed();
    assert!(
        after >= Duration::from_millis(400),
        "idle only after the threshold, got {after:?}"
    );
}

#[tokio::test]
async fn presence_is_per_user_not_per_connection() {
    let hub = TestHub::start_with(|c| c.offline_grace_ms = 400).await;
    let (_, users) = hub
        .org(
            "Acme",
            &[
                ("sup@a.test", Role::Supervisor),
                ("ann@a.test", Role::Member),
            ],
        )
        .await;
    let ann = users[1].id;
    let mut dash = hub.tab(&hub.login("sup@a.test").await).await;
    wait_for(&mut dash, "presence_snapshot", 5, |_| true).await;
    let token = hub.login("ann@a.test").await;
    let mut agent = hub.agent(&token).await;
    let tab1 = hub.tab(&token).await;
    let tab2 = hub.tab(&token).await;
    send_json(&mut agent, json!({"type": "heartbeat", "idle_seconds": 0})).await;
    wait_for(&mut dash, "presence_diff", 5, |m| {
        status_in_diff(m, ann).as_deref() == Some("active")
    })
    .await;
    drop(tab1);
    drop(agent);
    // One tab is still open: no offline however long we wait past the grace period.
    let no_offline = tokio::time::timeout(
        Duration::from_millis(1200),
        wait_for(&mut dash, "presence_diff", 2, |m| {
            status_in_diff(m, ann).as_deref() == Some("offline")
        }),
    )
    .await;
    assert!(no_offline.is_err(), "still connected through a tab");
    drop(tab2);
    wait_for(&mut dash, "presence_diff", 5, |m| {
        status_in_diff(m, ann).as_deref() == Some("offline")
    })
    .await;
}

#[tokio::test]
async fn a_quick_reconnect_does_not_flash_offline() {
    let hub = TestHub::start_with(|c| c.offline_grace_ms = 1500).await;
    let (_, users) = hub
        .org(
            "Acme",
            &[
                ("sup@a.test", Role::Supervisor),
                ("ann@a.test", Role::Member),
            ],
        )
        .await;
    let ann = users[1].id;
    let mut dash = hub.tab(&hub.login("sup@a.test").await).await;
    wait_for(&mut dash, "presence_snapshot", 5, |_| true).await;
    let token = hub.login("ann@a.test").await;
    let mut agent = hub.agent(&token).await;
    send_json(&mut agent, json!({"type": "heartbeat", "idle_seconds": 0})).await;
    wait_for(&mut dash, "presence_diff", 5, |m| {
        status_in_diff(m, ann).as_deref() == Some("active")
    })
    .await;
    drop(agent);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut agent = hub.agent(&token).await; // a page reload / agent reconnect
    wait_for(&mut agent, "hello", 5, |_| true).await;
    let flash = tokio::time::timeout(
        Duration::from_millis(2500),
        wait_for(&mut dash, "presence_diff", 3, |m| {
            status_in_diff(m, ann).as_deref() == Some("offline")
        }),
    )
    .await;
    assert!(
        flash.is_err(),
        "no offline during a reconnect inside the grace period"
    );
}

#[tokio::test]
async fn members_see_only_themselves_and_other_orgs_see_nothing() {
    let hub = TestHub::start().await;
    let (_, a) = hub
        .org(
            "Org A",
            &[
                ("sup@a.test", Role::Supervisor),
                ("ann@a.test", Role::Member),
                ("bob@a.test", Role::Member),
            ],
        )
        .await;
    hub.org("Org B", &[("own@b.test", Role::Owner)]).await;
    let (ann, bob) = (a[1].id, a[2].id);
    let mut bob_tab = hub.tab(&hub.login("bob@a.test").await).await;
    let snap = wait_for(&mut bob_tab, "presence_snapshot", 5, |_| true).await;
    assert_eq!(snap["users"].as_array().unwrap().len(), 1);
    assert_eq!(snap["users"][0]["user_id"], bob);
    let mut other_org = hub.tab(&hub.login("own@b.test").await).await;
    let snap = wait_for(&mut other_org, "presence_snapshot", 5, |_| true).await;
    assert!(snap["users"]
        .as_array()
        .unwrap()
        .iter()
        .all(|u| u["user_id"] != ann && u["user_id"] != bob));
    let mut sup_tab = hub.tab(&hub.login("sup@a.test").await).await;
    wait_for(&mut sup_tab, "presence_snapshot", 5, |_| true).await;

    let mut ann_agent = hub.agent(&hub.login("ann@a.test").await).await;
    send_json(
        &mut ann_agent,
        json!({"type": "heartbeat", "idle_seconds": 0}),
    )
    .await;
    wait_for(&mut sup_tab, "presence_diff", 5, |m| {
        status_in_diff(m, ann).as_deref() == Some("active")
    })
    .await;
    // Bob's own activity reaches Bob; Ann's never does, nor anything reaches Org B.
    send_json(&mut bob_tab, json!({"type": "activity"})).await;
    let mine = wait_for(&mut bob_tab, "presence_diff", 5, |m| {
        status_in_diff(m, bob).is_some()
    })
    .await;
    assert!(status_in_diff(&mine, ann).is_none());
    let leak = tokio::time::timeout(
        Duration::from_millis(800),
        wait_for(&mut bob_tab, "presence_diff", 1, |m| {
            status_in_diff(m, ann).is_some()
        }),
    )
    .await;
    assert!(leak.is_err(), "a member never hears about another member");
    let about_a = |m: &serde_json::Value| {
        status_in_diff(m, ann).is_some() || status_in_diff(m, bob).is_some()
    };
    let leak = tokio::time::timeout(
        Duration::from_millis(300),
        wait_for(&mut other_org, "presence_diff", 1, about_a),
    )
    .await;
    assert!(leak.is_err(), "another organization never hears anything");
}

#[tokio::test]
async fn presence_is_written_through_and_survives_a_restart_as_offline() {
    let hub = TestHub::start().await;
    let (_, users) = hub
        .org(
            "Acme",
            &[
                ("sup@a.test", Role::Supervisor),
                ("ann@a.test", Role::Member),
            ],
        )
        .await;
    let ann = users[1].id;
    let mut agent = hub.agent(&hub.login("ann@a.test").await).await;
    send_json(&mut agent, json!({"type": "heartbeat", "idle_seconds": 0})).await;
    let deadline = Instant::now() + Duration::from_secs(5);
    let stored = loop {
        if let Some((PresenceStatus::Active, Some(at))) =
            hub.store.stored_presence(ann).await.unwrap()
        {
            break at;
        }
        assert!(
            Instant::now() < deadline,
            "presence row written within the flush interval"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let hub = hub.restart().await;
    assert_eq!(
        hub.store
            .count_presence(PresenceStatus::Active)
            .await
            .unwrap(),
        0,
        "no ghost after a restart"
    );
    let mut tab = hub.tab(&hub.login("sup@a.test").await).await;
    let snap = wait_for(&mut tab, "presence_snapshot", 5, |_| true).await;
    let row = snap["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["user_id"] == ann)
        .unwrap()
        .clone();
    assert_eq!(row["status"], "offline");
    let last: chrono::DateTime<chrono::Utc> =
        row["last_activity_at"].as_str().unwrap().parse().unwrap();
    assert_eq!(
        last.timestamp_millis(),
        stored,
        "last activity survives the restart"
    );
    drop(agent);
}

#[tokio::test]
async fn a_busy_user_costs_a_bounded_number_of_writes() {
    let hub = TestHub::start_with(|c| {
        c.presence_flush_ms = 500;
        c.ws_messages_per_second = 1000;
    })
    .await;
    hub.org("Acme", &[("ann@a.test", Role::Member)]).await;
    let mut agent = hub.agent(&hub.login("ann@a.test").await).await;
    wait_for(&mut agent, "hello", 5, |_| true).await;
    let rows = &hub.state().hub.metrics.presence_rows_written;
    let before = rows.get();
    let started = Instant::now();
    for _ in 0..400 {
        send_json(&mut agent, json!({"type": "heartbeat", "idle_seconds": 0})).await;
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    tokio::time::sleep(Duration::from_millis(600)).await;
    let written = rows.get() - before;
    let flushes = (started.elapsed().as_millis() / 500) as u64 + 2;
    assert!(written >= 1, "something was written");
    assert!(
        written <= flushes,
        "{written} rows for 400 heartbeats over {flushes} flush windows"
    );
}

#[tokio::test]
async fn a_graceful_stop_writes_what_was_pending() {
    // A flush window far longer than the test: only the shutdown flush can write the row.
    let mut hub = TestHub::start_with(|c| c.presence_flush_ms = 600_000).await;
    let (_, users) = hub.org("Acme", &[("ann@a.test", Role::Member)]).await;
    let mut agent = hub.agent(&hub.login("ann@a.test").await).await;
    wait_for(&mut agent, "hello", 5, |_| true).await;
    send_json(&mut agent, json!({"type": "heartbeat", "idle_seconds": 0})).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    hub.stop().await;
    drop(agent);
    let url = hub.config.database_url();
    let reopened = server::store::Store::connect(&url, server::metrics::Metrics::new())
        .await
        .unwrap();
    let user = reopened
        .get_user(users[0].org_id, users[0].id)
        .await
        .unwrap()
        .unwrap();
    assert!(
        user.last_activity_at.is_some(),
        "the heartbeat's activity was written at shutdown"
    );
    // A day later the presence row is cleaned up; the user's last activity stays.
    let day_later = server::store::now_ms() + 25 * 3600 * 1000;
    assert_eq!(reopened.delete_stale_presence(day_later).await.unwrap(), 1);
    assert_eq!(reopened.stored_presence(users[0].id).await.unwrap(), None);
    let user = reopened
        .get_user(users[0].org_id, users[0].id)
        .await
        .unwrap()
        .unwrap();
    assert!(user.last_activity_at.is_some());
}

//! Session activity from agent heartbeats (policy switches `enable_keyboard_tracking`,
//! `enable_mouse_tracking`, `website_tracking_enabled`): counted per 10-minute slot and per
//! app while a session runs, written coalesced, read with `GET /api/sessions/{id}/activity`
//! under the session's own role scoping.

use crate::common;

use common::{send_json, wait_for, TestHub};
use serde_json::{json, Value};
use shared::Role;
use std::time::{Duration, Instant};

async fn call(
    hub: &TestHub,
    method: &str,
    token: Option<&str>,
    path: &str,
    body: Value,
) -> (u16, Value) {
    let url = format!("{}{path}", hub.url);
    let http = hub.http();
    let mut req = match method {
        "GET" => http.get(url),
        "PUT" => http.put(url).json(&body),
        _ => http.post(url).json(&body),
    };
    if let Some(token) = token {
        req = req.bearer_auth(token);
    }
    let res = req.send().await.expect("request");
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

/// `GET path` with `token` as the session cookie, as a browser would.
async fn page(hub: &TestHub, token: &str, path: &str) -> (u16, String) {
    let res = hub
        .http()
        .get(format!("{}{path}", hub.url))
        .header("cookie", format!("ph_session={token}"))
        .send()
        .await
        .expect("page request");
    let status = res.status().as_u16();
    (status, res.text().await.unwrap_or_default())
}

fn sum(activity: &Value, field: &str) -> i64 {
    activity["slots"]
        .as_array()
        .map(|slots| slots.iter().map(|s| s[field].as_i64().unwrap_or(0)).sum())
        .unwrap_or(0)
}

/// Reads the activity until `done` holds (the writer flushes every 100 ms in tests).
async fn activity_when(
    hub: &TestHub,
    token: &str,
    session_id: i64,
    done: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (status, body) = call(
            hub,
            "GET",
            Some(token),
            &format!("/api/sessions/{session_id}/activity"),
            Value::Null,
        )
        .await;
        assert_eq!(status, 200, "{body}");
        if done(&body) {
            return body;
        }
        assert!(Instant::now() < deadline, "activity never matched: {body}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn beat(keys: Option<u32>, mouse: Option<u32>, app: Option<(&str, &str)>) -> Value {
    let mut v = json!({"type": "heartbeat", "idle_seconds": 0});
    if let Some(k) = keys {
        v["key_presses"] = json!(k);
    }
    if let Some(m) = mouse {
        v["mouse_events"] = json!(m);
    }
    if let Some((app, title)) = app {
        v["active_app"] = json!({"app": app, "title": title});
    }
    v
}

#[tokio::test]
async fn heartbeats_of_a_running_session_become_slots_and_app_time() {
    let hub = TestHub::start().await;
    let (_, users) = hub
        .org(
            "Acme",
            &[
                ("owner@a.test", Role::Owner),
                ("admin@a.test", Role::Admin),
                ("lead@a.test", Role::Supervisor),
                ("alice@a.test", Role::Member),
                ("bob@a.test", Role::Member),
            ],
        )
        .await;
    hub.org("Other", &[("owner@o.test", Role::Owner)]).await;
    let owner = hub.login("owner@a.test").await;
    let admin = hub.login("admin@a.test").await;
    let lead = hub.login("lead@a.test").await;
    let alice = hub.login("alice@a.test").await;
    let bob = hub.login("bob@a.test").await;
    let stranger = hub.login("owner@o.test").await;
    let (alice_id, bob_id) = (users[3].id, users[4].id);

    let (status, _) = call(
        &hub,
        "PUT",
        Some(&owner),
        "/api/policy",
        json!({"enable_keyboard_tracking": true, "enable_mouse_tracking": true}),
    )
    .await;
    assert_eq!(status, 200);

    // Bob has no running session: his heartbeats leave no rows.
    let mut bob_agent = hub.agent(&bob).await;
    wait_for(&mut bob_agent, "hello", 5, |_| true).await;
    for _ in 0..3 {
        send_json(&mut bob_agent, beat(Some(9), Some(9), Some(("code", "x")))).await;
    }

    let (status, session) =
        call(&hub, "POST", Some(&alice), "/api/sessions/start", json!({})).await;
    assert_eq!(status, 201, "{session}");
    let session_id = session["id"].as_i64().expect("session id");
    let mut agent = hub.agent(&alice).await;
    let hello = wait_for(&mut agent, "hello", 5, |_| true).await;
    assert_eq!(hello["active_session"]["id"], session_id);

    send_json(
        &mut agent,
        beat(Some(5), Some(10), Some(("code", "main.rs — proj"))),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    send_json(
        &mut agent,
        beat(Some(0), Some(0), Some(("code", "lib.rs — proj"))),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    send_json(&mut agent, beat(Some(2), None, Some(("firefox", "Docs")))).await;
    // Counts from an agent with an old config, and a nameless app, are not recorded.
    send_json(
        &mut agent,
        json!({"type": "heartbeat", "idle_seconds": 900,
        "active_app": {"app": "  ", "title": "?"}}),
    )
    .await;

    let activity = activity_when(&hub, &alice, session_id, |a| sum(a, "heartbeats") == 4).await;
    assert_eq!(activity["session_id"], session_id);
    assert_eq!(activity["slot_seconds"], 600);
    assert_eq!(sum(&activity, "key_presses"), 7);
    assert_eq!(sum(&activity, "mouse_events"), 10);
    assert_eq!(sum(&activity, "counted_heartbeats"), 3);
    assert_eq!(sum(&activity, "input_heartbeats"), 2);
    assert_eq!(sum(&activity, "active_heartbeats"), 3);
    // Two of the three heartbeats that carried counts had input.
    assert_eq!(activity["activity_percent"], 67, "{activity}");
    let slot = &activity["slots"][0];
    assert_eq!(slot["basis"], "input");
    let start = chrono::DateTime::parse_from_rfc3339(slot["start"].as_str().unwrap()).unwrap();
    assert_eq!(start.timestamp() % 600, 0, "slots start on 10-minute marks");
    let apps = activity["apps"].as_array().unwrap();
    assert_eq!(apps.len(), 2, "{activity}");
    let code = apps.iter().find(|a| a["app"] == "code").expect("code");
    assert!(code["seconds"].as_i64().unwrap() >= 1, "{code}");
    assert_eq!(code["last_title"], "lib.rs — proj");
    let firefox = apps
        .iter()
        .find(|a| a["app"] == "firefox")
        .expect("firefox");
    assert_eq!(firefox["last_title"], "Docs");
    assert!(activity["app_seconds_total"].as_i64().unwrap() >= 2);

    // Role matrix: own user, supervisor and up in the organization; 404 otherwise.
    let path = format!("/api/sessions/{session_id}/activity");
    for (token, expected) in [
        (Some(alice.as_str()), 200),
        (Some(lead.as_str()), 200),
        (Some(admin.as_str()), 200),
        (Some(owner.as_str()), 200),
        (Some(bob.as_str()), 404),
        (Some(stranger.as_str()), 404),
        (None, 401),
    ] {
        let (status, body) = call(&hub, "GET", token, &path, Value::Null).await;
        assert_eq!(status, expected, "{token:?}: {body}");
        if expected == 404 {
            assert_eq!(body["error"]["code"], "not_found");
        }
    }
    let (status, _) = call(
        &hub,
        "GET",
        Some(&owner),
        "/api/sessions/999999/activity",
        Value::Null,
    )
    .await;
    assert_eq!(status, 404);

    // The session page shows the bars and the apps in its first HTML, scoped the same way;
    // the sessions list links to it.
    let (status, html) = page(&hub, &lead, &format!("/sessions/{session_id}")).await;
    assert_eq!(status, 200);
    assert!(html.contains("id=\"activity-slots\""), "{html}");
    assert!(html.contains("data-percent=\"67\""), "{html}");
    assert!(html.contains("data-app=\"code\"") && html.contains("data-app=\"firefox\""));
    assert!(html.contains("id=\"session-activity\">67%"), "{html}");
    for token in [&bob, &stranger] {
        let (status, _) = page(&hub, token, &format!("/sessions/{session_id}")).await;
        assert_eq!(status, 404);
    }
    let (status, html) = page(&hub, &alice, "/sessions").await;
    assert_eq!(status, 200);
    assert!(html.contains(&format!("href=\"/sessions/{session_id}\"")));

    // After the stop, heartbeats add nothing.
    let (status, _) = call(
        &hub,
        "POST",
        Some(&alice),
        "/api/sessions/stop",
        json!({"session_id": session_id}),
    )
    .await;
    assert_eq!(status, 200);
    wait_for(&mut agent, "session_ended", 5, |_| true).await;
    let rows_before = hub.store.count_activity_rows(alice_id).await.unwrap();
    for _ in 0..3 {
        send_json(&mut agent, beat(Some(3), Some(3), Some(("vim", "after")))).await;
    }
    tokio::time::sleep(Duration::from_millis(600)).await;
    let after = activity_when(&hub, &alice, session_id, |_| true).await;
    assert_eq!(sum(&after, "heartbeats"), 4);
    assert!(after["apps"]
        .as_array()
        .unwrap()
        .iter()
        .all(|a| a["app"] != "vim"));
    assert_eq!(
        hub.store.count_activity_rows(alice_id).await.unwrap(),
        rows_before
    );
    assert_eq!(hub.store.count_activity_rows(bob_id).await.unwrap(), (0, 0));
}

#[tokio::test]
async fn switches_off_record_only_idle_based_activity_and_pending_sums_survive_a_stop() {
    // A flush interval far longer than the test: only the hub's stop writes the sums.
    let mut hub = TestHub::start_with(|c| c.activity_flush_ms = 600_000).await;
    hub.org("Solo", &[("owner@s.test", Role::Owner)]).await;
    let owner = hub.login("owner@s.test").await;
    // Website tracking off; keyboard and mouse tracking off by default.
    let (status, _) = call(
        &hub,
        "PUT",
        Some(&owner),
        "/api/policy",
        json!({"website_tracking_enabled": false}),
    )
    .await;
    assert_eq!(status, 200);
    let (_, session) = call(&hub, "POST", Some(&owner), "/api/sessions/start", json!({})).await;
    let session_id = session["id"].as_i64().unwrap();
    let mut agent = hub.agent(&owner).await;
    wait_for(&mut agent, "hello", 5, |_| true).await;
    send_json(&mut agent, beat(Some(4), Some(4), Some(("code", "x")))).await;
    send_json(
        &mut agent,
        json!({"type": "heartbeat", "idle_seconds": 1000}),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let store = hub.store.clone();
    assert_eq!(
        store
            .count_activity_rows(session["user_id"].as_i64().unwrap())
            .await
            .unwrap(),
        (0, 0)
    );
    hub.stop().await;
    drop(agent);
    let store =
        server::store::Store::connect(&hub.config.database_url(), server::metrics::Metrics::new())
            .await
            .unwrap();
    let slots = store.session_activity_slots(session_id).await.unwrap();
    assert_eq!(slots.len(), 1);
    let counts = slots[0].1;
    assert_eq!((counts.heartbeats, counts.active_heartbeats), (2, 1));
    assert_eq!((counts.counted_heartbeats, counts.key_presses), (0, 0));
    assert!(store
        .session_app_times(session_id)
        .await
        .unwrap()
        .is_empty());
}

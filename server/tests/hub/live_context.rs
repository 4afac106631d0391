//! Presence with context (SPEC §15): a custom status with emoji, expiry and do-not-disturb, a
//! break, the running session's ticket and the game server a user is on, each pushed to the
//! dashboards at once and in the first HTML of `/`. Runs on SQLite, and on PostgreSQL with
//! `PRESENCE_TEST_PG`.

use crate::common;

use chrono::{Duration as Span, Utc};
use common::{wait_for, TestHub, Ws};
use e2e::{FakeA2s, FakeA2sOptions};
use serde_json::{json, Value};
use shared::Role;

/// The entry of `user_id` in the next presence diff that satisfies `pred`.
async fn diff_of(tab: &mut Ws, user_id: i64, pred: impl Fn(&Value) -> bool) -> Value {
    let msg = wait_for(tab, "presence_diff", 10, |m| {
        m["changes"]
            .as_array()
            .is_some_and(|c| c.iter().any(|e| e["user_id"] == user_id && pred(e)))
    })
    .await;
    msg["changes"]
        .as_array()
        .and_then(|c| c.iter().find(|e| e["user_id"] == user_id).cloned())
        .expect("the entry")
}

#[tokio::test]
async fn statuses_breaks_and_tickets_reach_every_dashboard_at_once() {
    let hub = TestHub::start().await;
    let (_, users) = hub
        .org(
            "Acme",
            &[("adm@a.test", Role::Admin), ("ann@a.test", Role::Member)],
        )
        .await;
    let ann_id = users[1].id;
    let admin = hub.login("adm@a.test").await;
    let ann = hub.login("ann@a.test").await;
    let mut board = hub.tab(&admin).await;
    let snapshot = wait_for(&mut board, "presence_snapshot", 5, |_| true).await;
    let first = snapshot["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["user_id"] == ann_id)
        .cloned()
        .unwrap();
    assert_eq!(first["context"], Value::Null);
    assert_eq!(first["dnd"], false);

    // A custom status with emoji, expiry and do-not-disturb.
    let until = Utc::now() + Span::hours(1);
    let (status, set) = hub
        .call(
            "PUT",
            "/api/me/status",
            Some(&ann),
            Some(json!({"text": "  Dentist ", "emoji": "🦷", "until": until, "dnd": true})),
        )
        .await;
    assert_eq!(status, 200, "{set}");
    assert_eq!(set["status"]["text"], "Dentist");
    let entry = diff_of(&mut board, ann_id, |e| e["dnd"] == true).await;
    assert_eq!(entry["context"]["kind"], "custom");
    assert_eq!(entry["context"]["label"], "Dentist");
    assert_eq!(entry["context"]["emoji"], "🦷");
    assert!(entry["context"]["until"].is_string());

    // Bad input is refused with the fields named, and loses nothing.
    let (status, refused) = hub
        .call(
            "PUT",
            "/api/me/status",
            Some(&ann),
            Some(json!({"text": "x".repeat(101), "until": Utc::now() - Span::minutes(1)})),
        )
        .await;
    assert_eq!(status, 422, "{refused}");
    assert!(refused["error"]["fields"]["text"].is_string());
    assert!(refused["error"]["fields"]["until"].is_string());
    let (status, unknown) = hub
        .call(
            "PUT",
            "/api/me/status",
            Some(&ann),
            Some(json!({"txt": "typo"})),
        )
        .await;
    assert!(status == 400 || status == 422, "{status} {unknown}");
    let (_, mine) = hub.call("GET", "/api/me/status", Some(&ann), None).await;
    assert_eq!(mine["status"]["text"], "Dentist");

    // The first HTML of `/` shows it.
    let (_, html) = hub.page(&admin, "/").await;
    assert!(html.contains("🦷 Dentist"), "{html}");
    assert!(html.contains("class=\"dnd\""), "{html}");

    // Cleared: the ticket of the running session shows.
    let (status, ticket) = hub
        .call(
            "POST",
            "/api/tickets",
            Some(&ann),
            Some(json!({"title": "Login page times out"})),
        )
        .await;
    assert_eq!(status, 201, "{ticket}");
    let ticket_id = ticket["id"].as_i64().unwrap();
    let (status, _) = hub.call("DELETE", "/api/me/status", Some(&ann), None).await;
    assert_eq!(status, 200);
    let cleared = diff_of(&mut board, ann_id, |e| e["dnd"] == false).await;
    assert_eq!(cleared["context"], Value::Null);
    let (status, started) = hub
        .call(
            "POST",
            "/api/sessions/start",
            Some(&ann),
            Some(json!({"ticket_id": ticket_id})),
        )
        .await;
    assert_eq!(status, 201, "{started}");
    let on_ticket = diff_of(&mut board, ann_id, |e| e["context"]["kind"] == "ticket").await;
    assert_eq!(
        on_ticket["context"]["label"],
        format!("#{ticket_id} Login page times out")
    );

    // A break covers the ticket while it lasts and clears itself at its end.
    let (status, brk) = hub
        .call(
            "PUT",
            "/api/me/status",
            Some(&ann),
            Some(json!({"kind": "break", "until": Utc::now() + Span::seconds(2)})),
        )
        .await;
    assert_eq!(status, 200, "{brk}");
    let on_break = diff_of(&mut board, ann_id, |e| e["context"]["kind"] == "break").await;
    assert_eq!(on_break["context"]["label"], "On break");
    let back = diff_of(&mut board, ann_id, |e| e["context"]["kind"] == "ticket").await;
    assert_eq!(back["dnd"], false);
    let (_, mine) = hub.call("GET", "/api/me/status", Some(&ann), None).await;
    assert_eq!(mine["status"], Value::Null);

    // A member's own tab hears of their own status too.
    let mut own = hub.tab(&ann).await;
    wait_for(&mut own, "presence_snapshot", 5, |_| true).await;
    hub.call(
        "PUT",
        "/api/me/status",
        Some(&ann),
        Some(json!({"text": "Deep work", "dnd": true})),
    )
    .await;
    diff_of(&mut own, ann_id, |e| e["context"]["label"] == "Deep work").await;
}

#[tokio::test]
async fn a_user_seen_on_a_game_server_is_shown_on_it_until_they_leave() {
    let hub = TestHub::start_with(|c| {
        c.a2s_poll_ms = 200;
        c.a2s_timeout_ms = 100;
    })
    .await;
    let (_, users) = hub
        .org(
            "Acme",
            &[("adm@a.test", Role::Admin), ("ann@a.test", Role::Member)],
        )
        .await;
    let ann_id = users[1].id;
    let admin = hub.login("adm@a.test").await;
    let (status, _) = hub
        .call(
            "PATCH",
            &format!("/api/users/{ann_id}"),
            Some(&admin),
            Some(json!({"game_name": "[Staff] Ann"})),
        )
        .await;
    assert_eq!(status, 200);
    let fake = FakeA2s::start(FakeA2sOptions::default()).await.unwrap();
    let (status, server) = hub
        .call(
            "POST",
            "/api/game-servers",
            Some(&admin),
            Some(json!({"name": "Demo EU #1", "address": fake.address()})),
        )
        .await;
    assert_eq!(status, 201, "{server}");
    let mut board = hub.tab(&admin).await;
    wait_for(&mut board, "presence_snapshot", 5, |_| true).await;

    fake.set_players(&["[Staff] Ann", "Player1"]);
    let on = diff_of(&mut board, ann_id, |e| e["context"]["kind"] == "game").await;
    assert_eq!(on["context"]["label"], "Demo EU #1");
    let (_, html) = hub.page(&admin, "/").await;
    assert!(html.contains("on Demo EU #1"), "{html}");

    // After a restart the hub reads who is on the server back.
    let hub = hub.restart().await;
    let admin = hub.login("adm@a.test").await;
    let mut board = hub.tab(&admin).await;
    let snapshot = wait_for(&mut board, "presence_snapshot", 5, |_| true).await;
    let entry = snapshot["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["user_id"] == ann_id)
        .cloned()
        .unwrap();
    assert_eq!(entry["context"]["label"], "Demo EU #1");

    fake.set_players(&["Player1"]);
    let off = diff_of(&mut board, ann_id, |e| e["context"].is_null()).await;
    assert_eq!(off["status"], "offline");
}

#[tokio::test]
async fn a_server_short_of_staff_raises_an_alert_until_staff_joins() {
    let hub = TestHub::start_with(|c| {
        c.a2s_poll_ms = 200;
        c.a2s_timeout_ms = 100;
    })
    .await;
    let (_, users) = hub
        .org(
            "Acme",
            &[("adm@a.test", Role::Admin), ("ann@a.test", Role::Member)],
        )
        .await;
    let ann_id = users[1].id;
    let admin = hub.login("adm@a.test").await;
    let member = hub.login("ann@a.test").await;
    hub.call(
        "PATCH",
        &format!("/api/users/{ann_id}"),
        Some(&admin),
        Some(json!({"game_name": "[Staff] Ann"})),
    )
    .await;
    let fake = FakeA2s::start(FakeA2sOptions::default()).await.unwrap();
    fake.set_players(&["Player1", "Player2"]);

    // The rule's bounds are checked, naming the fields.
    let (status, refused) = hub
        .call(
            "POST",
            "/api/game-servers",
            Some(&admin),
            Some(json!({"name": "Demo EU #1", "address": fake.address(), "min_staff": 101, "alert_after_minutes": -1})),
        )
        .await;
    assert_eq!(status, 422, "{refused}");
    assert!(refused["error"]["fields"]["min_staff"].is_string());
    assert!(refused["error"]["fields"]["alert_after_minutes"].is_string());

    let mut board = hub.tab(&admin).await;
    wait_for(&mut board, "presence_snapshot", 5, |_| true).await;
    let mut member_board = hub.tab(&member).await;
    wait_for(&mut member_board, "presence_snapshot", 5, |_| true).await;
    let (status, server) = hub
        .call(
            "POST",
            "/api/game-servers",
            Some(&admin),
            Some(json!({"name": "Demo EU #1", "address": fake.address(), "min_staff": 1, "alert_after_minutes": 0})),
        )
        .await;
    assert_eq!(status, 201, "{server}");
    assert_eq!(server["min_staff"], 1);
    let server_id = server["id"].as_i64().unwrap();

    // Two players, no staff: the alert reaches every dashboard.
    let alert = wait_for(&mut board, "coverage_alert", 10, |_| true).await;
    assert_eq!(alert["server_id"], server_id);
    assert_eq!(alert["server_name"], "Demo EU #1");
    assert_eq!(alert["players"], 2);
    assert_eq!(alert["staff_online"], 0);
    assert_eq!(alert["min_staff"], 1);
    wait_for(&mut member_board, "coverage_alert", 5, |_| true).await;
    let (_, listed) = hub
        .call(
            "GET",
            &format!("/api/game-servers/{server_id}"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(listed["coverage_alert"]["staff_online"], 0);
    let (_, home) = hub.page(&admin, "/").await;
    assert!(
        home.contains("Demo EU #1: 2 players, 0 of 1 staff"),
        "{home}"
    );
    let (_, servers) = hub.page(&admin, "/servers").await;
    assert!(
        servers.contains("data-coverage-alert=\"true\""),
        "{servers}"
    );
    assert!(servers.contains("Short of staff: 0 of 1"), "{servers}");

    // Raised once, not at every poll.
    let again = tokio::time::timeout(
        std::time::Duration::from_millis(800),
        wait_for(&mut board, "coverage_alert", 1, |_| true),
    )
    .await;
    assert!(again.is_err(), "a second alert: {again:?}");

    // Staff joins: cleared.
    fake.set_players(&["Player1", "Player2", "[Staff] Ann"]);
    let cleared = wait_for(&mut board, "coverage_cleared", 10, |_| true).await;
    assert_eq!(cleared["server_id"], server_id);
    assert_eq!(cleared["staff_online"], 1);
    let (_, listed) = hub
        .call(
            "GET",
            &format!("/api/game-servers/{server_id}"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(listed["coverage_alert"], Value::Null);
    let (_, home) = hub.page(&admin, "/").await;
    assert!(!home.contains("0 of 1 staff"), "{home}");
}

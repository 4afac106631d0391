//! Work sessions and tickets (seed 002), the admin's force-end pushed to the agent (seed 000),
//! idempotent replays, and the role and tenant matrix.

use crate::common;

use common::{send_json, wait_for, TestHub};
use serde_json::{json, Value};
use shared::Role;
use std::time::{Duration, Instant};

struct Api<'a> {
    hub: &'a TestHub,
    http: reqwest::Client,
}

impl<'a> Api<'a> {
    fn new(hub: &'a TestHub) -> Self {
        Api {
            hub,
            http: hub.http(),
        }
    }

    async fn post(&self, token: &str, path: &str, body: Value) -> (u16, Value) {
        let res = self
            .http
            .post(format!("{}{path}", self.hub.url))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = res.status().as_u16();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    async fn get(&self, token: &str, path: &str) -> (u16, Value) {
        let res = self
            .http
            .get(format!("{}{path}", self.hub.url))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        let status = res.status().as_u16();
        (status, res.json().await.unwrap_or(Value::Null))
    }
}

fn at(day_offset: i64, h: u32, m: u32) -> String {
    let day = chrono::Utc::now().date_naive() - chrono::Duration::days(day_offset);
    day.and_hms_opt(h, m, 0).unwrap().and_utc().to_rfc3339()
}

async fn helpdesk(hub: &TestHub) -> (Vec<shared::api::UserRecord>, [String; 4]) {
    let (_, users) = hub
        .org(
            "TechPro",
            &[
                ("admin@t.test", Role::Admin),
                ("lead@t.test", Role::Supervisor),
                ("tech1@t.test", Role::Member),
                ("tech2@t.test", Role::Member),
            ],
        )
        .await;
    let tokens = [
        hub.login("admin@t.test").await,
        hub.login("lead@t.test").await,
        hub.login("tech1@t.test").await,
        hub.login("tech2@t.test").await,
    ];
    (users.iter().map(|u| u.record()).collect(), tokens)
}

#[tokio::test]
async fn seed_002_scenarios() {
    let hub = TestHub::start().await;
    let api = Api::new(&hub);
    let (users, [_admin, lead, tech1, tech2]) = helpdesk(&hub).await;
    let (s, t1) = api
        .post(
            &tech1,
            "/api/tickets",
            json!({"title": "Email not working"}),
        )
        .await;
    assert_eq!(s, 201);
    assert_eq!(t1["number"], 1);
    let t1 = t1["id"].as_i64().unwrap();
    let (_, t2) = api
        .post(
            &tech2,
            "/api/tickets",
            json!({"title": "Printer connection"}),
        )
        .await;
    let t2 = t2["id"].as_i64().unwrap();

    // Completed session of 120 minutes (yesterday 10:00-12:00).
    let (s, done) = api.post(&tech1, "/api/sessions/manual", json!({"ticket_id": t1, "start_time": at(1, 10, 0), "end_time": at(1, 12, 0), "note": "Fixed Azure AD sync issue"})).await;
    assert_eq!(s, 201, "{done}");
    assert_eq!(done["duration_seconds"], 7200);
    assert_eq!(done["source"], "manual");

    // Test 1: list agent sessions.
    let (s, list) = api
        .get(&tech1, &format!("/api/users/{}/sessions", users[2].id))
        .await;
    assert_eq!(s, 200);
    assert_eq!(list["total"], 1);
    assert_eq!(list["items"][0]["duration_seconds"], 7200);
    // Test 2: ticket total.
    let (_, ticket) = api.get(&lead, &format!("/api/tickets/{t1}")).await;
    assert_eq!(ticket["total_time_spent_seconds"], 7200);
    // Test 3: ticket sessions, with who worked.
    let (_, ts) = api.get(&lead, &format!("/api/tickets/{t1}/sessions")).await;
    assert_eq!(ts["total"], 1);
    assert_eq!(ts["items"][0]["user_name"], "tech1");
    // Test 4: start.
    let (s, running) = api
        .post(
            &tech1,
            "/api/sessions/start",
            json!({"ticket_id": t2, "note": "looking"}),
        )
        .await;
    assert_eq!(s, 201);
    assert_eq!(running["ended_at"], Value::Null);
    assert_eq!(running["duration_seconds"], Value::Null);
    assert_eq!(running["source"], "web");
    // Test 7: a second start is blocked with the seed's message.
    let (s, err) = api
        .post(&tech1, "/api/sessions/start", json!({"ticket_id": t1}))
        .await;
    assert_eq!(s, 409);
    assert_eq!(
        err["error"]["message"],
        "You have an active session. Please stop it before starting a new one."
    );
    // Test 5: stop, duration computed once.
    let (s, stopped) = api
        .post(
            &tech1,
            "/api/sessions/stop",
            json!({"session_id": running["id"], "note": "done"}),
        )
        .await;
    assert_eq!(s, 200, "{stopped}");
    assert!(stopped["ended_at"].is_string());
    assert_eq!(stopped["duration_seconds"], 0);
    assert_eq!(stopped["end_reason"], "stopped");
    assert_eq!(stopped["note"], "done");
    // Test 6: manual 10:00-11:30 → 90 minutes.
    let (s, manual) = api
        .post(
            &tech1,
            "/api/sessions/manual",
            json!({"ticket_id": t1, "start_time": at(2, 10, 0), "end_time": at(2, 11, 30)}),
        )
        .await;
    assert_eq!(s, 201);
    assert_eq!(manual["duration_seconds"], 90 * 60);
    // Lists are newest first.
    let (_, mine) = api.get(&tech1, "/api/sessions").await;
    let starts: Vec<&str> = mine["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["started_at"].as_str().unwrap())
        .collect();
    let mut sorted = starts.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(starts, sorted);
}

#[tokio::test]
async fn overlap_rules_per_user_and_totals() {
    let hub = TestHub::start().await;
    let api = Api::new(&hub);
    let (_, [_, lead, tech1, tech2]) = helpdesk(&hub).await;
    let (_, ticket) = api
        .post(
            &lead,
            "/api/tickets",
            json!({"title": "Laptop running slow"}),
        )
        .await;
    let ticket = ticket["id"].as_i64().unwrap();
    let manual = |from: (u32, u32), to: (u32, u32)| json!({"ticket_id": ticket, "start_time": at(1, from.0, from.1), "end_time": at(1, to.0, to.1)});
    assert_eq!(
        api.post(&tech1, "/api/sessions/manual", manual((10, 0), (12, 0)))
            .await
            .0,
        201
    );
    let (s, err) = api
        .post(&tech1, "/api/sessions/manual", manual((11, 0), (13, 0)))
        .await;
    assert_eq!(s, 409, "tech1 11:00-13:00 overlaps 10:00-12:00");
    assert_eq!(err["error"]["code"], "conflict");
    assert_eq!(
        api.post(&tech2, "/api/sessions/manual", manual((11, 0), (13, 0)))
            .await
            .0,
        201,
        "another user may overlap"
    );
    assert_eq!(
        api.post(&tech1, "/api/sessions/manual", manual((12, 0), (12, 45)))
            .await
            .0,
        201,
        "touching is not overlapping"
    );
    // Totals: 120 + 120 + 45 = 285 minutes; the seed's 120 + 45 + 30 = 195 in another ticket.
    let (_, t) = api.get(&lead, &format!("/api/tickets/{ticket}")).await;
    assert_eq!(t["total_time_spent_seconds"], 285 * 60);
    let (_, other) = api
        .post(&lead, "/api/tickets", json!({"title": "Seed totals"}))
        .await;
    let other = other["id"].as_i64().unwrap();
    for (token, day, from, to) in [
        (&tech1, 3, (9, 0), (11, 0)),
        (&tech2, 3, (9, 0), (9, 45)),
        (&tech1, 4, (9, 0), (9, 30)),
    ] {
        let body = json!({"ticket_id": other, "start_time": at(day, from.0, from.1), "end_time": at(day, to.0, to.1)});
        assert_eq!(api.post(token, "/api/sessions/manual", body).await.0, 201);
    }
    let (_, t) = api.get(&lead, &format!("/api/tickets/{other}")).await;
    assert_eq!(t["total_time_spent_seconds"], 195 * 60);
    // 10:00-12:30 is 150 minutes.
    let (_, s150) = api
        .post(
            &tech2,
            "/api/sessions/manual",
            json!({"start_time": at(5, 10, 0), "end_time": at(5, 12, 30)}),
        )
        .await;
    assert_eq!(s150["duration_seconds"], 150 * 60);
}

#[tokio::test]
async fn manual_entries_must_end_after_they_start_and_not_in_the_future() {
    let hub = TestHub::start().await;
    let api = Api::new(&hub);
    let (_, [_, _, tech1, _]) = helpdesk(&hub).await;
    let (s, err) = api
        .post(
            &tech1,
            "/api/sessions/manual",
            json!({"start_time": at(1, 12, 0), "end_time": at(1, 12, 0)}),
        )
        .await;
    assert_eq!(s, 422);
    assert!(err["error"]["fields"]["end_time"].is_string(), "{err}");
    let (s, _) = api
        .post(
            &tech1,
            "/api/sessions/manual",
            json!({"start_time": at(1, 12, 0), "end_time": at(1, 11, 0)}),
        )
        .await;
    assert_eq!(s, 422);
    let future = (chrono::Utc::now() + chrono::Duration::hours(2)).to_rfc3339();
    let (s, _) = api
        .post(
            &tech1,
            "/api/sessions/manual",
            json!({"start_time": at(0, 0, 0), "end_time": future}),
        )
        .await;
    assert_eq!(s, 422);
    let (s, _) = api
        .post(
            &tech1,
            "/api/sessions/manual",
            json!({"start_time": "yesterday", "end_time": at(1, 11, 0)}),
        )
        .await;
    assert_eq!(s, 422);
    let (s, _) = api
        .post(
            &tech1,
            "/api/sessions/manual",
            json!({"ticket_id": 999999, "start_time": at(1, 10, 0), "end_time": at(1, 11, 0)}),
        )
        .await;
    assert_eq!(s, 404, "unknown ticket");
}

#[tokio::test]
async fn a_hundred_concurrent_starts_make_exactly_one_active_session() {
    let hub = TestHub::start().await;
    let (_, users) = hub.org("Race", &[("racer@r.test", Role::Member)]).await;
    let token = hub.login("racer@r.test").await;
    let http = hub.http();
    let mut calls = Vec::new();
    for _ in 0..100 {
        let req = http
            .post(format!("{}/api/sessions/start", hub.url))
            .bearer_auth(&token)
            .json(&json!({}))
            .send();
        calls.push(tokio::spawn(req));
    }
    let mut statuses = Vec::new();
    for call in calls {
        statuses.push(call.await.unwrap().unwrap().status().as_u16());
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 409).count(),
        99,
        "{statuses:?}"
    );
    let filter = server::store::SessionFilter {
        user_id: Some(users[0].id),
        active: Some(true),
        ..Default::default()
    };
    let (_, active) = hub
        .store
        .list_sessions(users[0].org_id, &filter, 1, 500)
        .await
        .unwrap();
    assert_eq!(active, 1);
}

#[tokio::test]
async fn an_admins_end_reaches_the_users_agent_and_the_dashboards_at_once() {
    let hub = TestHub::start().await;
    let api = Api::new(&hub);
    let (users, [admin, lead, tech1, _]) = helpdesk(&hub).await;
    let tech1_id = users[2].id;
    let mut agent = hub.agent(&tech1).await;
    wait_for(&mut agent, "hello", 5, |_| true).await;
    let mut dash = hub.tab(&lead).await;
    wait_for(&mut dash, "presence_snapshot", 5, |_| true).await;

    let (_, session) = api
        .post(&tech1, "/api/sessions/start", json!({"note": "on it"}))
        .await;
    let id = session["id"].as_i64().unwrap();
    let started = wait_for(&mut agent, "session_started", 5, |m| {
        m["session"]["id"] == id
    })
    .await;
    assert_eq!(started["session"]["user_id"], tech1_id);
    wait_for(&mut dash, "session_started", 5, |m| {
        m["session"]["id"] == id
    })
    .await;

    // Below admin: refused, nothing pushed.
    let (s, _) = api
        .post(
            &lead,
            &format!("/api/sessions/{id}/end"),
            json!({"reason": "no"}),
        )
        .await;
    assert_eq!(s, 403);
    let (s, _) = api
        .post(
            &tech1,
            &format!("/api/sessions/{id}/end"),
            json!({"reason": "no"}),
        )
        .await;
    assert_eq!(s, 403);
    let (s, _) = api
        .post(
            &admin,
            &format!("/api/sessions/{id}/end"),
            json!({"reason": "  "}),
        )
        .await;
    assert_eq!(s, 422, "a reason is required");

    let (s, ended) = api
        .post(
            &admin,
            &format!("/api/sessions/{id}/end"),
            json!({"reason": "Shift is over"}),
        )
        .await;
    assert_eq!(s, 200, "{ended}");
    assert_eq!(ended["end_reason"], "admin_ended");
    assert_eq!(ended["end_note"], "Shift is over");
    assert_eq!(ended["ended_by"], users[0].id);
    let pushed = wait_for(&mut agent, "session_ended", 5, |m| m["session_id"] == id).await;
    assert_eq!(pushed["reason"], "Shift is over");
    assert_eq!(pushed["ended_by"], users[0].id);
    wait_for(&mut dash, "session_ended", 5, |m| m["session_id"] == id).await;

    let (_, audit) = api
        .get(&admin, "/api/audit?action=SESSION_FORCE_ENDED")
        .await;
    assert_eq!(audit["total"], 1);
    let entry = &audit["items"][0];
    assert_eq!(entry["actor_id"], users[0].id);
    assert_eq!(entry["target_id"], id);
    assert_eq!(entry["details"]["reason"], "Shift is over");
    assert_eq!(entry["ip"], "127.0.0.1");
    assert_eq!(api.get(&lead, "/api/audit").await.0, 403);

    // Still logged in, can start again at once; a second end is a conflict.
    let (s, _) = api
        .post(
            &admin,
            &format!("/api/sessions/{id}/end"),
            json!({"reason": "again"}),
        )
        .await;
    assert_eq!(s, 409);
    let (s, _) = api.post(&tech1, "/api/sessions/start", json!({})).await;
    assert_eq!(s, 201);
    send_json(&mut agent, json!({"type": "heartbeat", "idle_seconds": 0})).await;
}

#[tokio::test]
async fn force_end_latency_over_100_rounds() {
    let hub = TestHub::start().await;
    let api = Api::new(&hub);
    let (_, [admin, _, tech1, _]) = helpdesk(&hub).await;
    let mut agent = hub.agent(&tech1).await;
    wait_for(&mut agent, "hello", 5, |_| true).await;
    let mut latencies = Vec::new();
    for _ in 0..100 {
        let (s, session) = api.post(&tech1, "/api/sessions/start", json!({})).await;
        assert_eq!(s, 201);
        let id = session["id"].as_i64().unwrap();
        wait_for(&mut agent, "session_started", 5, |m| {
            m["session"]["id"] == id
        })
        .await;
        let sent = Instant::now();
        let path = format!("/api/sessions/{id}/end");
        let end = api.post(&admin, &path, json!({"reason": "bench"}));
        let received = async {
            wait_for(&mut agent, "session_ended", 5, |m| m["session_id"] == id).await;
            sent.elapsed()
        };
        let ((status, _), latency) = tokio::join!(end, received);
        assert_eq!(status, 200);
        latencies.push(latency);
    }
    latencies.sort();
    println!(
        "force-end → agent session_ended over 100 rounds: median {:?}, p99 {:?}, worst {:?}",
        latencies[49], latencies[98], latencies[99]
    );
    assert!(latencies[99] < Duration::from_secs(5));
}

#[tokio::test]
async fn an_agent_that_was_away_learns_of_the_end_in_hello_and_cannot_add_time() {
    let hub = TestHub::start().await;
    let api = Api::new(&hub);
    let (_, [admin, _, tech1, _]) = helpdesk(&hub).await;
    let (_, session) = api.post(&tech1, "/api/sessions/start", json!({})).await;
    let id = session["id"].as_i64().unwrap();
    let mut agent = hub.agent(&tech1).await;
    let hello = wait_for(&mut agent, "hello", 5, |_| true).await;
    assert_eq!(
        hello["active_session"]["id"], id,
        "hello carries the running session"
    );
    drop(agent);
    let (_, ended) = api
        .post(
            &admin,
            &format!("/api/sessions/{id}/end"),
            json!({"reason": "left running"}),
        )
        .await;
    let duration = ended["duration_seconds"].clone();
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let mut agent = hub.agent(&tech1).await;
    let hello = wait_for(&mut agent, "hello", 5, |_| true).await;
    assert_eq!(hello["active_session"], Value::Null);
    // The agent's queued stop for that session changes nothing.
    let (s, _) = api
        .post(
            &tech1,
            "/api/sessions/stop",
            json!({"session_id": id, "ended_at": chrono::Utc::now().to_rfc3339()}),
        )
        .await;
    assert_eq!(s, 409);
    let (_, after) = api.get(&tech1, &format!("/api/sessions/{id}")).await;
    assert_eq!(after["duration_seconds"], duration);
    assert_eq!(after["end_reason"], "admin_ended");
}

#[tokio::test]
async fn an_offline_stop_keeps_its_own_end_time() {
    let hub = TestHub::start().await;
    let api = Api::new(&hub);
    let (_, [_, _, tech1, _]) = helpdesk(&hub).await;
    let (_, session) = api.post(&tech1, "/api/sessions/start", json!({})).await;
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let started: chrono::DateTime<chrono::Utc> =
        session["started_at"].as_str().unwrap().parse().unwrap();
    let stopped_at = started + chrono::Duration::seconds(1);
    let (s, ended) = api
        .post(
            &tech1,
            "/api/sessions/stop",
            json!({"session_id": session["id"], "ended_at": stopped_at.to_rfc3339()}),
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(
        ended["duration_seconds"], 1,
        "counted to the offline stop, not to now"
    );
    let before = (started - chrono::Duration::seconds(10)).to_rfc3339();
    let (_, again) = api.post(&tech1, "/api/sessions/start", json!({})).await;
    let (s, _) = api
        .post(
            &tech1,
            "/api/sessions/stop",
            json!({"session_id": again["id"], "ended_at": before}),
        )
        .await;
    assert_eq!(s, 422, "an end before the start is refused");
}

#[tokio::test]
async fn replayed_writes_with_a_client_id_apply_once() {
    let hub = TestHub::start().await;
    let api = Api::new(&hub);
    let (users, [_, _, tech1, _]) = helpdesk(&hub).await;
    let (s1, a) = api
        .post(
            &tech1,
            "/api/sessions/start",
            json!({"client_id": "agent-7f3a-start-1"}),
        )
        .await;
    let (s2, b) = api
        .post(
            &tech1,
            "/api/sessions/start",
            json!({"client_id": "agent-7f3a-start-1"}),
        )
        .await;
    assert_eq!((s1, s2), (201, 200));
    assert_eq!(a["id"], b["id"]);
    api.post(&tech1, "/api/sessions/stop", json!({"session_id": a["id"]}))
        .await;
    let body = json!({"start_time": at(1, 8, 0), "end_time": at(1, 9, 0), "client_id": "manual-1"});
    let (s1, m1) = api.post(&tech1, "/api/sessions/manual", body.clone()).await;
    let (s2, m2) = api.post(&tech1, "/api/sessions/manual", body).await;
    assert_eq!((s1, s2), (201, 200));
    assert_eq!(m1["id"], m2["id"]);
    let (_, all) = api
        .get(&tech1, &format!("/api/users/{}/sessions", users[2].id))
        .await;
    assert_eq!(all["total"], 2);
}

#[tokio::test]
async fn role_and_tenant_matrix_for_sessions_and_tickets() {
    let hub = TestHub::start().await;
    let api = Api::new(&hub);
    let (users, [admin, lead, tech1, tech2]) = helpdesk(&hub).await;
    hub.org("Rival", &[("boss@rival.test", Role::Owner)]).await;
    let rival = hub.login("boss@rival.test").await;
    let (_, ticket) = api
        .post(&tech1, "/api/tickets", json!({"title": "Shared ticket"}))
        .await;
    let ticket = ticket["id"].as_i64().unwrap();
    let (_, s1) = api
        .post(&tech1, "/api/sessions/start", json!({"ticket_id": ticket}))
        .await;
    let id = s1["id"].as_i64().unwrap();
    api.post(
        &tech2,
        "/api/sessions/manual",
        json!({"ticket_id": ticket, "start_time": at(1, 8, 0), "end_time": at(1, 9, 0)}),
    )
    .await;

    // Members: own data only.
    assert_eq!(
        api.get(&tech2, &format!("/api/sessions?user_id={}", users[2].id))
            .await
            .0,
        403
    );
    assert_eq!(
        api.get(&tech2, &format!("/api/users/{}/sessions", users[2].id))
            .await
            .0,
        403
    );
    assert_eq!(api.get(&tech2, &format!("/api/sessions/{id}")).await.0, 404);
    assert_eq!(api.get(&tech2, "/api/sessions").await.1["total"], 1);
    assert_eq!(
        api.get(&tech2, &format!("/api/tickets/{ticket}/sessions"))
            .await
            .1["total"],
        1
    );
    let (s, _) = api
        .post(&tech2, "/api/sessions/stop", json!({"session_id": id}))
        .await;
    assert_eq!(s, 403, "only its own user stops a session");
    // Supervisors and up: the organization.
    assert_eq!(api.get(&lead, "/api/sessions").await.1["total"], 2);
    assert_eq!(
        api.get(&lead, &format!("/api/tickets/{ticket}/sessions"))
            .await
            .1["total"],
        2
    );
    assert_eq!(
        api.get(
            &admin,
            &format!("/api/sessions?user_id={}&active=true", users[2].id)
        )
        .await
        .1["total"],
        1
    );
    // Another organization: everything is 404, nothing changes.
    assert_eq!(
        api.get(&rival, &format!("/api/tickets/{ticket}")).await.0,
        404
    );
    assert_eq!(
        api.get(&rival, &format!("/api/tickets/{ticket}/sessions"))
            .await
            .0,
        404
    );
    assert_eq!(api.get(&rival, &format!("/api/sessions/{id}")).await.0, 404);
    assert_eq!(
        api.get(&rival, &format!("/api/users/{}/sessions", users[2].id))
            .await
            .0,
        404
    );
    assert_eq!(
        api.post(
            &rival,
            &format!("/api/sessions/{id}/end"),
            json!({"reason": "x"})
        )
        .await
        .0,
        404
    );
    assert_eq!(
        api.post(&rival, "/api/sessions/stop", json!({"session_id": id}))
            .await
            .0,
        404
    );
    assert_eq!(
        api.post(&rival, "/api/sessions/start", json!({"ticket_id": ticket}))
            .await
            .0,
        404
    );
    assert_eq!(api.get(&rival, "/api/sessions").await.1["total"], 0);
    assert_eq!(api.get(&rival, "/api/tickets").await.1["total"], 0);
    assert_eq!(
        api.get(&tech1, &format!("/api/sessions/{id}")).await.1["ended_at"],
        Value::Null,
        "still running"
    );
}

#[tokio::test]
async fn csv_export_of_the_filtered_list() {
    let hub = TestHub::start().await;
    let api = Api::new(&hub);
    let (_, [_, lead, tech1, tech2]) = helpdesk(&hub).await;
    api.post(
        &tech1,
        "/api/sessions/manual",
        json!({"start_time": at(1, 8, 0), "end_time": at(1, 9, 0), "note": "needs, \"quoting\""}),
    )
    .await;
    api.post(
        &tech2,
        "/api/sessions/manual",
        json!({"start_time": at(1, 8, 0), "end_time": at(1, 8, 30)}),
    )
    .await;
    let res = hub
        .http()
        .get(format!("{}/api/sessions/export.csv", hub.url))
        .bearer_auth(&lead)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let text = res.text().await.unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "id,user,ticket,started_at,ended_at,duration_seconds,source,end_reason,end_note,note"
    );
    assert_eq!(lines.len(), 3);
    assert!(text.contains("\"needs, \"\"quoting\"\"\""));
    let mine = hub
        .http()
        .get(format!("{}/api/sessions/export.csv", hub.url))
        .bearer_auth(&tech2)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(mine.lines().count(), 2, "a member exports only their own");
}

#[tokio::test]
async fn the_database_itself_refuses_a_second_active_session_and_overlaps() {
    let hub = TestHub::start().await;
    let (org, users) = hub.org("Raw", &[("raw@r.test", Role::Member)]).await;
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&hub.config.database_url())
        .await
        .unwrap();
    let insert = |start: i64, end: Option<i64>| {
        sqlx::query("INSERT INTO work_sessions (org_id, user_id, started_at, ended_at, duration_seconds, source, created_at) VALUES ($1, $2, $3, $4, $5, 'web', 0)")
            .bind(org.id)
            .bind(users[0].id)
            .bind(start)
            .bind(end)
            .bind(end.map(|e| (e - start) / 1000))
    };
    insert(1_000_000, None)
        .execute(&pool)
        .await
        .expect("first active session");
    let second = insert(2_000_000, None).execute(&pool).await;
    assert!(
        second.is_err(),
        "the partial unique index refuses a second active session"
    );
    insert(0, Some(500_000))
        .execute(&pool)
        .await
        .expect("an earlier completed session");
    if common::on_postgres() {
        let overlap = insert(100_000, Some(600_000)).execute(&pool).await;
        assert!(
            overlap.is_err(),
            "the exclusion constraint refuses an overlap"
        );
    }
}

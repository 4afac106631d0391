//! Webhooks (SPEC §15) against a local receiver: signed deliveries in event order, retries
//! after the receiver answers 500 three times, the delivery log, the test button,
//! `presence.changed`, the refusals (other schemes, the hub's own address, unknown events,
//! members), and a secret shown once. Runs on SQLite, and on PostgreSQL with `PRESENCE_TEST_PG`.

use crate::common;

use std::time::Duration;

use common::{wait_for, TestHub};

use e2e::{Received, WebhookReceiver};
use serde_json::{json, Value};
use server::domain::webhooks::signature;
use shared::Role;

struct Team {
    hub: TestHub,
    owner: String,
    admin: String,
    ann: String,
}

async fn team() -> Team {
    let hub = TestHub::start().await;
    hub.org(
        "Acme",
        &[
            ("own@a.test", Role::Owner),
            ("adm@a.test", Role::Admin),
            ("ann@a.test", Role::Member),
        ],
    )
    .await;
    Team {
        owner: hub.login("own@a.test").await,
        admin: hub.login("adm@a.test").await,
        ann: hub.login("ann@a.test").await,
        hub,
    }
}

/// Creates a webhook for `events` at `url`; its id and secret.
async fn add(t: &Team, url: &str, events: &[&str]) -> (i64, String) {
    let (status, created) = t
        .hub
        .call(
            "POST",
            "/api/webhooks",
            Some(&t.admin),
            Some(json!({"url": url, "events": events, "description": "CI receiver"})),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let secret = created["secret"]
        .as_str()
        .expect("the secret, once")
        .to_string();
    (created["webhook"]["id"].as_i64().unwrap(), secret)
}

/// Every received request is signed with the secret and names itself consistently.
fn assert_signed(r: &Received, secret: &str) {
    assert_eq!(r.signature, signature(secret, r.body.as_bytes()), "{r:?}");
    let body = r.json();
    assert_eq!(body["event"], r.event.as_str());
    assert_eq!(body["id"], r.delivery.as_str());
}

#[tokio::test]
async fn deliveries_are_signed_in_order_and_retried_after_three_500s() {
    let t = team().await;
    let receiver = WebhookReceiver::start(3).await.unwrap();
    let (id, secret) = add(
        &t,
        receiver.url(),
        &[
            "session.started",
            "session.ended",
            "policy.changed",
            "status.changed",
        ],
    )
    .await;
    let mut admin_tab = t.hub.tab(&t.admin).await;
    wait_for(&mut admin_tab, "presence_snapshot", 5, |_| true).await;

    // Four events in a row while the receiver fails the first three attempts.
    let (s, started) = t
        .hub
        .call("POST", "/api/sessions/start", Some(&t.ann), Some(json!({})))
        .await;
    assert_eq!(s, 201, "{started}");
    let (s, _) = t
        .hub
        .call(
            "POST",
            "/api/sessions/stop",
            Some(&t.ann),
            Some(json!({"session_id": started["id"]})),
        )
        .await;
    assert_eq!(s, 200);
    let (s, _) = t
        .hub
        .call(
            "PUT",
            "/api/policy",
            Some(&t.owner),
            Some(json!({"idle_threshold_seconds": 120})),
        )
        .await;
    assert_eq!(s, 200);
    let (s, _) = t
        .hub
        .call(
            "PUT",
            "/api/me/status",
            Some(&t.ann),
            Some(json!({"text": "Lunch", "emoji": "🥪"})),
        )
        .await;
    assert_eq!(s, 200);

    let log = receiver
        .wait_until(Duration::from_secs(30), "four deliveries", |l| {
            l.iter().filter(|r| r.status == 200).count() >= 4
        })
        .await;
    // The first delivery was tried four times (three 500s) before anything else was sent.
    let events: Vec<(&str, u16)> = log.iter().map(|r| (r.event.as_str(), r.status)).collect();
    assert_eq!(
        events,
        [
            ("session.started", 500),
            ("session.started", 500),
            ("session.started", 500),
            ("session.started", 200),
            ("session.ended", 200),
            ("policy.changed", 200),
            ("status.changed", 200),
        ]
    );
    // The same delivery id on every attempt; a new one per event.
    assert!(log[..4].iter().all(|r| r.delivery == log[0].delivery));
    assert_ne!(log[4].delivery, log[0].delivery);
    // The waits between attempts grew.
    let gaps: Vec<Duration> = log[..4].windows(2).map(|w| w[1].at - w[0].at).collect();
    assert!(gaps[2] > gaps[0], "{gaps:?}");
    for r in &log {
        assert_signed(r, &secret);
    }
    let body = log[3].json();
    assert_eq!(body["data"]["id"], started["id"]);
    assert_eq!(log[5].json()["data"]["config_version"], 2);
    assert_eq!(log[6].json()["data"]["status"]["text"], "Lunch");

    // The delivery log says so, newest first; admins' pages hear of each attempt.
    let (s, page) = t
        .hub
        .call(
            "GET",
            &format!("/api/webhooks/{id}/deliveries"),
            Some(&t.admin),
            None,
        )
        .await;
    assert_eq!(s, 200, "{page}");
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 4);
    let first = &items[3];
    assert_eq!(first["event"], "session.started");
    assert_eq!(first["state"], "delivered");
    assert_eq!(first["attempts"], 4);
    assert_eq!(first["last_status"], 200);
    assert!(items.iter().all(|d| d["state"] == "delivered"));
    wait_for(&mut admin_tab, "webhook_delivery_updated", 5, |m| {
        m["state"] == "delivered" && m["attempts"] == 4
    })
    .await;

    // The test button.
    let (s, queued) = t
        .hub
        .call(
            "POST",
            &format!("/api/webhooks/{id}/test"),
            Some(&t.admin),
            None,
        )
        .await;
    assert_eq!(s, 202, "{queued}");
    assert_eq!(queued["event"], "webhook.test");
    let log = receiver
        .wait_until(Duration::from_secs(10), "the test", |l| {
            l.iter().any(|r| r.event == "webhook.test")
        })
        .await;
    let test = log.iter().find(|r| r.event == "webhook.test").unwrap();
    assert_signed(test, &secret);
    assert_eq!(test.delivery, queued["delivery_id"].as_str().unwrap());

    // The secret never shows again.
    let (_, listed) = t
        .hub
        .call("GET", "/api/webhooks", Some(&t.admin), None)
        .await;
    let text = listed.to_string();
    assert!(!text.contains(&secret), "{text}");
    assert_eq!(
        listed[0]["secret_hint"],
        format!("…{}", &secret[secret.len() - 4..])
    );
    assert_eq!(listed[0]["last_delivery"]["event"], "webhook.test");
}

#[tokio::test]
async fn a_receiver_down_for_a_while_gets_every_event_once_in_order() {
    let t = team().await;
    let receiver = WebhookReceiver::start(0).await.unwrap();
    let (_, secret) = add(&t, receiver.url(), &["status.changed"]).await;
    receiver.fail_next(5);
    for i in 0..6 {
        let (s, _) = t
            .hub
            .call(
                "PUT",
                "/api/me/status",
                Some(&t.ann),
                Some(json!({"text": format!("Step {i}")})),
            )
            .await;
        assert_eq!(s, 200);
    }
    let log = receiver
        .wait_until(Duration::from_secs(30), "six accepted", |l| {
            l.iter().filter(|r| r.status == 200).count() >= 6
        })
        .await;
    let accepted: Vec<String> = receiver
        .accepted()
        .iter()
        .map(|r| {
            r.json()["data"]["status"]["text"]
                .as_str()
                .unwrap_or("")
                .to_string()
        })
        .collect();
    assert_eq!(
        accepted,
        (0..6).map(|i| format!("Step {i}")).collect::<Vec<_>>()
    );
    // Nothing after a failure overtook it.
    let mut ids = Vec::new();
    for r in &log {
        assert_signed(r, &secret);
        if r.status == 200 {
            assert!(
                !ids.contains(&r.delivery),
                "delivered twice: {}",
                r.delivery
            );
            ids.push(r.delivery.clone());
        }
    }
}

#[tokio::test]
async fn presence_changes_are_delivered_when_wanted() {
    let t = team().await;
    let receiver = WebhookReceiver::start(0).await.unwrap();
    let (_, secret) = add(&t, receiver.url(), &["presence.changed"]).await;
    // The deliverer reads who wants presence every few seconds.
    tokio::time::sleep(Duration::from_secs(6)).await;
    let mut agent = t.hub.agent(&t.ann).await;
    wait_for(&mut agent, "hello", 5, |_| true).await;
    common::send_json(&mut agent, json!({"type": "heartbeat", "idle_seconds": 0})).await;
    let log = receiver
        .wait_until(Duration::from_secs(10), "ann active", |l| {
            l.iter().any(|r| r.json()["data"]["status"] == "active")
        })
        .await;
    let active = log
        .iter()
        .find(|r| r.json()["data"]["status"] == "active")
        .unwrap();
    assert_signed(active, &secret);
    assert_eq!(active.event, "presence.changed");
    assert_eq!(active.json()["data"]["name"], "ann");
    drop(agent);
    receiver
        .wait_until(Duration::from_secs(10), "ann offline", |l| {
            l.iter().any(|r| r.json()["data"]["status"] == "offline")
        })
        .await;
}

#[tokio::test]
async fn only_admins_add_webhooks_and_only_to_http_urls_elsewhere() {
    let t = team().await;
    let bad = |body: Value| async {
        let (s, answer) = t
            .hub
            .call("POST", "/api/webhooks", Some(&t.admin), Some(body))
            .await;
        assert_eq!(s, 422, "{answer}");
        answer["error"]["fields"].clone()
    };
    let f = bad(json!({"url": "ftp://example.org/x", "events": ["session.started"]})).await;
    assert!(f["url"].as_str().unwrap().contains("http"), "{f}");
    let f = bad(json!({"url": "file:///etc/passwd", "events": ["session.started"]})).await;
    assert!(f["url"].is_string());
    let own = format!("{}/api/sessions", t.hub.url);
    let f = bad(json!({"url": own, "events": ["session.started"]})).await;
    assert!(f["url"].as_str().unwrap().contains("own address"), "{f}");
    let port = t.hub.url.rsplit(':').next().unwrap();
    let f =
        bad(json!({"url": format!("http://localhost:{port}/x"), "events": ["session.started"]}))
            .await;
    assert!(f["url"].as_str().unwrap().contains("own address"), "{f}");
    let f = bad(json!({"url": "http://127.0.0.1:9/x", "events": ["session.exploded"]})).await;
    assert!(
        f["events"].as_str().unwrap().contains("unknown event"),
        "{f}"
    );
    let f = bad(json!({"url": "http://127.0.0.1:9/x", "events": []})).await;
    assert!(f["events"].is_string());
    let f = bad(
        json!({"url": "http://127.0.0.1:9/x", "events": ["session.started"], "secret": "short"}),
    )
    .await;
    assert!(f["secret"].is_string());

    let (s, _) = t
        .hub
        .call(
            "POST",
            "/api/webhooks",
            Some(&t.ann),
            Some(json!({"url": "http://127.0.0.1:9/x", "events": ["session.started"]})),
        )
        .await;
    assert_eq!(s, 403);
    let (s, _) = t.hub.call("GET", "/api/webhooks", Some(&t.ann), None).await;
    assert_eq!(s, 403);

    // Change, switch off, delete; each audited.
    let receiver = WebhookReceiver::start(0).await.unwrap();
    let (id, _) = add(&t, receiver.url(), &["session.started"]).await;
    let (s, patched) = t
        .hub
        .call(
            "PATCH",
            &format!("/api/webhooks/{id}"),
            Some(&t.admin),
            Some(json!({"enabled": false, "events": ["session.ended", "session.started"]})),
        )
        .await;
    assert_eq!(s, 200, "{patched}");
    assert_eq!(patched["enabled"], false);
    assert_eq!(
        patched["events"],
        json!(["session.started", "session.ended"])
    );
    let (s, _) = t
        .hub
        .call(
            "POST",
            &format!("/api/webhooks/{id}/test"),
            Some(&t.admin),
            None,
        )
        .await;
    assert_eq!(s, 409);
    let (s, _) = t
        .hub
        .call(
            "PATCH",
            &format!("/api/webhooks/{id}"),
            Some(&t.admin),
            Some(json!({"url": own})),
        )
        .await;
    assert_eq!(s, 422);
    let (s, _) = t
        .hub
        .call(
            "DELETE",
            &format!("/api/webhooks/{id}"),
            Some(&t.admin),
            None,
        )
        .await;
    assert_eq!(s, 204);
    let (s, _) = t
        .hub
        .call("GET", &format!("/api/webhooks/{id}"), Some(&t.admin), None)
        .await;
    assert_eq!(s, 404);
    let (_, audit) = t
        .hub
        .call("GET", "/api/audit?per_page=50", Some(&t.owner), None)
        .await;
    let actions: Vec<&str> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["action"].as_str())
        .filter(|a| a.starts_with("WEBHOOK_"))
        .collect();
    assert_eq!(
        actions,
        ["WEBHOOK_DELETED", "WEBHOOK_UPDATED", "WEBHOOK_CREATED"]
    );
    // Nothing was sent to the disabled, then deleted, webhook.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(receiver.received().is_empty());
}

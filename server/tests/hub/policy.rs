//! The company policy (seed 001): validation, versions, the owner-only rule, the audit entry,
//! and `config_updated` pushed to exactly the organization's agents.

use crate::common;

use common::{wait_for, TestHub};
use serde_json::{json, Value};
use shared::policy::{FieldKind, FIELDS};
use shared::Role;
use std::time::{Duration, Instant};

async fn put(hub: &TestHub, token: &str, body: Value) -> (u16, Value) {
    let res = hub
        .http()
        .put(format!("{}/api/policy", hub.url))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    (
        res.status().as_u16(),
        res.json().await.unwrap_or(Value::Null),
    )
}

async fn config(hub: &TestHub, token: &str) -> Value {
    hub.http()
        .get(format!("{}/api/config", hub.url))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn every_field_accepts_its_bounds_and_rejects_one_past_them_with_nothing_saved() {
    let hub = TestHub::start().await;
    hub.org("Acme", &[("own@a.test", Role::Owner)]).await;
    let owner = hub.login("own@a.test").await;
    let mut version = 1;
    for spec in FIELDS.iter() {
        match spec.kind {
            FieldKind::Int { min, max } => {
                for bad in [min - 1, max + 1] {
                    let (s, err) = put(&hub, &owner, json!({ spec.name: bad })).await;
                    assert_eq!(s, 422, "{} = {bad}", spec.name);
                    let why = err["error"]["fields"][spec.name].as_str().unwrap();
                    assert!(why.contains(&format!("from {min} to {max}")), "{why}");
                }
                for ok in [min, max] {
                    let (s, v) = put(&hub, &owner, json!({ spec.name: ok })).await;
                    assert_eq!(s, 200, "{} = {ok}", spec.name);
                    assert_eq!(v["config"][spec.name], ok);
                    if v["config_version"] != version {
                        version += 1;
                    }
                    assert_eq!(v["config_version"], version);
                }
            }
            FieldKind::IntOrOff { min, max } => {
                // One below the range is 0 (off, allowed) when the range starts at 1.
                for bad in [min - 1, max + 1, -1].into_iter().filter(|b| *b != 0) {
                    let (s, err) = put(&hub, &owner, json!({ spec.name: bad })).await;
                    assert_eq!(s, 422, "{} = {bad}", spec.name);
                    let why = err["error"]["fields"][spec.name].as_str().unwrap();
                    assert!(
                        why.contains(&format!("0 (off) or an integer from {min} to {max}")),
                        "{why}"
                    );
                }
                for ok in [min, max, 0] {
                    let (s, v) = put(&hub, &owner, json!({ spec.name: ok })).await;
                    assert_eq!(s, 200, "{} = {ok}", spec.name);
                    assert_eq!(v["config"][spec.name], ok);
                    version = v["config_version"].as_i64().unwrap();
                }
            }
            FieldKind::Choice(words) => {
                let (s, err) = put(&hub, &owner, json!({ spec.name: "sometimes" })).await;
                assert_eq!(s, 422);
                assert!(err["error"]["fields"][spec.name]
                    .as_str()
                    .unwrap()
                    .contains(&words.join(", ")));
                for word in words {
                    let (s, v) = put(&hub, &owner, json!({ spec.name: word })).await;
                    assert_eq!(s, 200, "{} = {word}", spec.name);
                    assert_eq!(v["config"][spec.name], *word);
                    version = v["config_version"].as_i64().unwrap();
                }
            }
            FieldKind::LocalTime => {
                for bad in [json!("24:00"), json!("9:00"), json!(900)] {
                    let (s, err) = put(&hub, &owner, json!({ spec.name: bad })).await;
                    assert_eq!(s, 422, "{} = {bad}", spec.name);
                    assert!(err["error"]["fields"][spec.name]
                        .as_str()
                        .unwrap()
                        .contains("HH:MM"));
                }
                for ok in [json!("18:30"), json!(null)] {
                    let (s, v) = put(&hub, &owner, json!({ spec.name: ok.clone() })).await;
                    assert_eq!(s, 200, "{} = {ok}", spec.name);
                    assert_eq!(v["config"][spec.name], ok);
                    version = v["config_version"].as_i64().unwrap();
                }
            }
            FieldKind::Bool => {
                let (s, err) = put(&hub, &owner, json!({ spec.name: "yes" })).await;
                assert_eq!(s, 422);
                assert!(err["error"]["fields"][spec.name]
                    .as_str()
                    .unwrap()
                    .contains("true or false"));
            }
        }
    }
    // Several bad fields at once: all named, and the good one beside them is not saved either.
    let before = config(&hub, &owner).await;
    let (s, err) = put(&hub, &owner, json!({"screenshot_quality": 10, "idle_threshold_seconds": "soon", "screenshots_enabled": false, "colour": "red"})).await;
    assert_eq!(s, 422);
    let fields = err["error"]["fields"].as_object().unwrap();
    assert!(
        fields.contains_key("screenshot_quality")
            && fields.contains_key("idle_threshold_seconds")
            && fields.contains_key("colour")
    );
    assert_eq!(config(&hub, &owner).await, before, "nothing saved");
    let (s, _) = put(&hub, &owner, json!([1, 2])).await;
    assert_eq!(s, 400);
}

#[tokio::test]
async fn versions_move_by_one_per_real_change_only_even_when_concurrent() {
    let hub = TestHub::start().await;
    hub.org(
        "Acme",
        &[("own@a.test", Role::Owner), ("own2@a.test", Role::Owner)],
    )
    .await;
    let owner = hub.login("own@a.test").await;
    let owner2 = hub.login("own2@a.test").await;
    let (s, v) = put(&hub, &owner, json!({"idle_threshold_seconds": 300})).await;
    assert_eq!(
        (s, v["config_version"].clone()),
        (200, json!(1)),
        "a no-op save keeps the version"
    );
    let (_, v) = put(
        &hub,
        &owner,
        json!({"idle_threshold_seconds": 120, "screenshots_enabled": true}),
    )
    .await;
    assert_eq!(v["config_version"], 2);
    for _ in 0..5 {
        let current = config(&hub, &owner).await["config_version"]
            .as_i64()
            .unwrap();
        let a = put(
            &hub,
            &owner,
            json!({"screenshot_interval_seconds": 30 + current}),
        );
        let b = put(
            &hub,
            &owner2,
            json!({"notification_interval_minutes": current}),
        );
        let ((sa, va), (sb, vb)) = tokio::join!(a, b);
        assert_eq!((sa, sb), (200, 200));
        let mut versions = [
            va["config_version"].as_i64().unwrap(),
            vb["config_version"].as_i64().unwrap(),
        ];
        versions.sort();
        assert_eq!(
            versions,
            [current + 1, current + 2],
            "two concurrent saves get two consecutive versions"
        );
        let now = config(&hub, &owner).await;
        assert_eq!(
            now["config"]["screenshot_interval_seconds"],
            30 + current,
            "no save is lost"
        );
        assert_eq!(now["config"]["notification_interval_minutes"], current);
    }
}

#[tokio::test]
async fn only_the_owner_changes_the_policy_and_only_in_their_organization() {
    let hub = TestHub::start().await;
    hub.org(
        "Acme",
        &[
            ("own@a.test", Role::Owner),
            ("adm@a.test", Role::Admin),
            ("sup@a.test", Role::Supervisor),
            ("mem@a.test", Role::Member),
        ],
    )
    .await;
    hub.org("Other", &[("own@o.test", Role::Owner)]).await;
    for email in ["adm@a.test", "sup@a.test", "mem@a.test"] {
        let token = hub.login(email).await;
        let (s, err) = put(&hub, &token, json!({"screenshots_enabled": false})).await;
        assert_eq!(s, 403, "{email}");
        assert_eq!(err["error"]["code"], "forbidden");
        assert_eq!(
            config(&hub, &token).await["config"]["screenshots_enabled"],
            true
        );
    }
    let other = hub.login("own@o.test").await;
    assert_eq!(
        put(&hub, &other, json!({"screenshots_enabled": false}))
            .await
            .0,
        200
    );
    let acme = hub.login("mem@a.test").await;
    assert_eq!(
        config(&hub, &acme).await["config"]["screenshots_enabled"],
        true,
        "another organization's policy is its own"
    );
    assert_eq!(config(&hub, &acme).await["config_version"], 1);
}

#[tokio::test]
async fn the_audit_entry_records_who_from_where_and_old_and_new_values_of_changed_fields() {
    let hub = TestHub::start().await;
    let (_, users) = hub
        .org(
            "Acme",
            &[("own@a.test", Role::Owner), ("adm@a.test", Role::Admin)],
        )
        .await;
    let owner = hub.login("own@a.test").await;
    put(&hub, &owner, json!({"screenshot_interval_seconds": 120, "screenshots_enabled": true, "screenshot_quality": 70})).await;
    put(&hub, &owner, json!({"screenshot_quality": 70})).await; // no-op: no entry
    let admin = hub.login("adm@a.test").await;
    let res = hub
        .http()
        .get(format!("{}/api/audit?action=POLICY_CHANGED", hub.url))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    let audit: Value = res.json().await.unwrap();
    assert_eq!(audit["total"], 1);
    let entry = &audit["items"][0];
    assert_eq!(entry["actor_id"], users[0].id);
    assert_eq!(entry["actor_name"], "own");
    assert_eq!(entry["ip"], "127.0.0.1");
    assert_eq!(entry["details"]["config_version"], 2);
    assert_eq!(
        entry["details"]["old"],
        json!({"screenshot_interval_seconds": 600, "screenshot_quality": 85})
    );
    assert_eq!(
        entry["details"]["new"],
        json!({"screenshot_interval_seconds": 120, "screenshot_quality": 70})
    );
    assert!(entry["created_at"].as_str().unwrap().ends_with('Z'));
}

#[tokio::test]
async fn a_change_reaches_exactly_the_organizations_50_agents_and_later_agents_get_it_in_hello() {
    let hub = TestHub::start().await;
    let mut acme_users = vec![("own@a.test".to_string(), Role::Owner)];
    acme_users.extend((0..50).map(|i| (format!("agent{i}@a.test"), Role::Member)));
    let acme: Vec<(&str, Role)> = acme_users.iter().map(|(e, r)| (e.as_str(), *r)).collect();
    hub.org("Acme", &acme).await;
    let other: Vec<(String, Role)> = (0..5)
        .map(|i| (format!("agent{i}@o.test"), Role::Member))
        .collect();
    hub.org(
        "Other",
        &other
            .iter()
            .map(|(e, r)| (e.as_str(), *r))
            .collect::<Vec<_>>(),
    )
    .await;
    let mut agents = Vec::new();
    for (email, _) in acme_users.iter().skip(1) {
        let mut ws = hub.agent(&hub.login(email).await).await;
        wait_for(&mut ws, "hello", 5, |_| true).await;
        agents.push(ws);
    }
    let mut outsiders = Vec::new();
    for (email, _) in &other {
        let mut ws = hub.agent(&hub.login(email).await).await;
        wait_for(&mut ws, "hello", 5, |_| true).await;
        outsiders.push(ws);
    }
    let owner = hub.login("own@a.test").await;
    let sent = Instant::now();
    let (s, _) = put(&hub, &owner, json!({"screenshot_interval_seconds": 45})).await;
    assert_eq!(s, 200);
    let mut last = Duration::ZERO;
    for ws in agents.iter_mut() {
        let msg = wait_for(ws, "config_updated", 5, |_| true).await;
        last = sent.elapsed();
        assert_eq!(msg["config_version"], 2);
        assert_eq!(msg["config"]["screenshot_interval_seconds"], 45);
        assert_eq!(msg["changed"], json!(["screenshot_interval_seconds"]));
    }
    println!("policy change → last of 50 agents received config_updated after {last:?}");
    for ws in outsiders.iter_mut() {
        let leak = tokio::time::timeout(
            Duration::from_millis(200),
            wait_for(ws, "config_updated", 1, |_| true),
        )
        .await;
        assert!(leak.is_err(), "another organization's agent heard nothing");
    }
    let mut late = hub.agent(&hub.login("agent0@a.test").await).await;
    let hello = wait_for(&mut late, "hello", 5, |_| true).await;
    assert_eq!(hello["config_version"], 2);
    assert_eq!(hello["config"]["screenshot_interval_seconds"], 45);
}

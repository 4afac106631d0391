//! The agent fleet (SPEC §15): agents acknowledge policies and say what they run; admins see
//! every device, which ones run an old policy or failed a capture, live on `/fleet`.

use crate::common;

use common::{send_json, wait_for, TestHub};
use serde_json::{json, Value};
use shared::Role;

/// The device of `token` in `GET /api/agents`.
async fn device(hub: &TestHub, admin: &str, device_id: i64) -> Value {
    let (status, list) = hub.call("GET", "/api/agents", Some(admin), None).await;
    assert_eq!(status, 200, "{list}");
    list["agents"]
        .as_array()
        .expect("agents")
        .iter()
        .find(|d| d["device_id"] == device_id)
        .cloned()
        .unwrap_or_else(|| panic!("device {device_id} listed in {list}"))
}

/// The device id (token id) behind a login: the newest token of `me` in `/api/auth/tokens`.
async fn device_id(hub: &TestHub, token: &str) -> i64 {
    let (status, tokens) = hub.call("GET", "/api/auth/tokens", Some(token), None).await;
    assert_eq!(status, 200, "{tokens}");
    let list = tokens.as_array().or_else(|| tokens["tokens"].as_array());
    list.expect("tokens")
        .iter()
        .find(|t| t["current"] == true)
        .and_then(|t| t["id"].as_i64())
        .expect("the current token")
}

/// Waits until an `agents_updated` push shows `device_id` as `pred` wants it.
async fn pushed(tab: &mut common::Ws, device_id: i64, pred: impl Fn(&Value) -> bool) -> Value {
    let msg = wait_for(tab, "agents_updated", 10, |m| {
        m["agents"]
            .as_array()
            .is_some_and(|a| a.iter().any(|d| d["device_id"] == device_id && pred(d)))
    })
    .await;
    msg["agents"]
        .as_array()
        .and_then(|a| a.iter().find(|d| d["device_id"] == device_id).cloned())
        .expect("the device")
}

#[tokio::test]
async fn a_policy_one_agent_does_not_acknowledge_marks_it_stale_for_admins_only() {
    let hub = TestHub::start().await;
    hub.org(
        "Acme",
        &[
            ("own@a.test", Role::Owner),
            ("adm@a.test", Role::Admin),
            ("sup@a.test", Role::Supervisor),
            ("ann@a.test", Role::Member),
        ],
    )
    .await;
    let owner = hub.login("own@a.test").await;
    let admin = hub.login("adm@a.test").await;
    let laptop = hub.login("ann@a.test").await;
    let desktop = hub.login("ann@a.test").await;
    let (laptop_id, desktop_id) = (
        device_id(&hub, &laptop).await,
        device_id(&hub, &desktop).await,
    );
    assert_ne!(laptop_id, desktop_id);
    let mut admin_tab = hub.tab(&admin).await;
    wait_for(&mut admin_tab, "presence_snapshot", 5, |_| true).await;

    // Both agents apply version 1 and say what they run; the desktop's capture fails.
    let mut a = hub.agent(&laptop).await;
    let mut b = hub.agent(&desktop).await;
    for ws in [&mut a, &mut b] {
        let hello = wait_for(ws, "hello", 5, |_| true).await;
        assert_eq!(hello["config_version"], 1);
        send_json(ws, json!({"type": "config_applied", "config_version": 1})).await;
    }
    send_json(
        &mut a,
        json!({"type": "heartbeat", "idle_seconds": 0, "agent_version": "0.4.2",
               "os": "Debian GNU/Linux 13 (trixie) (x86_64)"}),
    )
    .await;
    send_json(
        &mut b,
        json!({"type": "heartbeat", "idle_seconds": 0, "agent_version": format!("0.4.1{}", "x".repeat(500)),
               "os": "Ubuntu 24.04", "capture": {"at": "2026-01-01T10:00:00Z", "error": "no screen to capture: no display :0"}}),
    )
    .await;
    let seen = pushed(&mut admin_tab, desktop_id, |d| {
        d["last_capture"]["error"].is_string()
    })
    .await;
    assert_eq!(seen["config_version"], 1);
    assert_eq!(seen["config_current"], true);
    assert_eq!(seen["connected"], true);
    // An agent's text is kept to 200 characters.
    assert_eq!(seen["agent_version"].as_str().unwrap().chars().count(), 200);

    // The owner changes the policy: the laptop acknowledges, the desktop never does.
    let (status, saved) = hub
        .call(
            "PUT",
            "/api/policy",
            Some(&owner),
            Some(json!({"idle_threshold_seconds": 120})),
        )
        .await;
    assert_eq!(status, 200, "{saved}");
    assert_eq!(saved["config_version"], 2);
    for ws in [&mut a, &mut b] {
        wait_for(ws, "config_updated", 5, |m| m["config_version"] == 2).await;
    }
    send_json(
        &mut a,
        json!({"type": "config_applied", "config_version": 2}),
    )
    .await;
    let laptop_row = pushed(&mut admin_tab, laptop_id, |d| d["config_version"] == 2).await;
    assert_eq!(laptop_row["config_current"], true);

    let fresh = device(&hub, &admin, laptop_id).await;
    assert_eq!(fresh["config_current"], true);
    assert_eq!(fresh["agent_version"], "0.4.2");
    assert_eq!(fresh["os"], "Debian GNU/Linux 13 (trixie) (x86_64)");
    assert_eq!(fresh["user_name"], "ann");
    let stale = device(&hub, &admin, desktop_id).await;
    assert_eq!(stale["config_version"], 1);
    assert_eq!(stale["config_current"], false);
    assert_eq!(stale["connected"], true);
    assert_eq!(
        stale["last_capture"]["error"],
        "no screen to capture: no display :0"
    );
    let (_, list) = hub.call("GET", "/api/agents", Some(&admin), None).await;
    assert_eq!(list["config_version"], 2);

    // The page marks the desktop and not the laptop, in the first HTML.
    let (status, html) = hub.page(&admin, "/fleet").await;
    assert_eq!(status, 200);
    let row = |id: i64| {
        let at = html
            .find(&format!("data-device=\"{id}\""))
            .unwrap_or_else(|| panic!("row of device {id} in {html}"));
        let start = html[..at].rfind("<tr").unwrap();
        let end = at + html[at..].find("</tr>").unwrap();
        html[start..end].to_string()
    };
    let stale_row = row(desktop_id);
    assert!(stale_row.contains("data-stale=\"true\""), "{stale_row}");
    assert!(stale_row.contains("needs-attention"), "{stale_row}");
    assert!(
        stale_row.contains("runs policy version 1, not the current one"),
        "{stale_row}"
    );
    assert!(stale_row.contains("no display :0"), "{stale_row}");
    let fine_row = row(laptop_id);
    assert!(fine_row.contains("data-stale=\"false\""), "{fine_row}");
    assert!(!fine_row.contains("needs-attention"), "{fine_row}");
    assert!(html.contains("2 agents · 2 connected · 1 need attention · policy version 2"));

    // Admins and owners only.
    let supervisor = hub.login("sup@a.test").await;
    for token in [&supervisor, &laptop] {
        let (status, body) = hub.call("GET", "/api/agents", Some(token), None).await;
        assert_eq!(status, 403, "{body}");
        assert_eq!(hub.page(token, "/fleet").await.0, 403);
    }
    let (status, _) = hub.call("GET", "/api/agents", Some(&owner), None).await;
    assert_eq!(status, 200);

    // A bad acknowledgement is refused on the socket, changes nothing, keeps it open.
    send_json(
        &mut b,
        json!({"type": "config_applied", "config_version": "two"}),
    )
    .await;
    let err = wait_for(&mut b, "error", 5, |_| true).await;
    assert_eq!(err["error"]["code"], "invalid_message");
    assert_eq!(device(&hub, &admin, desktop_id).await["config_version"], 1);

    // The desktop goes away: admins see it disconnected, with its last contact.
    drop(b);
    let gone = pushed(&mut admin_tab, desktop_id, |d| d["connected"] == false).await;
    assert!(gone["last_seen_at"].is_string());
    assert_eq!(device(&hub, &admin, desktop_id).await["connected"], false);
    assert_eq!(device(&hub, &admin, laptop_id).await["connected"], true);
}

#[tokio::test]
async fn devices_outlive_a_restart_and_none_is_connected_until_it_comes_back() {
    let hub = TestHub::start().await;
    hub.org(
        "Acme",
        &[("adm@a.test", Role::Admin), ("bob@a.test", Role::Member)],
    )
    .await;
    let admin = hub.login("adm@a.test").await;
    let bob = hub.login("bob@a.test").await;
    let id = device_id(&hub, &bob).await;
    // The admin's tab is open (its snapshot came) before the agent reports: a device write
    // is pushed only to the tabs open when it lands, every 100 ms here.
    let mut admin_tab = hub.tab(&admin).await;
    wait_for(&mut admin_tab, "presence_snapshot", 5, |_| true).await;
    let mut agent = hub.agent(&bob).await;
    wait_for(&mut agent, "hello", 5, |_| true).await;
    send_json(
        &mut agent,
        json!({"type": "config_applied", "config_version": 1}),
    )
    .await;
    pushed(&mut admin_tab, id, |d| d["config_version"] == 1).await;
    drop(admin_tab);

    let hub = hub.restart().await;
    let after = device(&hub, &admin, id).await;
    assert_eq!(after["connected"], false);
    assert_eq!(after["config_version"], 1);
    drop(agent);
    let mut admin_tab = hub.tab(&admin).await;
    wait_for(&mut admin_tab, "presence_snapshot", 5, |_| true).await;
    let mut agent = hub.agent(&bob).await;
    wait_for(&mut agent, "hello", 5, |_| true).await;
    pushed(&mut admin_tab, id, |d| d["connected"] == true).await;

    // A signed-out device leaves the list.
    let (status, _) = hub
        .call(
            "DELETE",
            &format!("/api/auth/tokens/{id}"),
            Some(&bob),
            None,
        )
        .await;
    assert!(status == 200 || status == 204, "{status}");
    let (_, list) = hub.call("GET", "/api/agents", Some(&admin), None).await;
    assert!(
        !list["agents"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["device_id"] == id),
        "{list}"
    );
}

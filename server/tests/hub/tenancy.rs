//! Two organizations made with the command line, side by side on one hub: nothing of this
//! issue's endpoints, sockets or pages crosses between them; another tenant's ids are 404.

use crate::common;

use common::{next_json, TestHub};
use serde_json::{json, Value};
use std::process::Command;

/// `presence-hub ARGS` on the hub's database; its stdout lines.
fn cli(hub: &TestHub, args: &[&str], password: &str) -> Vec<String> {
    let out = Command::new(env!("CARGO_BIN_EXE_presence-hub"))
        .args(args)
        .env("DATABASE_URL", hub.config.database_url())
        .env("HUB_PUBLIC_URL", &hub.url)
        .env("PRESENCE_OWNER_PASSWORD", password)
        .env("PRESENCE_USER_PASSWORD", password)
        .stdin(std::process::Stdio::null())
        .output()
        .expect("presence-hub runs");
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect()
}

struct Tenant {
    org_id: String,
    owner: String,
    member_id: i64,
    member: String,
    ticket_id: i64,
    server_id: i64,
    member_token_id: i64,
}

async fn tenant(hub: &TestHub, name: &str, domain: &str) -> Tenant {
    let password = format!("{domain}-pass-123");
    let owner_email = format!("owner@{domain}");
    let org_id = cli(
        hub,
        &[
            "org",
            "create",
            "--name",
            name,
            "--owner-email",
            &owner_email,
        ],
        &password,
    )[0]
    .clone();
    let member_email = format!("member@{domain}");
    let member_id: i64 = cli(
        hub,
        &[
            "user",
            "create",
            "--org",
            &org_id,
            "--email",
            &member_email,
            "--name",
            &format!("{name} Member"),
            "--role",
            "member",
        ],
        &password,
    )[0]
    .parse()
    .unwrap();
    let owner = hub
        .login_with(&owner_email, &password)
        .await
        .expect("owner");
    let member = hub
        .login_with(&member_email, &password)
        .await
        .expect("member");
    let (_, ticket) = hub
        .call(
            "POST",
            "/api/tickets",
            Some(&owner),
            Some(json!({"title": format!("{name} ticket")})),
        )
        .await;
    let (_, server) = hub
        .call(
            "POST",
            "/api/game-servers",
            Some(&owner),
            Some(json!({"name": format!("{name} server"), "address": "127.0.0.1:27998", "enabled": false})),
        )
        .await;
    let (_, tokens) = hub
        .call("GET", "/api/auth/tokens", Some(&member), None)
        .await;
    Tenant {
        org_id,
        owner,
        member_id,
        member,
        ticket_id: ticket["id"].as_i64().expect("ticket"),
        server_id: server["id"].as_i64().expect("server"),
        member_token_id: tokens[0]["id"].as_i64().expect("token"),
    }
}

#[tokio::test]
async fn two_organizations_never_see_each_other() {
    let hub = TestHub::start().await;
    let a = tenant(&hub, "Alpha", "alpha.test").await;
    let b = tenant(&hub, "Bravo", "bravo.test").await;
    assert_ne!(a.org_id, b.org_id);

    // Alpha's owner aims at Bravo's ids: every one is "not found", and nothing changes.
    let attempts: Vec<(&str, String, Option<Value>)> = vec![
        ("GET", format!("/api/users/{}", b.member_id), None),
        (
            "PATCH",
            format!("/api/users/{}", b.member_id),
            Some(json!({"name": "Taken over"})),
        ),
        (
            "POST",
            format!("/api/users/{}/reset-link", b.member_id),
            None,
        ),
        (
            "GET",
            format!("/api/auth/tokens?user_id={}", b.member_id),
            None,
        ),
        (
            "DELETE",
            format!("/api/auth/tokens/{}", b.member_token_id),
            None,
        ),
        ("GET", format!("/api/tickets/{}", b.ticket_id), None),
        (
            "PATCH",
            format!("/api/tickets/{}", b.ticket_id),
            Some(json!({"status": "closed"})),
        ),
        ("GET", format!("/api/game-servers/{}", b.server_id), None),
        (
            "PATCH",
            format!("/api/game-servers/{}", b.server_id),
            Some(json!({"name": "Mine"})),
        ),
        ("DELETE", format!("/api/game-servers/{}", b.server_id), None),
    ];
    for (method, path, body) in attempts {
        let (status, v) = hub.call(method, &path, Some(&a.owner), body).await;
        assert_eq!(status, 404, "{method} {path}: {v}");
        assert_eq!(v["error"]["code"], "not_found");
    }
    // Bravo's things are untouched and Bravo's member is still logged in.
    let (_, member) = hub
        .call(
            "GET",
            &format!("/api/users/{}", b.member_id),
            Some(&b.owner),
            None,
        )
        .await;
    assert_eq!(member["name"], "Bravo Member");
    assert_eq!(
        hub.call("GET", "/api/auth/me", Some(&b.member), None)
            .await
            .0,
        200
    );
    let (_, ticket) = hub
        .call(
            "GET",
            &format!("/api/tickets/{}", b.ticket_id),
            Some(&b.owner),
            None,
        )
        .await;
    assert_eq!(ticket["status"], "open");
    assert_eq!(
        hub.call(
            "GET",
            &format!("/api/game-servers/{}", b.server_id),
            Some(&b.owner),
            None
        )
        .await
        .0,
        200
    );

    // Lists and settings hold only one's own organization.
    let (_, users) = hub.call("GET", "/api/users", Some(&a.owner), None).await;
    let names: Vec<&str> = users["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["name"].as_str().unwrap())
        .collect();
    assert_eq!(users["total"], 2, "{names:?}");
    assert!(names.iter().all(|n| !n.contains("Bravo")), "{names:?}");
    let (_, devices) = hub
        .call("GET", "/api/auth/tokens?user_id=0", Some(&a.owner), None)
        .await;
    assert!(
        devices
            .as_array()
            .unwrap()
            .iter()
            .all(|d| !d["user_name"].as_str().unwrap().contains("Bravo")),
        "{devices}"
    );
    let (_, org) = hub.call("GET", "/api/org", Some(&a.owner), None).await;
    assert_eq!(org["name"], "Alpha");
    let (_, audit) = hub
        .call("GET", "/api/audit?per_page=500", Some(&a.owner), None)
        .await;
    assert!(
        !audit.to_string().contains("bravo.test"),
        "Alpha's audit log mentions Bravo: {audit}"
    );

    // Sockets: Alpha's dashboard lists Alpha's people only.
    let mut tab = hub.tab(&a.owner).await;
    let snapshot = next_json(&mut tab, 5).await;
    assert_eq!(snapshot["type"], "presence_snapshot");
    let ids: Vec<i64> = snapshot["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["user_id"].as_i64().unwrap())
        .collect();
    assert!(!ids.contains(&b.member_id), "{snapshot}");
    assert!(ids.contains(&a.member_id), "{snapshot}");

    // Pages: Alpha's /users and /account name nobody of Bravo.
    for path in ["/users", "/account", "/settings/org"] {
        let page = hub
            .http()
            .get(format!("{}{path}", hub.url))
            .header("cookie", format!("ph_session={}", a.owner))
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), 200, "{path}");
        let html = page.text().await.unwrap();
        assert!(html.contains("Alpha"), "{path} shows Alpha");
        assert!(!html.contains("Bravo"), "{path} leaks Bravo");
    }
    // Revoking Alpha's member token from Bravo's side fails; from Alpha's side it works.
    assert_eq!(
        hub.call(
            "DELETE",
            &format!("/api/auth/tokens/{}", a.member_token_id),
            Some(&b.owner),
            None
        )
        .await
        .0,
        404
    );
    assert_eq!(
        hub.call("GET", "/api/auth/me", Some(&a.member), None)
            .await
            .0,
        200
    );
}

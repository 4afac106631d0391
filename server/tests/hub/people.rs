//! People and access over HTTP and real sockets: invite and reset links, one's own password,
//! devices and their revocation, owner protection, organization settings, edited tickets,
//! deleted game servers — each change audited.

use crate::common;

use common::{close_code, next_json, TestHub, PASSWORD};
use serde_json::{json, Value};
use shared::Role;

/// The token at the end of an `/invite/{token}` link.
fn link_token(link: &str) -> String {
    link.rsplit_once("/invite/")
        .unwrap_or_else(|| panic!("not an invite link: {link}"))
        .1
        .to_string()
}

/// A connection of the test's own to the hub's database, for what no endpoint does.
async fn raw_pool(hub: &TestHub) -> sqlx::AnyPool {
    sqlx::AnyPool::connect(&hub.config.database_url())
        .await
        .expect("database")
}

async fn audit_actions(hub: &TestHub, admin: &str) -> Vec<Value> {
    let (status, v) = hub
        .call("GET", "/api/audit?per_page=500", Some(admin), None)
        .await;
    assert_eq!(status, 200, "{v}");
    v["items"].as_array().expect("items").clone()
}

fn has_audit(entries: &[Value], action: &str) -> Value {
    entries
        .iter()
        .find(|e| e["action"] == action)
        .unwrap_or_else(|| panic!("no {action} in {entries:?}"))
        .clone()
}

#[tokio::test]
async fn an_invited_user_sets_a_password_once_and_is_logged_in() {
    let hub = TestHub::start().await;
    hub.org("Acme", &[("adm@acme.test", Role::Admin)]).await;
    let admin = hub.login("adm@acme.test").await;
    let (status, created) = hub
        .call(
            "POST",
            "/api/users",
            Some(&admin),
            Some(json!({"name": "Nina New", "email": "Nina@Acme.test", "role": "member"})),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["email"], "nina@acme.test");
    let link = created["invite_link"].as_str().expect("an invite link");
    assert!(
        link.starts_with(&format!("{}/invite/", hub.url)),
        "{link} (the hub's own address)"
    );
    let token = link_token(link);
    assert!(token.len() >= 43, "256 random bits");
    // Nobody can log in before the password is set, not even with an empty one.
    assert!(hub.login_with("nina@acme.test", "").await.is_none());

    let (status, info) = hub
        .call("GET", &format!("/api/auth/invite/{token}"), None, None)
        .await;
    assert_eq!(status, 200, "{info}");
    assert_eq!(info["kind"], "invite");
    assert_eq!(info["name"], "Nina New");
    assert_eq!(info["org_name"], "Acme");

    let (status, short) = hub
        .call(
            "POST",
            &format!("/api/auth/invite/{token}"),
            None,
            Some(json!({"password": "short"})),
        )
        .await;
    assert_eq!(status, 422);
    assert!(short["error"]["fields"]["password"]
        .as_str()
        .unwrap()
        .contains("10 characters"));

    let res = hub
        .http()
        .post(format!("{}/api/auth/invite/{token}", hub.url))
        .json(&json!({"password": "nina-pass-123"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .starts_with("ph_session="));
    let login: Value = res.json().await.unwrap();
    assert_eq!(login["user"]["email"], "nina@acme.test");
    let nina = login["token"].as_str().unwrap();
    let (status, _) = hub.call("GET", "/api/auth/me", Some(nina), None).await;
    assert_eq!(status, 200);

    // Single use.
    let (status, again) = hub
        .call(
            "POST",
            &format!("/api/auth/invite/{token}"),
            None,
            Some(json!({"password": "another-pass-1"})),
        )
        .await;
    assert_eq!(status, 404, "{again}");
    assert!(hub
        .login_with("nina@acme.test", "nina-pass-123")
        .await
        .is_some());
    assert!(hub
        .login_with("nina@acme.test", "another-pass-1")
        .await
        .is_none());

    let entries = audit_actions(&hub, &admin).await;
    assert_eq!(
        has_audit(&entries, "USER_CREATED")["details"]["invited"],
        true
    );
    has_audit(&entries, "INVITE_ACCEPTED");
}

#[tokio::test]
async fn an_invite_link_expires_after_seven_days() {
    let hub = TestHub::start().await;
    hub.org("Acme", &[("adm@acme.test", Role::Admin)]).await;
    let admin = hub.login("adm@acme.test").await;
    let (_, created) = hub
        .call(
            "POST",
            "/api/users",
            Some(&admin),
            Some(json!({"name": "Late", "email": "late@acme.test", "role": "member"})),
        )
        .await;
    let token = link_token(created["invite_link"].as_str().unwrap());
    let hash = server::domain::auth::token_hash(&token);
    let link = hub.store.password_link(&hash).await.unwrap().expect("live");
    let week = link.expires_at - server::store::now_ms();
    assert!(
        (7 * 24 * 3600 * 1000 - 60_000..=7 * 24 * 3600 * 1000).contains(&week),
        "{week} ms"
    );
    // Past its expiry the same link is dead.
    sqlx::query("UPDATE one_time_links SET expires_at = $1 WHERE id = $2")
        .bind(server::store::now_ms() - 1)
        .bind(link.id)
        .execute(&raw_pool(&hub).await)
        .await
        .unwrap();
    let (status, _) = hub
        .call("GET", &format!("/api/auth/invite/{token}"), None, None)
        .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn a_reset_link_replaces_the_password_and_signs_out_every_login() {
    let hub = TestHub::start().await;
    let (_, users) = hub
        .org(
            "Acme",
            &[
                ("own@acme.test", Role::Owner),
                ("adm@acme.test", Role::Admin),
                ("mem@acme.test", Role::Member),
            ],
        )
        .await;
    let (owner, admin, member) = (users[0].id, users[1].id, users[2].id);
    let admin_token = hub.login("adm@acme.test").await;
    let member_token = hub.login("mem@acme.test").await;
    let mut agent = hub.agent(&member_token).await;
    assert_eq!(next_json(&mut agent, 5).await["type"], "hello");

    // An admin cannot reset an owner's password; members cannot reset anyone's.
    let (status, _) = hub
        .call(
            "POST",
            &format!("/api/users/{owner}/reset-link"),
            Some(&admin_token),
            None,
        )
        .await;
    assert_eq!(status, 403);
    let (status, _) = hub
        .call(
            "POST",
            &format!("/api/users/{admin}/reset-link"),
            Some(&member_token),
            None,
        )
        .await;
    assert_eq!(status, 403);

    let (status, first) = hub
        .call(
            "POST",
            &format!("/api/users/{member}/reset-link"),
            Some(&admin_token),
            None,
        )
        .await;
    assert_eq!(status, 200, "{first}");
    let (_, second) = hub
        .call(
            "POST",
            &format!("/api/users/{member}/reset-link"),
            Some(&admin_token),
            None,
        )
        .await;
    let first = link_token(first["link"].as_str().unwrap());
    let second = link_token(second["link"].as_str().unwrap());
    // Only the newest link works.
    let (status, _) = hub
        .call("GET", &format!("/api/auth/invite/{first}"), None, None)
        .await;
    assert_eq!(status, 404);
    let (status, info) = hub
        .call("GET", &format!("/api/auth/invite/{second}"), None, None)
        .await;
    assert_eq!((status, info["kind"].as_str()), (200, Some("reset")));

    let (status, _) = hub
        .call(
            "POST",
            &format!("/api/auth/invite/{second}"),
            None,
            Some(json!({"password": "brand-new-pass"})),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        close_code(&mut agent, 5).await,
        Some(shared::protocol::close_code::UNAUTHORIZED),
        "the member's agent is signed out with 4001"
    );
    let (status, _) = hub
        .call("GET", "/api/auth/me", Some(&member_token), None)
        .await;
    assert_eq!(status, 401);
    assert!(hub.login_with("mem@acme.test", PASSWORD).await.is_none());
    assert!(hub
        .login_with("mem@acme.test", "brand-new-pass")
        .await
        .is_some());
    let entries = audit_actions(&hub, &admin_token).await;
    has_audit(&entries, "PASSWORD_RESET_LINK_ISSUED");
    has_audit(&entries, "PASSWORD_RESET");
}

#[tokio::test]
async fn changing_ones_password_keeps_this_login_and_ends_the_others() {
    let hub = TestHub::start().await;
    hub.org("Acme", &[("mem@acme.test", Role::Member)]).await;
    let here = hub.login("mem@acme.test").await;
    let elsewhere = hub.login("mem@acme.test").await;
    let mut tab = hub.tab(&elsewhere).await;
    assert_eq!(next_json(&mut tab, 5).await["type"], "presence_snapshot");

    let change =
        |current: &str, new: &str| json!({"current_password": current, "new_password": new});
    let (status, wrong) = hub
        .call(
            "POST",
            "/api/auth/password",
            Some(&here),
            Some(change("not-my-password", "whatever-long-1")),
        )
        .await;
    assert_eq!(status, 422);
    assert!(wrong["error"]["fields"]["current_password"].is_string());
    let (status, short) = hub
        .call(
            "POST",
            "/api/auth/password",
            Some(&here),
            Some(change(PASSWORD, "short")),
        )
        .await;
    assert_eq!(status, 422);
    assert!(short["error"]["fields"]["new_password"].is_string());

    let (status, done) = hub
        .call(
            "POST",
            "/api/auth/password",
            Some(&here),
            Some(change(PASSWORD, "a-much-better-pass")),
        )
        .await;
    assert_eq!(status, 200, "{done}");
    assert_eq!(done["revoked_tokens"], 1);
    assert_eq!(
        close_code(&mut tab, 5).await,
        Some(shared::protocol::close_code::UNAUTHORIZED)
    );
    assert_eq!(
        hub.call("GET", "/api/auth/me", Some(&here), None).await.0,
        200
    );
    assert_eq!(
        hub.call("GET", "/api/auth/me", Some(&elsewhere), None)
            .await
            .0,
        401
    );
    assert!(hub.login_with("mem@acme.test", PASSWORD).await.is_none());
    assert!(hub
        .login_with("mem@acme.test", "a-much-better-pass")
        .await
        .is_some());
}

#[tokio::test]
async fn devices_are_listed_and_revoking_one_closes_its_sockets() {
    let hub = TestHub::start().await;
    let (_, users) = hub
        .org(
            "Acme",
            &[
                ("adm@acme.test", Role::Admin),
                ("mem@acme.test", Role::Member),
            ],
        )
        .await;
    let member_id = users[1].id;
    let admin = hub.login("adm@acme.test").await;
    let browser = hub.login("mem@acme.test").await;
    // The agent logs in as a device.
    let (_, device) = hub
        .call(
            "POST",
            "/api/auth/login",
            None,
            Some(json!({"email": "mem@acme.test", "password": PASSWORD, "device": true})),
        )
        .await;
    let device = device["token"].as_str().unwrap().to_string();
    let mut agent = hub.agent(&device).await;
    assert_eq!(next_json(&mut agent, 5).await["type"], "hello");
    let mut tab = hub.tab(&browser).await;
    assert_eq!(next_json(&mut tab, 5).await["type"], "presence_snapshot");

    let (status, mine) = hub
        .call("GET", "/api/auth/tokens", Some(&browser), None)
        .await;
    assert_eq!(status, 200, "{mine}");
    let mine = mine.as_array().unwrap().clone();
    assert_eq!(mine.len(), 2, "{mine:?}");
    let agent_token = mine.iter().find(|t| t["kind"] == "device").expect("device");
    let this = mine.iter().find(|t| t["kind"] == "web").expect("web");
    assert_eq!(this["current"], true);
    assert_eq!(agent_token["current"], false);
    assert_eq!(agent_token["client_ip"], "127.0.0.1");
    assert!(agent_token["last_used_at"].is_string());

    // A member sees no one else's devices; an admin sees the member's.
    let (status, _) = hub
        .call(
            "GET",
            &format!("/api/auth/tokens?user_id={}", users[0].id),
            Some(&browser),
            None,
        )
        .await;
    assert_eq!(status, 403);
    let (status, theirs) = hub
        .call(
            "GET",
            &format!("/api/auth/tokens?user_id={member_id}"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!((status, theirs.as_array().map(Vec::len)), (200, Some(2)));
    let admin_token_id = hub
        .call("GET", "/api/auth/tokens", Some(&admin), None)
        .await
        .1[0]["id"]
        .as_i64()
        .unwrap();
    // Someone else's token is not the member's to revoke: as if it did not exist.
    let (status, _) = hub
        .call(
            "DELETE",
            &format!("/api/auth/tokens/{admin_token_id}"),
            Some(&browser),
            None,
        )
        .await;
    assert_eq!(status, 404);

    // Revoking the agent's token closes the agent at once, and only it.
    let id = agent_token["id"].as_i64().unwrap();
    let (status, _) = hub
        .call(
            "DELETE",
            &format!("/api/auth/tokens/{id}"),
            Some(&browser),
            None,
        )
        .await;
    assert_eq!(status, 204);
    assert_eq!(
        close_code(&mut agent, 5).await,
        Some(shared::protocol::close_code::UNAUTHORIZED)
    );
    assert_eq!(
        hub.call("GET", "/api/config", Some(&device), None).await.0,
        401
    );
    assert_eq!(
        hub.call("GET", "/api/config", Some(&browser), None).await.0,
        200
    );
    let (status, _) = hub
        .call(
            "DELETE",
            &format!("/api/auth/tokens/{id}"),
            Some(&browser),
            None,
        )
        .await;
    assert_eq!(status, 404, "a revoked token is gone");

    // An admin revokes the member's browser: the tab closes with 4001.
    let browser_id = this["id"].as_i64().unwrap();
    let (status, _) = hub
        .call(
            "DELETE",
            &format!("/api/auth/tokens/{browser_id}"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(status, 204);
    assert_eq!(
        close_code(&mut tab, 5).await,
        Some(shared::protocol::close_code::UNAUTHORIZED)
    );
    let entries = audit_actions(&hub, &admin).await;
    assert_eq!(
        entries
            .iter()
            .filter(|e| e["action"] == "TOKEN_REVOKED")
            .count(),
        2
    );
}

#[tokio::test]
async fn profile_fields_and_owner_protection() {
    let hub = TestHub::start().await;
    let (_, users) = hub
        .org(
            "Acme",
            &[
                ("own@acme.test", Role::Owner),
                ("adm@acme.test", Role::Admin),
                ("mem@acme.test", Role::Member),
            ],
        )
        .await;
    let (owner_id, admin_id, member_id) = (users[0].id, users[1].id, users[2].id);
    let owner = hub.login("own@acme.test").await;
    let admin = hub.login("adm@acme.test").await;

    let (status, user) = hub
        .call(
            "PATCH",
            &format!("/api/users/{member_id}"),
            Some(&admin),
            Some(json!({"steam_id": "76561198000000000", "discord": "mem#1", "timezone": "Europe/Berlin", "game_name": "Mem"})),
        )
        .await;
    assert_eq!(status, 200, "{user}");
    assert_eq!(user["steam_id"], "76561198000000000");
    assert_eq!(user["discord"], "mem#1");
    assert_eq!(user["timezone"], "Europe/Berlin");
    let (status, bad) = hub
        .call(
            "PATCH",
            &format!("/api/users/{member_id}"),
            Some(&admin),
            Some(json!({"timezone": "Mars/Olympus"})),
        )
        .await;
    assert_eq!(status, 422);
    assert!(bad["error"]["fields"]["timezone"].is_string());
    let (_, cleared) = hub
        .call(
            "PATCH",
            &format!("/api/users/{member_id}"),
            Some(&admin),
            Some(json!({"discord": null, "timezone": null})),
        )
        .await;
    assert_eq!(
        (cleared["discord"].clone(), cleared["timezone"].clone()),
        (Value::Null, Value::Null)
    );
    assert_eq!(
        cleared["steam_id"], "76561198000000000",
        "untouched fields stay"
    );

    // Admins neither make nor change owners.
    for body in [json!({"role": "owner"}), json!({"name": "X"})] {
        let target = if body.get("role").is_some() {
            member_id
        } else {
            owner_id
        };
        let (status, v) = hub
            .call(
                "PATCH",
                &format!("/api/users/{target}"),
                Some(&admin),
                Some(body),
            )
            .await;
        assert_eq!(status, 403, "{v}");
    }
    // Nobody demotes or deactivates themselves.
    let (status, _) = hub
        .call(
            "PATCH",
            &format!("/api/users/{owner_id}"),
            Some(&owner),
            Some(json!({"role": "admin"})),
        )
        .await;
    assert_eq!(status, 409);
    // With a second owner, the first may be demoted by the second.
    let (status, _) = hub
        .call(
            "PATCH",
            &format!("/api/users/{admin_id}"),
            Some(&owner),
            Some(json!({"role": "owner"})),
        )
        .await;
    assert_eq!(status, 200);
    let (status, v) = hub
        .call(
            "PATCH",
            &format!("/api/users/{owner_id}"),
            Some(&admin),
            Some(json!({"role": "member"})),
        )
        .await;
    assert_eq!(status, 200, "{v}");
    // The organization never loses its last active owner, whoever asks (here: the store
    // directly, as a command-line tool would).
    let last = hub
        .store
        .update_user_audited(
            users[0].org_id,
            admin_id,
            &server::store::UserPatch {
                active: Some(false),
                ..Default::default()
            },
            &server::store::UserAuditActor {
                actor_id: None,
                ip: None,
                via: "test",
            },
        )
        .await;
    assert!(
        matches!(last, Err(server::store::StoreError::Conflict(_))),
        "{last:?}"
    );
    let entries = audit_actions(&hub, &admin).await;
    let update = entries
        .iter()
        .find(|e| e["action"] == "USER_UPDATED" && e["details"]["changes"]["steam_id"].is_object())
        .expect("USER_UPDATED with the steam id");
    assert_eq!(
        update["details"]["changes"]["steam_id"],
        json!({"old": null, "new": "76561198000000000"})
    );
}

#[tokio::test]
async fn organization_settings_are_for_admins_and_audited() {
    let hub = TestHub::start().await;
    hub.org(
        "Acme",
        &[
            ("adm@acme.test", Role::Admin),
            ("sup@acme.test", Role::Supervisor),
        ],
    )
    .await;
    let admin = hub.login("adm@acme.test").await;
    let supervisor = hub.login("sup@acme.test").await;
    assert_eq!(
        hub.call("GET", "/api/org", Some(&supervisor), None).await.0,
        403
    );
    let (status, org) = hub.call("GET", "/api/org", Some(&admin), None).await;
    assert_eq!(status, 200);
    assert_eq!(
        (org["name"].as_str(), org["timezone"].as_str()),
        (Some("Acme"), Some("UTC"))
    );
    let (status, bad) = hub
        .call(
            "PATCH",
            "/api/org",
            Some(&admin),
            Some(json!({"timezone": "Nowhere/Land", "name": ""})),
        )
        .await;
    assert_eq!(status, 422);
    assert!(
        bad["error"]["fields"]["timezone"].is_string()
            && bad["error"]["fields"]["name"].is_string()
    );
    let (status, org) = hub
        .call(
            "PATCH",
            "/api/org",
            Some(&admin),
            Some(json!({"name": "Acme GmbH", "timezone": "Europe/Berlin"})),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(org["name"], "Acme GmbH");
    assert_eq!(org["timezone"], "Europe/Berlin");
    let entries = audit_actions(&hub, &admin).await;
    assert_eq!(
        has_audit(&entries, "ORG_UPDATED")["details"]["changes"]["timezone"],
        json!({"old": "UTC", "new": "Europe/Berlin"})
    );
    // Pages show the new name at once (the hub's copy was renamed).
    let page = hub
        .http()
        .get(format!("{}/tickets", hub.url))
        .header("cookie", format!("ph_session={admin}"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("Acme GmbH"),
        "the header names the organization"
    );
}

#[tokio::test]
async fn tickets_are_edited_and_closed_by_their_creator_or_supervisors() {
    let hub = TestHub::start().await;
    hub.org(
        "Acme",
        &[
            ("a@acme.test", Role::Member),
            ("b@acme.test", Role::Member),
            ("sup@acme.test", Role::Supervisor),
            ("adm@acme.test", Role::Admin),
        ],
    )
    .await;
    let a = hub.login("a@acme.test").await;
    let b = hub.login("b@acme.test").await;
    let sup = hub.login("sup@acme.test").await;
    let (_, ticket) = hub
        .call(
            "POST",
            "/api/tickets",
            Some(&a),
            Some(json!({"title": "Printer", "description": "jams"})),
        )
        .await;
    let path = format!("/api/tickets/{}", ticket["id"]);
    let (status, _) = hub
        .call("PATCH", &path, Some(&b), Some(json!({"title": "Mine now"})))
        .await;
    assert_eq!(status, 403);
    let (status, edited) = hub
        .call(
            "PATCH",
            &path,
            Some(&a),
            Some(json!({"title": "Printer on floor 2", "description": null})),
        )
        .await;
    assert_eq!(status, 200, "{edited}");
    assert_eq!(edited["title"], "Printer on floor 2");
    assert_eq!(edited["description"], Value::Null);
    let (status, _) = hub
        .call("PATCH", &path, Some(&sup), Some(json!({"status": "done"})))
        .await;
    assert_eq!(status, 422);
    let (status, closed) = hub
        .call(
            "PATCH",
            &path,
            Some(&sup),
            Some(json!({"status": "closed"})),
        )
        .await;
    assert_eq!((status, closed["status"].as_str()), (200, Some("closed")));
    let (_, shown) = hub.call("GET", &path, Some(&b), None).await;
    assert_eq!(shown["status"], "closed");
    // Nobody starts tracking on a closed ticket until it is reopened.
    let start = json!({"ticket_id": ticket["id"]});
    let (status, refused) = hub
        .call("POST", "/api/sessions/start", Some(&b), Some(start.clone()))
        .await;
    assert_eq!(status, 409, "{refused}");
    assert!(refused["error"]["message"]
        .as_str()
        .unwrap()
        .contains("closed"));
    let (status, _) = hub
        .call("PATCH", &path, Some(&a), Some(json!({"status": "open"})))
        .await;
    assert_eq!(status, 200);
    let (status, _) = hub
        .call("POST", "/api/sessions/start", Some(&b), Some(start))
        .await;
    assert_eq!(status, 201);
    let admin = hub.login("adm@acme.test").await;
    let entries = audit_actions(&hub, &admin).await;
    let closing = entries
        .iter()
        .find(|e| {
            e["action"] == "TICKET_UPDATED" && e["details"]["changes"]["status"]["new"] == "closed"
        })
        .expect("the closing is audited");
    assert_eq!(closing["details"]["changes"]["status"]["old"], "open");
}

#[tokio::test]
async fn a_deleted_game_server_is_gone_but_its_sessions_stay() {
    let hub = TestHub::start().await;
    let (org, users) = hub
        .org(
            "Acme",
            &[
                ("adm@acme.test", Role::Admin),
                ("mem@acme.test", Role::Member),
            ],
        )
        .await;
    let admin = hub.login("adm@acme.test").await;
    let member = hub.login("mem@acme.test").await;
    let (_, server) = hub
        .call(
            "POST",
            "/api/game-servers",
            Some(&admin),
            Some(json!({"name": "EU 1", "address": "127.0.0.1:27999", "enabled": false})),
        )
        .await;
    let id = server["id"].as_i64().unwrap();
    // A finished staff session on it.
    sqlx::query(
        "INSERT INTO server_sessions (org_id, user_id, server_id, player_name, join_time, last_seen_at, leave_time, duration_seconds, end_reason, created_at)
         VALUES ($1, $2, $3, 'Mem', 1000, 61000, 61000, 60, 'left', 1000)",
    )
    .bind(org.id)
    .bind(users[1].id)
    .bind(id)
    .execute(&raw_pool(&hub).await)
    .await
    .expect("a session");
    let path = format!("/api/game-servers/{id}");
    assert_eq!(hub.call("DELETE", &path, Some(&member), None).await.0, 403);
    assert_eq!(hub.call("DELETE", &path, Some(&admin), None).await.0, 204);
    assert_eq!(hub.call("GET", &path, Some(&admin), None).await.0, 404);
    assert_eq!(hub.call("DELETE", &path, Some(&admin), None).await.0, 404);
    let (_, list) = hub
        .call("GET", "/api/game-servers", Some(&admin), None)
        .await;
    assert_eq!(list["total"], 0);
    let (_, sessions) = hub
        .call(
            "GET",
            &format!("/api/staff/{}/server-sessions", users[1].id),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(sessions["total"], 1, "{sessions}");
    // Its address may be added again.
    let (status, _) = hub
        .call(
            "POST",
            "/api/game-servers",
            Some(&admin),
            Some(json!({"name": "EU 1 again", "address": "127.0.0.1:27999"})),
        )
        .await;
    assert_eq!(status, 201);
    has_audit(&audit_actions(&hub, &admin).await, "GAME_SERVER_DELETED");
}

//! Login, logout, tokens, roles, user management, tenancy and the error shape, over HTTP.

use crate::common;

use common::{TestHub, PASSWORD};
use serde_json::{json, Value};
use shared::Role;

async fn body(res: reqwest::Response) -> Value {
    res.json().await.expect("JSON body")
}

fn assert_error(v: &Value, code: &str) {
    assert_eq!(v["error"]["code"], code, "{v}");
    assert!(
        v["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{v}"
    );
}

#[tokio::test]
async fn login_gives_a_token_and_an_httponly_cookie_and_both_authenticate() {
    let hub = TestHub::start().await;
    let (org, users) = hub.org("Acme", &[("ann@acme.test", Role::Admin)]).await;
    let http = hub.http();
    let res = http
        .post(format!("{}/api/auth/login", hub.url))
        .json(&json!({"email": "ANN@acme.test ", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let cookie = res.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(cookie.starts_with("ph_session="), "{cookie}");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    let v = body(res).await;
    let token = v["token"].as_str().unwrap();
    assert!(token.len() >= 22, "at least 128 bits");
    assert_eq!(
        v["user"],
        json!({"id": users[0].id, "name": "ann", "email": "ann@acme.test", "role": "admin", "org_id": org.id})
    );

    let me = http
        .get(format!("{}/api/auth/me", hub.url))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 200);
    let cookie_value = cookie.split(';').next().unwrap();
    let me = http
        .get(format!("{}/api/auth/me", hub.url))
        .header("cookie", cookie_value)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 200);
    assert_eq!(body(me).await["email"], "ann@acme.test");
}

#[tokio::test]
async fn the_token_is_stored_hashed_and_logout_revokes_it() {
    let hub = TestHub::start().await;
    hub.org("Acme", &[("ann@acme.test", Role::Member)]).await;
    let token = hub.login("ann@acme.test").await;
    assert!(
        hub.store.token_owner(&token).await.unwrap().is_none(),
        "the raw token must not be a stored key"
    );
    let http = hub.http();
    let out = http
        .post(format!("{}/api/auth/logout", hub.url))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), 204);
    let me = http
        .get(format!("{}/api/auth/me", hub.url))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 401);
    assert_error(&body(me).await, "unauthorized");
}

#[tokio::test]
async fn wrong_password_and_unknown_email_are_the_same_401() {
    let hub = TestHub::start().await;
    hub.org("Acme", &[("ann@acme.test", Role::Member)]).await;
    let http = hub.http();
    for (email, password) in [
        ("ann@acme.test", "wrong-pass"),
        ("nobody@acme.test", PASSWORD),
    ] {
        let res = http
            .post(format!("{}/api/auth/login", hub.url))
            .json(&json!({"email": email, "password": password}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 401);
        assert_error(&body(res).await, "invalid_credentials");
    }
}

#[tokio::test]
async fn login_is_rate_limited_with_retry_after() {
    let hub = TestHub::start_with(|c| c.login_attempts_per_minute = 3).await;
    hub.org("Acme", &[("ann@acme.test", Role::Member)]).await;
    let http = hub.http();
    let mut statuses = Vec::new();
    for _ in 0..5 {
        let res = http
            .post(format!("{}/api/auth/login", hub.url))
            .json(&json!({"email": "ann@acme.test", "password": "bad-guess"}))
            .send()
            .await
            .unwrap();
        statuses.push(res.status().as_u16());
        if res.status() == 429 {
            assert!(res.headers().contains_key("retry-after"));
            assert_error(&body(res).await, "rate_limited");
        }
    }
    assert_eq!(statuses, vec![401, 401, 401, 429, 429]);
}

#[tokio::test]
async fn malformed_bodies_get_the_json_error_shape() {
    let hub = TestHub::start().await;
    let http = hub.http();
    let url = format!("{}/api/auth/login", hub.url);
    let res = http
        .post(&url)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert_error(&body(res).await, "bad_request");
    let res = http
        .post(&url)
        .json(&json!({"email": 5, "password": []}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    assert_error(&body(res).await, "invalid_value");
    let res = http.post(&url).body("email=a").send().await.unwrap();
    assert_eq!(res.status(), 415);
    assert_error(&body(res).await, "unsupported_media_type");
    let huge = format!(
        "{{\"email\": \"{}\", \"password\": \"x\"}}",
        "a".repeat(2 * 1024 * 1024)
    );
    let res = http
        .post(&url)
        .header("content-type", "application/json")
        .body(huge)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 413);
    let res = http
        .get(format!("{}/api/no-such-thing", hub.url))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    assert_error(&body(res).await, "not_found");
}

#[tokio::test]
async fn every_api_call_needs_a_login() {
    let hub = TestHub::start().await;
    let http = hub.http();
    for path in ["/api/users", "/api/users/1", "/api/config", "/api/auth/me"] {
        let res = http.get(format!("{}{path}", hub.url)).send().await.unwrap();
        assert_eq!(res.status(), 401, "{path}");
        assert_error(&body(res).await, "unauthorized");
    }
    let res = http
        .get(format!("{}/api/users", hub.url))
        .bearer_auth("made-up-token")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
}

#[tokio::test]
async fn role_matrix_for_user_management() {
    let hub = TestHub::start().await;
    let (_, users) = hub
        .org(
            "Acme",
            &[
                ("own@a.test", Role::Owner),
                ("adm@a.test", Role::Admin),
                ("sup@a.test", Role::Supervisor),
                ("mem@a.test", Role::Member),
            ],
        )
        .await;
    let http = hub.http();
    let new_user = |email: &str, role: &str| json!({"name": "New", "email": email, "password": "long-enough-1", "role": role});
    let mut n = 0;
    for (email, can_list, can_create, can_create_owner) in [
        ("own@a.test", true, true, true),
        ("adm@a.test", true, true, false),
        ("sup@a.test", true, false, false),
        ("mem@a.test", false, false, false),
    ] {
        let token = hub.login(email).await;
        let list = http
            .get(format!("{}/api/users", hub.url))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(
            list.status().as_u16(),
            if can_list { 200 } else { 403 },
            "{email} list"
        );
        if can_list {
            let page = body(list).await;
            assert_eq!(page["total"], 4 + n);
            assert_eq!(page["page"], 1);
            assert_eq!(page["per_page"], 50);
        }
        n += 1;
        let create = http
            .post(format!("{}/api/users", hub.url))
            .bearer_auth(&token)
            .json(&new_user(&format!("n{n}@a.test"), "member"))
            .send()
            .await
            .unwrap();
        assert_eq!(
            create.status().as_u16(),
            if can_create { 201 } else { 403 },
            "{email} create"
        );
        if !can_create {
            n -= 1;
        }
        let owner = http
            .post(format!("{}/api/users", hub.url))
            .bearer_auth(&token)
            .json(&new_user(&format!("o{n}@a.test"), "owner"))
            .send()
            .await
            .unwrap();
        assert_eq!(
            owner.status().as_u16(),
            if can_create_owner { 201 } else { 403 },
            "{email} create owner"
        );
        if can_create_owner {
            n += 1;
        }
        let patch = http
            .patch(format!("{}/api/users/{}", hub.url, users[3].id))
            .bearer_auth(&token)
            .json(&json!({"game_name": "Mem"}))
            .send()
            .await
            .unwrap();
        assert_eq!(
            patch.status().as_u16(),
            if can_create { 200 } else { 403 },
            "{email} patch"
        );
    }
}

#[tokio::test]
async fn create_user_validation_and_conflicts() {
    let hub = TestHub::start().await;
    hub.org("Acme", &[("adm@a.test", Role::Admin)]).await;
    let token = hub.login("adm@a.test").await;
    let http = hub.http();
    let res = http
        .post(format!("{}/api/users", hub.url))
        .bearer_auth(&token)
        .json(&json!({"name": "", "email": "not-an-email", "password": "short", "role": "member"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let v = body(res).await;
    assert_error(&v, "invalid_value");
    for field in ["name", "email", "password"] {
        assert!(
            v["error"]["fields"][field].is_string(),
            "{field} named in {v}"
        );
    }
    let res = http
        .post(format!("{}/api/users", hub.url))
        .bearer_auth(&token)
        .json(&json!({"name": "X", "email": "x@a.test", "password": "long-enough-1", "role": "emperor"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let ok = json!({"name": "Dup", "email": "dup@a.test", "password": "long-enough-1", "role": "member"});
    assert_eq!(
        http.post(format!("{}/api/users", hub.url))
            .bearer_auth(&token)
            .json(&ok)
            .send()
            .await
            .unwrap()
            .status(),
        201
    );
    let again = http
        .post(format!("{}/api/users", hub.url))
        .bearer_auth(&token)
        .json(&ok)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 409);
    assert_error(&body(again).await, "conflict");
    // The new user can log in with the password set by the admin.
    let res = http
        .post(format!("{}/api/auth/login", hub.url))
        .json(&json!({"email": "dup@a.test", "password": "long-enough-1"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn deactivating_a_user_ends_their_logins() {
    let hub = TestHub::start().await;
    let (_, users) = hub
        .org(
            "Acme",
            &[("adm@a.test", Role::Admin), ("mem@a.test", Role::Member)],
        )
        .await;
    let admin = hub.login("adm@a.test").await;
    let member = hub.login("mem@a.test").await;
    let mut agent = hub.agent(&member).await;
    common::wait_for(&mut agent, "hello", 5, |_| true).await;
    let http = hub.http();
    let res = http
        .patch(format!("{}/api/users/{}", hub.url, users[1].id))
        .bearer_auth(&admin)
        .json(&json!({"active": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(body(res).await["active"], false);
    assert_eq!(
        common::close_code(&mut agent, 5).await,
        Some(shared::protocol::close_code::UNAUTHORIZED)
    );
    let me = http
        .get(format!("{}/api/auth/me", hub.url))
        .bearer_auth(&member)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 401);
    let login = http
        .post(format!("{}/api/auth/login", hub.url))
        .json(&json!({"email": "mem@a.test", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 401);
}

#[tokio::test]
async fn another_organizations_users_are_not_found() {
    let hub = TestHub::start().await;
    let (_, a) = hub
        .org(
            "Org A",
            &[("own@a.test", Role::Owner), ("mem@a.test", Role::Member)],
        )
        .await;
    let (_, b) = hub.org("Org B", &[("own@b.test", Role::Owner)]).await;
    let token_b = hub.login("own@b.test").await;
    let http = hub.http();
    for id in [a[0].id, a[1].id] {
        let res = http
            .get(format!("{}/api/users/{id}", hub.url))
            .bearer_auth(&token_b)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 404);
        let res = http
            .patch(format!("{}/api/users/{id}", hub.url))
            .bearer_auth(&token_b)
            .json(&json!({"name": "Hacked"}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 404);
    }
    let list = body(
        http.get(format!("{}/api/users", hub.url))
            .bearer_auth(&token_b)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(list["total"], 1);
    assert_eq!(list["items"][0]["id"], b[0].id);
    let unchanged = hub
        .store
        .get_user(a[1].org_id, a[1].id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(unchanged.name, "mem");
}

#[tokio::test]
async fn config_is_readable_by_any_member_with_the_default_policy() {
    let hub = TestHub::start().await;
    hub.org("Acme", &[("mem@a.test", Role::Member)]).await;
    let token = hub.login("mem@a.test").await;
    let v = body(
        hub.http()
            .get(format!("{}/api/config", hub.url))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(v["config_version"], 1);
    assert_eq!(v["config"]["idle_threshold_seconds"], 300);
    assert_eq!(v["config"]["screenshot_interval_seconds"], 600);
    assert!(v["updated_at"].as_str().is_some_and(|t| t.ends_with('Z')));
}

#[tokio::test]
async fn health_and_metrics() {
    let hub = TestHub::start().await;
    let http = hub.http();
    let res = http
        .get(format!("{}/healthz", hub.url))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let text = hub.metrics().await;
    for name in [
        "presence_hub_open_connections",
        "presence_hub_messages_in_total",
        "presence_hub_push_latency_seconds",
        "presence_hub_db_write_seconds",
    ] {
        assert!(text.contains(name), "{name} missing from /metrics");
    }
}

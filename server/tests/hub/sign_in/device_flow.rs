//! The agent's sign-in without a password (SPEC §17) over HTTP against a real hub: the codes,
//! polling (pending, slow down), approval in the signed-in browser, the device token (once),
//! denial, expiry, and the `/device` page with the way back through `/login`.

use crate::common::{TestHub, PASSWORD};
use serde_json::{json, Value};
use shared::Role;

fn assert_error(status: u16, v: &Value, want_status: u16, code: &str) {
    assert_eq!(status, want_status, "{v}");
    assert_eq!(v["error"]["code"], code, "{v}");
    assert!(
        v["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{v}"
    );
}

/// `POST /api/auth/device` as the agent does: the answer.
async fn start(hub: &TestHub, client_name: &str) -> Value {
    let (status, v) = hub
        .call(
            "POST",
            "/api/auth/device",
            None,
            Some(json!({ "client_name": client_name })),
        )
        .await;
    assert_eq!(status, 200, "{v}");
    v
}

/// One poll of `POST /api/auth/device/token`.
async fn poll(hub: &TestHub, auth: &Value) -> (u16, Value) {
    hub.call(
        "POST",
        "/api/auth/device/token",
        None,
        Some(json!({ "device_code": auth["device_code"] })),
    )
    .await
}

async fn answer(hub: &TestHub, what: &str, token: Option<&str>, code: &str) -> (u16, Value) {
    hub.call(
        "POST",
        &format!("/api/auth/device/{what}"),
        token,
        Some(json!({ "user_code": code })),
    )
    .await
}

fn user_code(auth: &Value) -> String {
    auth["user_code"].as_str().expect("user_code").to_string()
}

#[tokio::test]
async fn an_approved_code_gives_the_agent_one_device_token() {
    let hub = TestHub::start().await;
    let (_, users) = hub
        .org(
            "Acme",
            &[
                ("olga@acme.test", Role::Owner),
                ("ann@acme.test", Role::Member),
            ],
        )
        .await;
    let auth = start(&hub, "presence-agent on build-box").await;
    let code = user_code(&auth);
    assert!(
        code.len() == 9 && code.as_bytes()[4] == b'-',
        "ABCD-EFGH: {code}"
    );
    assert_eq!(auth["verification_uri"], format!("{}/device", hub.url));
    assert_eq!(
        auth["verification_uri_complete"],
        format!("{}/device?code={code}", hub.url)
    );
    assert_eq!(auth["expires_in"], 600);
    assert_eq!(auth["interval"], 5);
    assert!(auth["device_code"].as_str().is_some_and(|c| c.len() >= 22));

    // Nobody has answered: pending; polled again at once: slow down.
    let (status, v) = poll(&hub, &auth).await;
    assert_error(status, &v, 400, "authorization_pending");
    let (status, v) = poll(&hub, &auth).await;
    assert_error(status, &v, 400, "slow_down");

    // Only a signed-in person can approve.
    let (status, v) = answer(&hub, "approve", None, &code).await;
    assert_error(status, &v, 401, "unauthorized");
    let ann = hub.login("ann@acme.test").await;
    let sloppy = code.to_lowercase().replace('-', " ");
    let (status, v) = answer(&hub, "approve", Some(&ann), &sloppy).await;
    assert_eq!(status, 204, "{v}");

    let res = hub
        .http()
        .post(format!("{}/api/auth/device/token", hub.url))
        .json(&json!({ "device_code": auth["device_code"] }))
        .send()
        .await
        .expect("poll");
    assert_eq!(res.status(), 200);
    assert!(
        res.headers().get("set-cookie").is_none(),
        "the agent's token is no browser session"
    );
    let login: Value = res.json().await.expect("JSON");
    assert_eq!(login["user"]["id"], users[1].id);
    assert_eq!(login["user"]["email"], "ann@acme.test");
    let token = login["token"].as_str().expect("token").to_string();

    // The token works, and the device list shows it as a desktop agent.
    let (status, me) = hub.call("GET", "/api/auth/me", Some(&token), None).await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(me["email"], "ann@acme.test");
    let (status, devices) = hub
        .call("GET", "/api/auth/tokens", Some(&token), None)
        .await;
    assert_eq!(status, 200, "{devices}");
    let this = devices
        .as_array()
        .expect("a list")
        .iter()
        .find(|d| d["current"] == true)
        .cloned()
        .expect("the new token is listed");
    assert_eq!(this["kind"], "device", "{this}");
    assert_eq!(this["client_ip"], "127.0.0.1", "{this}");

    // Single use.
    let (status, v) = poll(&hub, &auth).await;
    assert_error(status, &v, 400, "expired_token");
    let (status, v) = answer(&hub, "approve", Some(&ann), &code).await;
    assert_error(status, &v, 409, "conflict");

    // Audited in the approver's organization.
    let owner = hub.login("olga@acme.test").await;
    let (status, log) = hub
        .call(
            "GET",
            "/api/audit?action=DEVICE_LOGIN_APPROVED",
            Some(&owner),
            None,
        )
        .await;
    assert_eq!(status, 200, "{log}");
    assert_eq!(log["total"], 1, "{log}");
    assert_eq!(log["items"][0]["actor_id"], users[1].id);
    assert_eq!(
        log["items"][0]["details"]["client_name"],
        "presence-agent on build-box"
    );
}

#[tokio::test]
async fn whoever_approves_is_who_the_agent_logs_in_as() {
    let hub = TestHub::start().await;
    hub.org("Acme", &[("ann@acme.test", Role::Member)]).await;
    let (other, _) = hub
        .org("Other Co", &[("mallory@other.test", Role::Member)])
        .await;
    let auth = start(&hub, "presence-agent on ann's laptop").await;
    let mallory = hub.login("mallory@other.test").await;
    let (status, v) = answer(&hub, "approve", Some(&mallory), &user_code(&auth)).await;
    assert_eq!(status, 204, "{v}");
    let (status, login) = poll(&hub, &auth).await;
    assert_eq!(status, 200, "{login}");
    assert_eq!(login["user"]["email"], "mallory@other.test");
    assert_eq!(login["user"]["org_id"], other.id);
    let token = login["token"].as_str().expect("token");
    let (_, me) = hub.call("GET", "/api/auth/me", Some(token), None).await;
    assert_eq!(me["email"], "mallory@other.test");
}

#[tokio::test]
async fn denied_expired_unknown_and_malformed_codes_are_refused() {
    let hub = TestHub::start().await;
    hub.org("Acme", &[("ann@acme.test", Role::Member)]).await;
    let ann = hub.login("ann@acme.test").await;

    let denied = start(&hub, "an agent nobody started").await;
    let (status, v) = answer(&hub, "deny", Some(&ann), &user_code(&denied)).await;
    assert_eq!(status, 204, "{v}");
    let (status, v) = poll(&hub, &denied).await;
    assert_error(status, &v, 400, "access_denied");
    let (status, v) = answer(&hub, "approve", Some(&ann), &user_code(&denied)).await;
    assert_error(status, &v, 409, "conflict");

    let expired = start(&hub, "a slow agent").await;
    let stored = user_code(&expired).replace('-', "");
    let past = server::store::now_ms() - 1;
    assert!(hub
        .store
        .set_device_grant_expiry(&stored, past)
        .await
        .expect("moved"));
    let (status, v) = poll(&hub, &expired).await;
    assert_error(status, &v, 400, "expired_token");
    let (status, v) = answer(&hub, "approve", Some(&ann), &user_code(&expired)).await;
    assert_error(status, &v, 409, "conflict");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("expired"),
        "{v}"
    );

    let (status, v) = answer(&hub, "approve", Some(&ann), "BBBB-BBBB").await;
    assert_error(status, &v, 404, "not_found");
    let (status, v) = answer(&hub, "approve", Some(&ann), "12-34").await;
    assert_error(status, &v, 422, "invalid_value");
    assert!(v["error"]["fields"]["user_code"].is_string(), "{v}");
    let (status, v) = hub
        .call(
            "POST",
            "/api/auth/device/token",
            None,
            Some(json!({ "device_code": "not-a-device-code" })),
        )
        .await;
    assert_error(status, &v, 400, "invalid_grant");
}

#[tokio::test]
async fn the_device_page_brings_a_signed_out_person_back_through_the_login() {
    let hub = TestHub::start().await;
    hub.org("Acme", &[("ann@acme.test", Role::Member)]).await;
    let auth = start(&hub, "presence-agent on build-box").await;
    let code = user_code(&auth);
    let http = hub.http();

    // Signed out: to /login, which will come back here with the code.
    let res = http
        .get(format!("{}/device?code={code}", hub.url))
        .send()
        .await
        .expect("page");
    assert!(res.status().is_redirection(), "{}", res.status());
    let location = res.headers()["location"]
        .to_str()
        .expect("location")
        .to_string();
    assert_eq!(location, format!("/login?next=%2Fdevice%3Fcode%3D{code}"));
    let (status, html) = hub.page("", &location).await;
    assert_eq!(status, 200);
    assert!(
        html.contains("name=\"next\"") && html.contains(&format!("/device?code={code}")),
        "the login form carries the way back: {html}"
    );

    // The form's login lands on the page with the code, which shows who asks.
    let res = http
        .post(format!("{}/login", hub.url))
        .form(&[
            ("email", "ann@acme.test"),
            ("password", PASSWORD),
            ("next", &format!("/device?code={code}")),
        ])
        .send()
        .await
        .expect("login");
    assert_eq!(res.status(), 303);
    assert_eq!(
        res.headers()["location"],
        format!("/device?code={code}").as_str()
    );
    let cookie = res.headers()["set-cookie"]
        .to_str()
        .expect("cookie")
        .split(';')
        .next()
        .expect("cookie value")
        .trim_start_matches("ph_session=")
        .to_string();
    let (status, html) = hub.page(&cookie, &format!("/device?code={code}")).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("presence-agent on build-box"), "{html}");
    assert!(html.contains("id=\"device-approve\""), "{html}");

    // A login never leads off the hub.
    let res = http
        .post(format!("{}/login", hub.url))
        .form(&[
            ("email", "ann@acme.test"),
            ("password", PASSWORD),
            ("next", "//evil.example/"),
        ])
        .send()
        .await
        .expect("login");
    assert_eq!(res.headers()["location"], "/");

    // An unknown code says so, with the field to type it again.
    let (status, html) = hub.page(&cookie, "/device?code=BBBB-BBBB").await;
    assert_eq!(status, 404);
    assert!(
        html.contains("No device is waiting with this code"),
        "{html}"
    );
    assert!(html.contains("id=\"device-code\""), "{html}");
}

//! Two-factor sign-in over HTTP against a real hub (SQLite, or PostgreSQL when
//! PRESENCE_TEST_PG is set), with the codes computed here from the secret the hub hands out,
//! as an authenticator app would (totp-rs): enrolment, the two-step login (JSON and the HTML
//! form), no code accepted twice, recovery codes used once, wrong codes and rate limits, the
//! organization's requirement, an admin's reset, and their audit entries.

use crate::common::{TestHub, PASSWORD};
use serde_json::{json, Value};
use shared::Role;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use totp_rs::{Algorithm, Secret, TOTP};

fn now_seconds() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// The app's code at `unix_seconds` for a base32 secret (SHA-1, 6 digits, 30 s).
fn code_at(secret: &str, unix_seconds: u64) -> String {
    let bytes = Secret::Encoded(secret.to_string())
        .to_bytes()
        .expect("the secret is base32");
    TOTP::new(Algorithm::SHA1, 6, 1, 30, bytes, None, String::new())
        .expect("a TOTP")
        .generate(unix_seconds)
}

/// Now, once the current 30-second step has a few seconds left: the codes a test computes
/// for this step and its neighbours stay valid while it uses them.
async fn steady_now() -> u64 {
    let left = 30 - now_seconds() % 30;
    if left <= 4 {
        tokio::time::sleep(Duration::from_secs(left + 1)).await;
    }
    now_seconds()
}

/// A code that is not the app's for any step near `now`.
fn wrong_code(secret: &str, now: u64) -> String {
    let taken = [now - 30, now, now + 30].map(|t| code_at(secret, t));
    (0..10u32)
        .map(|d| format!("{d}{d}{d}{d}{d}{d}"))
        .find(|c| !taken.contains(c))
        .expect("a wrong code")
}

/// Sets up two-factor sign-in for the login `token` and turns it on with the code of the
/// step before `now`: the secret and the 10 recovery codes.
async fn enrol(hub: &TestHub, token: &str, now: u64) -> (String, Vec<String>) {
    let (status, setup) = hub
        .call("POST", "/api/me/2fa/setup", Some(token), None)
        .await;
    assert_eq!(status, 200, "{setup}");
    let secret = setup["secret"].as_str().expect("secret").to_string();
    let (status, on) = hub
        .call(
            "POST",
            "/api/me/2fa/enable",
            Some(token),
            Some(json!({"code": code_at(&secret, now - 30)})),
        )
        .await;
    assert_eq!(status, 200, "{on}");
    let codes = on["recovery_codes"]
        .as_array()
        .expect("recovery codes")
        .iter()
        .map(|c| c.as_str().expect("a code").to_string())
        .collect();
    (secret, codes)
}

/// The password step: the answer, which must ask for the code; its `mfa_token`.
async fn password_step(hub: &TestHub, email: &str) -> String {
    let res = hub
        .http()
        .post(format!("{}/api/auth/login", hub.url))
        .json(&json!({"email": email, "password": PASSWORD}))
        .send()
        .await
        .expect("login");
    assert_eq!(res.status(), 200);
    assert!(
        res.headers().get("set-cookie").is_none(),
        "no session before the code"
    );
    let body: Value = res.json().await.expect("JSON");
    assert_eq!(body["mfa_required"], true, "{body}");
    assert!(
        body.get("token").is_none(),
        "no token before the code: {body}"
    );
    body["mfa_token"].as_str().expect("mfa_token").to_string()
}

async fn mfa(hub: &TestHub, body: Value) -> (u16, Value) {
    hub.call("POST", "/api/auth/mfa", None, Some(body)).await
}

async fn audit_actions(hub: &TestHub, admin: &str) -> Vec<String> {
    let (status, v) = hub
        .call("GET", "/api/audit?per_page=500", Some(admin), None)
        .await;
    assert_eq!(status, 200, "{v}");
    v["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|e| e["action"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[tokio::test]
async fn enrolment_then_the_two_step_login_and_no_code_twice() {
    let hub = TestHub::start().await;
    hub.org(
        "Acme",
        &[
            ("olga@acme.test", Role::Owner),
            ("ann@acme.test", Role::Member),
        ],
    )
    .await;
    let ann = hub.login("ann@acme.test").await;
    let (status, state) = hub.call("GET", "/api/me/2fa", Some(&ann), None).await;
    assert_eq!(status, 200);
    assert_eq!(
        state,
        json!({"enabled": false, "recovery_codes_left": 0, "required": false})
    );

    let (status, setup) = hub
        .call("POST", "/api/me/2fa/setup", Some(&ann), None)
        .await;
    assert_eq!(status, 200, "{setup}");
    let secret = setup["secret"].as_str().expect("secret").to_string();
    let uri = setup["otpauth_uri"].as_str().expect("otpauth_uri");
    assert!(
        uri.starts_with("otpauth://totp/Presence%20Hub:ann%40acme.test?"),
        "{uri}"
    );
    assert!(uri.contains(&format!("secret={secret}")) && uri.contains("issuer=Presence%20Hub"));
    assert!(setup["qr_svg"]
        .as_str()
        .is_some_and(|s| s.starts_with("<svg")));

    let now = steady_now().await;
    let (status, refused) = hub
        .call(
            "POST",
            "/api/me/2fa/enable",
            Some(&ann),
            Some(json!({"code": wrong_code(&secret, now)})),
        )
        .await;
    assert_eq!(status, 422, "{refused}");
    assert!(refused["error"]["fields"]["code"].is_string(), "{refused}");
    let (status, on) = hub
        .call(
            "POST",
            "/api/me/2fa/enable",
            Some(&ann),
            Some(json!({"code": code_at(&secret, now - 30)})),
        )
        .await;
    assert_eq!(status, 200, "{on}");
    assert_eq!(on["recovery_codes"].as_array().map(Vec::len), Some(10));
    let (status, again) = hub
        .call("POST", "/api/me/2fa/setup", Some(&ann), None)
        .await;
    assert_eq!(status, 409, "no new secret while it is on: {again}");

    // The password alone no longer signs in.
    let mfa_token = password_step(&hub, "ann@acme.test").await;
    let (status, wrong) = mfa(
        &hub,
        json!({"mfa_token": mfa_token, "code": wrong_code(&secret, now)}),
    )
    .await;
    assert_eq!(status, 401, "{wrong}");
    assert_eq!(wrong["error"]["code"], "invalid_code");

    let code = code_at(&secret, now);
    let res = hub
        .http()
        .post(format!("{}/api/auth/mfa", hub.url))
        .json(&json!({"mfa_token": mfa_token, "code": code}))
        .send()
        .await
        .expect("mfa");
    assert_eq!(res.status(), 200);
    let cookie = res.headers()["set-cookie"]
        .to_str()
        .expect("cookie")
        .to_string();
    assert!(cookie.starts_with("ph_session=") && cookie.contains("HttpOnly"));
    let body: Value = res.json().await.expect("JSON");
    assert_eq!(body["user"]["email"], "ann@acme.test");
    let token = body["token"].as_str().expect("token");
    let (status, me) = hub.call("GET", "/api/auth/me", Some(token), None).await;
    assert_eq!((status, me["email"].clone()), (200, json!("ann@acme.test")));

    // The same code for another login: refused, though still inside its 30 seconds.
    let second = password_step(&hub, "ann@acme.test").await;
    let (status, replay) = mfa(&hub, json!({"mfa_token": second, "code": code})).await;
    assert_eq!(status, 401, "{replay}");
    assert_eq!(replay["error"]["code"], "invalid_code");
    assert!(
        replay["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("already used")),
        "{replay}"
    );
    // The next step's code works (a phone's clock slightly ahead).
    let (status, next) = mfa(
        &hub,
        json!({"mfa_token": second, "code": code_at(&secret, now + 30)}),
    )
    .await;
    assert_eq!(status, 200, "{next}");

    let (_, state) = hub.call("GET", "/api/me/2fa", Some(&ann), None).await;
    assert_eq!(
        state,
        json!({"enabled": true, "recovery_codes_left": 10, "required": false})
    );
    let owner = hub.login("olga@acme.test").await;
    assert!(audit_actions(&hub, &owner)
        .await
        .contains(&"TWO_FACTOR_ENABLED".to_string()));
}

#[tokio::test]
async fn a_recovery_code_works_once() {
    let hub = TestHub::start().await;
    hub.org(
        "Acme",
        &[
            ("olga@acme.test", Role::Owner),
            ("ann@acme.test", Role::Member),
        ],
    )
    .await;
    let ann = hub.login("ann@acme.test").await;
    let (secret, codes) = enrol(&hub, &ann, steady_now().await).await;

    let token = password_step(&hub, "ann@acme.test").await;
    let (status, done) = mfa(
        &hub,
        json!({"mfa_token": token, "recovery_code": codes[0].to_uppercase()}),
    )
    .await;
    assert_eq!(status, 200, "{done}");
    assert!(done["token"].is_string());

    let token = password_step(&hub, "ann@acme.test").await;
    let (status, twice) = mfa(&hub, json!({"mfa_token": token, "recovery_code": codes[0]})).await;
    assert_eq!(status, 401, "{twice}");
    assert_eq!(twice["error"]["code"], "invalid_code");
    // Another one still works on the same login.
    let (status, other) = mfa(&hub, json!({"mfa_token": token, "recovery_code": codes[1]})).await;
    assert_eq!(status, 200, "{other}");

    let (_, state) = hub.call("GET", "/api/me/2fa", Some(&ann), None).await;
    assert_eq!(state["recovery_codes_left"], 8);

    // New codes against a code of the app: the old ones stop working.
    let now = steady_now().await;
    let (status, renewed) = hub
        .call(
            "POST",
            "/api/me/2fa/recovery-codes",
            Some(&ann),
            Some(json!({"code": code_at(&secret, now + 30)})),
        )
        .await;
    assert_eq!(status, 200, "{renewed}");
    let token = password_step(&hub, "ann@acme.test").await;
    let (status, old) = mfa(&hub, json!({"mfa_token": token, "recovery_code": codes[2]})).await;
    assert_eq!(status, 401, "an old recovery code after renewal: {old}");

    let owner = hub.login("olga@acme.test").await;
    let actions = audit_actions(&hub, &owner).await;
    for action in ["RECOVERY_CODE_USED", "RECOVERY_CODES_RENEWED"] {
        assert!(
            actions.iter().any(|a| a == action),
            "{action} in {actions:?}"
        );
    }
}

#[tokio::test]
async fn five_wrong_codes_end_the_second_step() {
    let hub = TestHub::start().await;
    hub.org("Acme", &[("ann@acme.test", Role::Member)]).await;
    let ann = hub.login("ann@acme.test").await;
    let now = steady_now().await;
    let (secret, _) = enrol(&hub, &ann, now).await;
    let token = password_step(&hub, "ann@acme.test").await;
    let wrong = wrong_code(&secret, now);
    for attempt in 1..=4 {
        let (status, v) = mfa(&hub, json!({"mfa_token": token, "code": wrong})).await;
        assert_eq!(
            (status, v["error"]["code"].clone()),
            (401, json!("invalid_code")),
            "{attempt}"
        );
    }
    let (status, fifth) = mfa(&hub, json!({"mfa_token": token, "code": wrong})).await;
    assert_eq!(status, 401, "{fifth}");
    assert_eq!(fifth["error"]["code"], "mfa_expired");
    let (status, sixth) = mfa(
        &hub,
        json!({"mfa_token": token, "code": code_at(&secret, now)}),
    )
    .await;
    assert_eq!(status, 401, "the right code on a dead second step: {sixth}");
    assert_eq!(sixth["error"]["code"], "mfa_expired");
    // A fresh login still works.
    let token = password_step(&hub, "ann@acme.test").await;
    let (status, _) = mfa(
        &hub,
        json!({"mfa_token": token, "code": code_at(&secret, now)}),
    )
    .await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn the_second_step_is_rate_limited_like_the_password() {
    let hub = TestHub::start_with(|c| c.login_attempts_per_minute = 4).await;
    hub.org("Acme", &[("ann@acme.test", Role::Member)]).await;
    let ann = hub.login("ann@acme.test").await;
    let now = steady_now().await;
    let (secret, _) = enrol(&hub, &ann, now).await;
    let token = password_step(&hub, "ann@acme.test").await;
    let wrong = wrong_code(&secret, now);
    let mut statuses = Vec::new();
    let mut retry_after = None;
    for _ in 0..6 {
        let res = hub
            .http()
            .post(format!("{}/api/auth/mfa", hub.url))
            .json(&json!({"mfa_token": token, "code": wrong}))
            .send()
            .await
            .expect("mfa");
        statuses.push(res.status().as_u16());
        if res.status() == 429 {
            retry_after = res.headers().get("retry-after").cloned();
        }
    }
    assert!(statuses.contains(&429), "{statuses:?}");
    assert!(retry_after.is_some(), "429 says when to try again");
}

#[tokio::test]
async fn the_organization_requirement_holds_until_enrolled() {
    let hub = TestHub::start().await;
    hub.org(
        "Acme",
        &[
            ("olga@acme.test", Role::Owner),
            ("ann@acme.test", Role::Member),
        ],
    )
    .await;
    let owner = hub.login("olga@acme.test").await;
    enrol(&hub, &owner, steady_now().await).await;
    // The owner is enrolled, so the owner's next calls still work: with their existing token.
    let (status, org) = hub
        .call(
            "PATCH",
            "/api/org",
            Some(&owner),
            Some(json!({"require_2fa_for": "everyone"})),
        )
        .await;
    assert_eq!(status, 200, "{org}");
    assert_eq!(org["require_2fa_for"], "everyone");
    let (status, org) = hub.call("GET", "/api/org", Some(&owner), None).await;
    assert_eq!(
        (status, org["require_2fa_for"].clone()),
        (200, json!("everyone"))
    );
    let (status, bad) = hub
        .call(
            "PATCH",
            "/api/org",
            Some(&owner),
            Some(json!({"require_2fa_for": "sometimes"})),
        )
        .await;
    assert!(status == 422 || status == 400, "{status} {bad}");

    // Ann has not enrolled: she signs in, but may only enrol.
    let ann = hub.login("ann@acme.test").await;
    let (status, refused) = hub.call("GET", "/api/config", Some(&ann), None).await;
    assert_eq!(status, 403, "{refused}");
    assert_eq!(refused["error"]["code"], "two_factor_required");
    assert!(refused["error"]["message"]
        .as_str()
        .is_some_and(|m| m.contains("two-factor")));
    let (status, _) = hub.call("GET", "/api/auth/me", Some(&ann), None).await;
    assert_eq!(status, 200);
    let (status, state) = hub.call("GET", "/api/me/2fa", Some(&ann), None).await;
    assert_eq!((status, state["required"].clone()), (200, json!(true)));
    // Pages lead to /account, which opens.
    let res = hub
        .http()
        .get(format!("{}/sessions", hub.url))
        .header("cookie", format!("ph_session={ann}"))
        .send()
        .await
        .expect("page");
    assert!(res.status().is_redirection(), "{}", res.status());
    assert_eq!(res.headers()["location"], "/account");
    let (status, _) = hub.page(&ann, "/").await;
    assert_eq!(status, 303);
    let (status, html) = hub.page(&ann, "/account").await;
    assert_eq!(status, 200);
    assert!(
        html.contains("id=\"two-factor-required\""),
        "the account page says why"
    );

    // Nor do her tokens open a socket: neither the dashboard's nor an agent's.
    for path in ["/ws/agent", "/ws/tab"] {
        let mut req = hub.ws_url(path).into_client_request().expect("request");
        req.headers_mut().insert(
            "authorization",
            format!("Bearer {ann}").parse().expect("header"),
        );
        match tokio_tungstenite::connect_async(req).await {
            Err(tokio_tungstenite::tungstenite::Error::Http(res)) => {
                assert_eq!(res.status(), 403, "{path}")
            }
            other => panic!("{path} opened before enrolment: {:?}", other.map(|_| ())),
        }
    }

    enrol(&hub, &ann, steady_now().await).await;
    let (status, config) = hub.call("GET", "/api/config", Some(&ann), None).await;
    assert_eq!(status, 200, "enrolled: {config}");
    hub.agent(&ann).await;
    let (status, page) = hub.page(&ann, "/sessions").await;
    assert_eq!(status, 200, "{}", page.len());
    // Required: it cannot be turned off.
    let (status, off) = hub
        .call(
            "POST",
            "/api/me/2fa/disable",
            Some(&ann),
            Some(json!({"password": PASSWORD})),
        )
        .await;
    assert_eq!(status, 409, "{off}");

    let actions = audit_actions(&hub, &owner).await;
    assert!(actions.iter().any(|a| a == "ORG_UPDATED"), "{actions:?}");
}

#[tokio::test]
async fn admins_require_owners_and_admins_only() {
    let hub = TestHub::start().await;
    hub.org(
        "Acme",
        &[
            ("olga@acme.test", Role::Owner),
            ("ada@acme.test", Role::Admin),
            ("ann@acme.test", Role::Member),
        ],
    )
    .await;
    let owner = hub.login("olga@acme.test").await;
    enrol(&hub, &owner, steady_now().await).await;
    let (status, _) = hub
        .call(
            "PATCH",
            "/api/org",
            Some(&owner),
            Some(json!({"require_2fa_for": "admins"})),
        )
        .await;
    assert_eq!(status, 200);
    let ada = hub.login("ada@acme.test").await;
    let ann = hub.login("ann@acme.test").await;
    let (status, _) = hub.call("GET", "/api/users", Some(&ada), None).await;
    assert_eq!(status, 403, "an admin without it");
    let (status, _) = hub.call("GET", "/api/config", Some(&ann), None).await;
    assert_eq!(status, 200, "a member is not covered");
}

#[tokio::test]
async fn an_admin_reset_makes_the_login_one_step_again() {
    let hub = TestHub::start().await;
    let (_, users) = hub
        .org(
            "Acme",
            &[
                ("olga@acme.test", Role::Owner),
                ("ada@acme.test", Role::Admin),
                ("ann@acme.test", Role::Member),
            ],
        )
        .await;
    let (_, others) = hub.org("Other", &[("otto@o.test", Role::Member)]).await;
    let (olga_id, ann_id) = (users[0].id, users[2].id);
    let owner = hub.login("olga@acme.test").await;
    let ada = hub.login("ada@acme.test").await;
    let ann = hub.login("ann@acme.test").await;
    let now = steady_now().await;
    enrol(&hub, &ann, now).await;
    enrol(&hub, &owner, now).await;

    let path = |id: i64| format!("/api/users/{id}/2fa/reset");
    let (status, _) = hub.call("POST", &path(ann_id), Some(&ann), None).await;
    assert_eq!(status, 403, "a member resets nobody");
    let (status, _) = hub.call("POST", &path(olga_id), Some(&ada), None).await;
    assert_eq!(status, 403, "an admin does not reset an owner's");
    let (status, _) = hub
        .call("POST", &path(others[0].id), Some(&ada), None)
        .await;
    assert_eq!(status, 404, "another organization's user");

    let (status, body) = hub.call("POST", &path(ann_id), Some(&ada), None).await;
    assert_eq!(status, 204, "{body}");
    let (status, again) = hub.call("POST", &path(ann_id), Some(&ada), None).await;
    assert_eq!(status, 409, "nothing left to reset: {again}");
    let token = hub.login("ann@acme.test").await;
    assert!(!token.is_empty(), "the password alone signs in again");
    let (_, state) = hub.call("GET", "/api/me/2fa", Some(&token), None).await;
    assert_eq!(state["enabled"], false);

    let actions = audit_actions(&hub, &ada).await;
    assert!(
        actions.iter().any(|a| a == "TWO_FACTOR_RESET"),
        "{actions:?}"
    );
}

#[tokio::test]
async fn turning_it_off_takes_the_password() {
    let hub = TestHub::start().await;
    hub.org(
        "Acme",
        &[
            ("olga@acme.test", Role::Owner),
            ("ann@acme.test", Role::Member),
        ],
    )
    .await;
    let ann = hub.login("ann@acme.test").await;
    enrol(&hub, &ann, steady_now().await).await;
    let (status, wrong) = hub
        .call(
            "POST",
            "/api/me/2fa/disable",
            Some(&ann),
            Some(json!({"password": "not-the-password"})),
        )
        .await;
    assert_eq!(status, 422, "{wrong}");
    assert!(wrong["error"]["fields"]["password"].is_string());
    let (status, _) = hub
        .call(
            "POST",
            "/api/me/2fa/disable",
            Some(&ann),
            Some(json!({"password": PASSWORD})),
        )
        .await;
    assert_eq!(status, 204);
    assert!(hub.login_with("ann@acme.test", PASSWORD).await.is_some());
    let owner = hub.login("olga@acme.test").await;
    assert!(audit_actions(&hub, &owner)
        .await
        .contains(&"TWO_FACTOR_DISABLED".to_string()));
}

/// The value of the hidden input `name` in a page.
fn hidden_value(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let at = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no {name} in the page"))
        + marker.len();
    html[at..].split('"').next().unwrap_or_default().to_string()
}

#[tokio::test]
async fn the_html_login_asks_for_the_code_on_the_same_page() {
    let hub = TestHub::start().await;
    hub.org("Acme", &[("ann@acme.test", Role::Member)]).await;
    let ann = hub.login("ann@acme.test").await;
    let now = steady_now().await;
    let (secret, codes) = enrol(&hub, &ann, now).await;
    let http = hub.http();

    let res = http
        .post(format!("{}/login", hub.url))
        .form(&[("email", "ann@acme.test"), ("password", PASSWORD)])
        .send()
        .await
        .expect("login form");
    assert_eq!(res.status(), 200, "the code's form, not a redirect");
    assert!(res.headers().get("set-cookie").is_none());
    let html = res.text().await.expect("html");
    assert!(html.contains("id=\"mfa-form\"") && html.contains("action=\"/login/mfa\""));
    assert!(
        html.contains("autocomplete=\"one-time-code\"") && html.contains("inputmode=\"numeric\"")
    );
    assert!(html.contains("Use a recovery code"));
    let mfa_token = hidden_value(&html, "mfa_token");

    let res = http
        .post(format!("{}/login/mfa", hub.url))
        .form(&[
            ("mfa_token", mfa_token.as_str()),
            ("code", wrong_code(&secret, now).as_str()),
        ])
        .send()
        .await
        .expect("code form");
    assert_eq!(res.status(), 401);
    let html = res.text().await.expect("html");
    assert!(html.contains("id=\"mfa-error\"") && html.contains("role=\"alert\""));
    assert_eq!(
        hidden_value(&html, "mfa_token"),
        mfa_token,
        "the same step goes on"
    );

    let res = http
        .post(format!("{}/login/mfa", hub.url))
        .form(&[
            ("mfa_token", mfa_token.as_str()),
            ("code", code_at(&secret, now).as_str()),
        ])
        .send()
        .await
        .expect("code form");
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/");
    let cookie = res.headers()["set-cookie"].to_str().expect("cookie");
    let token = cookie
        .split(';')
        .next()
        .and_then(|c| c.strip_prefix("ph_session="))
        .expect("the session cookie");
    let (status, _) = hub.page(token, "/").await;
    assert_eq!(status, 200);

    // A recovery code through the second form; then the used step cannot be resumed.
    let res = http
        .post(format!("{}/login", hub.url))
        .form(&[("email", "ann@acme.test"), ("password", PASSWORD)])
        .send()
        .await
        .expect("login form");
    let mfa_token = hidden_value(&res.text().await.expect("html"), "mfa_token");
    let res = http
        .post(format!("{}/login/mfa", hub.url))
        .form(&[
            ("mfa_token", mfa_token.as_str()),
            ("recovery_code", codes[5].as_str()),
        ])
        .send()
        .await
        .expect("recovery form");
    assert_eq!(res.status(), 303);
    let res = http
        .post(format!("{}/login/mfa", hub.url))
        .form(&[
            ("mfa_token", mfa_token.as_str()),
            ("recovery_code", codes[6].as_str()),
        ])
        .send()
        .await
        .expect("recovery form");
    assert_eq!(res.status(), 401);
    let html = res.text().await.expect("html");
    assert!(
        html.contains("id=\"login-error\"") && html.contains("name=\"password\""),
        "back to the password form with why"
    );
}

#[tokio::test]
async fn a_reset_link_is_not_a_way_around_the_code() {
    let hub = TestHub::start().await;
    let (_, users) = hub
        .org(
            "Acme",
            &[
                ("ada@acme.test", Role::Admin),
                ("ann@acme.test", Role::Member),
            ],
        )
        .await;
    let ada = hub.login("ada@acme.test").await;
    let ann = hub.login("ann@acme.test").await;
    let now = steady_now().await;
    let (secret, _) = enrol(&hub, &ann, now).await;
    let (status, link) = hub
        .call(
            "POST",
            &format!("/api/users/{}/reset-link", users[1].id),
            Some(&ada),
            None,
        )
        .await;
    assert_eq!(status, 200, "{link}");
    let token = link["link"]
        .as_str()
        .and_then(|l| l.rsplit('/').next())
        .expect("the link's token")
        .to_string();
    let (status, answer) = hub
        .call(
            "POST",
            &format!("/api/auth/invite/{token}"),
            None,
            Some(json!({"password": "a-new-pass-123"})),
        )
        .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(
        answer["mfa_required"], true,
        "the code is still asked for: {answer}"
    );
    assert!(answer.get("token").is_none());
    let (status, done) = mfa(
        &hub,
        json!({"mfa_token": answer["mfa_token"], "code": code_at(&secret, now)}),
    )
    .await;
    assert_eq!(status, 200, "{done}");
}

#[tokio::test]
async fn the_command_line_resets_it() {
    let hub = TestHub::start().await;
    hub.org("Acme", &[("ann@acme.test", Role::Member)]).await;
    let ann = hub.login("ann@acme.test").await;
    enrol(&hub, &ann, steady_now().await).await;
    let reset = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_presence-hub"))
            .args(["user", "reset-2fa", "--email", "ANN@acme.test"])
            .env("DATABASE_URL", hub.config.database_url())
            .env("RUST_LOG", "warn")
            .stdin(std::process::Stdio::null())
            .output()
            .expect("presence-hub runs")
    };
    let out = reset();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(hub.login_with("ann@acme.test", PASSWORD).await.is_some());
    let again = reset();
    assert_eq!(again.status.code(), Some(1), "nothing left to reset");
    assert!(String::from_utf8_lossy(&again.stderr).contains("no two-factor sign-in"));
}

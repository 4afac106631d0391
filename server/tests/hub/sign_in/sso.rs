//! Single sign-on against a real hub (SQLite here, PostgreSQL when PRESENCE_TEST_PG is set),
//! without a provider: the settings API (owner only, checked, the secret write-only), the
//! lookup behind "Sign in with …", `sso_only` refusing password logins (JSON and the HTML form)
//! except the owner's, the no-JavaScript `/auth/sso` redirect, the refusal pages of
//! `/auth/sso/…`, `/settings/org` and the command line. The whole flow with a real OpenID
//! provider is in `e2e/tests/pages/sign_in/sso.rs`.

use crate::common::{TestHub, PASSWORD};
use serde_json::{json, Value};
use shared::Role;
use std::io::Write;
use std::process::{Command, Output, Stdio};

/// An issuer on this machine where nothing listens: discovery fails at once.
const DEAD_ISSUER: &str = "http://127.0.0.1:9";

fn settings(sso_only: bool) -> Value {
    json!({
        "issuer": DEAD_ISSUER,
        "client_id": "presence-hub",
        "client_secret": "top-secret-value",
        "allowed_domains": ["Acme.Test"],
        "sso_only": sso_only,
    })
}

/// `GET path` without following redirects: status, `Location`, body.
async fn get(hub: &TestHub, path: &str) -> (u16, String, String) {
    let res = hub
        .http()
        .get(format!("{}{path}", hub.url))
        .send()
        .await
        .expect("request");
    let status = res.status().as_u16();
    let location = res
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    (status, location, res.text().await.expect("body"))
}

async fn audited(hub: &TestHub, owner: &str, action: &str) -> Vec<Value> {
    let (status, body) = hub
        .call(
            "GET",
            &format!("/api/audit?action={action}"),
            Some(owner),
            None,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    body["items"].as_array().cloned().unwrap_or_default()
}

#[tokio::test]
async fn the_owner_sets_it_up_and_password_logins_follow_sso_only() {
    let hub = TestHub::start().await;
    let (org, users) = hub
        .org(
            "Acme",
            &[
                ("owner@acme.test", Role::Owner),
                ("admin@acme.test", Role::Admin),
                ("ann@acme.test", Role::Member),
            ],
        )
        .await;
    let owner = hub.login("owner@acme.test").await;
    let admin = hub.login("admin@acme.test").await;

    let (status, body) = hub.call("GET", "/api/org/sso", Some(&admin), None).await;
    assert_eq!(status, 403, "{body}");
    let (status, body) = hub
        .call("PUT", "/api/org/sso", Some(&admin), Some(settings(true)))
        .await;
    assert_eq!(status, 403, "{body}");
    let (status, _) = hub.call("GET", "/api/org/sso", Some(&owner), None).await;
    assert_eq!(status, 404, "nothing set up yet");

    let mut bad = settings(true);
    bad["issuer"] = json!("http://login.example.com");
    bad["allowed_domains"] = json!(["not a domain"]);
    let (status, body) = hub
        .call("PUT", "/api/org/sso", Some(&owner), Some(bad))
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["code"], "invalid_value");
    assert!(
        body["error"]["fields"]["issuer"]
            .as_str()
            .is_some_and(|t| t.contains("http:// is only accepted for a provider on this machine")),
        "{body}"
    );
    assert!(
        body["error"]["fields"]["allowed_domains"].is_string(),
        "{body}"
    );

    let (status, saved) = hub
        .call("PUT", "/api/org/sso", Some(&owner), Some(settings(true)))
        .await;
    assert_eq!(status, 200, "{saved}");
    assert_eq!(saved["client_secret_set"], json!(true));
    assert_eq!(saved["allowed_domains"], json!(["acme.test"]));
    assert_eq!(saved["sso_only"], json!(true));
    assert_eq!(
        saved["callback_url"],
        format!("{}/auth/sso/callback", hub.url)
    );
    let (status, shown) = hub.call("GET", "/api/org/sso", Some(&owner), None).await;
    assert_eq!(status, 200);
    assert!(
        !shown.to_string().contains("top-secret-value") && shown.get("client_secret").is_none(),
        "the secret is write-only: {shown}"
    );
    // Saving without the secret keeps it.
    let mut again = settings(true);
    again
        .as_object_mut()
        .expect("object")
        .remove("client_secret");
    let (status, kept) = hub
        .call("PUT", "/api/org/sso", Some(&owner), Some(again))
        .await;
    assert_eq!((status, &kept["client_secret_set"]), (200, &json!(true)));

    // The lookup: by domain, without logging in.
    let (status, found) = hub
        .call(
            "GET",
            "/api/auth/sso/lookup?email=Someone%40ACME.test",
            None,
            None,
        )
        .await;
    assert_eq!(status, 200, "{found}");
    assert_eq!(found["org_id"], org.id);
    assert_eq!(found["org_name"], "Acme");
    assert_eq!(found["start_url"], format!("/auth/sso/{}/start", org.id));
    let (status, _) = hub
        .call(
            "GET",
            "/api/auth/sso/lookup?email=x%40other.test",
            None,
            None,
        )
        .await;
    assert_eq!(status, 404);
    let (status, _) = hub.call("GET", "/api/auth/sso/lookup", None, None).await;
    assert_eq!(status, 400);

    // sso_only: a member's right password is refused with 409 sso_required; a wrong one
    // learns nothing; the owner's password still works (break-glass).
    let (status, body) = hub
        .call(
            "POST",
            "/api/auth/login",
            None,
            Some(json!({"email": "ann@acme.test", "password": PASSWORD})),
        )
        .await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["error"]["code"], "sso_required");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("Sign in with Acme")),
        "{body}"
    );
    assert!(hub.login_with("admin@acme.test", PASSWORD).await.is_none());
    assert!(hub
        .login_with("ann@acme.test", "wrong-password-1")
        .await
        .is_none());
    let (status, body) = hub
        .call(
            "POST",
            "/api/auth/login",
            None,
            Some(json!({"email": "ann@acme.test", "password": "wrong-password-1"})),
        )
        .await;
    assert_eq!(
        (status, body["error"]["code"].clone()),
        (401, json!("invalid_credentials"))
    );
    assert!(hub.login_with("owner@acme.test", PASSWORD).await.is_some());
    // The HTML form says the same, with 409.
    let res = hub
        .http()
        .post(format!("{}/login", hub.url))
        .form(&[("email", "ann@acme.test"), ("password", PASSWORD)])
        .send()
        .await
        .expect("form post");
    assert_eq!(res.status(), 409);
    let html = res.text().await.expect("page");
    assert!(html.contains("Sign in with Acme"), "{html}");

    // Nor does a reset link give a member a password session; the link is not spent.
    let (status, reset) = hub
        .call(
            "POST",
            &format!("/api/users/{}/reset-link", users[2].id),
            Some(&owner),
            None,
        )
        .await;
    assert_eq!(status, 200, "{reset}");
    let link_token = reset["link"]
        .as_str()
        .and_then(|l| l.rsplit('/').next())
        .expect("a link")
        .to_string();
    let use_link = |password: &'static str| {
        let path = format!("/api/auth/invite/{link_token}");
        let hub = &hub;
        async move {
            hub.call("POST", &path, None, Some(json!({ "password": password })))
                .await
        }
    };
    let (status, body) = use_link("a-new-password-1").await;
    assert_eq!(
        (status, body["error"]["code"].clone()),
        (409, json!("sso_required")),
        "{body}"
    );

    // Removed: everyone's password works again, and the link too.
    let (status, _) = hub.call("DELETE", "/api/org/sso", Some(&owner), None).await;
    assert_eq!(status, 204);
    assert!(hub.login_with("ann@acme.test", PASSWORD).await.is_some());
    let (status, body) = use_link("a-new-password-1").await;
    assert_eq!(status, 200, "the link still works: {body}");
    let (status, _) = hub.call("GET", "/api/org/sso", Some(&owner), None).await;
    assert_eq!(status, 404);
    let actions: Vec<String> = audited(&hub, &owner, "SSO_CONFIGURED")
        .await
        .iter()
        .chain(audited(&hub, &owner, "SSO_REMOVED").await.iter())
        .map(|a| a["action"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(actions.len(), 3, "{actions:?}");
}

#[tokio::test]
async fn the_browser_routes_redirect_or_explain() {
    let hub = TestHub::start().await;
    let (org, _) = hub
        .org(
            "Acme",
            &[
                ("owner@acme.test", Role::Owner),
                ("admin@acme.test", Role::Admin),
            ],
        )
        .await;
    let owner = hub.login("owner@acme.test").await;
    let (status, body) = hub
        .call("PUT", "/api/org/sso", Some(&owner), Some(settings(false)))
        .await;
    assert_eq!(status, 200, "{body}");

    // "Use single sign-on" without JavaScript: to the organization's start, or back.
    let res = hub
        .http()
        .post(format!("{}/auth/sso", hub.url))
        .form(&[("email", "Ann@acme.test"), ("password", "")])
        .send()
        .await
        .expect("form post");
    assert_eq!(res.status(), 303);
    assert_eq!(
        res.headers()["location"],
        format!("/auth/sso/{}/start?login_hint=Ann%40acme.test", org.id).as_str()
    );
    let (status, location, _) = get(&hub, "/auth/sso?email=eve%40other.test&next=%2Fdevice").await;
    assert_eq!(
        (status, location.as_str()),
        (303, "/login?sso=unknown&next=%2Fdevice")
    );
    let (status, _, page) = get(&hub, "/login?sso=unknown").await;
    assert_eq!(status, 200);
    assert!(
        page.contains("No organization on this hub signs in"),
        "{page}"
    );
    assert!(page.contains("Use single sign-on"), "{page}");

    // The provider cannot be reached: a page that says so (502), audited.
    let (status, _, page) = get(&hub, &format!("/auth/sso/{}/start", org.id)).await;
    assert_eq!(status, 502, "{page}");
    assert!(page.contains("could not be reached"), "{page}");
    assert!(page.contains(r#"href="/login""#), "{page}");
    let refused = audited(&hub, &owner, "SSO_REFUSED").await;
    assert_eq!(refused[0]["details"]["reason"], "provider_unreachable");

    // No provider, or not a number: not set up.
    for path in ["/auth/sso/999999/start", "/auth/sso/abc/start"] {
        let (status, _, page) = get(&hub, path).await;
        assert_eq!(status, 404, "{path}");
        assert!(page.contains("not set up"), "{page}");
    }
    // An answer this browser did not start.
    let (status, _, page) = get(&hub, "/auth/sso/callback?code=c&state=s").await;
    assert_eq!(status, 400);
    assert!(page.contains("not started in this browser"), "{page}");

    // /settings/org: the owner sees the section with the callback URL; an admin does not.
    let (status, page) = hub.page(&owner, "/settings/org").await;
    assert_eq!(status, 200);
    assert!(page.contains("Single sign-on"), "owner's page");
    assert!(
        page.contains(&format!("{}/auth/sso/callback", hub.url)),
        "the callback URL to register"
    );
    let admin = hub.login("admin@acme.test").await;
    let (status, page) = hub.page(&admin, "/settings/org").await;
    assert_eq!(status, 200);
    assert!(!page.contains("sso-form"), "admins do not see it");
}

/// `presence-hub ARGS` against the hub's database, with `stdin` written to its input.
fn cli(hub: &TestHub, args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_presence-hub"))
        .args(args)
        .env("DATABASE_URL", hub.config.database_url())
        .env("HUB_PUBLIC_URL", &hub.url)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("presence-hub runs");
    if let Some(mut input) = child.stdin.take() {
        input.write_all(stdin.as_bytes()).expect("stdin");
    }
    child.wait_with_output().expect("presence-hub ends")
}

#[tokio::test]
async fn the_command_line_sets_it_up_and_removes_it() {
    let hub = TestHub::start().await;
    let (org, _) = hub.org("Acme", &[("owner@acme.test", Role::Owner)]).await;
    let org_id = org.id.to_string();
    let out = cli(
        &hub,
        &[
            "org",
            "sso",
            "--org",
            &org_id,
            "--issuer",
            "https://login.acme.test/realms/acme",
            "--client-id",
            "hub",
            "--client-secret-stdin",
            "--allowed-domain",
            "acme.test",
            "--allowed-domain",
            "acme.example",
            "--sso-only",
        ],
        "cli-secret-1\n",
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        format!("{}/auth/sso/callback", hub.url)
    );
    let stored = hub
        .store
        .sso_config(org.id)
        .await
        .expect("read")
        .expect("stored");
    assert_eq!(stored.client_secret.as_deref(), Some("cli-secret-1"));
    assert_eq!(stored.allowed_domains, vec!["acme.example", "acme.test"]);
    assert!(stored.sso_only);

    let refused = cli(
        &hub,
        &[
            "org",
            "sso",
            "--org",
            &org_id,
            "--issuer",
            "http://login.acme.test",
            "--client-id",
            "hub",
        ],
        "",
    );
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&refused.stderr)
            .contains("only accepted for a provider on this machine"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );

    let removed = cli(&hub, &["org", "sso", "--org", &org_id, "--remove"], "");
    assert!(
        removed.status.success(),
        "{}",
        String::from_utf8_lossy(&removed.stderr)
    );
    assert!(hub.store.sso_config(org.id).await.expect("read").is_none());
    let usage = cli(
        &hub,
        &["org", "sso", "--org", &org_id, "--remove", "--sso-only"],
        "",
    );
    assert_eq!(usage.status.code(), Some(2), "--remove takes no settings");
}

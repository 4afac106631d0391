//! The server-rendered pages and the HTML login form, without a browser.

use crate::common;

use common::{TestHub, PASSWORD};
use shared::Role;

fn session_cookie(res: &reqwest::Response) -> String {
    let header = res.headers()["set-cookie"].to_str().unwrap();
    header.split(';').next().unwrap().to_string()
}

#[tokio::test]
async fn the_status_page_needs_a_login() {
    let hub = TestHub::start().await;
    // With an organization (an empty hub leads to /setup instead: tests/setup.rs).
    hub.org("Acme", &[("ann@acme.test", Role::Member)]).await;
    let res = hub
        .http()
        .get(format!("{}/", hub.url))
        .send()
        .await
        .unwrap();
    assert!(res.status().is_redirection());
    assert_eq!(res.headers()["location"], "/login");
    let res = hub
        .http()
        .get(format!("{}/login", hub.url))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    assert!(
        html.contains("action=\"/login\"") && html.contains("name=\"password\""),
        "{html}"
    );
}

#[tokio::test]
async fn the_login_form_sets_the_cookie_and_the_table_is_complete_in_the_first_html() {
    let hub = TestHub::start().await;
    hub.org(
        "Acme",
        &[
            ("sup@a.test", Role::Supervisor),
            ("ann@a.test", Role::Member),
            ("bob@a.test", Role::Member),
        ],
    )
    .await;
    hub.org("Other Org", &[("mallory@o.test", Role::Owner)])
        .await;
    let http = hub.http();
    let res = http
        .post(format!("{}/login", hub.url))
        .form(&[("email", "sup@a.test"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/");
    let cookie = session_cookie(&res);
    let res = http
        .get(format!("{}/", hub.url))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    assert!(html.contains("id=\"status-table\""));
    for name in ["ann", "bob", "sup"] {
        assert!(
            html.contains(&format!(">{name}<")),
            "{name} in the first HTML"
        );
    }
    assert!(
        !html.contains("mallory"),
        "another organization's user never appears"
    );
    assert!(html.contains("data-status=\"offline\""));
    assert!(html.contains("/pkg/web.js"), "hydration script linked");
    // Logged in: /login sends you home; logout revokes the cookie.
    let res = http
        .get(format!("{}/login", hub.url))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert!(res.status().is_redirection());
    let res = http
        .post(format!("{}/logout", hub.url))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let res = http
        .get(format!("{}/api/auth/me", hub.url))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
}

#[tokio::test]
async fn a_failed_login_shows_the_form_again_with_the_reason() {
    let hub = TestHub::start().await;
    hub.org("Acme", &[("ann@a.test", Role::Member)]).await;
    let res = hub
        .http()
        .post(format!("{}/login", hub.url))
        .form(&[("email", "ann@a.test"), ("password", "nope")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    assert!(res.headers().get("set-cookie").is_none());
    let html = res.text().await.unwrap();
    assert!(html.contains("Wrong e-mail or password."), "{html}");
}

#[tokio::test]
async fn a_cross_site_form_post_is_refused() {
    let hub = TestHub::start().await;
    hub.org("Acme", &[("ann@a.test", Role::Member)]).await;
    let res = hub
        .http()
        .post(format!("{}/login", hub.url))
        .header("origin", "http://evil.example")
        .form(&[("email", "ann@a.test"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
}

#[tokio::test]
async fn assets_are_served_with_their_types_and_unknown_pages_are_404() {
    let hub = TestHub::start().await;
    let http = hub.http();
    for (path, kind, min_len) in [
        ("/pkg/web.js", "text/javascript", 1000),
        ("/pkg/web_bg.wasm", "application/wasm", 10_000),
        ("/style/main.css", "text/css", 500),
    ] {
        let res = http.get(format!("{}{path}", hub.url)).send().await.unwrap();
        assert_eq!(res.status(), 200, "{path}");
        assert!(
            res.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with(kind),
            "{path}"
        );
        assert!(
            res.bytes().await.unwrap().len() >= min_len,
            "{path} has content"
        );
    }
    let res = http
        .get(format!("{}/no/such/page", hub.url))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
}

//! First run: a hub on an empty database hands out a one-time setup link; `/` leads to
//! `/setup`; the link creates the first organization and its owner, once.

use crate::common;

use common::TestHub;
use serde_json::json;

fn setup_body(token: &str) -> serde_json::Value {
    json!({
        "token": token, "org_name": "Firstco", "timezone": "America/New_York",
        "owner_name": "Fay First", "email": "fay@firstco.test", "password": "fay-pass-1234",
    })
}

#[tokio::test]
async fn the_setup_link_creates_the_first_organization_once() {
    let hub = TestHub::start().await;
    let link = hub
        .state()
        .setup_link
        .clone()
        .expect("a setup link on an empty database");
    assert!(
        link.starts_with(&format!("{}/setup?token=", hub.url)),
        "{link}"
    );
    let token = link.rsplit_once("token=").unwrap().1.to_string();

    let http = hub.http();
    let home = http.get(format!("{}/", hub.url)).send().await.unwrap();
    assert!(home.status().is_redirection());
    assert_eq!(home.headers()["location"], "/setup");
    let login = http.get(format!("{}/login", hub.url)).send().await.unwrap();
    assert_eq!(login.headers()["location"], "/setup");

    // Without the token (or with a wrong one) there is no form.
    for url in ["/setup", "/setup?token=wrong"] {
        let page = http.get(format!("{}{url}", hub.url)).send().await.unwrap();
        assert_eq!(page.status(), 403, "{url}");
        let html = page.text().await.unwrap();
        assert!(
            !html.contains("type=\"password\""),
            "{url} shows no password field"
        );
    }
    let page = http.get(&link).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("type=\"password\""));

    let (status, refused) = hub
        .call("POST", "/api/setup", None, Some(setup_body("wrong")))
        .await;
    assert_eq!(status, 403, "{refused}");
    let (status, invalid) = hub
        .call(
            "POST",
            "/api/setup",
            None,
            Some(
                json!({"token": token, "org_name": "", "timezone": "Nowhere", "owner_name": "Fay",
                        "email": "not-an-email", "password": "short"}),
            ),
        )
        .await;
    assert_eq!(status, 422);
    for field in ["org_name", "timezone", "email", "password"] {
        assert!(
            invalid["error"]["fields"][field].is_string(),
            "{field}: {invalid}"
        );
    }
    assert!(
        hub.store.list_orgs().await.unwrap().is_empty(),
        "nothing stored"
    );

    let res = http
        .post(format!("{}/api/setup", hub.url))
        .json(&setup_body(&token))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let cookie = res.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(cookie.starts_with("ph_session="));
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["user"]["role"], "owner");
    let owner = body["token"].as_str().unwrap().to_string();
    let (_, org) = hub.call("GET", "/api/org", Some(&owner), None).await;
    assert_eq!(
        (org["name"].as_str(), org["timezone"].as_str()),
        (Some("Firstco"), Some("America/New_York"))
    );

    // Used up: no second organization through the link, and the page shows no form again.
    let (status, _) = hub
        .call("POST", "/api/setup", None, Some(setup_body(&token)))
        .await;
    assert_eq!(status, 403);
    assert_eq!(http.get(&link).send().await.unwrap().status(), 403);
    let home = http.get(format!("{}/", hub.url)).send().await.unwrap();
    assert_eq!(home.headers()["location"], "/login");
    let (_, audit) = hub.call("GET", "/api/audit", Some(&owner), None).await;
    assert_eq!(audit["items"][0]["action"], "ORG_CREATED");
    assert_eq!(audit["items"][0]["details"]["via"], "setup");

    // A restart on a database with an organization prints no link.
    let hub = hub.restart().await;
    assert!(hub.state().setup_link.is_none());
}

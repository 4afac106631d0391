//! The work pages over plain HTTP (no browser): the first HTML already holds the data, scoped
//! by role exactly like the API; another organization's ticket is a 404 page; a role too low
//! for a page gets a 403 page; nobody signed in goes to `/login`.

use crate::common;

use common::TestHub;
use serde_json::{json, Value};
use shared::Role;

/// `GET path` as the holder of `token` (sent as the session cookie, as a browser would).
async fn page(hub: &TestHub, token: &str, path: &str) -> (u16, String) {
    hub.page(token, path).await
}

async fn call(
    hub: &TestHub,
    token: &str,
    method: reqwest::Method,
    path: &str,
    body: Value,
) -> Value {
    let res = hub
        .http()
        .request(method, format!("{}{path}", hub.url))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success(), "{path}: {}", res.status());
    res.json().await.unwrap()
}

/// The ids of the rows of `<table id=table>` carrying `attr`, in page order.
fn row_ids(html: &str, table: &str, attr: &str) -> Vec<i64> {
    let start = html
        .find(&format!("<table id=\"{table}\""))
        .unwrap_or_else(|| panic!("no #{table} in {html}"));
    let end = start + html[start..].find("</table>").unwrap();
    let needle = format!("{attr}=\"");
    html[start..end]
        .match_indices(&needle)
        .map(|(i, _)| {
            let rest = &html[start + i + needle.len()..end];
            rest[..rest.find('"').unwrap()].parse().unwrap()
        })
        .collect()
}

struct Org {
    owner: String,
    admin: String,
    lead: String,
    ann: String,
    bob: String,
    ann_id: i64,
    bob_id: i64,
    ticket: i64,
    running: i64,
}

async fn acme(hub: &TestHub) -> Org {
    let (_, users) = hub
        .org(
            "Acme",
            &[
                ("own@a.test", Role::Owner),
                ("adm@a.test", Role::Admin),
                ("sup@a.test", Role::Supervisor),
                ("ann@a.test", Role::Member),
                ("bob@a.test", Role::Member),
            ],
        )
        .await;
    let org = Org {
        owner: hub.login("own@a.test").await,
        admin: hub.login("adm@a.test").await,
        lead: hub.login("sup@a.test").await,
        ann: hub.login("ann@a.test").await,
        bob: hub.login("bob@a.test").await,
        ann_id: users[3].id,
        bob_id: users[4].id,
        ticket: 0,
        running: 0,
    };
    let post = reqwest::Method::POST;
    let ticket = call(
        hub,
        &org.admin,
        post.clone(),
        "/api/tickets",
        json!({"title": "Login <bug>"}),
    )
    .await;
    let ticket = ticket["id"].as_i64().unwrap();
    call(
        hub,
        &org.ann,
        post.clone(),
        "/api/sessions/manual",
        json!({"ticket_id": ticket, "start_time": "2024-05-01T10:00:00Z", "end_time": "2024-05-01T12:00:00Z", "note": "ann's fix"}),
    )
    .await;
    let running = call(
        hub,
        &org.bob,
        post,
        "/api/sessions/start",
        json!({"note": "bob's review"}),
    )
    .await;
    Org {
        ticket,
        running: running["id"].as_i64().unwrap(),
        ..org
    }
}

#[tokio::test]
async fn pages_need_a_login() {
    let hub = TestHub::start().await;
    for path in [
        "/sessions",
        "/tickets",
        "/tickets/1",
        "/settings/policy",
        "/audit",
        "/timesheets",
        "/reports",
    ] {
        let res = hub
            .http()
            .get(format!("{}{path}", hub.url))
            .send()
            .await
            .unwrap();
        assert!(res.status().is_redirection(), "{path}: {}", res.status());
        assert_eq!(res.headers()["location"], "/login", "{path}");
    }
}

#[tokio::test]
async fn sessions_page_holds_the_scoped_filtered_list() {
    let hub = TestHub::start().await;
    let o = acme(&hub).await;

    // A supervisor sees everyone's sessions, newest first, and the user filter.
    let (status, html) = page(&hub, &o.lead, "/sessions").await;
    assert_eq!(status, 200);
    let listed = row_ids(&html, "sessions-table", "data-session-id");
    assert_eq!(listed.len(), 2, "{html}");
    assert_eq!(listed[0], o.running, "newest first");
    assert!(html.contains("id=\"filter-user\""));
    assert!(html.contains("ann&#x27;s fix") || html.contains("ann's fix"));
    assert!(html.contains("data-state=\"running\""));
    assert!(html.contains("href=\"/api/sessions/export.csv\""));
    assert!(
        !html.contains("aria-haspopup=\"dialog\""),
        "no End session for a supervisor"
    );

    // Filters from the query string: the server renders the filtered page.
    let (_, html) = page(&hub, &o.lead, "/sessions?active=true").await;
    assert_eq!(
        row_ids(&html, "sessions-table", "data-session-id"),
        vec![o.running]
    );
    assert!(html.contains("href=\"/api/sessions/export.csv?active=true\""));
    let (_, html) = page(&hub, &o.lead, &format!("/sessions?user_id={}", o.ann_id)).await;
    assert_eq!(
        row_ids(&html, "sessions-table", "data-user-id"),
        vec![o.ann_id]
    );
    let (_, html) = page(&hub, &o.lead, "/sessions?from=2024-05-01&to=2024-05-01").await;
    assert_eq!(
        row_ids(&html, "sessions-table", "data-user-id"),
        vec![o.ann_id]
    );

    // A member sees only their own, whatever the query asks; no user filter.
    let (status, html) = page(&hub, &o.ann, &format!("/sessions?user_id={}", o.bob_id)).await;
    assert_eq!(status, 200);
    assert_eq!(
        row_ids(&html, "sessions-table", "data-user-id"),
        vec![o.ann_id]
    );
    assert!(!html.contains("id=\"filter-user\""));
    assert!(!html.contains("bob&#x27;s review") && !html.contains("bob's review"));

    // Bob's own running session is in his Start/Stop panel; an admin gets End session.
    let (_, html) = page(&hub, &o.bob, "/sessions").await;
    assert!(html.contains("id=\"stop-session\""), "{html}");
    let (_, html) = page(&hub, &o.admin, "/sessions").await;
    let button = format!(
        "<button type=\"button\" data-session-id=\"{}\" aria-label=\"End session of bob\"",
        o.running
    );
    assert!(html.contains(&button), "{html}");
    assert!(html.contains("id=\"end-session-dialog\""));
    assert!(html.contains("id=\"manual-form\""));
}

#[tokio::test]
async fn tickets_pages_show_totals_and_hide_other_organizations() {
    let hub = TestHub::start().await;
    let o = acme(&hub).await;
    hub.org("Other", &[("eve@o.test", Role::Owner)]).await;
    let eve = hub.login("eve@o.test").await;
    let other = call(
        &hub,
        &eve,
        reqwest::Method::POST,
        "/api/tickets",
        json!({"title": "Secret plans"}),
    )
    .await;
    let other = other["id"].as_i64().unwrap();

    let (status, html) = page(&hub, &o.ann, "/tickets").await;
    assert_eq!(status, 200);
    assert_eq!(
        row_ids(&html, "tickets-table", "data-ticket-id"),
        vec![o.ticket]
    );
    assert!(html.contains("Login &lt;bug&gt;"), "escaped title");
    assert!(
        html.contains("2:00:00"),
        "total time of the completed session"
    );
    assert!(!html.contains("Secret plans"));
    assert!(html.contains("id=\"ticket-form\""));

    let (status, html) = page(&hub, &o.lead, &format!("/tickets/{}", o.ticket)).await;
    assert_eq!(status, 200);
    assert!(html.contains("id=\"ticket-total\">2:00:00<"), "{html}");
    assert_eq!(
        row_ids(&html, "ticket-sessions", "data-user-id"),
        vec![o.ann_id]
    );

    for path in [
        format!("/tickets/{other}"),
        "/tickets/999999".into(),
        "/tickets/abc".into(),
    ] {
        let (status, html) = page(&hub, &o.owner, &path).await;
        assert_eq!(status, 404, "{path}");
        assert!(html.contains("Page not found"), "{path}");
        assert!(!html.contains("Secret plans"));
    }
}

#[tokio::test]
async fn policy_page_is_the_owners_form_and_read_only_for_others() {
    let hub = TestHub::start().await;
    let o = acme(&hub).await;
    call(
        &hub,
        &o.owner,
        reqwest::Method::PUT,
        "/api/policy",
        json!({"screenshot_interval_seconds": 45}),
    )
    .await;
    let (status, html) = page(&hub, &o.owner, "/settings/policy").await;
    assert_eq!(status, 200);
    assert!(
        html.contains("id=\"policy-version\" data-version=\"2\""),
        "{html}"
    );
    assert!(html.contains("id=\"policy-save\""));
    assert!(!html.contains("id=\"policy-readonly\""));
    // Every field of the shared table, with its range.
    for spec in shared::policy::FIELDS.iter() {
        assert!(
            html.contains(&format!("data-field=\"{}\"", spec.name)),
            "{}",
            spec.name
        );
    }
    assert!(html.contains("From 30 to 3600"));
    // The rule fields: a choice, the cap with its "off", a local time that may be empty.
    assert!(html.contains("<select id=\"idle_time_handling\""), "{html}");
    assert!(html.contains("0 (off) or from 30 to 1440"));
    assert!(html.contains("type=\"time\" id=\"auto_stop_local_time\""));
    assert!(html.contains("value=\"45\""));
    assert!(html.contains("Screenshots every 45 s"));
    // Absolute UTC on the server; "… ago" only after hydration.
    assert!(html.contains(" UTC") && !html.contains(" ago"));

    for token in [&o.admin, &o.ann] {
        let (status, html) = page(&hub, token, "/settings/policy").await;
        assert_eq!(status, 200);
        assert!(html.contains("id=\"policy-readonly\""));
        assert!(!html.contains("id=\"policy-save\""));
        assert!(html.contains("disabled"));
    }
}

#[tokio::test]
async fn audit_page_is_for_admins_and_filters_by_action() {
    let hub = TestHub::start().await;
    let o = acme(&hub).await;
    call(
        &hub,
        &o.owner,
        reqwest::Method::PUT,
        "/api/policy",
        json!({"screenshot_quality": 70}),
    )
    .await;
    call(
        &hub,
        &o.admin,
        reqwest::Method::POST,
        &format!("/api/sessions/{}/end", o.running),
        json!({"reason": "Shift over"}),
    )
    .await;

    for token in [&o.lead, &o.ann] {
        let (status, html) = page(&hub, token, "/audit").await;
        assert_eq!(status, 403);
        assert!(html.contains("id=\"forbidden-message\""), "{html}");
        assert!(!html.contains("Shift over"));
    }

    let (status, html) = page(&hub, &o.admin, "/audit").await;
    assert_eq!(status, 200);
    let force = html
        .find("data-action=\"SESSION_FORCE_ENDED\"")
        .expect("force-end row");
    let policy = html
        .find("data-action=\"POLICY_CHANGED\"")
        .expect("policy row");
    assert!(force < policy, "newest first");
    assert!(html.contains("Shift over"));
    assert!(
        html.contains("<span class=\"old-value\">85</span>"),
        "{html}"
    );
    assert!(html.contains("<span class=\"new-value\">70</span>"));

    let (_, html) = page(&hub, &o.owner, "/audit?action=POLICY_CHANGED").await;
    assert!(html.contains("data-action=\"POLICY_CHANGED\""));
    assert!(!html.contains("data-action=\"SESSION_FORCE_ENDED\""));
    assert!(html.contains("<option value=\"POLICY_CHANGED\" selected"));
}

#[tokio::test]
async fn the_navigation_follows_the_role() {
    let hub = TestHub::start().await;
    let o = acme(&hub).await;
    let (_, html) = page(&hub, &o.ann, "/tickets").await;
    assert!(html.contains("href=\"/sessions\""));
    assert!(
        !html.contains("href=\"/audit\""),
        "members get no audit link"
    );
    assert!(html.contains("href=\"/tickets\" rel=\"external\" aria-current=\"page\""));
    let (_, html) = page(&hub, &o.admin, "/tickets").await;
    assert!(html.contains("href=\"/audit\""));
    assert!(html.contains("<link rel=\"icon\" href=\"data:,\""));
}

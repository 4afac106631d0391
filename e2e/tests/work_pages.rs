//! Every work page in a real browser against the real hub, with data in it: each page hydrates
//! without errors and is screenshotted in light and dark, at desktop and phone width
//! (`e2e/output/page-{name}-{light|dark}[-phone].png`). Then what a user does there: Start/Stop
//! on `/sessions`, manual entry with its 422 and 409 shown next to the field, a session started
//! elsewhere appearing live, the CSV link, filters, a new ticket; and what a member may not do.

use anyhow::{ensure, Context};
use e2e::dashboard::{
    clear_failure, click, dump_failure, mark_page, no_page_errors, open, same_page, save_console,
    screenshot, visible_text, wait_until,
};
use e2e::hub::DEMO_PASSWORD;
use e2e::{ApiSession, Browser, ChromeDriver, Hub, HubOptions};
use reqwest::Method;
use serde_json::{json, Value};

const PHONE: (u32, u32) = (390, 844);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn work_pages_render_hydrate_and_work() {
    clear_failure("work-pages-owner");
    clear_failure("work-pages-member");
    let hub = Hub::start(HubOptions {
        label: "work-pages-hub".into(),
        ..HubOptions::default()
    })
    .await
    .expect("the hub starts");
    let driver = ChromeDriver::start("work-pages-chromedriver")
        .await
        .expect("chromedriver starts (Chromium is needed)");
    let owner = driver.browser("browser (owner)").await.expect("browser");
    let member = driver.browser("browser (alice)").await.expect("browser");

    let outcome = scenario(&hub, &owner, &member).await;
    save_console(&owner, "work-pages-console-owner.log").await;
    if outcome.is_err() {
        dump_failure(&owner, "work-pages-owner").await;
        dump_failure(&member, "work-pages-member").await;
        eprintln!("hub log (tail):\n{}", hub.log_tail(40));
    }
    let _ = owner.close().await;
    let _ = member.close().await;
    drop(driver);
    if let Err(e) = outcome {
        panic!("{e:#}");
    }
    hub.stop().expect("the hub stops cleanly on SIGTERM");
}

struct Api<'a> {
    base: &'a str,
}

impl Api<'_> {
    async fn call(
        &self,
        who: &ApiSession,
        method: Method,
        path: &str,
        body: Value,
    ) -> anyhow::Result<Value> {
        let (status, answer) = who
            .send_json(method.clone(), self.base, path, &body)
            .await?;
        ensure!(
            (200..300).contains(&status),
            "{method} {path}: {status} {answer}"
        );
        Ok(answer)
    }
}

/// Tickets, running and finished sessions, a forced end and a policy change.
async fn seed(hub: &Hub) -> anyhow::Result<(i64, ApiSession)> {
    let api = Api { base: &hub.url };
    let login = |email: &'static str| ApiSession::login(&hub.url, email, DEMO_PASSWORD);
    let (owner, admin, alice, bob) = (
        login("owner@demo.test").await?,
        login("admin@demo.test").await?,
        login("alice@demo.test").await?,
        login("bob@demo.test").await?,
    );
    let ticket = api
        .call(&admin, Method::POST, "/api/tickets", json!({"title": "Login form rejects valid passwords", "description": "Reported by three customers since Monday."}))
        .await?;
    let ticket_id = ticket["id"].as_i64().context("ticket id")?;
    api.call(
        &admin,
        Method::POST,
        "/api/tickets",
        json!({"title": "Export the monthly report"}),
    )
    .await?;
    api.call(&alice, Method::POST, "/api/sessions/manual", json!({
        "ticket_id": ticket_id, "start_time": "2024-05-01T09:00:00Z", "end_time": "2024-05-01T11:15:00Z",
        "note": "Reproduced the bug",
    }))
    .await?;
    let forced = api
        .call(
            &alice,
            Method::POST,
            "/api/sessions/start",
            json!({"ticket_id": ticket_id, "note": "Fixing the validation"}),
        )
        .await?;
    api.call(
        &admin,
        Method::POST,
        &format!("/api/sessions/{}/end", forced["id"]),
        json!({"reason": "Meeting in 5 minutes"}),
    )
    .await?;
    api.call(
        &bob,
        Method::POST,
        "/api/sessions/start",
        json!({"ticket_id": ticket_id, "note": "Code review"}),
    )
    .await?;
    api.call(
        &owner,
        Method::PUT,
        "/api/policy",
        json!({"screenshot_interval_seconds": 300, "enable_mouse_tracking": true}),
    )
    .await?;
    Ok((ticket_id, owner))
}

/// Opens `path`, checks it, and takes the four screenshots.
async fn tour(browser: &Browser, hub: &Hub, path: &str, name: &str) -> anyhow::Result<()> {
    open(browser, &hub.url, path).await?;
    no_page_errors(browser).await?;
    for (phone, suffix) in [(false, ""), (true, "-phone")] {
        browser.viewport(phone.then_some(PHONE)).await?;
        for dark in [false, true] {
            browser.color_scheme(dark).await?;
            let scheme = if dark { "dark" } else { "light" };
            screenshot(browser, &format!("page-{name}-{scheme}{suffix}.png")).await?;
        }
    }
    browser.viewport(None).await?;
    browser.color_scheme(false).await?;
    Ok(())
}

/// Sets a form control's value as typing would (an `input` event), e.g. a `datetime-local`,
/// which WebDriver cannot type into reliably.
async fn set_value(browser: &Browser, css: &str, value: &str) -> anyhow::Result<()> {
    browser
        .js(
            "const e = document.querySelector(arguments[0]); e.value = arguments[1];
             e.dispatchEvent(new Event('input', { bubbles: true })); return null;",
            vec![json!(css), json!(value)],
        )
        .await
        .map(|_| ())
}

/// "2024-05-01T09:00" for `days` ago at `hour`:00, in the browser's local time.
async fn local_time(browser: &Browser, days: i64, hour: u32) -> anyhow::Result<String> {
    let v = browser
        .js(
            "const d = new Date(Date.now() - arguments[0] * 86400000); d.setHours(arguments[1], 0, 0, 0);
             const p = (n) => String(n).padStart(2, '0');
             return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:00`;",
            vec![json!(days), json!(hour)],
        )
        .await?;
    Ok(v.as_str().context("a date")?.to_string())
}

async fn rows(browser: &Browser, table: &str) -> anyhow::Result<Vec<(i64, String)>> {
    let v = browser
        .js(
            "return Array.from(document.querySelectorAll(arguments[0] + ' tbody tr')).map(r =>
               [Number(r.getAttribute('data-session-id')), r.getAttribute('data-state')]);",
            vec![json!(table)],
        )
        .await?;
    Ok(serde_json::from_value(v)?)
}

async fn scenario(hub: &Hub, owner_b: &Browser, member_b: &Browser) -> anyhow::Result<()> {
    let (ticket_id, owner) = seed(hub).await?;
    owner_b
        .login(&hub.url, "owner@demo.test", DEMO_PASSWORD)
        .await?;
    for (path, name) in [
        ("/".to_string(), "status"),
        ("/sessions".into(), "sessions"),
        ("/tickets".into(), "tickets"),
        (format!("/tickets/{ticket_id}"), "ticket"),
        ("/settings/policy".into(), "policy"),
        ("/audit".into(), "audit"),
    ] {
        tour(owner_b, hub, &path, name).await?;
    }
    let b = owner_b;

    // The audit log shows both kinds of entry, old → new at a glance.
    open(b, &hub.url, "/audit?action=POLICY_CHANGED").await?;
    let details = visible_text(
        b,
        "#audit-table tbody tr[data-action=POLICY_CHANGED] .changes",
    )
    .await?
    .unwrap_or_default();
    ensure!(
        details.contains("600") && details.contains("300"),
        "policy change: {details}"
    );
    let forced = b
        .js("return document.querySelectorAll('#audit-table tr[data-action=SESSION_FORCE_ENDED]').length;", vec![])
        .await?;
    ensure!(
        forced == json!(0),
        "the action filter lets other actions through"
    );

    // /sessions: the owner starts and stops their own session with the buttons.
    open(b, &hub.url, "/sessions").await?;
    mark_page(b).await?;
    set_value(b, "#start-ticket", &ticket_id.to_string()).await?;
    b.js("document.querySelector('#start-ticket').dispatchEvent(new Event('change', {bubbles: true})); return null;", vec![])
        .await?;
    click(b, "#start-session").await?;
    let own_id = wait_until(
        b,
        "the own session runs and its row is listed",
        5,
        "const p = document.querySelector('#own-session .own-running'); if (!p) return null;
         const id = p.getAttribute('data-session-id');
         const row = document.querySelector('#sessions-table tr[data-session-id=\"' + id + '\"][data-state=running]');
         return row ? Number(id) : null;",
        vec![],
    )
    .await?;
    click(b, "#stop-session").await?;
    wait_until(
        b,
        "the own session stops; its row shows it ended",
        5,
        "return !!document.querySelector('#start-session') &&
           !!document.querySelector('#sessions-table tr[data-session-id=\"' + arguments[0] + '\"][data-state=ended]');",
        vec![own_id.clone()],
    )
    .await?;

    // A session started elsewhere (Carol's agent, say) appears without a reload.
    let carol = ApiSession::login(&hub.url, "carol@demo.test", DEMO_PASSWORD).await?;
    let started = Api { base: &hub.url }
        .call(
            &carol,
            Method::POST,
            "/api/sessions/start",
            json!({"note": "On call"}),
        )
        .await?;
    wait_until(
        b,
        "Carol's new session appears on top of the list",
        5,
        "const r = document.querySelector('#sessions-table tbody tr');
         return !!r && r.getAttribute('data-session-id') === String(arguments[0]) && r.getAttribute('data-state') === 'running';",
        vec![started["id"].clone()],
    )
    .await?;

    // Manual entry: end before start → 422 next to End; then a valid entry; then the same
    // time again → 409 (overlap) next to End.
    let (start, end) = (local_time(b, 2, 9).await?, local_time(b, 2, 8).await?);
    set_value(b, "#manual-start", &start).await?;
    set_value(b, "#manual-end", &end).await?;
    click(b, "#manual-submit").await?;
    let refused = wait_until(
        b,
        "the 422 next to the end time",
        5,
        "const e = document.querySelector('#manual-end-error'); return e && !e.hidden ? e.textContent : null;",
        vec![],
    )
    .await?;
    ensure!(
        refused.as_str().unwrap_or_default().contains("after"),
        "422: {refused}"
    );
    let end = local_time(b, 2, 10).await?;
    set_value(b, "#manual-start", &start).await?;
    set_value(b, "#manual-end", &end).await?;
    set_value(b, "#manual-note", "Planning call").await?;
    click(b, "#manual-submit").await?;
    wait_until(
        b,
        "the saved message and no error",
        5,
        "const s = document.querySelector('#manual-saved');
         return s.textContent.includes('1:00:00') && document.querySelector('#manual-end-error').hidden;",
        vec![],
    )
    .await?;
    set_value(b, "#manual-start", &start).await?;
    set_value(b, "#manual-end", &end).await?;
    click(b, "#manual-submit").await?;
    let overlap = wait_until(
        b,
        "the 409 next to the end time",
        5,
        "const e = document.querySelector('#manual-end-error'); return e && !e.hidden ? e.textContent : null;",
        vec![],
    )
    .await?;
    ensure!(
        overlap.as_str().unwrap_or_default().contains("overlaps"),
        "409: {overlap}"
    );
    ensure!(same_page(b).await?, "/sessions was reloaded");
    screenshot(b, "sessions-after-actions.png").await?;

    // The CSV link downloads the filtered list with the page's cookie.
    open(b, &hub.url, "/sessions?active=false").await?;
    let listed = rows(b, "#sessions-table").await?;
    ensure!(
        !listed.is_empty() && listed.iter().all(|(_, s)| s == "ended"),
        "completed only: {listed:?}"
    );
    let href = b
        .js(
            "return document.querySelector('#sessions-csv').getAttribute('href');",
            vec![],
        )
        .await?;
    let href = href.as_str().context("CSV href")?.to_string();
    ensure!(
        href == "/api/sessions/export.csv?active=false",
        "CSV link: {href}"
    );
    let cookie = b.cookie("ph_session").await?;
    let res = reqwest::Client::new()
        .get(hub.http_url(&href))
        .header("cookie", format!("ph_session={cookie}"))
        .send()
        .await?;
    ensure!(res.status() == 200, "CSV: {}", res.status());
    let csv = res.text().await?;
    ensure!(csv.starts_with("id,user,ticket,started_at"), "CSV: {csv}");
    ensure!(
        csv.lines().count() == listed.len() + 1,
        "CSV rows vs listed rows: {csv}"
    );

    // /tickets: a new ticket through the form appears on top.
    open(b, &hub.url, "/tickets").await?;
    click(b, "#ticket-submit").await?;
    wait_until(
        b,
        "an empty title is refused next to the field",
        5,
        "const e = document.querySelector('#ticket-title-error'); return !!e && !e.hidden;",
        vec![],
    )
    .await?;
    set_value(b, "#ticket-title", "Printer on floor 2").await?;
    click(b, "#ticket-submit").await?;
    wait_until(
        b,
        "the new ticket on top of the list",
        5,
        "const r = document.querySelector('#tickets-table tbody tr .title');
         return !!r && r.textContent === 'Printer on floor 2' && document.querySelector('#ticket-created a') !== null;",
        vec![],
    )
    .await?;
    let listed = owner.get_json(&hub.url, "/api/tickets").await?;
    // The demo company's three tickets, and the three this test made.
    ensure!(listed["total"] == 6, "{listed}");
    no_page_errors(b).await?;

    // A member: own sessions only, no user filter, the policy read-only, no audit log.
    let m = member_b;
    m.login(&hub.url, "alice@demo.test", DEMO_PASSWORD).await?;
    open(m, &hub.url, "/sessions").await?;
    let view = m
        .js(
            "return { userFilter: !!document.querySelector('#filter-user'),
                      users: Array.from(document.querySelectorAll('#sessions-table tbody tr')).map(r => r.getAttribute('data-user-id')),
                      endButtons: document.querySelectorAll('button.end-session').length };",
            vec![],
        )
        .await?;
    ensure!(
        view["userFilter"] == false,
        "a member gets a user filter: {view}"
    );
    ensure!(view["endButtons"] == 0, "a member gets End session: {view}");
    let users: Vec<Option<String>> = serde_json::from_value(view["users"].clone())?;
    ensure!(
        !users.is_empty() && users.windows(2).all(|w| w[0] == w[1]),
        "a member sees only one user's sessions: {users:?}"
    );
    open(m, &hub.url, "/settings/policy").await?;
    let readonly = m
        .js(
            "return !!document.querySelector('#policy-readonly') && !document.querySelector('#policy-save')
                    && document.querySelector('#screenshot_interval_seconds').disabled;",
            vec![],
        )
        .await?;
    ensure!(readonly == true, "the policy is read-only for a member");
    screenshot(m, "page-policy-member.png").await?;
    m.client.goto(&hub.http_url("/audit")).await?;
    let forbidden = visible_text(m, "#forbidden-message").await?;
    ensure!(
        forbidden
            .as_deref()
            .is_some_and(|t| t.contains("admins and owners")),
        "/audit for a member: {forbidden:?}"
    );
    let nav = m
        .js("return Array.from(document.querySelectorAll('.main-nav a')).map(a => a.getAttribute('href'));", vec![])
        .await?;
    ensure!(
        nav == json!([
            "/",
            "/sessions",
            "/timesheets",
            "/reports",
            "/tickets",
            "/screenshots",
            "/settings/policy"
        ]),
        "a member's navigation: {nav}"
    );
    Ok(())
}

//! `/timesheets` and `/reports` in headless Chromium against the real hub (demo data): both
//! hydrate without errors and are screenshotted (`e2e/output/page-{reports,timesheets}-*.png`);
//! the chart follows a session recorded elsewhere without a reload; a correction with a reason
//! is made from the page and shows; approving the week locks it on the page.

use anyhow::{ensure, Context};
use chrono::{Datelike, Duration as Span, Utc};
use e2e::dashboard::{
    clear_failure, click, dump_failure, mark_page, no_page_errors, open, same_page, save_console,
    screenshot, type_into, visible_text, wait_until,
};
use e2e::hub::DEMO_PASSWORD;
use e2e::{ApiSession, Browser, ChromeDriver, Hub, HubOptions};
use reqwest::Method;
use serde_json::{json, Value};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timesheets_and_reports_render_hydrate_and_work() {
    clear_failure("timesheet-pages");
    let hub = Hub::start(HubOptions {
        label: "timesheet-pages-hub".into(),
        ..HubOptions::default()
    })
    .await
    .expect("the hub starts");
    let driver = ChromeDriver::start("timesheet-pages-chromedriver")
        .await
        .expect("chromedriver starts (Chromium is needed)");
    let owner = driver.browser("browser (owner)").await.expect("browser");
    let outcome = scenario(&hub, &owner).await;
    save_console(&owner, "timesheet-pages-console.log").await;
    if outcome.is_err() {
        dump_failure(&owner, "timesheet-pages").await;
        eprintln!("hub log (tail):\n{}", hub.log_tail(40));
    }
    let _ = owner.close().await;
    drop(driver);
    if let Err(e) = outcome {
        panic!("{e:#}");
    }
    hub.stop().expect("the hub stops cleanly on SIGTERM");
}

async fn call(
    hub: &Hub,
    who: &ApiSession,
    method: Method,
    path: &str,
    body: Value,
) -> anyhow::Result<Value> {
    let (status, answer) = who.send_json(method.clone(), &hub.url, path, &body).await?;
    ensure!(
        (200..300).contains(&status),
        "{method} {path}: {status} {answer}"
    );
    Ok(answer)
}

async fn shots(browser: &Browser, name: &str) -> anyhow::Result<()> {
    for dark in [false, true] {
        browser.color_scheme(dark).await?;
        screenshot(
            browser,
            &format!("page-{name}-{}.png", if dark { "dark" } else { "light" }),
        )
        .await?;
    }
    browser.viewport(Some((390, 844))).await?;
    screenshot(browser, &format!("page-{name}-light-phone.png")).await?;
    browser.viewport(None).await?;
    browser.color_scheme(false).await?;
    Ok(())
}

async fn scenario(hub: &Hub, browser: &Browser) -> anyhow::Result<()> {
    let login = |email: &'static str| ApiSession::login(&hub.url, email, DEMO_PASSWORD);
    let (owner, alice, bob) = (
        login("owner@demo.test").await?,
        login("alice@demo.test").await?,
        login("bob@demo.test").await?,
    );
    // Last week (the demo organization is on UTC): Alice 2:30 on a ticket Monday and 1:15
    // Wednesday, Bob 0:45 Tuesday.
    let today = Utc::now().date_naive();
    let monday = today - Span::days(i64::from(today.weekday().num_days_from_monday()) + 7);
    let iso = monday.iso_week();
    let week = format!("{}-W{:02}", iso.year(), iso.week());
    let at = |days: i64, h: u32, m: u32| {
        (monday + Span::days(days))
            .and_hms_opt(h, m, 0)
            .unwrap()
            .and_utc()
            .to_rfc3339()
    };
    let ticket = call(
        hub,
        &owner,
        Method::POST,
        "/api/tickets",
        json!({"title": "Login page times out"}),
    )
    .await?;
    let first = call(hub, &alice, Method::POST, "/api/sessions/manual", json!({
        "ticket_id": ticket["id"], "start_time": at(0, 9, 0), "end_time": at(0, 11, 30), "note": "Reproduced"}))
        .await?;
    call(
        hub,
        &alice,
        Method::POST,
        "/api/sessions/manual",
        json!({"start_time": at(2, 14, 0), "end_time": at(2, 15, 15)}),
    )
    .await?;
    call(
        hub,
        &bob,
        Method::POST,
        "/api/sessions/manual",
        json!({"start_time": at(1, 10, 0), "end_time": at(1, 10, 45)}),
    )
    .await?;
    let alice_id = first["user_id"].as_i64().context("alice's id")?;

    browser
        .login(&hub.url, "owner@demo.test", DEMO_PASSWORD)
        .await?;

    // /reports for last week, per person: a bar each, the total, then live.
    let range = format!("from={monday}&to={}", monday + Span::days(6));
    open(
        browser,
        &hub.url,
        &format!("/reports?{range}&group_by=user"),
    )
    .await?;
    no_page_errors(browser).await?;
    let bars = browser
        .js(
            "return document.querySelectorAll('#report-chart g.report-bar').length;",
            vec![],
        )
        .await?;
    // The demo's own history may add people; Alice and Bob are there.
    ensure!(bars.as_u64().unwrap_or(0) >= 2, "bars: {bars}");
    let alice_bar = browser
        .js(
            "const g = document.querySelector(`#report-chart g.report-bar[data-key='${arguments[0]}'] .report-bar-value`); return g && g.textContent;",
            vec![json!(alice_id.to_string())],
        )
        .await?;
    // The bar says what the API counts (the demo's own history may fall into last week too).
    let api_report = call(
        hub,
        &owner,
        Method::GET,
        &format!("/api/reports/time?{range}&group_by=user"),
        json!(null),
    )
    .await?;
    let alice_seconds = api_report["groups"]
        .as_array()
        .and_then(|g| g.iter().find(|g| g["key"] == json!(alice_id.to_string())))
        .and_then(|g| g["seconds"].as_i64())
        .context("Alice in the report")?;
    ensure!(
        alice_seconds >= 3 * 3600 + 45 * 60,
        "at least her 3:45: {alice_seconds}"
    );
    let expected = format!("{}:{:02}", alice_seconds / 3600, alice_seconds / 60 % 60);
    ensure!(
        alice_bar == json!(expected),
        "Alice's bar: {alice_bar}, the API: {expected}"
    );
    let before = visible_text(browser, "#report-total")
        .await?
        .context("a total")?;
    let before_text = before.clone();
    mark_page(browser).await?;
    shots(browser, "reports").await?;
    // Bob records an hour on Thursday elsewhere, then corrects it to 1:30: the chart and the
    // total follow each, without a reload.
    let total_after = |from: String, what: &'static str| {
        wait_until(
            browser,
            what,
            10,
            "const t = document.querySelector('#report-total'); return t && t.textContent !== arguments[0] ? t.textContent : null;",
            vec![json!(from)],
        )
    };
    let thursday = call(
        hub,
        &bob,
        Method::POST,
        "/api/sessions/manual",
        json!({"start_time": at(3, 8, 0), "end_time": at(3, 9, 0)}),
    )
    .await?;
    let after_entry = total_after(
        before,
        "the report total follows a manual entry made elsewhere",
    )
    .await?;
    let bob_id = thursday["id"].as_i64().context("bob's session")?;
    call(
        hub,
        &bob,
        Method::PATCH,
        &format!("/api/sessions/{bob_id}"),
        json!({"end_time": at(3, 9, 30), "reason": "forgot the last half hour"}),
    )
    .await?;
    let after_fix = total_after(
        after_entry.as_str().unwrap_or_default().to_string(),
        "the report total follows a correction made elsewhere",
    )
    .await?;
    ensure!(
        after_fix.as_str() != Some(before_text.as_str()),
        "the correction added half an hour: {after_fix}"
    );
    ensure!(
        same_page(browser).await?,
        "the report changed without a reload"
    );
    // Per day: Monday to Thursday.
    open(browser, &hub.url, &format!("/reports?{range}&group_by=day")).await?;
    let day_bar = browser
        .js("const g = document.querySelector(`#report-chart g.report-bar[data-key='${arguments[0]}'] .report-bar-value`); return g && g.textContent;", vec![json!(monday.to_string())])
        .await?;
    ensure!(day_bar.as_str().is_some(), "Monday has a bar: {day_bar}");

    // /timesheets: the week grid; Alice's sessions; a correction with a reason; approval.
    open(
        browser,
        &hub.url,
        &format!("/timesheets?week={week}&user={alice_id}"),
    )
    .await?;
    no_page_errors(browser).await?;
    let monday_cell = browser
        .js(
            "const r = document.querySelector(`#timesheet-grid tr[data-user-id='${arguments[0]}']`); return r && r.querySelector('td.day').textContent;",
            vec![json!(alice_id)],
        )
        .await?;
    ensure!(
        monday_cell == json!("2:30"),
        "Alice's Monday: {monday_cell}"
    );
    let session = first["id"].as_i64().context("session id")?;
    mark_page(browser).await?;
    click(
        browser,
        &format!(".edit-session[data-session-id='{session}']"),
    )
    .await?;
    wait_until(
        browser,
        "the correction form opens",
        5,
        "return document.querySelector('form.session-fix') !== null;",
        vec![],
    )
    .await?;
    // Without a reason the page says so and saves nothing.
    type_into(
        browser,
        &format!("#fix-note-{session}"),
        "Reproduced and fixed",
    )
    .await?;
    click(browser, "form.session-fix .fix-save").await?;
    let refused = visible_text(browser, &format!("#fix-error-{session}"))
        .await?
        .unwrap_or_default();
    ensure!(refused.contains("reason"), "no reason: {refused}");
    type_into(
        browser,
        &format!("#fix-reason-{session}"),
        "note was incomplete",
    )
    .await?;
    click(browser, "form.session-fix .fix-save").await?;
    wait_until(
        browser,
        "the corrected note shows in the week's sessions",
        10,
        "const r = document.querySelector(`#week-sessions-table tr[data-session-id='${arguments[0]}'] td.note`); return r && r.textContent === 'Reproduced and fixed';",
        vec![json!(session)],
    )
    .await?;
    screenshot(browser, "page-timesheets-correction.png").await?;
    click(
        browser,
        &format!("button.approve-week[data-user-id='{alice_id}']"),
    )
    .await?;
    wait_until(
        browser,
        "Alice's week shows approved and locked",
        10,
        "const r = document.querySelector(`#timesheet-grid tr[data-user-id='${arguments[0]}']`); return r && r.getAttribute('data-state') === 'approved' && document.querySelector('#week-locked') !== null && document.querySelector('.edit-session') === null;",
        vec![json!(alice_id)],
    )
    .await?;
    ensure!(same_page(browser).await?, "approved without a reload");
    shots(browser, "timesheets").await?;
    // The API refuses a change in the approved week, as the page said.
    let (status, _) = alice
        .send_json(
            Method::PATCH,
            &hub.url,
            &format!("/api/sessions/{session}"),
            &json!({"note": "x", "reason": "y"}),
        )
        .await?;
    ensure!(status == 409, "a correction in an approved week: {status}");
    Ok(())
}

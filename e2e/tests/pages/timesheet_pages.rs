//! `/timesheets` and `/reports` in headless Chromium against the real hub (demo data): both
//! hydrate without errors and are screenshotted (`e2e/output/page-{reports,timesheets}-*.png`);
//! the chart follows a session recorded elsewhere without a reload; a correction with a reason
//! is made from the page and shows; the week's balance follows a session recorded elsewhere;
//! so does the month's table below it; the exports are offered for the week and the month (and
//! from `/reports`); approving the week locks it on the page.
//!
//! The test reads as its `scenario`: one step function per thing a user does or sees.

use anyhow::{ensure, Context};
use chrono::{Datelike, Duration as Span, NaiveDate, Utc};
use e2e::hub::DEMO_PASSWORD;
use e2e::page::PhoneShots;
use e2e::{ApiSession, BrowserTest, Hub, HubOptions, Page};
use reqwest::Method;
use serde_json::{json, Value};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timesheets_and_reports_render_hydrate_and_work() {
    let test = BrowserTest::start("timesheet-pages", HubOptions::default(), &["owner"]).await;
    let outcome = scenario(&test.hub, test.page(0)).await;
    test.finish(outcome).await;
}

async fn scenario(hub: &Hub, page: Page<'_>) -> anyhow::Result<()> {
    let team = Team::sign_in(hub).await?;
    let week = LastWeek::now();
    let seeded = record_last_week(hub, &team, &week).await?;
    page.sign_in("owner@demo.test", DEMO_PASSWORD).await?;

    // /reports for last week, per person: a bar each, the total, then live; then per day.
    report_per_person_matches_the_api(hub, page, &team, &week, seeded.alice_id).await?;
    let total = page.text("#report-total").await?.context("a total")?;
    page.mark().await?;
    page.screenshots("reports", PhoneShots::Light).await?;
    report_follows_bob_elsewhere(hub, page, &team, &week, &total).await?;
    report_per_day_has_monday(page, &week).await?;

    // /timesheets: the week grid; Alice's sessions; a correction with a reason; approval.
    alice_week_shows_monday(page, &week, seeded.alice_id).await?;
    page.mark().await?;
    balance_follows_a_session_recorded_elsewhere(hub, page, &team, &week, seeded.alice_id).await?;
    exports_are_offered(page, &week, seeded.alice_id).await?;
    page.mark().await?;
    open_correction_form(page, seeded.session).await?;
    correction_without_reason_is_refused(page, seeded.session).await?;
    correction_with_reason_shows(page, seeded.session).await?;
    approve_alice_week(page, seeded.alice_id).await?;
    page.screenshots("timesheets", PhoneShots::Light).await?;
    approved_week_refuses_changes(hub, &team, seeded.session).await
}

/// The people who record time through the API.
struct Team {
    owner: ApiSession,
    alice: ApiSession,
    bob: ApiSession,
}

impl Team {
    async fn sign_in(hub: &Hub) -> anyhow::Result<Team> {
        let login = |email: &'static str| ApiSession::login(&hub.url, email, DEMO_PASSWORD);
        Ok(Team {
            owner: login("owner@demo.test").await?,
            alice: login("alice@demo.test").await?,
            bob: login("bob@demo.test").await?,
        })
    }
}

/// Last week (the demo organization is on UTC), from its Monday.
struct LastWeek {
    monday: NaiveDate,
}

impl LastWeek {
    /// The week before the one holding today (UTC).
    fn now() -> LastWeek {
        let today = Utc::now().date_naive();
        let monday = today - Span::days(i64::from(today.weekday().num_days_from_monday()) + 7);
        LastWeek { monday }
    }

    /// "2024-W18", as `/timesheets?week=` takes it.
    fn iso(&self) -> String {
        let iso = self.monday.iso_week();
        format!("{}-W{:02}", iso.year(), iso.week())
    }

    /// `from=…&to=…`, Monday to Sunday, as `/reports` and `/api/reports/time` take it.
    fn range(&self) -> String {
        format!("from={}&to={}", self.monday, self.monday + Span::days(6))
    }

    /// `days` after Monday at `h:m` UTC, in RFC 3339.
    fn at(&self, days: i64, h: u32, m: u32) -> String {
        (self.monday + Span::days(days))
            .and_hms_opt(h, m, 0)
            .unwrap()
            .and_utc()
            .to_rfc3339()
    }
}

/// What [`record_last_week`] recorded and is used later.
struct Seeded {
    alice_id: i64,
    /// Alice's Monday session (2:30 on the ticket, note "Reproduced").
    session: i64,
}

/// Alice 2:30 on a ticket Monday and 1:15 Wednesday, Bob 0:45 Tuesday.
async fn record_last_week(hub: &Hub, team: &Team, week: &LastWeek) -> anyhow::Result<Seeded> {
    let ticket = team
        .owner
        .call(
            &hub.url,
            Method::POST,
            "/api/tickets",
            &json!({"title": "Login page times out"}),
        )
        .await?;
    let first = team
        .alice
        .call(
            &hub.url,
            Method::POST,
            "/api/sessions/manual",
            &json!({
                "ticket_id": ticket["id"],
                "start_time": week.at(0, 9, 0),
                "end_time": week.at(0, 11, 30),
                "note": "Reproduced",
            }),
        )
        .await?;
    team.alice
        .call(
            &hub.url,
            Method::POST,
            "/api/sessions/manual",
            &json!({"start_time": week.at(2, 14, 0), "end_time": week.at(2, 15, 15)}),
        )
        .await?;
    team.bob
        .call(
            &hub.url,
            Method::POST,
            "/api/sessions/manual",
            &json!({"start_time": week.at(1, 10, 0), "end_time": week.at(1, 10, 45)}),
        )
        .await?;
    Ok(Seeded {
        alice_id: first["user_id"].as_i64().context("alice's id")?,
        session: first["id"].as_i64().context("session id")?,
    })
}

/// The text of the value label of the report chart's bar `key` (`null` when there is none).
async fn bar_value(page: Page<'_>, key: &str) -> anyhow::Result<Value> {
    page.js(
        "const g = document.querySelector(`#report-chart g.report-bar[data-key='${arguments[0]}'] .report-bar-value`); return g && g.textContent;",
        vec![json!(key)],
    )
    .await
}

/// /reports per person hydrates without errors; Alice's bar says what the API counts.
async fn report_per_person_matches_the_api(
    hub: &Hub,
    page: Page<'_>,
    team: &Team,
    week: &LastWeek,
    alice_id: i64,
) -> anyhow::Result<()> {
    let range = week.range();
    page.open(&format!("/reports?{range}&group_by=user"))
        .await?;
    page.no_errors().await?;
    let bars = page.count("#report-chart g.report-bar").await?;
    // The demo's own history may add people; Alice and Bob are there.
    ensure!(bars >= 2, "bars: {bars}");
    let alice_bar = bar_value(page, &alice_id.to_string()).await?;
    // The bar says what the API counts (the demo's own history may fall into last week too).
    let api_report = team
        .owner
        .call(
            &hub.url,
            Method::GET,
            &format!("/api/reports/time?{range}&group_by=user"),
            &json!(null),
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
    // The team's signed-off timesheets of the week and the month the range ends in.
    let sunday = week.monday + Span::days(6);
    let week_pdf = page
        .attribute("#report-exports a.export-week-pdf", "href")
        .await?;
    ensure!(
        week_pdf == Some(format!("/api/worktime/export.pdf?week={}", week.iso())),
        "{week_pdf:?}"
    );
    let month_xlsx = page
        .attribute("#report-exports a.export-month-xlsx", "href")
        .await?;
    ensure!(
        month_xlsx
            == Some(format!(
                "/api/worktime/export.xlsx?month={}",
                sunday.format("%Y-%m")
            )),
        "{month_xlsx:?}"
    );
    Ok(())
}

/// Waits up to 10 s until the report total shows something other than `from`; answers it.
async fn report_total_changes(page: Page<'_>, from: &str, what: &str) -> anyhow::Result<Value> {
    page.wait_for(
        what,
        10,
        "const t = document.querySelector('#report-total'); return t && t.textContent !== arguments[0] ? t.textContent : null;",
        vec![json!(from)],
    )
    .await
}

/// Bob records an hour on Thursday elsewhere, then corrects it to 1:30: the chart and the
/// total (`before` at first) follow each, without a reload.
async fn report_follows_bob_elsewhere(
    hub: &Hub,
    page: Page<'_>,
    team: &Team,
    week: &LastWeek,
    before: &str,
) -> anyhow::Result<()> {
    let thursday = team
        .bob
        .call(
            &hub.url,
            Method::POST,
            "/api/sessions/manual",
            &json!({"start_time": week.at(3, 8, 0), "end_time": week.at(3, 9, 0)}),
        )
        .await?;
    let after_entry = report_total_changes(
        page,
        before,
        "the report total follows a manual entry made elsewhere",
    )
    .await?;
    let bob_id = thursday["id"].as_i64().context("bob's session")?;
    team.bob
        .call(
            &hub.url,
            Method::PATCH,
            &format!("/api/sessions/{bob_id}"),
            &json!({"end_time": week.at(3, 9, 30), "reason": "forgot the last half hour"}),
        )
        .await?;
    let after_fix = report_total_changes(
        page,
        after_entry.as_str().unwrap_or_default(),
        "the report total follows a correction made elsewhere",
    )
    .await?;
    ensure!(
        after_fix.as_str() != Some(before),
        "the correction added half an hour: {after_fix}"
    );
    page.expect_same_page("the report changed without a reload")
        .await
}

/// /reports per day: Monday has a bar.
async fn report_per_day_has_monday(page: Page<'_>, week: &LastWeek) -> anyhow::Result<()> {
    page.open(&format!("/reports?{}&group_by=day", week.range()))
        .await?;
    let day_bar = bar_value(page, &week.monday.to_string()).await?;
    ensure!(day_bar.as_str().is_some(), "Monday has a bar: {day_bar}");
    Ok(())
}

/// /timesheets for Alice's week hydrates without errors; her Monday shows 2:30.
async fn alice_week_shows_monday(
    page: Page<'_>,
    week: &LastWeek,
    alice_id: i64,
) -> anyhow::Result<()> {
    page.open(&format!("/timesheets?week={}&user={alice_id}", week.iso()))
        .await?;
    page.no_errors().await?;
    let monday_cell = page
        .js(
            "const r = document.querySelector(`#timesheet-grid tr[data-user-id='${arguments[0]}']`); return r && r.querySelector('td.day').textContent;",
            vec![json!(alice_id)],
        )
        .await?;
    ensure!(
        monday_cell == json!("2:30"),
        "Alice's Monday: {monday_cell}"
    );
    Ok(())
}

/// "+1:00", "−3:15" (U+2212), "0:00": the page's way of writing a balance.
fn signed(seconds: i64) -> String {
    let hm = |s: i64| format!("{}:{:02}", s / 3600, s / 60 % 60);
    match seconds {
        0 => "0:00".to_string(),
        s if s > 0 => format!("+{}", hm(s)),
        s => format!("\u{2212}{}", hm(-s)),
    }
}

/// Alice's balance on the open page is the API's, and moves by the hour she records early on
/// Monday from elsewhere, without a reload.
async fn balance_follows_a_session_recorded_elsewhere(
    hub: &Hub,
    page: Page<'_>,
    team: &Team,
    week: &LastWeek,
    alice_id: i64,
) -> anyhow::Result<()> {
    let cell = format!("#timesheet-grid tr[data-user-id='{alice_id}'] td.balance");
    let balance = || async {
        let figures = team
            .owner
            .call(
                &hub.url,
                Method::GET,
                &format!("/api/worktime?{}&user_id={alice_id}", week.range()),
                &json!(null),
            )
            .await?;
        figures["users"][0]["balance_seconds"]
            .as_i64()
            .context("a balance")
    };
    let before = balance().await?;
    page.wait_text(&cell, &signed(before), 5).await?;
    let planned = page
        .text(&format!(
            "#timesheet-grid tr[data-user-id='{alice_id}'] td.planned"
        ))
        .await?;
    ensure!(
        planned.as_deref() == Some("40:00"),
        "8 h Monday to Friday: {planned:?}"
    );
    team.alice
        .call(
            &hub.url,
            Method::POST,
            "/api/sessions/manual",
            // 06:00: before any demo session (they start at 08:00 or later).
            &json!({"start_time": week.at(0, 6, 0), "end_time": week.at(0, 7, 0)}),
        )
        .await?;
    let after = balance().await?;
    ensure!(
        after == before + 3600,
        "the API's balance moved by an hour: {before} → {after}"
    );
    page.wait_text(&cell, &signed(after), 10).await?;
    // The month below the grid (the month of the week's Monday) counts the hour too.
    let first = week.monday.with_day(1).context("the month's first day")?;
    let last = first
        .checked_add_months(chrono::Months::new(1))
        .and_then(|next| next.pred_opt())
        .context("the month's last day")?;
    let month = team
        .owner
        .call(
            &hub.url,
            Method::GET,
            &format!("/api/worktime?from={first}&to={last}&user_id={alice_id}"),
            &json!(null),
        )
        .await?;
    let worked = month["users"][0]["worked_seconds"]
        .as_i64()
        .context("the month's worked")?;
    ensure!(worked >= 3600, "the month holds at least the hour: {month}");
    let month_cell = format!("#month-table tr[data-user-id='{alice_id}'] td.worked");
    page.wait_text(
        &month_cell,
        &format!("{}:{:02}", worked / 3600, worked / 60 % 60),
        10,
    )
    .await?;
    page.expect_same_page("a session recorded elsewhere").await
}

/// The week's and the month's CSV, XLSX and PDF are linked, for the chosen person.
async fn exports_are_offered(page: Page<'_>, week: &LastWeek, alice_id: i64) -> anyhow::Result<()> {
    let pdf = page
        .attribute("#timesheet-exports a.export-week-pdf", "href")
        .await?
        .context("the week's PDF link")?;
    ensure!(
        pdf == format!(
            "/api/worktime/export.pdf?week={}&user_id={alice_id}",
            week.iso()
        ),
        "{pdf}"
    );
    let month = page
        .attribute("#timesheet-exports a.export-month-xlsx", "href")
        .await?
        .context("the month's XLSX link")?;
    ensure!(
        month
            == format!(
                "/api/worktime/export.xlsx?month={}&user_id={alice_id}",
                week.monday.format("%Y-%m")
            ),
        "{month}"
    );
    Ok(())
}

/// The correction form of `session` opens from its edit button.
async fn open_correction_form(page: Page<'_>, session: i64) -> anyhow::Result<()> {
    page.click(&format!(".edit-session[data-session-id='{session}']"))
        .await?;
    page.wait_for(
        "the correction form opens",
        5,
        "return document.querySelector('form.session-fix') !== null;",
        vec![],
    )
    .await?;
    Ok(())
}

/// Without a reason the page says so and saves nothing.
async fn correction_without_reason_is_refused(page: Page<'_>, session: i64) -> anyhow::Result<()> {
    page.type_into(&format!("#fix-note-{session}"), "Reproduced and fixed")
        .await?;
    page.click("form.session-fix .fix-save").await?;
    let refused = page
        .text(&format!("#fix-error-{session}"))
        .await?
        .unwrap_or_default();
    ensure!(refused.contains("reason"), "no reason: {refused}");
    Ok(())
}

/// With a reason the correction is saved and the new note shows in the week's sessions.
async fn correction_with_reason_shows(page: Page<'_>, session: i64) -> anyhow::Result<()> {
    page.type_into(&format!("#fix-reason-{session}"), "note was incomplete")
        .await?;
    page.click("form.session-fix .fix-save").await?;
    page.wait_for(
        "the corrected note shows in the week's sessions",
        10,
        "const r = document.querySelector(`#week-sessions-table tr[data-session-id='${arguments[0]}'] td.note`); return r && r.textContent === 'Reproduced and fixed';",
        vec![json!(session)],
    )
    .await?;
    page.screenshot("page-timesheets-correction.png").await
}

/// Approving Alice's week shows it approved and locked, without a reload.
async fn approve_alice_week(page: Page<'_>, alice_id: i64) -> anyhow::Result<()> {
    page.click(&format!("button.approve-week[data-user-id='{alice_id}']"))
        .await?;
    page.wait_for(
        "Alice's week shows approved and locked",
        10,
        "const r = document.querySelector(`#timesheet-grid tr[data-user-id='${arguments[0]}']`); return r && r.getAttribute('data-state') === 'approved' && document.querySelector('#week-locked') !== null && document.querySelector('.edit-session') === null;",
        vec![json!(alice_id)],
    )
    .await?;
    page.expect_same_page("approved without a reload").await
}

/// The API refuses a change in the approved week, as the page said.
async fn approved_week_refuses_changes(hub: &Hub, team: &Team, session: i64) -> anyhow::Result<()> {
    let (status, _) = team
        .alice
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

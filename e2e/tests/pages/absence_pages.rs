//! `/absences` in headless Chromium against the real hub (demo data), two people at once:
//! Alice asks for vacation from the form; Lena's open page shows the request at once and she
//! approves it; Alice's page turns to "Approved" without a reload, and her timesheet counts the
//! days as absence. A refusal needs a reason. Screenshots: `e2e/output/page-absences-*.png`.

use anyhow::{ensure, Context};
use chrono::{Datelike, Duration as Span, Utc};
use e2e::hub::DEMO_PASSWORD;
use e2e::page::PhoneShots;
use e2e::{ApiSession, BrowserTest, Page};
use reqwest::Method;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_is_seen_approved_and_counted_live() {
    let test = BrowserTest::start(
        "absence-pages",
        e2e::HubOptions::default(),
        &["alice", "lead"],
    )
    .await;
    let outcome = scenario(&test, test.page(0), test.page(1)).await;
    test.finish(outcome).await;
}

async fn scenario(test: &BrowserTest, alice: Page<'_>, lead: Page<'_>) -> anyhow::Result<()> {
    // Next week's Monday and Tuesday (UTC, the demo's timezone): no approved week there.
    let today = Utc::now().date_naive();
    let monday = today + Span::days(7 - i64::from(today.weekday().num_days_from_monday()));
    let tuesday = monday + Span::days(1);

    alice.sign_in("alice@demo.test", DEMO_PASSWORD).await?;
    lead.sign_in("lead@demo.test", DEMO_PASSWORD).await?;
    lead.open("/absences").await?;
    lead.no_errors().await?;
    lead.wait_live().await?;
    alice.open("/absences").await?;
    alice.no_errors().await?;
    alice.wait_live().await?;

    // Alice asks for Monday and Tuesday off.
    alice.select("#absence-kind", "vacation").await?;
    alice
        .set_value("#absence-first", &monday.to_string())
        .await?;
    alice
        .set_value("#absence-last", &tuesday.to_string())
        .await?;
    alice.type_into("#absence-note", "Family visit").await?;
    alice.click("#absence-submit").await?;
    alice
        .wait_text("#absence-notice", "a supervisor decides", 10)
        .await?;
    let row = "#absence-table tr[data-state='requested']";
    alice.wait_count(row, 1, 5).await?;
    let id = alice
        .attribute(row, "data-absence-id")
        .await?
        .context("the request's id")?;

    // Lena's page shows it without a reload; she approves.
    let button = format!(".approve-absence[data-absence-id='{id}']");
    lead.wait_shown(&button, 10).await?;
    lead.mark().await?;
    lead.screenshots("absences", PhoneShots::Light).await?;
    lead.click(&button).await?;
    lead.wait_text("#absence-notice", "is approved", 10).await?;
    lead.expect_same_page("approving").await?;

    // Alice's page follows.
    alice
        .wait_count(
            &format!("#absence-table tr[data-absence-id='{id}'][data-state='approved']"),
            1,
            10,
        )
        .await?;

    // Her timesheet of that week counts both days as absence (8 h each by default).
    let iso = monday.iso_week();
    let week = format!("{}-W{:02}", iso.year(), iso.week());
    alice.open(&format!("/timesheets?week={week}")).await?;
    alice.no_errors().await?;
    let absence = alice
        .text("#timesheet-grid tbody tr td.absence")
        .await?
        .context("the absence cell")?;
    ensure!(absence == "16:00", "Alice's absence that week: {absence}");

    // The API says the same.
    let api = ApiSession::login(&test.hub.url, "alice@demo.test", DEMO_PASSWORD).await?;
    let figures = api
        .call(
            &test.hub.url,
            Method::GET,
            &format!("/api/worktime?from={monday}&to={}", monday + Span::days(6)),
            &json!(null),
        )
        .await?;
    ensure!(
        figures["users"][0]["absence_seconds"] == json!(16 * 3600),
        "{figures}"
    );
    Ok(())
}

//! The owner's policy form in a real browser against the real hub: a valid change is saved as
//! version 2 and reaches an agent; another owner's change (made through the API) shows in the
//! open form without a reload; an out-of-range value is refused next to its field and nothing
//! is saved. Screenshots: `e2e/output/policy-saved.png`, `policy-invalid.png`.

use anyhow::{ensure, Context};
use e2e::dashboard::{
    clear_failure, click, dump_failure, mark_page, no_page_errors, open, same_page, save_console,
    screenshot, type_into, visible_text, wait_until,
};
use e2e::hub::DEMO_PASSWORD;
use e2e::{AgentSocket, ApiSession, Browser, ChromeDriver, Hub, HubOptions};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn owner_saves_the_policy_and_sees_field_errors() {
    clear_failure("policy-form");
    let hub = Hub::start(HubOptions {
        label: "policy-form-hub".into(),
        ..HubOptions::default()
    })
    .await
    .expect("the hub starts");
    let driver = ChromeDriver::start("policy-form-chromedriver")
        .await
        .expect("chromedriver starts (Chromium is needed)");
    let owner = driver.browser("browser (owner)").await.expect("browser");

    let outcome = scenario(&hub, &owner).await;
    save_console(&owner, "policy-form-console.log").await;
    if outcome.is_err() {
        dump_failure(&owner, "policy-form").await;
        eprintln!("hub log (tail):\n{}", hub.log_tail(40));
    }
    let _ = owner.close().await;
    drop(driver);
    if let Err(e) = outcome {
        panic!("{e:#}");
    }
    hub.stop().expect("the hub stops cleanly on SIGTERM");
}

async fn badge(browser: &Browser) -> anyhow::Result<Value> {
    browser
        .js(
            "return Number(document.querySelector('#policy-version').getAttribute('data-version'));",
            vec![],
        )
        .await
}

async fn wait_badge(browser: &Browser, version: i64) -> anyhow::Result<()> {
    wait_until(
        browser,
        &format!("the version badge shows {version}"),
        5,
        "const b = document.querySelector('#policy-version');
         return b.getAttribute('data-version') === String(arguments[0]) && b.textContent.includes(String(arguments[0]));",
        vec![json!(version)],
    )
    .await
    .map(|_| ())
}

async fn scenario(hub: &Hub, browser: &Browser) -> anyhow::Result<()> {
    let owner = ApiSession::login(&hub.url, "owner@demo.test", DEMO_PASSWORD).await?;
    let alice = ApiSession::login(&hub.url, "alice@demo.test", DEMO_PASSWORD).await?;
    let mut agent = AgentSocket::connect(&hub.ws_url("/ws/agent"), &alice.token, None).await?;

    browser
        .login(&hub.url, "owner@demo.test", DEMO_PASSWORD)
        .await?;
    open(browser, &hub.url, "/settings/policy").await?;
    mark_page(browser).await?;
    ensure!(
        badge(browser).await? == json!(1),
        "a new company starts at version 1"
    );
    let hint = visible_text(browser, "#screenshot_interval_seconds-hint").await?;
    ensure!(
        hint.as_deref()
            .is_some_and(|h| h.contains("30") && h.contains("3600")),
        "the interval's range is shown: {hint:?}"
    );

    // A valid change: saved as version 2 and pushed to the agent.
    type_into(browser, "#screenshot_interval_seconds", "45").await?;
    let saved_at = Instant::now();
    click(browser, "#policy-save").await?;
    wait_until(
        browser,
        "the success message",
        5,
        "const n = document.querySelector('#policy-notice');
         return n.getAttribute('data-kind') === 'saved' && n.textContent.includes('Saved as version 2, pushed to agents');",
        vec![],
    )
    .await?;
    wait_badge(browser, 2).await?;
    eprintln!(
        "[policy_form] Save & sync → success shown: {:?}",
        saved_at.elapsed()
    );
    let config = owner.get_json(&hub.url, "/api/config").await?;
    ensure!(config["config_version"] == 2, "{config}");
    ensure!(
        config["config"]["screenshot_interval_seconds"] == 45,
        "{config}"
    );
    let pushed = wait_message(&mut agent, "config_updated").await?;
    ensure!(
        pushed["config"]["screenshot_interval_seconds"] == 45,
        "{pushed}"
    );
    ensure!(
        pushed["changed"] == json!(["screenshot_interval_seconds"]),
        "{pushed}"
    );
    let summary = visible_text(browser, "#policy-summary")
        .await?
        .unwrap_or_default();
    ensure!(
        summary.contains("Screenshots every 45 s"),
        "summary: {summary}"
    );
    screenshot(browser, "policy-saved.png").await?;

    // Another owner's change arrives as config_updated: the open form follows it.
    let (status, body) = owner
        .send_json(
            reqwest::Method::PUT,
            &hub.url,
            "/api/policy",
            &json!({ "idle_threshold_seconds": 120 }),
        )
        .await?;
    ensure!(status == 200, "PUT /api/policy: {status} {body}");
    wait_badge(browser, 3).await?;
    wait_until(
        browser,
        "the idle threshold field shows the pushed 120",
        5,
        "return document.querySelector('#idle_threshold_seconds').value === '120';",
        vec![],
    )
    .await?;

    // An out-of-range value: the hub's 422 shows next to that field; nothing is saved.
    type_into(browser, "#screenshot_quality", "10").await?;
    click(browser, "#policy-save").await?;
    let error = wait_until(
        browser,
        "the screenshot_quality error next to its field",
        5,
        "const e = document.querySelector('.policy-field[data-field=\"screenshot_quality\"] #screenshot_quality-error');
         return !!e && !e.hidden && e.textContent.trim() ? e.textContent.trim() : null;",
        vec![],
    )
    .await?;
    let error = error.as_str().context("error text")?.to_string();
    ensure!(
        error.contains("50 to 95"),
        "the error names the range: {error}"
    );
    let invalid = browser
        .js(
            "return document.querySelector('#screenshot_quality').getAttribute('aria-invalid');",
            vec![],
        )
        .await?;
    ensure!(invalid == json!("true"), "the field is marked invalid");
    let notice = visible_text(browser, "#policy-notice")
        .await?
        .unwrap_or_default();
    ensure!(notice.contains("Nothing was saved"), "notice: {notice}");
    let other_errors = browser
        .js(
            "return Array.from(document.querySelectorAll('.field-error')).filter(e => !e.hidden).length;",
            vec![],
        )
        .await?;
    ensure!(other_errors == json!(1), "only that field shows an error");
    ensure!(
        badge(browser).await? == json!(3),
        "the version did not move"
    );
    let config = owner.get_json(&hub.url, "/api/config").await?;
    ensure!(config["config_version"] == 3, "{config}");
    ensure!(config["config"]["screenshot_quality"] == 85, "{config}");
    screenshot(browser, "policy-invalid.png").await?;

    ensure!(same_page(browser).await?, "the form page was reloaded");
    no_page_errors(browser).await?;
    Ok(())
}

/// The next message of `kind` the agent receives, within 5 s.
async fn wait_message(agent: &mut AgentSocket, kind: &str) -> anyhow::Result<Value> {
    let started = Instant::now();
    loop {
        if let Some(m) = agent
            .drain_received()
            .into_iter()
            .find(|m| m["type"] == kind)
        {
            return Ok(m);
        }
        ensure!(
            started.elapsed() < Duration::from_secs(5),
            "the agent got no {kind} within 5 s"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

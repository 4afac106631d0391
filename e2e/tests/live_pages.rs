//! The live picture in headless Chromium against the real hub running the demo alive
//! (`--demo` with its simulated agents, `HUB_DEMO_AGENTS=3`): `/` shows people working on
//! tickets and a status set elsewhere appears without a reload; `/fleet` lists the three
//! agents with Bob's failed captures marked and follows a policy change; on
//! `/settings/webhooks` a webhook is added from the form (its secret shown once) and its test
//! delivery shows as delivered, live. Screenshots: `e2e/output/page-{status-demo,fleet,webhooks}-*.png`.

use anyhow::{ensure, Context};
use e2e::dashboard::{
    clear_failure, click, dump_failure, mark_page, no_page_errors, open, same_page, save_console,
    screenshot, type_into, wait_until,
};
use e2e::hub::DEMO_PASSWORD;
use e2e::{ApiSession, Browser, ChromeDriver, Hub, HubOptions, WebhookReceiver};
use reqwest::Method;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_is_alive_on_status_fleet_and_webhooks() {
    clear_failure("live-pages");
    let hub = Hub::start(HubOptions {
        label: "live-pages-hub".into(),
        env: vec![("HUB_DEMO_AGENTS".into(), "3".into())],
        ..HubOptions::default()
    })
    .await
    .expect("the hub starts");
    let driver = ChromeDriver::start("live-pages-chromedriver")
        .await
        .expect("chromedriver starts (Chromium is needed)");
    let admin = driver.browser("browser (admin)").await.expect("browser");
    let outcome = scenario(&hub, &admin).await;
    save_console(&admin, "live-pages-console.log").await;
    if outcome.is_err() {
        dump_failure(&admin, "live-pages").await;
        eprintln!("hub log (tail):\n{}", hub.log_tail(40));
    }
    let _ = admin.close().await;
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
    browser.color_scheme(false).await?;
    Ok(())
}

async fn scenario(hub: &Hub, browser: &Browser) -> anyhow::Result<()> {
    let login = |email: &'static str| ApiSession::login(&hub.url, email, DEMO_PASSWORD);
    let (owner, admin, carol) = (
        login("owner@demo.test").await?,
        login("admin@demo.test").await?,
        login("carol@demo.test").await?,
    );
    // The three simulated agents connect and report themselves.
    let started = Instant::now();
    let fleet = loop {
        let list = call(hub, &admin, Method::GET, "/api/agents", json!(null)).await?;
        let ready = list["agents"].as_array().is_some_and(|a| {
            a.iter()
                .filter(|d| d["connected"] == true && d["agent_version"].is_string())
                .count()
                == 3
        });
        if ready {
            break list;
        }
        ensure!(
            started.elapsed() < Duration::from_secs(30),
            "three demo agents: {list}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    let bob = fleet["agents"]
        .as_array()
        .and_then(|a| a.iter().find(|d| d["user_name"] == "Bob Baker"))
        .context("Bob's agent")?;
    ensure!(bob["last_capture"]["error"].is_string(), "{bob}");

    browser
        .login(&hub.url, "admin@demo.test", DEMO_PASSWORD)
        .await?;

    // `/`: Alice works on a ticket (the demo's first round), with its context line.
    open(browser, &hub.url, "/").await?;
    no_page_errors(browser).await?;
    let working = wait_until(
        browser,
        "someone active on a ticket",
        30,
        "const c = document.querySelector('tr[data-status=active] .context[data-context=ticket]'); return c && c.textContent;",
        vec![],
    )
    .await?;
    ensure!(
        working.as_str().is_some_and(|t| t.starts_with("on #")),
        "{working}"
    );
    // Carol sets a status elsewhere: her row shows it and do-not-disturb, without a reload.
    mark_page(browser).await?;
    let carol_id = carol.user_id;
    call(
        hub,
        &carol,
        Method::PUT,
        "/api/me/status",
        json!({"text": "Dentist", "emoji": "🦷", "dnd": true}),
    )
    .await?;
    let shown = wait_until(
        browser,
        "Carol's status",
        10,
        "const r = document.querySelector(`tr[data-user-id='${arguments[0]}']`); const c = r && r.querySelector('.context'); return c && r.querySelector('.dnd') ? c.textContent : null;",
        vec![json!(carol_id)],
    )
    .await?;
    ensure!(shown == json!("🦷 Dentist"), "{shown}");
    ensure!(same_page(browser).await?, "the page reloaded");
    shots(browser, "status-demo").await?;

    // `/fleet`: three agents, Bob's marked for his captures; a policy change is followed.
    open(browser, &hub.url, "/fleet").await?;
    no_page_errors(browser).await?;
    let rows = browser
        .js(
            "return document.querySelectorAll('#fleet-table tbody tr').length;",
            vec![],
        )
        .await?;
    ensure!(rows == json!(3), "fleet rows: {rows}");
    let attention = browser
        .js("return Array.from(document.querySelectorAll('tr[data-attention=true] th')).map(t => t.textContent);", vec![])
        .await?;
    ensure!(attention.to_string().contains("Bob Baker"), "{attention}");
    let policy = call(
        hub,
        &owner,
        Method::PUT,
        "/api/policy",
        json!({"screenshot_interval_seconds": 900}),
    )
    .await?;
    let version = policy["config_version"].as_i64().context("version")?;
    let summary = wait_until(
        browser,
        "the new policy version applied by all",
        15,
        "const s = document.querySelector('#fleet-summary'); const stale = document.querySelectorAll('tr[data-stale=true]').length; return s && s.textContent.includes('policy version ' + arguments[0]) && stale === 0 ? s.textContent : null;",
        vec![json!(version)],
    )
    .await?;
    ensure!(summary.to_string().contains("3 connected"), "{summary}");
    shots(browser, "fleet").await?;

    // `/settings/webhooks`: add one from the form, see the secret once, send a test.
    let receiver = WebhookReceiver::start(0).await?;
    open(browser, &hub.url, "/settings/webhooks").await?;
    no_page_errors(browser).await?;
    type_into(browser, "#webhook-url", receiver.url()).await?;
    type_into(browser, "#webhook-description", "CI receiver").await?;
    click(browser, "#event-coverage-alert").await?;
    click(browser, "#add-webhook-submit").await?;
    let secret = wait_until(
        browser,
        "the secret shown once",
        10,
        "const s = document.querySelector('#new-webhook-secret'); return s && s.textContent;",
        vec![],
    )
    .await?;
    let secret = secret.as_str().context("secret")?.to_string();
    ensure!(secret.starts_with("whsec_"), "{secret}");
    click(browser, ".webhook-card .webhook-test").await?;
    wait_until(
        browser,
        "the test delivered",
        15,
        "return !!document.querySelector('.webhook-card tr[data-state=delivered]');",
        vec![],
    )
    .await?;
    let got = receiver
        .wait_until(Duration::from_secs(5), "the test", |l| {
            l.iter().any(|r| r.event == "webhook.test")
        })
        .await;
    let test = got
        .iter()
        .find(|r| r.event == "webhook.test")
        .context("test")?;
    ensure!(
        test.signature == server::domain::webhooks::signature(&secret, test.body.as_bytes()),
        "signature"
    );
    shots(browser, "webhooks").await?;
    // The secret is gone after a reload.
    open(browser, &hub.url, "/settings/webhooks").await?;
    let html = browser.client.source().await?;
    ensure!(!html.contains(&secret), "the secret is shown again");
    Ok(())
}

//! The live picture in headless Chromium against the real hub running the demo alive
//! (`--demo` with its simulated agents, `HUB_DEMO_AGENTS=3`): `/` shows people working on
//! tickets and a status set elsewhere appears without a reload; `/fleet` lists the three
//! agents with Bob's failed captures marked and follows a policy change; on
//! `/settings/webhooks` a webhook is added from the form (its secret shown once) and its test
//! delivery shows as delivered, live. Screenshots: `e2e/output/page-{status-demo,fleet,webhooks}-*.png`.
//!
//! The test reads as its `scenario`: one step function per thing a user does or sees.

use anyhow::{ensure, Context};
use e2e::hub::DEMO_PASSWORD;
use e2e::page::PhoneShots;
use e2e::{ApiSession, BrowserTest, Hub, HubOptions, Page, WebhookReceiver};
use reqwest::Method;
use serde_json::json;
use std::time::{Duration, Instant};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_is_alive_on_status_fleet_and_webhooks() {
    let options = HubOptions {
        env: vec![("HUB_DEMO_AGENTS".into(), "3".into())],
        ..HubOptions::default()
    };
    let test = BrowserTest::start("live-pages", options, &["admin"]).await;
    let outcome = scenario(&test.hub, test.page(0)).await;
    test.finish(outcome).await;
}

async fn scenario(hub: &Hub, page: Page<'_>) -> anyhow::Result<()> {
    let login = |email: &'static str| ApiSession::login(&hub.url, email, DEMO_PASSWORD);
    let (owner, admin, carol) = (
        login("owner@demo.test").await?,
        login("admin@demo.test").await?,
        login("carol@demo.test").await?,
    );
    the_three_demo_agents_report_bob_failing(hub, &admin).await?;
    page.sign_in("admin@demo.test", DEMO_PASSWORD).await?;
    someone_works_on_a_ticket(page).await?;
    carols_status_shows_without_a_reload(hub, page, &carol).await?;
    fleet_lists_the_agents_bob_marked(page).await?;
    fleet_follows_a_policy_change(hub, page, &owner).await?;
    let receiver = WebhookReceiver::start(0).await?;
    let secret = add_a_webhook_from_the_form(page, &receiver).await?;
    its_test_delivery_shows_delivered(page, &receiver, &secret).await?;
    the_secret_is_gone_after_a_reload(page, &secret).await
}

/// The three simulated agents connect and report themselves (within 30 s); Bob's last capture
/// failed.
async fn the_three_demo_agents_report_bob_failing(
    hub: &Hub,
    admin: &ApiSession,
) -> anyhow::Result<()> {
    let started = Instant::now();
    let fleet = loop {
        let list = admin
            .call(&hub.url, Method::GET, "/api/agents", &json!(null))
            .await?;
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
    Ok(())
}

/// `/`: Alice works on a ticket (the demo's first round), with its context line.
async fn someone_works_on_a_ticket(page: Page<'_>) -> anyhow::Result<()> {
    page.open("/").await?;
    page.no_errors().await?;
    let working = page
        .wait_for(
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
    Ok(())
}

/// Carol sets a status elsewhere: her row shows it and do-not-disturb, without a reload.
async fn carols_status_shows_without_a_reload(
    hub: &Hub,
    page: Page<'_>,
    carol: &ApiSession,
) -> anyhow::Result<()> {
    page.mark().await?;
    carol
        .call(
            &hub.url,
            Method::PUT,
            "/api/me/status",
            &json!({"text": "Dentist", "emoji": "🦷", "dnd": true}),
        )
        .await?;
    let shown = page
        .wait_for(
            "Carol's status",
            10,
            "const r = document.querySelector(`tr[data-user-id='${arguments[0]}']`); const c = r && r.querySelector('.context'); return c && r.querySelector('.dnd') ? c.textContent : null;",
            vec![json!(carol.user_id)],
        )
        .await?;
    ensure!(shown == json!("🦷 Dentist"), "{shown}");
    page.expect_same_page("Carol's status shown").await?;
    page.screenshots("status-demo", PhoneShots::None).await
}

/// `/fleet`: three agents, Bob's marked for his failed captures.
async fn fleet_lists_the_agents_bob_marked(page: Page<'_>) -> anyhow::Result<()> {
    page.open("/fleet").await?;
    page.no_errors().await?;
    let rows = page.rows("#fleet-table").await?;
    ensure!(rows == 3, "fleet rows: {rows}");
    let attention = page
        .js("return Array.from(document.querySelectorAll('tr[data-attention=true] th')).map(t => t.textContent);", vec![])
        .await?;
    ensure!(attention.to_string().contains("Bob Baker"), "{attention}");
    Ok(())
}

/// The owner changes the policy: `/fleet` shows the new version applied by all three agents.
async fn fleet_follows_a_policy_change(
    hub: &Hub,
    page: Page<'_>,
    owner: &ApiSession,
) -> anyhow::Result<()> {
    let policy = owner
        .call(
            &hub.url,
            Method::PUT,
            "/api/policy",
            &json!({"screenshot_interval_seconds": 900}),
        )
        .await?;
    let version = policy["config_version"].as_i64().context("version")?;
    let summary = page
        .wait_for(
            "the new policy version applied by all",
            15,
            "const s = document.querySelector('#fleet-summary'); const stale = document.querySelectorAll('tr[data-stale=true]').length; return s && s.textContent.includes('policy version ' + arguments[0]) && stale === 0 ? s.textContent : null;",
            vec![json!(version)],
        )
        .await?;
    ensure!(summary.to_string().contains("3 connected"), "{summary}");
    page.screenshots("fleet", PhoneShots::None).await
}

/// `/settings/webhooks`: a webhook to `receiver` added from the form; its secret is shown
/// once, and answered.
async fn add_a_webhook_from_the_form(
    page: Page<'_>,
    receiver: &WebhookReceiver,
) -> anyhow::Result<String> {
    page.open("/settings/webhooks").await?;
    page.no_errors().await?;
    page.type_into("#webhook-url", receiver.url()).await?;
    page.type_into("#webhook-description", "CI receiver")
        .await?;
    page.click("#event-coverage-alert").await?;
    page.click("#add-webhook-submit").await?;
    let secret = page
        .wait_for(
            "the secret shown once",
            10,
            "const s = document.querySelector('#new-webhook-secret'); return s && s.textContent;",
            vec![],
        )
        .await?;
    let secret = secret.as_str().context("secret")?.to_string();
    ensure!(secret.starts_with("whsec_"), "{secret}");
    Ok(secret)
}

/// Its test delivery shows as delivered, live, and reached `receiver` signed with `secret`.
async fn its_test_delivery_shows_delivered(
    page: Page<'_>,
    receiver: &WebhookReceiver,
    secret: &str,
) -> anyhow::Result<()> {
    page.click(".webhook-card .webhook-test").await?;
    page.wait_for(
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
        test.signature == server::domain::webhooks::signature(secret, test.body.as_bytes()),
        "signature"
    );
    page.screenshots("webhooks", PhoneShots::None).await
}

/// The secret is gone after a reload.
async fn the_secret_is_gone_after_a_reload(page: Page<'_>, secret: &str) -> anyhow::Result<()> {
    page.open("/settings/webhooks").await?;
    let html = page.browser.client.source().await?;
    ensure!(!html.contains(secret), "the secret is shown again");
    Ok(())
}

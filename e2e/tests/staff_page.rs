//! `/staff/{id}` and `/servers` in a real browser against the real hub, with a fake A2S game
//! server on loopback and a short poll interval: the first HTML holds the demo's time on
//! servers, the page hydrates and goes live, a staff member joining the fake server shows up
//! on both pages without a reload (with a running timer), the All/Active filter works, and a
//! leave takes the session off the Active list live. A member gets the 403 page.

use anyhow::{ensure, Context};
use e2e::dashboard::{
    clear_failure, click, dump_failure, mark_page, no_page_errors, open, same_page, screenshot,
    visible_text, wait_until,
};
use e2e::hub::DEMO_PASSWORD;
use e2e::{ApiSession, Browser, ChromeDriver, FakeA2s, FakeA2sOptions, Hub, HubOptions};
use reqwest::Method;
use serde_json::json;

const PHONE: (u32, u32) = (390, 844);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_page_shows_server_time_and_follows_joins_live() {
    clear_failure("staff-page");
    let fake = FakeA2s::start(FakeA2sOptions::default())
        .await
        .expect("the fake game server starts");
    let hub = Hub::start(HubOptions {
        label: "staff-page-hub".into(),
        env: vec![
            ("HUB_A2S_POLL_MS".into(), "300".into()),
            ("HUB_A2S_TIMEOUT_MS".into(), "150".into()),
        ],
        ..HubOptions::default()
    })
    .await
    .expect("the hub starts");
    let driver = ChromeDriver::start("staff-page-chromedriver")
        .await
        .expect("chromedriver starts (Chromium is needed)");
    let lead = driver.browser("browser (lead)").await.expect("browser");

    let outcome = scenario(&hub, &fake, &lead).await;
    if outcome.is_err() {
        dump_failure(&lead, "staff-page").await;
        eprintln!("hub log (tail):\n{}", hub.log_tail(40));
    }
    let _ = lead.close().await;
    drop(driver);
    if let Err(e) = outcome {
        panic!("{e:#}");
    }
    hub.stop().expect("the hub stops cleanly on SIGTERM");
}

async fn rows(browser: &Browser) -> anyhow::Result<Vec<(i64, String)>> {
    let v = browser
        .js(
            "return Array.from(document.querySelectorAll('#server-sessions tbody tr')).map(r =>
               [Number(r.getAttribute('data-session-id')), r.getAttribute('data-open')]);",
            vec![],
        )
        .await?;
    Ok(serde_json::from_value(v)?)
}

async fn shots(browser: &Browser, name: &str) -> anyhow::Result<()> {
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

async fn scenario(hub: &Hub, fake: &FakeA2s, b: &Browser) -> anyhow::Result<()> {
    let admin = ApiSession::login(&hub.url, "admin@demo.test", DEMO_PASSWORD).await?;
    let alice = ApiSession::login(&hub.url, "alice@demo.test", DEMO_PASSWORD).await?;
    let (status, server) = admin
        .send_json(
            Method::POST,
            &hub.url,
            "/api/game-servers",
            &json!({"name": "E2E Server", "address": fake.address()}),
        )
        .await?;
    ensure!(status == 201, "add the fake server: {status} {server}");
    let server_id = server["id"].as_i64().context("server id")?;
    let staff_path = format!("/staff/{}", alice.user_id);

    // A member may not open the page (403), as in the API.
    let res = reqwest::Client::new()
        .get(hub.http_url(&staff_path))
        .header("cookie", format!("ph_session={}", alice.token))
        .send()
        .await?;
    ensure!(res.status() == 403, "a member got {}", res.status());

    b.login(&hub.url, "lead@demo.test", DEMO_PASSWORD).await?;

    // The first render holds the demo's two finished sessions (2 h + 1 h on Demo EU #1).
    open(b, &hub.url, &staff_path).await?;
    no_page_errors(b).await?;
    ensure!(visible_text(b, "#staff-heading").await?.as_deref() == Some("Alice Archer"));
    ensure!(visible_text(b, "#staff-total").await?.as_deref() == Some("3:00:00"));
    ensure!(visible_text(b, "#staff-session-count").await?.as_deref() == Some("2"));
    ensure!(visible_text(b, "#staff-average").await?.as_deref() == Some("1:30:00"));
    ensure!(visible_text(b, "#staff-game-name").await?.as_deref() == Some("Alice Archer"));
    let bars = b
        .js(
            "return Array.from(document.querySelectorAll('#server-bars li')).map(li =>
               [li.querySelector('.server-bar-name').textContent, li.getAttribute('data-percent'),
                li.querySelector('.bar-fill').getBoundingClientRect().width > 0]);",
            vec![],
        )
        .await?;
    ensure!(bars == json!([["Demo EU #1", "100", true]]), "bars: {bars}");
    let first = rows(b).await?;
    ensure!(
        first.len() == 2 && first.iter().all(|(_, open)| open == "false"),
        "history: {first:?}"
    );
    shots(b, "staff").await?;

    // Alice joins the fake server: a running session appears on the open page, no reload.
    mark_page(b).await?;
    fake.set_players(&["Someone Else", "Alice Archer"]);
    let new_id = wait_until(
        b,
        "a running session at the top of the history",
        10,
        "const r = document.querySelector('#server-sessions tbody tr');
         return r && r.getAttribute('data-open') === 'true' ? Number(r.getAttribute('data-session-id')) : null;",
        vec![],
    )
    .await?;
    ensure!(same_page(b).await?, "the page reloaded");
    ensure!(visible_text(b, "#staff-session-count").await?.as_deref() == Some("3"));
    let timer = visible_text(b, "#server-sessions tbody tr[data-open=true] .duration")
        .await?
        .unwrap_or_default();
    ensure!(
        timer.starts_with("0:00:"),
        "the running session's timer: {timer:?}"
    );
    ensure!(
        visible_text(b, "#server-sessions tbody tr[data-open=true] .server")
            .await?
            .as_deref()
            == Some("E2E Server")
    );

    // /servers shows her on the server now, and follows her leaving live.
    open(b, &hub.url, "/servers").await?;
    no_page_errors(b).await?;
    let row = format!("#servers-table tr[data-server-id='{server_id}']");
    let on_now = visible_text(b, &format!("{row} .staff-online")).await?;
    ensure!(
        on_now.as_deref() == Some("Alice Archer"),
        "staff on now: {on_now:?}"
    );
    ensure!(visible_text(b, &format!("{row} .map")).await?.as_deref() == Some("de_dust2"));
    ensure!(
        visible_text(b, &format!("{row} .players"))
            .await?
            .as_deref()
            == Some("2 / 32")
    );
    let links = b
        .js("return Array.from(document.querySelectorAll('#staff-links a')).map(a => [a.textContent, a.getAttribute('href')]);", vec![])
        .await?;
    ensure!(
        links
            == json!([
                ["Alice Archer", staff_path],
                ["Bob Baker", format!("/staff/{}", alice.user_id + 1)]
            ]),
        "staff with a game name: {links}"
    );
    shots(b, "servers").await?;
    mark_page(b).await?;
    fake.set_players(&["Someone Else"]);
    wait_until(
        b,
        "nobody on the fake server",
        10,
        "const c = document.querySelector(arguments[0]); return !!c && c.textContent.trim() === 'nobody';",
        vec![json!(format!("{row} .staff-online"))],
    )
    .await?;
    ensure!(same_page(b).await?, "/servers reloaded");
    fake.set_players(&["Alice Archer"]);
    wait_until(
        b,
        "Alice back on the fake server",
        10,
        "const c = document.querySelector(arguments[0]); return !!c && c.textContent.trim() === 'Alice Archer';",
        vec![json!(format!("{row} .staff-online"))],
    )
    .await?;

    // The Active filter lists only the running session; her leaving empties it live.
    open(b, &hub.url, &staff_path).await?;
    click(b, "#filter-active").await?;
    wait_until(
        b,
        "the Active filter applied",
        10,
        "return location.search.includes('active_only=true') &&
                document.querySelector('#filter-active[aria-current=page]') !== null &&
                document.querySelector('#live-state[data-live=connected]') !== null;",
        vec![],
    )
    .await?;
    let active = rows(b).await?;
    ensure!(
        active.len() == 1 && active[0].1 == "true" && active[0].0 != new_id,
        "active rows: {active:?} (first session {new_id} had ended)"
    );
    mark_page(b).await?;
    fake.set_players(&[]);
    wait_until(
        b,
        "the Active list empty after she left",
        10,
        "return document.querySelectorAll('#server-sessions tbody tr').length === 0 &&
                !!document.querySelector('#no-server-sessions');",
        vec![],
    )
    .await?;
    ensure!(same_page(b).await?, "the page reloaded");
    click(b, "#filter-all").await?;
    wait_until(
        b,
        "All shows the four sessions, all ended",
        10,
        "const r = Array.from(document.querySelectorAll('#server-sessions tbody tr'));
         return !location.search.includes('active_only') && r.length === 4 &&
                r.every(x => x.getAttribute('data-open') === 'false') &&
                document.querySelector('#live-state[data-live=connected]') !== null;",
        vec![],
    )
    .await?;
    no_page_errors(b).await?;
    Ok(())
}

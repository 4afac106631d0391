//! A session's activity in a real browser against the real hub: an agent socket sends
//! heartbeats with input counts and the focused app while Alice's session runs; the supervisor
//! follows the link from `/sessions` to `/sessions/{id}`, which hydrates without errors and
//! shows the 10-minute bars and the top apps; when the session is stopped the page's state
//! changes live. Screenshots: `e2e/output/page-session-activity-{light|dark}[-phone].png`.

use anyhow::{ensure, Context};
use e2e::dashboard::{
    clear_failure, click, dump_failure, no_page_errors, open, screenshot, visible_text, wait_live,
    wait_until,
};
use e2e::hub::DEMO_PASSWORD;
use e2e::{ApiSession, Browser, ChromeDriver, Hub, HubOptions};
use futures_util::SinkExt;
use reqwest::Method;
use serde_json::{json, Value};
use std::time::Duration;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::Message;

const PHONE: (u32, u32) = (390, 844);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_session_page_shows_activity_and_top_apps() {
    clear_failure("session-activity");
    let hub = Hub::start(HubOptions {
        label: "session-activity-hub".into(),
        env: vec![("HUB_ACTIVITY_FLUSH_MS".into(), "200".into())],
        ..HubOptions::default()
    })
    .await
    .expect("the hub starts");
    let driver = ChromeDriver::start("session-activity-chromedriver")
        .await
        .expect("chromedriver starts (Chromium is needed)");
    let lead = driver.browser("browser (lead)").await.expect("browser");
    let outcome = scenario(&hub, &lead).await;
    if outcome.is_err() {
        dump_failure(&lead, "session-activity").await;
        eprintln!("hub log (tail):\n{}", hub.log_tail(40));
    }
    let _ = lead.close().await;
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

async fn scenario(hub: &Hub, lead: &Browser) -> anyhow::Result<()> {
    let owner = ApiSession::login(&hub.url, "owner@demo.test", DEMO_PASSWORD).await?;
    let alice = ApiSession::login(&hub.url, "alice@demo.test", DEMO_PASSWORD).await?;
    call(
        hub,
        &owner,
        Method::PUT,
        "/api/policy",
        json!({"enable_keyboard_tracking": true, "enable_mouse_tracking": true}),
    )
    .await?;
    let session = call(hub, &alice, Method::POST, "/api/sessions/start", json!({})).await?;
    let session_id = session["id"].as_i64().context("session id")?;

    // Alice's agent: heartbeats with counts and the focused app, as the real agent sends them.
    let mut request = hub.ws_url("/ws/agent").into_client_request()?;
    request.headers_mut().insert(
        "authorization",
        HeaderValue::from_str(&format!("Bearer {}", alice.token))?,
    );
    let (mut ws, _) = tokio_tungstenite::connect_async(request).await?;
    wait_clear_of_slot_boundary().await;
    let beats = [
        (12, 40, "Code", "engine.rs — presence-hub"),
        (0, 0, "Code", "engine.rs — presence-hub"),
        (3, 9, "firefox", "Activity docs — Mozilla Firefox"),
    ];
    for (keys, mouse, app, title) in beats {
        let beat = json!({"type": "heartbeat", "idle_seconds": 0, "key_presses": keys,
            "mouse_events": mouse, "active_app": {"app": app, "title": title}});
        ws.send(Message::Text(beat.to_string().into())).await?;
        tokio::time::sleep(Duration::from_millis(1100)).await;
    }
    let path = format!("/api/sessions/{session_id}/activity");
    let activity = e2e::wait_for(
        "the activity to be written",
        Duration::from_secs(10),
        Duration::from_millis(100),
        || async {
            let a = owner.get_json(&hub.url, &path).await?;
            Ok((a["slots"].as_array().is_some_and(|s| !s.is_empty())
                && a["apps"].as_array().is_some_and(|s| s.len() == 2))
            .then_some(a))
        },
    )
    .await?;
    ensure!(activity["activity_percent"] == 67, "{activity}");

    lead.login(&hub.url, "lead@demo.test", DEMO_PASSWORD)
        .await?;
    open(lead, &hub.url, "/sessions").await?;
    click(
        lead,
        &format!("tr[data-session-id='{session_id}'] a.session-link"),
    )
    .await?;
    wait_until(
        lead,
        "the session page",
        10,
        "return location.pathname === arguments[0];",
        vec![json!(format!("/sessions/{session_id}"))],
    )
    .await?;
    wait_live(lead).await?;
    no_page_errors(lead).await?;
    let bars = lead
        .js(
            "return [...document.querySelectorAll('#activity-slots li.activity-slot')].map(e => e.dataset.percent);",
            vec![],
        )
        .await?;
    ensure!(bars == json!(["67"]), "bars: {bars}");
    let apps = lead
        .js(
            "return [...document.querySelectorAll('#session-apps tbody tr')].map(e => e.dataset.app);",
            vec![],
        )
        .await?;
    ensure!(
        apps.as_array().is_some_and(|a| a.len() == 2),
        "apps: {apps}"
    );
    ensure!(
        visible_text(lead, "#session-activity").await?.as_deref() == Some("67%"),
        "overall activity"
    );
    for (phone, suffix) in [(false, ""), (true, "-phone")] {
        lead.viewport(phone.then_some(PHONE)).await?;
        for dark in [false, true] {
            lead.color_scheme(dark).await?;
            let scheme = if dark { "dark" } else { "light" };
            screenshot(lead, &format!("page-session-activity-{scheme}{suffix}.png")).await?;
        }
    }
    lead.viewport(None).await?;
    lead.color_scheme(false).await?;

    // The hydrated page follows the session's end.
    call(
        hub,
        &alice,
        Method::POST,
        "/api/sessions/stop",
        json!({"session_id": session_id}),
    )
    .await?;
    wait_until(
        lead,
        "the state to turn Completed",
        10,
        "const e = document.querySelector('#session-state'); return !!e && e.textContent.trim() === 'Completed';",
        vec![],
    )
    .await?;
    no_page_errors(lead).await?;
    let _ = ws.close(None).await;
    Ok(())
}

/// The three heartbeats take about 3.3 s and must land in one 10-minute activity slot (the
/// test asserts a single bar); a run that starts just before a slot boundary waits for it.
async fn wait_clear_of_slot_boundary() {
    const SLOT_SECONDS: u64 = 600;
    const NEEDED_SECONDS: u64 = 10;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let into_slot = now.as_secs() % SLOT_SECONDS;
    if into_slot + NEEDED_SECONDS >= SLOT_SECONDS {
        tokio::time::sleep(Duration::from_secs(SLOT_SECONDS - into_slot + 1)).await;
    }
}

//! A session's activity in a real browser against the real hub: an agent socket sends
//! heartbeats with input counts and the focused app while Alice's session runs; the supervisor
//! follows the link from `/sessions` to `/sessions/{id}`, which hydrates without errors and
//! shows the 10-minute bars and the top apps; when the session is stopped the page's state
//! changes live. Screenshots: `e2e/output/page-session-activity-{light|dark}[-phone].png`.

use anyhow::{ensure, Context};
use e2e::hub::DEMO_PASSWORD;
use e2e::page::PhoneShots;
use e2e::{ApiSession, BrowserTest, Hub, HubOptions, Page};
use futures_util::SinkExt;
use reqwest::Method;
use serde_json::json;
use std::time::Duration;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::Message;

/// Alice's agent socket, driven by hand: its heartbeats carry input counts and the focused
/// app, which [`e2e::AgentSocket`] does not send.
type AgentWs =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_session_page_shows_activity_and_top_apps() {
    let options = HubOptions {
        env: vec![("HUB_ACTIVITY_FLUSH_MS".into(), "200".into())],
        ..HubOptions::default()
    };
    let test = BrowserTest::start("session-activity", options, &["lead"]).await;
    let outcome = scenario(&test.hub, test.page(0)).await;
    test.finish(outcome).await;
}

/// The owner's and Alice's API logins, made once.
struct Logins {
    owner: ApiSession,
    alice: ApiSession,
}

async fn scenario(hub: &Hub, lead: Page<'_>) -> anyhow::Result<()> {
    let logins = api_logins(hub).await?;
    the_owner_turns_on_input_tracking(hub, &logins.owner).await?;
    let session_id = alice_starts_a_session(hub, &logins.alice).await?;
    let mut agent = alices_agent_connects(hub, &logins.alice).await?;
    the_agent_sends_three_heartbeats(&mut agent).await?;
    the_hub_writes_the_activity(hub, &logins.owner, session_id).await?;
    the_lead_follows_the_link_to_the_session(lead, session_id).await?;
    the_page_shows_the_bars_and_top_apps(lead).await?;
    screenshots_light_and_dark(lead).await?;
    alice_stops_and_the_page_follows(hub, &logins.alice, lead, session_id).await?;
    let _ = agent.close(None).await;
    Ok(())
}

async fn api_logins(hub: &Hub) -> anyhow::Result<Logins> {
    Ok(Logins {
        owner: ApiSession::login(&hub.url, "owner@demo.test", DEMO_PASSWORD).await?,
        alice: ApiSession::login(&hub.url, "alice@demo.test", DEMO_PASSWORD).await?,
    })
}

/// The owner's policy counts keyboard and mouse input.
async fn the_owner_turns_on_input_tracking(hub: &Hub, owner: &ApiSession) -> anyhow::Result<()> {
    owner
        .call(
            &hub.url,
            Method::PUT,
            "/api/policy",
            &json!({"enable_keyboard_tracking": true, "enable_mouse_tracking": true}),
        )
        .await?;
    Ok(())
}

/// Alice starts a session; answers its id.
async fn alice_starts_a_session(hub: &Hub, alice: &ApiSession) -> anyhow::Result<i64> {
    let session = alice
        .call(&hub.url, Method::POST, "/api/sessions/start", &json!({}))
        .await?;
    session["id"].as_i64().context("session id")
}

/// Alice's agent connects (Bearer token).
async fn alices_agent_connects(hub: &Hub, alice: &ApiSession) -> anyhow::Result<AgentWs> {
    let mut request = hub.ws_url("/ws/agent").into_client_request()?;
    request.headers_mut().insert(
        "authorization",
        HeaderValue::from_str(&format!("Bearer {}", alice.token))?,
    );
    let (ws, _) = tokio_tungstenite::connect_async(request).await?;
    Ok(ws)
}

/// Heartbeats with counts and the focused app, as the real agent sends them, 1.1 s apart and
/// inside one 10-minute slot.
async fn the_agent_sends_three_heartbeats(agent: &mut AgentWs) -> anyhow::Result<()> {
    wait_clear_of_slot_boundary().await;
    let beats = [
        (12, 40, "Code", "engine.rs — presence-hub"),
        (0, 0, "Code", "engine.rs — presence-hub"),
        (3, 9, "firefox", "Activity docs — Mozilla Firefox"),
    ];
    for (keys, mouse, app, title) in beats {
        let beat = json!({"type": "heartbeat", "idle_seconds": 0, "key_presses": keys,
            "mouse_events": mouse, "active_app": {"app": app, "title": title}});
        agent.send(Message::Text(beat.to_string().into())).await?;
        tokio::time::sleep(Duration::from_millis(1100)).await;
    }
    Ok(())
}

/// Within 10 s the API shows the written activity (slots, two apps): 67 % active.
async fn the_hub_writes_the_activity(
    hub: &Hub,
    owner: &ApiSession,
    session_id: i64,
) -> anyhow::Result<()> {
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
    Ok(())
}

/// The supervisor signs in, opens `/sessions` and follows the session's link: its page
/// hydrates and goes live without errors.
async fn the_lead_follows_the_link_to_the_session(
    lead: Page<'_>,
    session_id: i64,
) -> anyhow::Result<()> {
    lead.sign_in("lead@demo.test", DEMO_PASSWORD).await?;
    lead.open("/sessions").await?;
    lead.click(&format!(
        "tr[data-session-id='{session_id}'] a.session-link"
    ))
    .await?;
    lead.wait_for(
        "the session page",
        10,
        "return location.pathname === arguments[0];",
        vec![json!(format!("/sessions/{session_id}"))],
    )
    .await?;
    lead.wait_live().await?;
    lead.no_errors().await
}

/// One 10-minute bar at 67 %, the two apps, and 67 % overall.
async fn the_page_shows_the_bars_and_top_apps(lead: Page<'_>) -> anyhow::Result<()> {
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
        lead.text("#session-activity").await?.as_deref() == Some("67%"),
        "overall activity"
    );
    Ok(())
}

/// The page light and dark, on the window and on a phone; then the window, light, again.
async fn screenshots_light_and_dark(lead: Page<'_>) -> anyhow::Result<()> {
    lead.screenshots("session-activity", PhoneShots::LightAndDark)
        .await
}

/// Alice stops her session: the hydrated page follows, its state turns Completed, without
/// errors.
async fn alice_stops_and_the_page_follows(
    hub: &Hub,
    alice: &ApiSession,
    lead: Page<'_>,
    session_id: i64,
) -> anyhow::Result<()> {
    alice
        .call(
            &hub.url,
            Method::POST,
            "/api/sessions/stop",
            &json!({"session_id": session_id}),
        )
        .await?;
    lead.wait_for(
        "the state to turn Completed",
        10,
        "const e = document.querySelector('#session-state'); return !!e && e.textContent.trim() === 'Completed';",
        vec![],
    )
    .await?;
    lead.no_errors().await
}

// ---- helpers ----

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

//! The desktop agent as a real process (`presence-agent`) against a real hub process, used the
//! way a person uses it: `login`, `run`, `start`, `stop`, `status`. Under Xvfb for what needs a
//! display: its window (screenshotted to `e2e/output/agent-window-*.png`), screenshots uploaded
//! to the hub, and idle detection.
//!
//! Each scenario runs twice: the Linux binary (`linux_*`), and the Windows build
//! (`presence-agent.exe`) under Wine on the same Xvfb (`windows_*`, ignored by a plain
//! `cargo test`: they need e2e/scripts/windows-agent.sh's build; e2e/scripts/test-all.sh runs
//! them with `--ignored windows_`).

use anyhow::{bail, Context};
use e2e::agent::{status_line, AgentHome, Display, Platform};
use e2e::hub::DEMO_PASSWORD;
use e2e::xvfb::Xvfb;
use e2e::{wait_for, ApiSession, Hub, HubOptions};
use futures_util::StreamExt;
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::Message;

const REASON: &str = "Shift is over, please log off";

async fn hub(label: &str) -> Hub {
    Hub::start(HubOptions {
        label: label.into(),
        ..HubOptions::default()
    })
    .await
    .expect("the hub starts")
}

/// A test's name for its logs and files: the Windows runs get a `-windows` suffix.
fn label(platform: Platform, name: &str) -> String {
    match platform {
        Platform::Linux => name.to_string(),
        Platform::Windows => format!("{name}-windows"),
    }
}

/// A logged-in agent home for `email`: on Linux with the command's flags, on Windows with the
/// `PRESENCE_*` variables (as an installer or a script would).
fn logged_in(hub: &Hub, email: &str, platform: Platform) -> AgentHome {
    let home = AgentHome::on(platform).expect("an agent home (build presence-agent first)");
    let out = match platform {
        Platform::Linux => home.login(&hub.url, email, DEMO_PASSWORD),
        Platform::Windows => home.login_from_env(&hub.url, email, DEMO_PASSWORD),
    }
    .expect("presence-agent login");
    assert!(out.contains("Logged in as"), "login said: {out}");
    home
}

/// Waits (polling the agent's status file) until `test` holds for it; returns the wait.
async fn until_status(
    home: &AgentHome,
    what: &str,
    timeout: Duration,
    test: impl Fn(&Value) -> bool,
) -> anyhow::Result<Duration> {
    let started = Instant::now();
    wait_for(what, timeout, Duration::from_millis(1), || {
        let found = home.status_file().filter(|s| test(s)).map(|_| ());
        async move { Ok(found) }
    })
    .await?;
    Ok(started.elapsed())
}

fn session_id(status: &Value) -> Option<i64> {
    status["session"]["id"].as_i64()
}

fn online(status: &Value) -> bool {
    status["connection"] == "online"
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

async fn an_admins_end_stops_the_running_agent_within_a_second(platform: Platform) {
    let hub = hub(&label(platform, "agent-force-end-hub")).await;
    let home = logged_in(&hub, "alice@demo.test", platform);
    let mut agent = home
        .run(&label(platform, "agent-force-end"), Display::Headless)
        .expect("presence-agent run --headless");
    let admin = ApiSession::login(&hub.url, "admin@demo.test", DEMO_PASSWORD)
        .await
        .expect("admin login");
    until_status(&home, "the agent online", Duration::from_secs(15), online)
        .await
        .unwrap_or_else(|e| panic!("{e:#}\nagent log:\n{}", agent.log_tail(20)));

    let mut stops = Vec::new();
    for round in 0..20 {
        home.start_session().expect("presence-agent start");
        until_status(&home, "a running session", Duration::from_secs(5), |s| {
            session_id(s).is_some()
        })
        .await
        .expect("the agent runs a session");
        let id = session_id(&home.status_file().expect("status")).expect("session id");

        let asked = Instant::now();
        let (code, body) = admin
            .send_json(
                reqwest::Method::POST,
                &hub.url,
                &format!("/api/sessions/{id}/end"),
                &json!({ "reason": REASON }),
            )
            .await
            .expect("end request");
        assert_eq!(code, 200, "round {round}: {body}");
        until_status(&home, "the agent to stop", Duration::from_secs(1), |s| {
            s["session"].is_null()
        })
        .await
        .unwrap_or_else(|e| panic!("round {round}: {e:#}\nagent log:\n{}", agent.log_tail(20)));
        // From the admin's request to the agent's stop (written to its status file).
        let stopped = asked.elapsed();
        assert!(
            stopped < Duration::from_secs(1),
            "round {round}: {stopped:?}"
        );
        stops.push(stopped);

        // The hub shows it stopped, ended by the admin with the reason.
        let session = admin
            .get_json(&hub.url, &format!("/api/sessions/{id}"))
            .await
            .expect("the session");
        assert_eq!(session["end_reason"], "admin_ended", "{session}");
        assert_eq!(session["end_note"], REASON, "{session}");
        assert!(session["ended_at"].is_string(), "{session}");
    }

    // What the user sees: no session, the admin's reason, still logged in and online.
    let status = home.status().expect("presence-agent status");
    assert_eq!(status_line(&status, "session"), Some("none"), "{status}");
    assert_eq!(
        status_line(&status, "connection"),
        Some("online"),
        "{status}"
    );
    let notice = status_line(&status, "notice").unwrap_or_default();
    assert!(notice.contains(REASON), "{status}");
    let active = admin
        .get_json(&hub.url, "/api/sessions?active=true")
        .await
        .expect("active sessions");
    assert_eq!(active["total"], 0, "{active}");

    stops.sort();
    println!(
        "force-end → agent stopped (status file), 20 rounds: median {:.1} ms, p90 {:.1} ms, max {:.1} ms",
        percentile(&stops, 0.5).as_secs_f64() * 1e3,
        percentile(&stops, 0.9).as_secs_f64() * 1e3,
        stops[stops.len() - 1].as_secs_f64() * 1e3,
    );
    agent.stop(Duration::from_secs(5));
    hub.stop().expect("the hub stops cleanly");
}

async fn a_policy_change_reaches_the_running_agent_without_restart(platform: Platform) {
    let hub = hub(&label(platform, "agent-config-hub")).await;
    let home = logged_in(&hub, "bob@demo.test", platform);
    let mut agent = home
        .run(&label(platform, "agent-config"), Display::Headless)
        .expect("presence-agent run --headless");
    until_status(&home, "the agent online", Duration::from_secs(15), online)
        .await
        .unwrap_or_else(|e| panic!("{e:#}\nagent log:\n{}", agent.log_tail(20)));
    let owner = ApiSession::login(&hub.url, "owner@demo.test", DEMO_PASSWORD)
        .await
        .expect("owner login");
    let before = owner
        .get_json(&hub.url, "/api/config")
        .await
        .expect("GET /api/config")["config_version"]
        .as_i64()
        .expect("config_version");
    until_status(&home, "the hub's config", Duration::from_secs(5), |s| {
        s["config_version"].as_i64() == Some(before)
    })
    .await
    .expect("the agent has the hub's config from hello");
    let (code, body) = owner
        .send_json(
            reqwest::Method::PUT,
            &hub.url,
            "/api/policy",
            &json!({ "screenshot_interval_seconds": 45 }),
        )
        .await
        .expect("policy request");
    assert_eq!(code, 200, "{body}");
    let took = until_status(&home, "the new config", Duration::from_secs(2), |s| {
        s["config_version"].as_i64() == Some(before + 1)
            && s["config"]["screenshot_interval_seconds"] == 45
    })
    .await
    .unwrap_or_else(|e| panic!("{e:#}\nagent log:\n{}", agent.log_tail(20)));
    println!(
        "policy change → agent applied it in {:.1} ms",
        took.as_secs_f64() * 1e3
    );

    let status = home.status().expect("presence-agent status");
    let expected = (before + 1).to_string();
    assert_eq!(
        status_line(&status, "config version"),
        Some(expected.as_str()),
        "{status}"
    );
    assert!(agent.exited().is_none(), "the agent kept running");

    // The cached config is what a start without the hub uses.
    let cache: Value = serde_json::from_str(
        &std::fs::read_to_string(home.path().join("config-cache.json")).expect("config cache"),
    )
    .expect("cache is JSON");
    assert_eq!(cache["config_version"], before + 1, "{cache}");
    assert_eq!(
        cache["config"]["screenshot_interval_seconds"], 45,
        "{cache}"
    );
    agent.stop(Duration::from_secs(5));
    hub.stop().expect("the hub stops cleanly");
}

/// The hub goes away; the user stops the running session and then starts and stops another
/// one while it is away; the hub comes back: each is applied once, with the offline times.
async fn work_done_while_the_hub_is_down_is_replayed_once_with_its_times(platform: Platform) {
    let options = HubOptions {
        label: label(platform, "agent-offline-hub"),
        ..HubOptions::default()
    };
    let hub = Hub::start(options.clone()).await.expect("the hub starts");
    let owner = ApiSession::login(&hub.url, "owner@demo.test", DEMO_PASSWORD)
        .await
        .expect("owner login");
    // Reconnect attempts every few seconds at most, so the test does not wait long.
    let (code, body) = owner
        .send_json(
            reqwest::Method::PUT,
            &hub.url,
            "/api/policy",
            &json!({ "config_sync_interval_seconds": 5, "screenshots_enabled": false }),
        )
        .await
        .expect("policy request");
    assert_eq!(code, 200, "{body}");
    let home = logged_in(&hub, "carol@demo.test", platform);
    let mut agent = home
        .run(&label(platform, "agent-offline"), Display::Headless)
        .expect("presence-agent run --headless");
    until_status(&home, "the agent online", Duration::from_secs(15), online)
        .await
        .unwrap_or_else(|e| panic!("{e:#}\nagent log:\n{}", agent.log_tail(20)));
    home.start_session().expect("presence-agent start");
    until_status(&home, "a running session", Duration::from_secs(5), |s| {
        session_id(s).is_some()
    })
    .await
    .expect("the agent runs a session");
    let first = session_id(&home.status_file().expect("status")).expect("id");

    let stopped = hub.stop_for_restart().expect("the hub stops");
    until_status(&home, "the agent offline", Duration::from_secs(10), |s| {
        s["connection"] == "offline"
    })
    .await
    .unwrap_or_else(|e| panic!("{e:#}\nagent log:\n{}", agent.log_tail(20)));

    let stop_at = chrono::Utc::now();
    home.stop_session().expect("presence-agent stop (offline)");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let second_start_at = chrono::Utc::now();
    home.start_session()
        .expect("presence-agent start (offline)");
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let second_stop_at = chrono::Utc::now();
    home.stop_session().expect("presence-agent stop (offline)");
    let status = home.status().expect("presence-agent status");
    assert_eq!(
        status_line(&status, "pending writes"),
        Some("3"),
        "{status}"
    );
    assert_eq!(status_line(&status, "session"), Some("none"), "{status}");
    tokio::time::sleep(Duration::from_secs(2)).await;

    let back_at = chrono::Utc::now();
    let hub = stopped
        .start(&HubOptions {
            label: label(platform, "agent-offline-hub-again"),
            ..options
        })
        .await
        .expect("the hub starts again");
    until_status(&home, "the queue replayed", Duration::from_secs(20), |s| {
        online(s) && s["pending_writes"] == 0
    })
    .await
    .unwrap_or_else(|e| panic!("{e:#}\nagent log:\n{}", agent.log_tail(30)));

    let admin = ApiSession::login(&hub.url, "admin@demo.test", DEMO_PASSWORD)
        .await
        .expect("admin login");
    let carol = home.status_file().expect("status")["user"]["id"]
        .as_i64()
        .expect("user id");
    let list = admin
        .get_json(&hub.url, &format!("/api/users/{carol}/sessions"))
        .await
        .expect("carol's sessions");
    // Only today's: the demo company's history lies days back.
    let today = chrono::Utc::now().date_naive().to_string();
    let items: Vec<Value> = list["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|s| {
            s["started_at"]
                .as_str()
                .is_some_and(|t| t.starts_with(&today))
        })
        .cloned()
        .collect();
    assert_eq!(
        items.len(),
        2,
        "exactly two sessions, no duplicates: {list}"
    );
    let time = |v: &Value| {
        chrono::DateTime::parse_from_rfc3339(v.as_str().unwrap_or_default())
            .map(|t| t.with_timezone(&chrono::Utc))
            .unwrap_or_else(|_| panic!("not a time: {v}"))
    };
    let near = |a: chrono::DateTime<chrono::Utc>, b: chrono::DateTime<chrono::Utc>| {
        (a - b).num_milliseconds().abs() < 1000
    };
    // Newest first: the session started offline, then the first one.
    let (second, first_row) = (&items[0], &items[1]);
    assert_eq!(first_row["id"], first, "{list}");
    assert!(near(time(&first_row["ended_at"]), stop_at), "{first_row}");
    assert!(time(&first_row["ended_at"]) < back_at, "{first_row}");
    assert!(
        near(time(&second["started_at"]), second_start_at),
        "{second}"
    );
    assert!(near(time(&second["ended_at"]), second_stop_at), "{second}");
    let secs = second["duration_seconds"].as_i64().expect("duration");
    assert!((2..=3).contains(&secs), "offline time only: {second}");
    let active = admin
        .get_json(&hub.url, "/api/sessions?active=true")
        .await
        .expect("active sessions");
    assert_eq!(active["total"], 0, "{active}");
    agent.stop(Duration::from_secs(5));
    hub.stop().expect("the hub stops cleanly");
}

/// Distinct colours in the top-left `w`×`h` of a PNG, where the agent's window sits (Xvfb has
/// no window manager).
fn distinct_colours(path: &std::path::Path, w: u32, h: u32) -> anyhow::Result<usize> {
    let picture = image::open(path)
        .with_context(|| format!("open {}", path.display()))?
        .to_rgb8();
    let mut seen = std::collections::HashSet::new();
    for y in 0..h.min(picture.height()) {
        for x in 0..w.min(picture.width()) {
            seen.insert(picture.get_pixel(x, y).0);
        }
    }
    Ok(seen.len())
}

async fn under_xvfb_the_window_shows_and_screenshots_reach_the_hub(platform: Platform) {
    let xvfb = Xvfb::start(&label(platform, "agent-window-xvfb")).expect("Xvfb starts");
    let hub = hub(&label(platform, "agent-window-hub")).await;
    let home = logged_in(&hub, "alice@demo.test", platform);
    let mut agent = home
        .run(
            &label(platform, "agent-window"),
            Display::Window(&xvfb.display),
        )
        .expect("presence-agent run");
    until_status(&home, "the agent online", Duration::from_secs(20), online)
        .await
        .unwrap_or_else(|e| panic!("{e:#}\nagent log:\n{}", agent.log_tail(20)));
    home.start_session().expect("presence-agent start");
    until_status(&home, "a running session", Duration::from_secs(5), |s| {
        session_id(s).is_some()
    })
    .await
    .expect("the agent runs a session");
    let id = session_id(&home.status_file().expect("status")).expect("id");

    // The policy's default takes screenshots; the first comes a second after the start.
    let alice = ApiSession::login(&hub.url, "alice@demo.test", DEMO_PASSWORD)
        .await
        .expect("alice login");
    let shot = wait_for(
        "a screenshot in GET /api/screenshots",
        Duration::from_secs(20),
        Duration::from_millis(200),
        || {
            let alice = alice.clone();
            let url = hub.url.clone();
            async move {
                let list = alice
                    .get_json(&url, &format!("/api/screenshots?session_id={id}"))
                    .await?;
                Ok(list["items"].as_array().and_then(|i| i.first().cloned()))
            }
        },
    )
    .await
    .unwrap_or_else(|e| panic!("{e:#}\nagent log:\n{}", agent.log_tail(30)));
    assert_eq!(shot["session_id"], id, "{shot}");
    assert_eq!(shot["width"], 1280, "the whole display, unscaled: {shot}");
    assert_eq!(shot["height"], 800, "{shot}");
    let image = reqwest::Client::new()
        .get(format!("{}{}", hub.url, shot["url"].as_str().expect("url")))
        .bearer_auth(&alice.token)
        .send()
        .await
        .expect("image request");
    assert_eq!(image.status(), 200);
    let bytes = image.bytes().await.expect("image bytes");
    assert_eq!(&bytes[..3], &[0xFF, 0xD8, 0xFF], "a JPEG");
    let decoded = image::load_from_memory(&bytes).expect("the JPEG decodes");
    assert_eq!((decoded.width(), decoded.height()), (1280, 800));

    // The owner turns blurring on: the agent applies it at once (the next screenshot comes a
    // second after the change), and the picture that reaches the hub is blurred.
    let owner = ApiSession::login(&hub.url, "owner@demo.test", DEMO_PASSWORD)
        .await
        .expect("owner login");
    let (code, body) = owner
        .send_json(
            reqwest::Method::PUT,
            &hub.url,
            "/api/policy",
            &json!({ "screenshot_blur": true }),
        )
        .await
        .expect("policy request");
    assert_eq!(code, 200, "{body}");
    let blurred = wait_for(
        "a blurred screenshot after the policy change",
        Duration::from_secs(20),
        Duration::from_millis(200),
        || {
            let alice = alice.clone();
            let url = hub.url.clone();
            async move {
                let list = alice
                    .get_json(&url, &format!("/api/screenshots?session_id={id}"))
                    .await?;
                let items = list["items"].as_array().cloned().unwrap_or_default();
                Ok((items.len() >= 2).then(|| items[0].clone()))
            }
        },
    )
    .await
    .unwrap_or_else(|e| panic!("{e:#}\nagent log:\n{}", agent.log_tail(30)));
    let soft = reqwest::Client::new()
        .get(format!(
            "{}{}",
            hub.url,
            blurred["url"].as_str().expect("url")
        ))
        .bearer_auth(&alice.token)
        .send()
        .await
        .expect("image request")
        .bytes()
        .await
        .expect("image bytes");
    let soft = image::load_from_memory(&soft).expect("the JPEG decodes");
    assert_eq!(
        (soft.width(), soft.height()),
        (1280, 800),
        "blurred, not shrunk"
    );
    let (before, after) = (sharpness(&decoded), sharpness(&soft));
    println!(
        "screenshot sharpness (variance of the Laplacian): {before:.1} sharp, {after:.1} blurred"
    );
    assert!(
        after * 10.0 < before,
        "the upload is not blurred: sharpness {before:.1} before, {after:.1} after"
    );

    // The window with a running session, then after an admin ended it.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let running = xvfb
        .screenshot(match platform {
            Platform::Linux => "agent-window-running.png",
            Platform::Windows => "agent-window-windows.png",
        })
        .expect("screenshot");
    let admin = ApiSession::login(&hub.url, "admin@demo.test", DEMO_PASSWORD)
        .await
        .expect("admin login");
    let (code, body) = admin
        .send_json(
            reqwest::Method::POST,
            &hub.url,
            &format!("/api/sessions/{id}/end"),
            &json!({ "reason": REASON }),
        )
        .await
        .expect("end request");
    assert_eq!(code, 200, "{body}");
    until_status(&home, "the agent to stop", Duration::from_secs(1), |s| {
        s["session"].is_null()
    })
    .await
    .expect("the agent stops");
    tokio::time::sleep(Duration::from_millis(800)).await; // the window repaints twice a second
    let ended = xvfb
        .screenshot(match platform {
            Platform::Linux => "agent-window-ended.png",
            Platform::Windows => "agent-window-windows-ended.png",
        })
        .expect("screenshot");
    for picture in [&running, &ended] {
        let colours = distinct_colours(picture, 420, 340).expect("read the PNG");
        assert!(
            colours > 20,
            "{} looks blank ({colours} colours)",
            picture.display()
        );
    }
    println!(
        "window screenshots: {} and {}",
        running.display(),
        ended.display()
    );
    assert!(agent.exited().is_none(), "the agent kept running");
    let (_, on_its_own) = agent.stop(Duration::from_secs(5));
    // Under Wine a SIGTERM ends the process the way Task Manager does: not by itself.
    assert!(
        on_its_own || platform == Platform::Windows,
        "SIGTERM closes the window and ends the agent"
    );
    hub.stop().expect("the hub stops cleanly");
}

/// Sharpness as the variance of the Laplacian of the grey picture: edges and text make it
/// large, a blur small.
fn sharpness(picture: &image::DynamicImage) -> f64 {
    let grey = picture.to_luma8();
    let (w, h) = grey.dimensions();
    let at = |x: u32, y: u32| f64::from(grey.get_pixel(x, y).0[0]);
    let mut values = Vec::with_capacity((w * h) as usize);
    for y in 1..h - 1 {
        for x in 1..w - 1 {
            values.push(at(x - 1, y) + at(x + 1, y) + at(x, y - 1) + at(x, y + 1) - 4.0 * at(x, y));
        }
    }
    let mean = values.iter().sum::<f64>() / values.len() as f64;
    values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / values.len() as f64
}

/// Reads `/ws/tab` until `user_id`'s presence has `status`.
async fn tab_sees(hub: &Hub, token: &str, user_id: i64, status: &str) -> anyhow::Result<()> {
    let mut request = hub.ws_url("/ws/tab").into_client_request()?;
    request.headers_mut().insert(
        "authorization",
        HeaderValue::from_str(&format!("Bearer {token}"))?,
    );
    let (mut ws, _) = tokio_tungstenite::connect_async(request).await?;
    while let Some(msg) = ws.next().await {
        let Message::Text(text) = msg? else { continue };
        let msg: Value = serde_json::from_str(&text)?;
        let entries = match msg["type"].as_str() {
            Some("presence_snapshot") => msg["users"].clone(),
            Some("presence_diff") => msg["changes"].clone(),
            _ => continue,
        };
        let hit = entries
            .as_array()
            .into_iter()
            .flatten()
            .any(|e| e["user_id"] == user_id && e["status"] == status);
        if hit {
            return Ok(());
        }
    }
    bail!("the tab socket closed")
}

async fn under_xvfb_idle_time_is_measured_and_the_hub_follows(platform: Platform) {
    let xvfb = Xvfb::start(&label(platform, "agent-idle-xvfb")).expect("Xvfb starts");
    // An idle threshold of 3 s instead of the policy's minutes, so the test is short.
    let hub = Hub::start(HubOptions {
        label: label(platform, "agent-idle-hub"),
        idle_threshold_ms_override: 3000,
        ..HubOptions::default()
    })
    .await
    .expect("the hub starts");
    let home = logged_in(&hub, "bob@demo.test", platform);
    // Wine hears the X pointer only over its own windows: the Windows agent shows its window.
    let display = match platform {
        Platform::Linux => Display::HeadlessOn(&xvfb.display),
        Platform::Windows => Display::Window(&xvfb.display),
    };
    let mut agent = home
        .run(&label(platform, "agent-idle"), display)
        .expect("presence-agent run");
    until_status(&home, "the agent online", Duration::from_secs(15), online)
        .await
        .unwrap_or_else(|e| panic!("{e:#}\nagent log:\n{}", agent.log_tail(20)));
    let bob = home.status_file().expect("status")["user"]["id"]
        .as_i64()
        .expect("user id");
    let lead = ApiSession::login(&hub.url, "lead@demo.test", DEMO_PASSWORD)
        .await
        .expect("lead login");

    // Nobody touches the virtual display: user-idle's time grows, heartbeats carry it.
    xvfb.move_pointer(10, 10).expect("xdotool");
    until_status(&home, "idle ≥ 4 s", Duration::from_secs(20), |s| {
        s["idle_seconds"].as_u64().is_some_and(|i| i >= 4)
    })
    .await
    .unwrap_or_else(|e| panic!("{e:#}\nagent log:\n{}", agent.log_tail(20)));
    let status = home.status().expect("presence-agent status");
    let idle: u64 = status_line(&status, "idle")
        .and_then(|v| v.trim_end_matches(" s").parse().ok())
        .unwrap_or_else(|| panic!("no idle line: {status}"));
    assert!(idle >= 4, "{status}");
    tokio::time::timeout(
        Duration::from_secs(15),
        tab_sees(&hub, &lead.token, bob, "idle"),
    )
    .await
    .context("the hub shows bob idle")
    .and_then(|r| r)
    .expect("idle on the dashboard socket");

    // The pointer moves: idle time drops and the hub shows bob active again.
    // Someone works: the pointer moves every 300 ms until the next heartbeats report it.
    let moving = Instant::now();
    let mut reset = false;
    while moving.elapsed() < Duration::from_secs(12) {
        // Over the agent's window (top left; Xvfb has no window manager).
        xvfb.move_pointer(100 + (moving.elapsed().as_millis() % 200) as u32, 150)
            .expect("xdotool");
        if home.status_file().expect("status")["idle_seconds"]
            .as_u64()
            .is_some_and(|i| i <= 1)
        {
            reset = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    assert!(
        reset,
        "idle time did not reset on input:\n{}",
        agent.log_tail(10)
    );
    tokio::time::timeout(
        Duration::from_secs(10),
        tab_sees(&hub, &lead.token, bob, "active"),
    )
    .await
    .context("the hub shows bob active")
    .and_then(|r| r)
    .expect("active on the dashboard socket");
    agent.stop(Duration::from_secs(5));
    hub.stop().expect("the hub stops cleanly");
}

/// The centre of the pixels of exactly `rgb` in a PNG (a button's fill), if there are any.
fn centre_of(path: &std::path::Path, rgb: [u8; 3]) -> anyhow::Result<Option<(u32, u32)>> {
    let picture = image::open(path)
        .with_context(|| format!("open {}", path.display()))?
        .to_rgb8();
    let (mut sx, mut sy, mut n) = (0u64, 0u64, 0u64);
    for (x, y, p) in picture.enumerate_pixels() {
        if p.0 == rgb {
            sx += u64::from(x);
            sy += u64::from(y);
            n += 1;
        }
    }
    // A button, not a stray pixel of anti-aliasing.
    Ok((n > 200).then(|| ((sx / n) as u32, (sy / n) as u32)))
}

/// The fill of the window's "Discard" button (`DISCARD_FILL` in agent/src/ui/window.rs).
const DISCARD_FILL: [u8; 3] = [185, 28, 28];

async fn under_xvfb_the_window_asks_about_idle_time_and_a_click_discards_it(platform: Platform) {
    let xvfb = Xvfb::start(&label(platform, "agent-idle-ask-xvfb")).expect("Xvfb starts");
    let hub = hub(&label(platform, "agent-idle-ask-hub")).await;
    let owner = ApiSession::login(&hub.url, "owner@demo.test", DEMO_PASSWORD)
        .await
        .expect("owner login");
    // The shortest threshold the policy allows, the question, and a still display.
    let (code, body) = owner
        .send_json(
            reqwest::Method::PUT,
            &hub.url,
            "/api/policy",
            &json!({"idle_threshold_seconds": 60, "idle_time_handling": "ask", "screenshots_enabled": false}),
        )
        .await
        .expect("policy request");
    assert_eq!(code, 200, "{body}");
    let home = logged_in(&hub, "bob@demo.test", platform);
    let mut agent = home
        .run(
            &label(platform, "agent-idle-ask"),
            Display::Window(&xvfb.display),
        )
        .expect("presence-agent run");
    until_status(&home, "the agent online", Duration::from_secs(20), online)
        .await
        .unwrap_or_else(|e| panic!("{e:#}\nagent log:\n{}", agent.log_tail(20)));
    home.start_session().expect("presence-agent start");
    until_status(&home, "a running session", Duration::from_secs(5), |s| {
        session_id(s).is_some()
    })
    .await
    .expect("the agent runs a session");
    let id = session_id(&home.status_file().expect("status")).expect("id");

    // Nobody touches the display for over a minute, then the pointer moves: a return.
    xvfb.move_pointer(5, 5).expect("xdotool");
    until_status(&home, "idle ≥ 62 s", Duration::from_secs(100), |s| {
        s["idle_seconds"].as_u64().is_some_and(|i| i >= 62)
    })
    .await
    .unwrap_or_else(|e| panic!("{e:#}\nagent log:\n{}", agent.log_tail(20)));
    xvfb.move_pointer(400, 600).expect("xdotool");
    until_status(&home, "the idle question", Duration::from_secs(15), |s| {
        !s["idle_question"].is_null()
    })
    .await
    .unwrap_or_else(|e| panic!("{e:#}\nagent log:\n{}", agent.log_tail(30)));
    let question = home.status_file().expect("status")["idle_question"].clone();
    assert!(
        question["seconds"].as_i64().is_some_and(|s| s >= 60),
        "{question}"
    );
    let status = home.status().expect("presence-agent status");
    assert!(status.contains("idle question:   away"), "{status}");
    tokio::time::sleep(Duration::from_millis(1200)).await; // repainted
    let asked = xvfb
        .screenshot("agent-window-idle-question.png")
        .expect("screenshot");
    println!("the question: {}", asked.display());

    // The answer is a click on "Discard".
    let (x, y) = centre_of(&asked, DISCARD_FILL)
        .expect("read the PNG")
        .unwrap_or_else(|| panic!("no Discard button on {}", asked.display()));
    xvfb.click(x, y).expect("xdotool click");
    until_status(&home, "the answer taken", Duration::from_secs(10), |s| {
        s["idle_question"].is_null()
            && s["notice"]["text"]
                .as_str()
                .is_some_and(|t| t.starts_with("Discarded:"))
    })
    .await
    .unwrap_or_else(|e| panic!("{e:#}\nagent log:\n{}", agent.log_tail(30)));
    let bob = ApiSession::login(&hub.url, "bob@demo.test", DEMO_PASSWORD)
        .await
        .expect("bob login");
    let spans = bob
        .get_json(&hub.url, &format!("/api/sessions/{id}/idle"))
        .await
        .expect("spans");
    assert_eq!(spans[0]["decision"], "discarded", "{spans}");
    let session = bob
        .get_json(&hub.url, &format!("/api/sessions/{id}"))
        .await
        .expect("session");
    assert_eq!(
        session["discarded_seconds"], spans[0]["seconds"],
        "{session}"
    );
    tokio::time::sleep(Duration::from_millis(1200)).await;
    xvfb.screenshot("agent-window-idle-answered.png")
        .expect("screenshot");
    let (_, on_its_own) = agent.stop(Duration::from_secs(5));
    assert!(
        on_its_own || platform == Platform::Windows,
        "SIGTERM ends the agent"
    );
    hub.stop().expect("the hub stops cleanly");
}

/// `presence-agent login --server URL` without an e-mail (SPEC §17): the agent prints the
/// `/device` address and a code, Alice (signed in elsewhere) approves the code, and the agent
/// keeps a device token of hers: `status` names her and `run --headless` goes online with it.
async fn a_login_without_password_is_approved_by_a_signed_in_person(platform: Platform) {
    use std::process::Stdio;
    use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};

    let hub = hub(&label(platform, "agent-device-login-hub")).await;
    let home = AgentHome::on(platform).expect("an agent home (build presence-agent first)");
    let mut cmd = home.command(&["login", "--server", &hub.url]);
    cmd.env_remove("PRESENCE_EMAIL")
        .env_remove("PRESENCE_PASSWORD")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut login = tokio::process::Command::from(cmd)
        .kill_on_drop(true)
        .spawn()
        .expect("presence-agent login starts");
    let mut lines = BufReader::new(login.stdout.take().expect("its stdout")).lines();
    let mut stderr = login.stderr.take().expect("its stderr");
    let mut printed = Vec::new();
    while printed.len() < 2 {
        let line = tokio::time::timeout(Duration::from_secs(15), lines.next_line())
            .await
            .expect("a line within 15 s")
            .expect("stdout readable")
            .expect("a line, not the end of the output");
        printed.push(line);
    }
    let (first, second) = (&printed[0], &printed[1]);
    let code = first
        .strip_prefix(&format!("Open {}/device and enter the code ", hub.url))
        .unwrap_or_else(|| panic!("the first line names the page and the code: {first:?}"))
        .trim()
        .to_string();
    assert!(
        code.len() == 9 && code.as_bytes()[4] == b'-',
        "a code like ABCD-EFGH: {code:?}"
    );
    assert_eq!(*second, format!("(or open {}/device?code={code})", hub.url));

    let alice = ApiSession::login(&hub.url, "alice@demo.test", DEMO_PASSWORD)
        .await
        .expect("alice login");
    let (status, body) = alice
        .send_json(
            reqwest::Method::POST,
            &hub.url,
            "/api/auth/device/approve",
            &json!({ "user_code": code }),
        )
        .await
        .expect("approve request");
    assert_eq!(status, 204, "{body}");

    // The agent polls every 5 s: it has its token at the next poll.
    let exit = tokio::time::timeout(Duration::from_secs(30), login.wait())
        .await
        .expect("presence-agent login ends within 30 s of the approval")
        .expect("its exit status");
    let mut rest = String::new();
    while let Ok(Some(line)) = lines.next_line().await {
        rest.push_str(&line);
        rest.push('\n');
    }
    let mut errors = String::new();
    let _ = stderr.read_to_string(&mut errors).await;
    assert!(exit.success(), "login failed ({exit}):\n{rest}{errors}");
    assert!(rest.contains("Logged in as Alice Archer"), "{rest}");

    let status = home.status().expect("presence-agent status");
    assert_eq!(
        status_line(&status, "user"),
        Some("Alice Archer <alice@demo.test>"),
        "{status}"
    );
    let mut agent = home
        .run(&label(platform, "agent-device-login"), Display::Headless)
        .expect("presence-agent run --headless");
    until_status(&home, "the agent online", Duration::from_secs(15), online)
        .await
        .unwrap_or_else(|e| panic!("{e:#}\nagent log:\n{}", agent.log_tail(20)));
    let devices = alice
        .get_json(&hub.url, "/api/auth/tokens")
        .await
        .expect("alice's logins");
    assert!(
        devices
            .as_array()
            .is_some_and(|d| d.iter().any(|t| t["kind"] == "device")),
        "the agent's login is listed as a desktop agent: {devices}"
    );
    agent.stop(Duration::from_secs(5));
    hub.stop().expect("the hub stops cleanly");
}

// Each scenario on Linux, and on Windows under Wine.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn linux_an_admins_end_stops_the_running_agent_within_a_second() {
    an_admins_end_stops_the_running_agent_within_a_second(Platform::Linux).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "the Windows build under Wine: e2e/scripts/test-all.sh runs it"]
async fn windows_an_admins_end_stops_the_running_agent_within_a_second() {
    an_admins_end_stops_the_running_agent_within_a_second(Platform::Windows).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn linux_a_policy_change_reaches_the_running_agent_without_restart() {
    a_policy_change_reaches_the_running_agent_without_restart(Platform::Linux).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "the Windows build under Wine: e2e/scripts/test-all.sh runs it"]
async fn windows_a_policy_change_reaches_the_running_agent_without_restart() {
    a_policy_change_reaches_the_running_agent_without_restart(Platform::Windows).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn linux_work_done_while_the_hub_is_down_is_replayed_once_with_its_times() {
    work_done_while_the_hub_is_down_is_replayed_once_with_its_times(Platform::Linux).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "the Windows build under Wine: e2e/scripts/test-all.sh runs it"]
async fn windows_work_done_while_the_hub_is_down_is_replayed_once_with_its_times() {
    work_done_while_the_hub_is_down_is_replayed_once_with_its_times(Platform::Windows).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn linux_under_xvfb_the_window_shows_and_screenshots_reach_the_hub() {
    under_xvfb_the_window_shows_and_screenshots_reach_the_hub(Platform::Linux).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "the Windows build under Wine: e2e/scripts/test-all.sh runs it"]
async fn windows_under_xvfb_the_window_shows_and_screenshots_reach_the_hub() {
    under_xvfb_the_window_shows_and_screenshots_reach_the_hub(Platform::Windows).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn linux_under_xvfb_idle_time_is_measured_and_the_hub_follows() {
    under_xvfb_idle_time_is_measured_and_the_hub_follows(Platform::Linux).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "the Windows build under Wine: e2e/scripts/test-all.sh runs it"]
async fn windows_under_xvfb_idle_time_is_measured_and_the_hub_follows() {
    under_xvfb_idle_time_is_measured_and_the_hub_follows(Platform::Windows).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn linux_under_xvfb_the_window_asks_about_idle_time_and_a_click_discards_it() {
    under_xvfb_the_window_asks_about_idle_time_and_a_click_discards_it(Platform::Linux).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn linux_device_login() {
    a_login_without_password_is_approved_by_a_signed_in_person(Platform::Linux).await
}

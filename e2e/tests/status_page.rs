//! The status page in a real browser against the real hub process: two users signed in in two
//! browser contexts; Alice's agent connects and reports activity, and the admin's page shows her
//! dot turn `active` without a reload; the agent disconnects, and the dot turns `offline` after
//! the grace period. Screenshots: `e2e/output/status-active.png`, `status-offline.png`.

use anyhow::{bail, ensure, Context};
use e2e::hub::DEMO_PASSWORD;
use e2e::{output_dir, AgentSocket, ApiSession, Browser, ChromeDriver, Hub, HubOptions};
use serde_json::json;
use std::fmt::Write as _;
use std::time::{Duration, Instant};

/// Short timings so the test runs in seconds. The idle threshold is short so that Alice's own
/// tab (which reports activity when it gets focus) has gone `idle` before her agent reports:
/// the change to `active` is then caused by the agent alone.
const OFFLINE_GRACE: Duration = Duration::from_millis(1500);
const IDLE_THRESHOLD: Duration = Duration::from_millis(3000);
const POLL: Duration = Duration::from_millis(25);

const ROW_STATE: &str = r#"
const row = document.querySelector('#status-table tbody tr[data-user-id="' + arguments[0] + '"]');
if (!row) return null;
const word = row.querySelector('.status-word');
const dot = row.querySelector('.dot');
return {
  status: row.getAttribute('data-status'),
  word: word ? word.textContent.trim() : null,
  dot: dot ? dot.getAttribute('class') : null,
  marker: window.__e2eMarker === 1,
};"#;

#[derive(Debug, Clone, PartialEq)]
struct Row {
    status: String,
    word: String,
    dot: String,
    /// The marker set before the agent connected is still there: the page was not reloaded.
    same_page: bool,
}

impl Row {
    /// Attribute, word and dot all say `status`.
    fn shows(&self, status: &str) -> bool {
        self.status == status
            && self.word == status
            && self
                .dot
                .split_whitespace()
                .any(|c| c == format!("dot-{status}"))
    }
}

async fn row(browser: &Browser, user_id: i64) -> anyhow::Result<Option<Row>> {
    let v = browser.js(ROW_STATE, vec![json!(user_id)]).await?;
    if v.is_null() {
        return Ok(None);
    }
    Ok(Some(Row {
        status: v["status"].as_str().unwrap_or_default().to_string(),
        word: v["word"].as_str().unwrap_or_default().to_string(),
        dot: v["dot"].as_str().unwrap_or_default().to_string(),
        same_page: v["marker"] == json!(true),
    }))
}

/// Waits for `#live-state[data-live=connected]`: the page hydrated and its `/ws/tab` is open.
async fn wait_live(browser: &Browser) -> anyhow::Result<()> {
    let waited = browser
        .wait_js(
            &format!("{}: #live-state connected (hydrated, /ws/tab open)", browser.name),
            Duration::from_secs(15),
            POLL,
            r#"const e = document.querySelector('#live-state'); return !!e && e.getAttribute('data-live') === 'connected';"#,
            vec![],
        )
        .await;
    match waited {
        Ok(_) => Ok(()),
        Err(e) => {
            let errors = browser.page_errors().await.unwrap_or_default();
            Err(e.context(format!("page errors: {errors:?}")))
        }
    }
}

/// Polls the row until `done` holds; returns it and how long it took.
async fn wait_row(
    browser: &Browser,
    user_id: i64,
    what: &str,
    timeout: Duration,
    done: impl Fn(&Row) -> bool,
) -> anyhow::Result<(Row, Duration)> {
    let started = Instant::now();
    let mut last = None;
    while started.elapsed() < timeout {
        let current = row(browser, user_id).await?;
        if let Some(r) = &current {
            if done(r) {
                return Ok((r.clone(), started.elapsed()));
            }
        }
        last = current;
        tokio::time::sleep(POLL).await;
    }
    bail!("{what}: not within {timeout:?}; the row is {last:?}")
}

struct Timings(String);

impl Timings {
    fn note(&mut self, what: &str, took: Duration) {
        let line = format!("{:>8.0} ms  {what}", took.as_secs_f64() * 1000.0);
        eprintln!("[status_page] {line}");
        let _ = writeln!(self.0, "{line}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_dot_follows_the_agent_without_reload() {
    let options = HubOptions {
        label: "status-page-hub".into(),
        offline_grace_ms: OFFLINE_GRACE.as_millis() as u64,
        idle_threshold_ms_override: IDLE_THRESHOLD.as_millis() as u64,
        ..HubOptions::default()
    };
    for stale in ["status-failure-a.png", "status-failure-a.html"] {
        let _ = std::fs::remove_file(output_dir().join(stale));
    }
    let hub = Hub::start(options).await.expect("the hub starts");
    let driver = ChromeDriver::start("status-page-chromedriver")
        .await
        .expect("chromedriver starts (Chromium is needed)");
    let a = driver
        .browser("browser A (admin)")
        .await
        .expect("browser A");
    let b = driver
        .browser("browser B (alice)")
        .await
        .expect("browser B");
    let mut timings = Timings(String::new());

    let outcome = scenario(&hub, &a, &b, &mut timings).await;
    let out = output_dir();
    for (browser, file) in [
        (&a, "status-page-console-a.log"),
        (&b, "status-page-console-b.log"),
    ] {
        if let Ok(lines) = browser.console_log().await {
            let _ = std::fs::write(out.join(file), lines.join("\n"));
        }
    }
    let _ = std::fs::write(out.join("status-page-timings.txt"), &timings.0);
    if outcome.is_err() {
        let _ = a.screenshot(&out.join("status-failure-a.png")).await;
        if let Ok(html) = a.client.source().await {
            let _ = std::fs::write(out.join("status-failure-a.html"), html);
        }
        if let Ok(errors) = a.page_errors().await {
            eprintln!("page errors in A: {errors:#?}");
        }
        eprintln!(
            "hub log {} (tail):\n{}",
            hub.log_path().display(),
            hub.log_tail(40)
        );
    }
    let _ = a.close().await;
    let _ = b.close().await;
    drop(driver);
    if let Err(e) = outcome {
        panic!("{e:#}");
    }
    hub.stop().expect("the hub stops cleanly on SIGTERM");
}

async fn scenario(
    hub: &Hub,
    a: &Browser,
    b: &Browser,
    timings: &mut Timings,
) -> anyhow::Result<()> {
    let out = output_dir();
    let admin = ApiSession::login(&hub.url, "admin@demo.test", DEMO_PASSWORD).await?;
    let alice = ApiSession::login(&hub.url, "alice@demo.test", DEMO_PASSWORD).await?;
    let alice_id = alice.user_id;

    // 1–2. The admin signs in through the form; the page hydrates and opens /ws/tab.
    let started = Instant::now();
    a.login(&hub.url, "admin@demo.test", DEMO_PASSWORD).await?;
    let url = a.client.current_url().await?;
    ensure!(url.path() == "/", "after login A is at {url}, not /");
    wait_live(a).await?;
    timings.note(
        "A: form login → page hydrated and #live-state connected",
        started.elapsed(),
    );
    a.js("window.__e2eMarker = 1; return null;", vec![]).await?;
    let (initial, _) = wait_row(
        a,
        alice_id,
        "Alice's row on A's page",
        Duration::from_secs(2),
        |_| true,
    )
    .await?;
    ensure!(
        initial.shows("offline"),
        "nobody is connected as Alice yet, but her row is {initial:?}"
    );

    // Alice signs in in browser B: her own tab is a connection of hers.
    let started = Instant::now();
    b.login(&hub.url, "alice@demo.test", DEMO_PASSWORD).await?;
    wait_live(b).await?;
    let (present, _) = wait_row(
        a,
        alice_id,
        "A sees Alice present once her tab is open",
        Duration::from_secs(5),
        |r| r.status != "offline",
    )
    .await?;
    timings.note(
        &format!(
            "B: form login → A shows Alice `{}` (her tab connected)",
            present.status
        ),
        started.elapsed(),
    );
    ensure!(present.same_page, "A's page was reloaded");
    let b_errors = b.page_errors().await?;
    ensure!(b_errors.is_empty(), "page errors in B: {b_errors:#?}");

    // Her tab's activity ages out: `idle`, so that `active` below is the agent's doing.
    let (_, took) = wait_row(
        a,
        alice_id,
        "Alice idle on A's page",
        IDLE_THRESHOLD + Duration::from_secs(5),
        |r| r.shows("idle"),
    )
    .await?;
    timings.note(
        "A shows Alice `idle` (no activity for the idle threshold)",
        took,
    );

    // 3–5. Alice's agent connects and reports activity.
    let connect_started = Instant::now();
    let agent = AgentSocket::connect(
        &hub.ws_url("/ws/agent"),
        &alice.token,
        Some(Duration::from_secs(1)),
    )
    .await?;
    ensure!(
        agent.hello["user"]["id"] == json!(alice_id),
        "hello is for someone else: {}",
        agent.hello
    );
    let connected = connect_started.elapsed();
    let heartbeat_sent = Instant::now();
    agent.heartbeat(0)?;
    let (active, _) = wait_row(
        a,
        alice_id,
        "A shows Alice active after her agent's heartbeat",
        Duration::from_secs(5),
        |r| r.shows("active"),
    )
    .await?;
    timings.note("agent: connect + hello", connected);
    timings.note(
        "agent heartbeat sent → A's dot shows `active`",
        heartbeat_sent.elapsed(),
    );
    ensure!(
        active.same_page,
        "A's page was reloaded (the marker is gone)"
    );

    // 6.
    screenshot_row(a, alice_id, "active", &out.join("status-active.png")).await?;

    // 7. Alice's tab goes away: her agent alone keeps her present (presence is per user).
    b.client.goto("about:blank").await?;
    let watch_until = Instant::now() + OFFLINE_GRACE + Duration::from_millis(500);
    while Instant::now() < watch_until {
        let r = row(a, alice_id).await?.context("Alice's row vanished")?;
        ensure!(
            r.shows("active"),
            "Alice's agent is still connected and reporting, yet her row is {r:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // Then the agent disconnects: `offline`, but only after the grace period.
    let closed_at = agent.close().await?;
    let mut seen = Vec::new();
    let went_offline = loop {
        let elapsed = closed_at.elapsed();
        ensure!(
            elapsed < OFFLINE_GRACE + Duration::from_secs(5),
            "Alice still not offline {elapsed:?} after her agent left; seen {seen:?}"
        );
        let r = row(a, alice_id).await?.context("Alice's row vanished")?;
        if seen
            .last()
            .is_none_or(|(_, s): &(u128, String)| s != &r.status)
        {
            seen.push((elapsed.as_millis(), r.status.clone()));
        }
        if r.shows("offline") {
            ensure!(r.same_page, "A's page was reloaded (the marker is gone)");
            break elapsed;
        }
        tokio::time::sleep(POLL).await;
    };
    timings.note(
        &format!(
            "agent closed → A's dot shows `offline` (grace {} ms; seen [(ms, status)] {seen:?})",
            OFFLINE_GRACE.as_millis()
        ),
        went_offline,
    );
    ensure!(
        went_offline + Duration::from_millis(100) >= OFFLINE_GRACE,
        "Alice went offline {went_offline:?} after her agent left, before the {OFFLINE_GRACE:?} grace period"
    );
    screenshot_row(a, alice_id, "offline", &out.join("status-offline.png")).await?;

    let a_errors = a.page_errors().await?;
    ensure!(a_errors.is_empty(), "page errors in A: {a_errors:#?}");

    // 8. The page is complete without JavaScript: plain GET with A's session cookie.
    let cookie = a.cookie("ph_session").await?;
    let res = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?
        .get(hub.http_url("/"))
        .header("cookie", format!("ph_session={cookie}"))
        .send()
        .await?;
    ensure!(
        res.status() == 200,
        "GET / with A's cookie: {}",
        res.status()
    );
    let html = res.text().await?;
    ensure!(
        html.contains(r#"id="status-table""#),
        "no status table in the server-rendered page"
    );
    let users = admin.get_json(&hub.url, "/api/users?per_page=100").await?;
    let users = users["items"].as_array().cloned().unwrap_or_default();
    ensure!(
        users.len() == 6,
        "the demo company has six users, the API lists {}",
        users.len()
    );
    for user in &users {
        let name = user["name"].as_str().unwrap_or_default();
        ensure!(
            html.contains(&escape(name)),
            "{name} is missing from the server-rendered page"
        );
        let id = user["id"].as_i64().unwrap_or_default();
        ensure!(
            html.contains(&format!(r#"data-user-id="{id}""#)),
            "no row for user {id} in the server-rendered page"
        );
    }
    let alice_row = row_tag(&html, alice_id).context("Alice's <tr> in the server-rendered page")?;
    ensure!(
        alice_row.contains(r#"data-status="offline""#),
        "server-rendered Alice row: {alice_row}"
    );
    Ok(())
}

/// Screenshot once the dot's colour transition is over, after checking that the dot has the
/// colour of its status (that of a fresh `.dot.dot-{status}` in the same cell).
async fn screenshot_row(
    browser: &Browser,
    user_id: i64,
    status: &str,
    path: &std::path::Path,
) -> anyhow::Result<()> {
    browser.settle_animations(Duration::from_secs(3)).await?;
    let colours = browser
        .js(
            r#"const dot = document.querySelector('tr[data-user-id="' + arguments[0] + '"] .dot');
               const probe = document.createElement('span');
               probe.className = 'dot dot-' + arguments[1];
               probe.style.transition = 'none';
               dot.parentElement.appendChild(probe);
               const want = getComputedStyle(probe).backgroundColor;
               probe.remove();
               return [getComputedStyle(dot).backgroundColor, want];"#,
            vec![json!(user_id), json!(status)],
        )
        .await?;
    ensure!(
        colours[0] == colours[1],
        "the `{status}` dot is coloured {} instead of {}",
        colours[0],
        colours[1]
    );
    browser.screenshot(path).await?;
    eprintln!(
        "[status_page] screenshot {} (dot colour {})",
        path.display(),
        colours[0]
    );
    Ok(())
}

/// The opening `<tr ...>` tag of a user's row.
fn row_tag(html: &str, user_id: i64) -> Option<&str> {
    let at = html.find(&format!(r#"data-user-id="{user_id}""#))?;
    let start = html[..at].rfind("<tr")?;
    let end = at + html[at..].find('>')?;
    Some(&html[start..=end])
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

//! The status page in a real browser against the real hub process: two users signed in in two
//! browser contexts; Alice's agent connects and reports activity, and the admin's page shows her
//! dot turn `active` without a reload; the agent disconnects, and the dot turns `offline` after
//! the grace period. Screenshots: `e2e/output/status-active.png`, `status-offline.png`; the
//! measured latencies in `status-page-timings.txt` (written whatever the outcome).
//!
//! The test reads as its `scenario`: one step function per thing a user does or sees.

use anyhow::{bail, ensure, Context};
use e2e::hub::DEMO_PASSWORD;
use e2e::{output_dir, AgentSocket, ApiSession, BrowserTest, Hub, HubOptions, Page};
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

/// The computed colour of a user's dot, and that of a fresh `.dot.dot-{status}` in its cell.
const DOT_COLOURS: &str = r#"
const dot = document.querySelector('tr[data-user-id="' + arguments[0] + '"] .dot');
const probe = document.createElement('span');
probe.className = 'dot dot-' + arguments[1];
probe.style.transition = 'none';
dot.parentElement.appendChild(probe);
const want = getComputedStyle(probe).backgroundColor;
probe.remove();
return [getComputedStyle(dot).backgroundColor, want];"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_dot_follows_the_agent_without_reload() {
    let options = HubOptions {
        offline_grace_ms: OFFLINE_GRACE.as_millis() as u64,
        idle_threshold_ms_override: IDLE_THRESHOLD.as_millis() as u64,
        ..HubOptions::default()
    };
    // Browser A is the admin's, B Alice's.
    let test = BrowserTest::start("status-page", options, &["a", "b"]).await;
    let mut timings = Timings::default();
    let outcome = scenario(&test.hub, test.page(0), test.page(1), &mut timings).await;
    timings.save();
    test.finish(outcome).await;
}

async fn scenario(
    hub: &Hub,
    a: Page<'_>,
    b: Page<'_>,
    timings: &mut Timings,
) -> anyhow::Result<()> {
    let admin = ApiSession::login(&hub.url, "admin@demo.test", DEMO_PASSWORD).await?;
    let alice = ApiSession::login(&hub.url, "alice@demo.test", DEMO_PASSWORD).await?;
    let alice_row = AliceRow {
        page: a,
        user_id: alice.user_id,
    };
    admin_signs_in_and_sees_alice_offline(alice_row, timings).await?;
    alice_opens_her_tab(b, alice_row, timings).await?;
    alice_goes_idle(alice_row, timings).await?;
    let agent = alice_agent_reports_activity(hub, &alice, alice_row, timings).await?;
    alice_row.screenshot("active", "status-active.png").await?;
    alice_leaves_her_tab_and_stays_active(b, alice_row).await?;
    alice_agent_leaves_and_she_goes_offline_after_the_grace(agent, alice_row, timings).await?;
    alice_row
        .screenshot("offline", "status-offline.png")
        .await?;
    a.no_errors().await?;
    the_page_is_complete_without_javascript(hub, a, &admin, alice.user_id).await
}

/// 1–2. The admin signs in through the form; the page hydrates and opens /ws/tab; nobody is
/// connected as Alice yet, so her row shows her `offline`.
async fn admin_signs_in_and_sees_alice_offline(
    alice: AliceRow<'_>,
    timings: &mut Timings,
) -> anyhow::Result<()> {
    let a = alice.page;
    let started = Instant::now();
    a.sign_in("admin@demo.test", DEMO_PASSWORD).await?;
    let path = a.path().await?;
    ensure!(path == "/", "after login A is at {path}, not /");
    a.wait_live().await?;
    timings.note(
        "A: form login → page hydrated and #live-state connected",
        started.elapsed(),
    );
    a.mark().await?;
    let (initial, _) = alice
        .wait("Alice's row on A's page", Duration::from_secs(2), |_| true)
        .await?;
    ensure!(
        initial.shows("offline"),
        "nobody is connected as Alice yet, but her row is {initial:?}"
    );
    Ok(())
}

/// Alice signs in in browser B: her own tab is a connection of hers, and A shows her present.
async fn alice_opens_her_tab(
    b: Page<'_>,
    alice: AliceRow<'_>,
    timings: &mut Timings,
) -> anyhow::Result<()> {
    let started = Instant::now();
    b.sign_in("alice@demo.test", DEMO_PASSWORD).await?;
    b.wait_live().await?;
    let (present, _) = alice
        .wait(
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
    b.no_errors().await
}

/// Her tab's activity ages out: `idle`, so that `active` below is the agent's doing.
async fn alice_goes_idle(alice: AliceRow<'_>, timings: &mut Timings) -> anyhow::Result<()> {
    let (_, took) = alice
        .wait(
            "Alice idle on A's page",
            IDLE_THRESHOLD + Duration::from_secs(5),
            |r| r.shows("idle"),
        )
        .await?;
    timings.note(
        "A shows Alice `idle` (no activity for the idle threshold)",
        took,
    );
    Ok(())
}

/// 3–5. Alice's agent connects and reports activity: A's dot turns `active`, without a reload.
async fn alice_agent_reports_activity(
    hub: &Hub,
    alice: &ApiSession,
    row: AliceRow<'_>,
    timings: &mut Timings,
) -> anyhow::Result<AgentSocket> {
    let connect_started = Instant::now();
    let agent = AgentSocket::connect(
        &hub.ws_url("/ws/agent"),
        &alice.token,
        Some(Duration::from_secs(1)),
    )
    .await?;
    ensure!(
        agent.hello["user"]["id"] == json!(row.user_id),
        "hello is for someone else: {}",
        agent.hello
    );
    let connected = connect_started.elapsed();
    let heartbeat_sent = Instant::now();
    agent.heartbeat(0)?;
    let (active, _) = row
        .wait(
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
    Ok(agent)
}

/// Step 7: Alice's tab goes away: her agent alone keeps her present (presence is per user), for
/// longer than the grace period.
async fn alice_leaves_her_tab_and_stays_active(
    b: Page<'_>,
    alice: AliceRow<'_>,
) -> anyhow::Result<()> {
    b.browser.client.goto("about:blank").await?;
    let watch_until = Instant::now() + OFFLINE_GRACE + Duration::from_millis(500);
    while Instant::now() < watch_until {
        let r = alice.current().await?;
        ensure!(
            r.shows("active"),
            "Alice's agent is still connected and reporting, yet her row is {r:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Ok(())
}

/// Then the agent disconnects: `offline`, but only after the grace period.
async fn alice_agent_leaves_and_she_goes_offline_after_the_grace(
    agent: AgentSocket,
    alice: AliceRow<'_>,
    timings: &mut Timings,
) -> anyhow::Result<()> {
    let closed_at = agent.close().await?;
    let (went_offline, seen) = alice.wait_offline_since(closed_at).await?;
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
    Ok(())
}

/// Step 8: The page is complete without JavaScript: a plain GET with A's session cookie holds the
/// status table with a row for each of the demo's six users, Alice's `offline`.
async fn the_page_is_complete_without_javascript(
    hub: &Hub,
    a: Page<'_>,
    admin: &ApiSession,
    alice_id: i64,
) -> anyhow::Result<()> {
    let html = server_rendered_status_page(hub, a).await?;
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

/// `GET /` with A's session cookie (no redirects followed), which must answer 200: its HTML.
async fn server_rendered_status_page(hub: &Hub, a: Page<'_>) -> anyhow::Result<String> {
    let cookie = a.browser.cookie("ph_session").await?;
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
    Ok(res.text().await?)
}

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

/// Alice's row on the admin's status page (browser A).
#[derive(Clone, Copy)]
struct AliceRow<'a> {
    page: Page<'a>,
    user_id: i64,
}

impl AliceRow<'_> {
    /// The row as shown now; `None` while there is none.
    async fn read(&self) -> anyhow::Result<Option<Row>> {
        let v = self.page.js(ROW_STATE, vec![json!(self.user_id)]).await?;
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

    /// The row, which must be there.
    async fn current(&self) -> anyhow::Result<Row> {
        self.read().await?.context("Alice's row vanished")
    }

    /// Polls the row until `done` holds; returns it and how long it took.
    async fn wait(
        &self,
        what: &str,
        timeout: Duration,
        done: impl Fn(&Row) -> bool,
    ) -> anyhow::Result<(Row, Duration)> {
        let started = Instant::now();
        let mut last = None;
        while started.elapsed() < timeout {
            let current = self.read().await?;
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

    /// Polls the row from `closed_at` (her agent left) until it shows `offline`, on the page
    /// marked before; answers how long after `closed_at`, and the statuses seen on the way as
    /// `[(ms, status)]`.
    async fn wait_offline_since(
        &self,
        closed_at: Instant,
    ) -> anyhow::Result<(Duration, Vec<(u128, String)>)> {
        let mut seen: Vec<(u128, String)> = Vec::new();
        loop {
            let elapsed = closed_at.elapsed();
            ensure!(
                elapsed < OFFLINE_GRACE + Duration::from_secs(5),
                "Alice still not offline {elapsed:?} after her agent left; seen {seen:?}"
            );
            let r = self.current().await?;
            if seen.last().is_none_or(|(_, s)| s != &r.status) {
                seen.push((elapsed.as_millis(), r.status.clone()));
            }
            if r.shows("offline") {
                ensure!(r.same_page, "A's page was reloaded (the marker is gone)");
                return Ok((elapsed, seen));
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// A screenshot `e2e/output/{file}` once the dot's colour transition is over, after
    /// checking that the dot has the colour of `status` (that of a fresh `.dot.dot-{status}`
    /// in the same cell).
    async fn screenshot(&self, status: &str, file: &str) -> anyhow::Result<()> {
        let page = self.page;
        page.browser
            .settle_animations(Duration::from_secs(3))
            .await?;
        let colours = page
            .js(DOT_COLOURS, vec![json!(self.user_id), json!(status)])
            .await?;
        ensure!(
            colours[0] == colours[1],
            "the `{status}` dot is coloured {} instead of {}",
            colours[0],
            colours[1]
        );
        page.screenshot(file).await?;
        eprintln!("[status_page] {file}: dot colour {}", colours[0]);
        Ok(())
    }
}

/// The latencies the test measures, printed as they come and kept for
/// `e2e/output/status-page-timings.txt`.
#[derive(Default)]
struct Timings(String);

impl Timings {
    fn note(&mut self, what: &str, took: Duration) {
        let line = format!("{:>8.0} ms  {what}", took.as_secs_f64() * 1000.0);
        eprintln!("[status_page] {line}");
        let _ = writeln!(self.0, "{line}");
    }

    /// Writes `e2e/output/status-page-timings.txt` (also after a failure: what was measured).
    fn save(&self) {
        let _ = std::fs::write(output_dir().join("status-page-timings.txt"), &self.0);
    }
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

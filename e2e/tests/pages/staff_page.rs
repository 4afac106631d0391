//! `/staff/{id}` and `/servers` in a real browser against the real hub, with a fake A2S game
//! server on loopback and a short poll interval: the first HTML holds the demo's time on
//! servers, the page hydrates and goes live, a staff member joining the fake server shows up
//! on both pages without a reload (with a running timer), the All/Active filter works, and a
//! leave takes the session off the Active list live. A member gets the 403 page.
//!
//! The test reads as its `scenario`: one step function per thing a user does or sees.

use anyhow::{ensure, Context};
use e2e::hub::DEMO_PASSWORD;
use e2e::page::PhoneShots;
use e2e::{ApiSession, BrowserTest, FakeA2s, FakeA2sOptions, Hub, HubOptions, Page};
use reqwest::Method;
use serde_json::{json, Value};

/// The server bars of `/staff/{id}`: name, `data-percent`, and whether the bar is drawn.
const BARS: &str = "return Array.from(document.querySelectorAll('#server-bars li')).map(li =>
   [li.querySelector('.server-bar-name').textContent, li.getAttribute('data-percent'),
    li.querySelector('.bar-fill').getBoundingClientRect().width > 0]);";

/// The rows of the session history: session id and `data-open`.
const SESSIONS: &str =
    "return Array.from(document.querySelectorAll('#server-sessions tbody tr')).map(r =>
   [Number(r.getAttribute('data-session-id')), r.getAttribute('data-open')]);";

/// The staff with a game name, as `/servers` links them: name and href.
const STAFF_LINKS: &str = "return Array.from(document.querySelectorAll('#staff-links a')).map(a => [a.textContent, a.getAttribute('href')]);";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_page_shows_server_time_and_follows_joins_live() {
    let fake = FakeA2s::start(FakeA2sOptions::default())
        .await
        .expect("the fake game server starts");
    let options = HubOptions {
        env: vec![
            ("HUB_A2S_POLL_MS".into(), "300".into()),
            ("HUB_A2S_TIMEOUT_MS".into(), "150".into()),
        ],
        ..HubOptions::default()
    };
    let test = BrowserTest::start("staff-page", options, &["lead"]).await;
    let outcome = scenario(&test.hub, &fake, test.page(0)).await;
    test.finish(outcome).await;
}

/// What the steps share: the fake server's entry on the hub and Alice's staff page.
struct Staff {
    server_id: i64,
    alice_id: i64,
    /// `/staff/{alice_id}`
    path: String,
}

impl Staff {
    /// The fake server's row on `/servers`.
    fn server_row(&self) -> String {
        format!("#servers-table tr[data-server-id='{}']", self.server_id)
    }
}

async fn scenario(hub: &Hub, fake: &FakeA2s, lead: Page<'_>) -> anyhow::Result<()> {
    let admin = ApiSession::login(&hub.url, "admin@demo.test", DEMO_PASSWORD).await?;
    let alice = ApiSession::login(&hub.url, "alice@demo.test", DEMO_PASSWORD).await?;
    let staff = admin_adds_the_fake_server(hub, fake, &admin, alice.user_id).await?;
    a_member_gets_the_403_page(hub, &alice, &staff).await?;
    lead.sign_in("lead@demo.test", DEMO_PASSWORD).await?;
    the_first_render_holds_the_demo_sessions(lead, &staff).await?;
    let first_run = alice_joins_and_a_running_session_appears(lead, fake).await?;
    servers_page_shows_her_on_the_server(lead, &staff).await?;
    servers_page_follows_her_leaving_and_coming_back(lead, fake, &staff).await?;
    the_active_filter_lists_only_the_running_session(lead, &staff, &first_run).await?;
    her_leaving_empties_the_active_list(lead, fake).await?;
    all_lists_the_four_sessions_ended(lead).await
}

/// The admin adds the fake game server through the API.
async fn admin_adds_the_fake_server(
    hub: &Hub,
    fake: &FakeA2s,
    admin: &ApiSession,
    alice_id: i64,
) -> anyhow::Result<Staff> {
    let (status, server) = admin
        .send_json(
            Method::POST,
            &hub.url,
            "/api/game-servers",
            &json!({"name": "E2E Server", "address": fake.address()}),
        )
        .await?;
    ensure!(status == 201, "add the fake server: {status} {server}");
    Ok(Staff {
        server_id: server["id"].as_i64().context("server id")?,
        alice_id,
        path: format!("/staff/{alice_id}"),
    })
}

/// A member may not open the page (403), as in the API.
async fn a_member_gets_the_403_page(
    hub: &Hub,
    member: &ApiSession,
    staff: &Staff,
) -> anyhow::Result<()> {
    let res = reqwest::Client::new()
        .get(hub.http_url(&staff.path))
        .header("cookie", format!("ph_session={}", member.token))
        .send()
        .await?;
    ensure!(res.status() == 403, "a member got {}", res.status());
    Ok(())
}

/// The first render holds the demo's two finished sessions (2 h + 1 h on Demo EU #1).
async fn the_first_render_holds_the_demo_sessions(
    b: Page<'_>,
    staff: &Staff,
) -> anyhow::Result<()> {
    b.open(&staff.path).await?;
    b.no_errors().await?;
    for (css, want) in [
        ("#staff-heading", "Alice Archer"),
        ("#staff-total", "3:00:00"),
        ("#staff-session-count", "2"),
        ("#staff-average", "1:30:00"),
        ("#staff-game-name", "Alice Archer"),
    ] {
        expect_shows(b, css, want).await?;
    }
    let bars = b.js(BARS, vec![]).await?;
    ensure!(bars == json!([["Demo EU #1", "100", true]]), "bars: {bars}");
    let first = sessions(b).await?;
    ensure!(
        first.len() == 2 && first.iter().all(|(_, open)| open == "false"),
        "history: {first:?}"
    );
    b.screenshots("staff", PhoneShots::LightAndDark).await
}

/// Alice joins the fake server: a running session appears at the top of the open page, no
/// reload, its timer running from zero. Answers its id.
async fn alice_joins_and_a_running_session_appears(
    b: Page<'_>,
    fake: &FakeA2s,
) -> anyhow::Result<Value> {
    b.mark().await?;
    fake.set_players(&["Someone Else", "Alice Archer"]);
    let new_id = b
        .wait_for(
            "a running session at the top of the history",
            10,
            "const r = document.querySelector('#server-sessions tbody tr');
             return r && r.getAttribute('data-open') === 'true' ? Number(r.getAttribute('data-session-id')) : null;",
            vec![],
        )
        .await?;
    b.expect_same_page("a running session appeared").await?;
    expect_shows(b, "#staff-session-count", "3").await?;
    let timer = b
        .text("#server-sessions tbody tr[data-open=true] .duration")
        .await?
        .unwrap_or_default();
    ensure!(
        timer.starts_with("0:00:"),
        "the running session's timer: {timer:?}"
    );
    expect_shows(
        b,
        "#server-sessions tbody tr[data-open=true] .server",
        "E2E Server",
    )
    .await?;
    Ok(new_id)
}

/// `/servers` shows her on the fake server now (with its map and players), and links the
/// staff that have a game name.
async fn servers_page_shows_her_on_the_server(b: Page<'_>, staff: &Staff) -> anyhow::Result<()> {
    b.open("/servers").await?;
    b.no_errors().await?;
    let row = staff.server_row();
    expect_shows(b, &format!("{row} .staff-online"), "Alice Archer").await?;
    expect_shows(b, &format!("{row} .map"), "de_dust2").await?;
    expect_shows(b, &format!("{row} .players"), "2 / 32").await?;
    let links = b.js(STAFF_LINKS, vec![]).await?;
    ensure!(
        links
            == json!([
                ["Alice Archer", staff.path],
                ["Bob Baker", format!("/staff/{}", staff.alice_id + 1)]
            ]),
        "staff with a game name: {links}"
    );
    b.screenshots("servers", PhoneShots::LightAndDark).await
}

/// `/servers` follows her leaving the fake server and coming back, live.
async fn servers_page_follows_her_leaving_and_coming_back(
    b: Page<'_>,
    fake: &FakeA2s,
    staff: &Staff,
) -> anyhow::Result<()> {
    let on_now = format!("{} .staff-online", staff.server_row());
    b.mark().await?;
    fake.set_players(&["Someone Else"]);
    wait_text_is(b, "nobody on the fake server", &on_now, "nobody", 10).await?;
    b.expect_same_page("/servers after she left").await?;
    fake.set_players(&["Alice Archer"]);
    wait_text_is(
        b,
        "Alice back on the fake server",
        &on_now,
        "Alice Archer",
        10,
    )
    .await
}

/// The Active filter lists only the running session: the one that appeared first (`first_run`)
/// has ended since she left and came back.
async fn the_active_filter_lists_only_the_running_session(
    b: Page<'_>,
    staff: &Staff,
    first_run: &Value,
) -> anyhow::Result<()> {
    b.open(&staff.path).await?;
    b.click("#filter-active").await?;
    b.wait_for(
        "the Active filter applied",
        10,
        "return location.search.includes('active_only=true') &&
                document.querySelector('#filter-active[aria-current=page]') !== null &&
                document.querySelector('#live-state[data-live=connected]') !== null;",
        vec![],
    )
    .await?;
    let active = sessions(b).await?;
    ensure!(
        active.len() == 1 && active[0].1 == "true" && active[0].0 != *first_run,
        "active rows: {active:?} (first session {first_run} had ended)"
    );
    Ok(())
}

/// Her leaving empties the Active list live.
async fn her_leaving_empties_the_active_list(b: Page<'_>, fake: &FakeA2s) -> anyhow::Result<()> {
    b.mark().await?;
    fake.set_players(&[]);
    b.wait_for(
        "the Active list empty after she left",
        10,
        "return document.querySelectorAll('#server-sessions tbody tr').length === 0 &&
                !!document.querySelector('#no-server-sessions');",
        vec![],
    )
    .await?;
    b.expect_same_page("the Active list emptied").await
}

/// All lists her four sessions, all ended.
async fn all_lists_the_four_sessions_ended(b: Page<'_>) -> anyhow::Result<()> {
    b.click("#filter-all").await?;
    b.wait_for(
        "All shows the four sessions, all ended",
        10,
        "const r = Array.from(document.querySelectorAll('#server-sessions tbody tr'));
         return !location.search.includes('active_only') && r.length === 4 &&
                r.every(x => x.getAttribute('data-open') === 'false') &&
                document.querySelector('#live-state[data-live=connected]') !== null;",
        vec![],
    )
    .await?;
    b.no_errors().await
}

/// The session history's rows: session id and `data-open` (`"true"` while it runs).
async fn sessions(page: Page<'_>) -> anyhow::Result<Vec<(i64, String)>> {
    let v = page.js(SESSIONS, vec![]).await?;
    Ok(serde_json::from_value(v)?)
}

/// Fails unless `css` is shown with exactly the (trimmed) text `want`.
async fn expect_shows(page: Page<'_>, css: &str, want: &str) -> anyhow::Result<()> {
    let shown = page.text(css).await?;
    ensure!(
        shown.as_deref() == Some(want),
        "{}: {css} shows {shown:?}, not {want:?}",
        page.name()
    );
    Ok(())
}

/// Waits up to `secs` seconds until the trimmed text of `css` is exactly `text` (not merely
/// holds it, as [`Page::wait_text`] checks).
async fn wait_text_is(
    page: Page<'_>,
    what: &str,
    css: &str,
    text: &str,
    secs: u64,
) -> anyhow::Result<()> {
    page.wait_for(
        what,
        secs,
        "const c = document.querySelector(arguments[0]); return !!c && c.textContent.trim() === arguments[1];",
        vec![json!(css), json!(text)],
    )
    .await
    .map(|_| ())
}

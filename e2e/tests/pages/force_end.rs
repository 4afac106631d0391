//! An admin ends a user's running session from the status page, in a real browser against the
//! real hub: the admin (browser A) and a supervisor (browser B) watch `/`; Alice's agent is
//! connected and her session was started through the API. The admin clicks "End session",
//! gives a reason and confirms: Alice's agent gets `session_ended` with that reason, and B's row
//! for Alice shows no running session, without a reload. Screenshots:
//! `e2e/output/force-end-admin-dialog.png`, `force-end-admin.png`, `force-end-supervisor.png`.

use anyhow::{ensure, Context};
use e2e::hub::DEMO_PASSWORD;
use e2e::{AgentSocket, ApiSession, BrowserTest, Hub, HubOptions, Page};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

const REASON: &str = "Shift is over — please log the rest tomorrow";

/// The running session shown in a user's row of `#status-table`: its id, `'none'`, or
/// `'no row'`. A function expression, called by the scripts below.
const RUNNING_IN_ROW: &str = r#"function (userId) {
  const row = document.querySelector('#status-table tbody tr[data-user-id="' + userId + '"]');
  if (!row) return 'no row';
  const running = row.querySelector('.session-running');
  return running ? Number(running.getAttribute('data-session-id')) : 'none';
}"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_ends_a_session_and_every_dashboard_and_the_agent_see_it() {
    // Browser "a" is the admin's, "b" the supervisor's (the names of their output files).
    let test = BrowserTest::start("force-end", HubOptions::default(), &["a", "b"]).await;
    let outcome = scenario(&test.hub, test.page(0), test.page(1)).await;
    test.finish(outcome).await;
}

/// Alice's and the admin's API logins, made once.
struct Logins {
    alice: ApiSession,
    admin: ApiSession,
}

/// Alice's running session: the user whose row shows it, and its id.
#[derive(Clone, Copy)]
struct Running {
    alice_id: i64,
    session_id: i64,
}

async fn scenario(hub: &Hub, a: Page<'_>, b: Page<'_>) -> anyhow::Result<()> {
    let logins = api_logins(hub).await?;
    let mut agent = alices_agent_connects(hub, &logins.alice).await?;
    admin_and_supervisor_watch_the_status_page(a, b).await?;
    let running = alice_starts_a_session(hub, &logins.alice).await?;
    both_dashboards_show_her_session(a, b, running).await?;
    the_supervisor_has_no_end_button(b).await?;
    admin_opens_the_end_dialog(a, running).await?;
    an_empty_reason_is_refused(a, b, running).await?;
    let confirmed = admin_confirms_with_a_reason(a).await?;
    alices_agent_is_told(&mut agent, running, logins.admin.user_id, confirmed).await?;
    both_dashboards_show_no_session_live(a, b, running, confirmed).await?;
    the_dialog_has_closed(a).await?;
    the_hub_records_the_admins_end(hub, &logins.admin, running).await?;
    both_dashboards_end_without_errors(a, b).await
}

async fn api_logins(hub: &Hub) -> anyhow::Result<Logins> {
    Ok(Logins {
        alice: ApiSession::login(&hub.url, "alice@demo.test", DEMO_PASSWORD).await?,
        admin: ApiSession::login(&hub.url, "admin@demo.test", DEMO_PASSWORD).await?,
    })
}

/// Alice's agent is connected, with a heartbeat every second.
async fn alices_agent_connects(hub: &Hub, alice: &ApiSession) -> anyhow::Result<AgentSocket> {
    AgentSocket::connect(
        &hub.ws_url("/ws/agent"),
        &alice.token,
        Some(Duration::from_secs(1)),
    )
    .await
}

/// The admin (A) and a supervisor (B) sign in and watch `/`, live.
async fn admin_and_supervisor_watch_the_status_page(
    a: Page<'_>,
    b: Page<'_>,
) -> anyhow::Result<()> {
    a.sign_in("admin@demo.test", DEMO_PASSWORD).await?;
    b.sign_in("lead@demo.test", DEMO_PASSWORD).await?;
    a.wait_live().await?;
    b.wait_live().await
}

/// Alice starts a session (as the agent or the web page would).
async fn alice_starts_a_session(hub: &Hub, alice: &ApiSession) -> anyhow::Result<Running> {
    let (status, session) = alice
        .send_json(
            reqwest::Method::POST,
            &hub.url,
            "/api/sessions/start",
            &json!({ "note": "e2e force-end" }),
        )
        .await?;
    ensure!(status == 201, "start: {status} {session}");
    let session_id = session["id"].as_i64().context("session id")?;
    Ok(Running {
        alice_id: alice.user_id,
        session_id,
    })
}

/// Both dashboards show Alice's running session in her row. Each page is marked, to tell a
/// live update from a reload later.
async fn both_dashboards_show_her_session(
    a: Page<'_>,
    b: Page<'_>,
    running: Running,
) -> anyhow::Result<()> {
    for page in [a, b] {
        wait_running_in_row(
            page,
            "Alice's row shows her running session",
            running.alice_id,
            json!(running.session_id),
        )
        .await?;
        page.mark().await?;
    }
    Ok(())
}

/// A supervisor does not get "End session".
async fn the_supervisor_has_no_end_button(b: Page<'_>) -> anyhow::Result<()> {
    ensure!(
        b.count("button.end-session").await? == 0,
        "a supervisor must not get \"End session\""
    );
    Ok(())
}

/// The admin clicks "End session" in Alice's row: the dialog opens for Alice, with the focus
/// in the reason.
async fn admin_opens_the_end_dialog(a: Page<'_>, running: Running) -> anyhow::Result<()> {
    let Running {
        alice_id,
        session_id,
    } = running;
    let button = format!(
        "#status-table tr[data-user-id=\"{alice_id}\"] button.end-session[data-session-id=\"{session_id}\"]"
    );
    a.click(&button).await?;
    a.wait_for(
        "the End session dialog is open with the focus in the reason",
        5,
        r#"const d = document.querySelector('#end-session-dialog');
           return !!d && d.open && document.activeElement === document.querySelector('#end-reason');"#,
        vec![],
    )
    .await?;
    let title = a.text("#end-session-title").await?;
    ensure!(
        title.as_deref().is_some_and(|t| t.contains("Alice Archer")),
        "dialog title: {title:?}"
    );
    Ok(())
}

/// An empty reason is refused in the dialog, and nothing is sent: B still shows the session.
async fn an_empty_reason_is_refused(
    a: Page<'_>,
    b: Page<'_>,
    running: Running,
) -> anyhow::Result<()> {
    a.click("#end-session-confirm").await?;
    a.wait_for(
        "the dialog asks for a reason",
        5,
        "const e = document.querySelector('#end-session-error'); return !!e && !e.hidden && e.textContent.includes('reason');",
        vec![],
    )
    .await?;
    ensure!(
        running_in_row(b, running.alice_id).await? == json!(running.session_id),
        "the session ended without a reason"
    );
    Ok(())
}

/// The admin gives the reason (a picture of the dialog) and confirms. Answers the moment of
/// the click.
async fn admin_confirms_with_a_reason(a: Page<'_>) -> anyhow::Result<Instant> {
    a.type_into("#end-reason", REASON).await?;
    a.screenshot("force-end-admin-dialog.png").await?;
    let confirmed = Instant::now();
    a.click("#end-session-confirm").await?;
    Ok(confirmed)
}

/// Alice's agent is told within 5 s of the click, with the admin's reason.
async fn alices_agent_is_told(
    agent: &mut AgentSocket,
    running: Running,
    admin_id: i64,
    confirmed: Instant,
) -> anyhow::Result<()> {
    let ended =
        wait_agent_message(agent, "session_ended", confirmed, Duration::from_secs(5)).await?;
    eprintln!(
        "[force_end] confirm click → agent session_ended: {:?}",
        confirmed.elapsed()
    );
    ensure!(ended["session_id"] == json!(running.session_id), "{ended}");
    ensure!(ended["reason"] == json!(REASON), "{ended}");
    ensure!(ended["ended_by"] == json!(admin_id), "{ended}");
    Ok(())
}

/// Both dashboards (B first): no running session for Alice, in the same document as before.
async fn both_dashboards_show_no_session_live(
    a: Page<'_>,
    b: Page<'_>,
    running: Running,
    confirmed: Instant,
) -> anyhow::Result<()> {
    for page in [b, a] {
        wait_running_in_row(
            page,
            "Alice's row shows no running session",
            running.alice_id,
            json!("none"),
        )
        .await?;
        page.expect_same_page("after Alice's session was ended")
            .await?;
    }
    eprintln!(
        "[force_end] confirm click → both dashboards updated: {:?}",
        confirmed.elapsed()
    );
    Ok(())
}

/// The dialog closed on success.
async fn the_dialog_has_closed(a: Page<'_>) -> anyhow::Result<()> {
    let dialog_open = a
        .js(
            "return document.querySelector('#end-session-dialog').open;",
            vec![],
        )
        .await?;
    ensure!(
        dialog_open == json!(false),
        "the dialog stays open after success"
    );
    Ok(())
}

/// The hub recorded it as the admin's end, with the reason.
async fn the_hub_records_the_admins_end(
    hub: &Hub,
    admin: &ApiSession,
    running: Running,
) -> anyhow::Result<()> {
    let stored = admin
        .get_json(&hub.url, &format!("/api/sessions/{}", running.session_id))
        .await?;
    ensure!(stored["end_reason"] == "admin_ended", "{stored}");
    ensure!(stored["end_note"] == json!(REASON), "{stored}");
    Ok(())
}

/// Pictures of both dashboards, and no page errors in either.
async fn both_dashboards_end_without_errors(a: Page<'_>, b: Page<'_>) -> anyhow::Result<()> {
    a.screenshot("force-end-admin.png").await?;
    b.screenshot("force-end-supervisor.png").await?;
    a.no_errors().await?;
    b.no_errors().await
}

// ---- helpers ----

/// What `user_id`'s row shows now (see [`RUNNING_IN_ROW`]).
async fn running_in_row(page: Page<'_>, user_id: i64) -> anyhow::Result<Value> {
    let script = format!("return ({RUNNING_IN_ROW})(arguments[0]);");
    page.js(&script, vec![json!(user_id)]).await
}

/// Waits up to 5 s until `user_id`'s row shows `expected` (a session id, or `"none"`; see
/// [`RUNNING_IN_ROW`]).
async fn wait_running_in_row(
    page: Page<'_>,
    what: &str,
    user_id: i64,
    expected: Value,
) -> anyhow::Result<()> {
    page.wait_for(
        what,
        5,
        &format!("return ({RUNNING_IN_ROW})(arguments[0]) === arguments[1];"),
        vec![json!(user_id), expected],
    )
    .await
    .map(|_| ())
}

/// The first message of type `kind` the agent receives (others are dropped); fails once
/// `within` has passed since `since`.
async fn wait_agent_message(
    agent: &mut AgentSocket,
    kind: &str,
    since: Instant,
    within: Duration,
) -> anyhow::Result<Value> {
    loop {
        ensure!(
            since.elapsed() < within,
            "the agent got no {kind} within {within:?}"
        );
        if let Some(m) = agent
            .drain_received()
            .into_iter()
            .find(|m| m["type"] == kind)
        {
            return Ok(m);
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

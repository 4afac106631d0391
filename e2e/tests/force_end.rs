//! An admin ends a user's running session from the status page, in a real browser against the
//! real hub: the admin (browser A) and a supervisor (browser B) watch `/`; Alice's agent is
//! connected and her session was started through the API. The admin clicks "End session",
//! gives a reason and confirms: Alice's agent gets `session_ended` with that reason, and B's row
//! for Alice shows no running session, without a reload. Screenshots:
//! `e2e/output/force-end-admin-dialog.png`, `force-end-admin.png`, `force-end-supervisor.png`.

use anyhow::{ensure, Context};
use e2e::dashboard::{
    clear_failure, click, dump_failure, mark_page, no_page_errors, same_page, save_console,
    screenshot, type_into, visible_text, wait_live, wait_until,
};
use e2e::hub::DEMO_PASSWORD;
use e2e::{AgentSocket, ApiSession, Browser, ChromeDriver, Hub, HubOptions};
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
    clear_failure("force-end-a");
    clear_failure("force-end-b");
    let hub = Hub::start(HubOptions {
        label: "force-end-hub".into(),
        ..HubOptions::default()
    })
    .await
    .expect("the hub starts");
    let driver = ChromeDriver::start("force-end-chromedriver")
        .await
        .expect("chromedriver starts (Chromium is needed)");
    let a = driver
        .browser("browser A (admin)")
        .await
        .expect("browser A");
    let b = driver
        .browser("browser B (supervisor)")
        .await
        .expect("browser B");

    let outcome = scenario(&hub, &a, &b).await;
    save_console(&a, "force-end-console-a.log").await;
    save_console(&b, "force-end-console-b.log").await;
    if outcome.is_err() {
        dump_failure(&a, "force-end-a").await;
        dump_failure(&b, "force-end-b").await;
        eprintln!("hub log (tail):\n{}", hub.log_tail(40));
    }
    let _ = a.close().await;
    let _ = b.close().await;
    drop(driver);
    if let Err(e) = outcome {
        panic!("{e:#}");
    }
    hub.stop().expect("the hub stops cleanly on SIGTERM");
}

async fn running_in_row(browser: &Browser, user_id: i64) -> anyhow::Result<Value> {
    let script = format!("return ({RUNNING_IN_ROW})(arguments[0]);");
    browser.js(&script, vec![json!(user_id)]).await
}

async fn scenario(hub: &Hub, a: &Browser, b: &Browser) -> anyhow::Result<()> {
    let alice = ApiSession::login(&hub.url, "alice@demo.test", DEMO_PASSWORD).await?;
    let admin = ApiSession::login(&hub.url, "admin@demo.test", DEMO_PASSWORD).await?;
    let alice_id = alice.user_id;
    let mut agent = AgentSocket::connect(
        &hub.ws_url("/ws/agent"),
        &alice.token,
        Some(Duration::from_secs(1)),
    )
    .await?;

    a.login(&hub.url, "admin@demo.test", DEMO_PASSWORD).await?;
    b.login(&hub.url, "lead@demo.test", DEMO_PASSWORD).await?;
    wait_live(a).await?;
    wait_live(b).await?;

    // Alice starts a session (as the agent or the web page would); both dashboards show it.
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
    for browser in [a, b] {
        wait_until(
            browser,
            "Alice's row shows her running session",
            5,
            &format!("return ({RUNNING_IN_ROW})(arguments[0]) === arguments[1];"),
            vec![json!(alice_id), json!(session_id)],
        )
        .await?;
        mark_page(browser).await?;
    }
    let lead_has_button = b
        .js(
            "return !!document.querySelector('button.end-session');",
            vec![],
        )
        .await?;
    ensure!(
        lead_has_button == json!(false),
        "a supervisor must not get \"End session\""
    );

    // The admin opens the dialog from Alice's row.
    let button = format!(
        "#status-table tr[data-user-id=\"{alice_id}\"] button.end-session[data-session-id=\"{session_id}\"]"
    );
    click(a, &button).await?;
    wait_until(
        a,
        "the End session dialog is open with the focus in the reason",
        5,
        r#"const d = document.querySelector('#end-session-dialog');
           return !!d && d.open && document.activeElement === document.querySelector('#end-reason');"#,
        vec![],
    )
    .await?;
    let title = visible_text(a, "#end-session-title").await?;
    ensure!(
        title.as_deref().is_some_and(|t| t.contains("Alice Archer")),
        "dialog title: {title:?}"
    );

    // An empty reason is refused in the dialog, nothing is sent.
    click(a, "#end-session-confirm").await?;
    wait_until(
        a,
        "the dialog asks for a reason",
        5,
        "const e = document.querySelector('#end-session-error'); return !!e && !e.hidden && e.textContent.includes('reason');",
        vec![],
    )
    .await?;
    ensure!(
        running_in_row(b, alice_id).await? == json!(session_id),
        "the session ended without a reason"
    );

    type_into(a, "#end-reason", REASON).await?;
    screenshot(a, "force-end-admin-dialog.png").await?;
    let confirmed = Instant::now();
    click(a, "#end-session-confirm").await?;

    // Alice's agent is told, with the admin's reason.
    let ended = loop {
        ensure!(
            confirmed.elapsed() < Duration::from_secs(5),
            "the agent got no session_ended within 5 s"
        );
        if let Some(m) = agent
            .drain_received()
            .into_iter()
            .find(|m| m["type"] == "session_ended")
        {
            break m;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    eprintln!(
        "[force_end] confirm click → agent session_ended: {:?}",
        confirmed.elapsed()
    );
    ensure!(ended["session_id"] == json!(session_id), "{ended}");
    ensure!(ended["reason"] == json!(REASON), "{ended}");
    ensure!(ended["ended_by"] == json!(admin.user_id), "{ended}");

    // Both dashboards: no running session for Alice, same document as before.
    for browser in [b, a] {
        wait_until(
            browser,
            "Alice's row shows no running session",
            5,
            &format!("return ({RUNNING_IN_ROW})(arguments[0]) === 'none';"),
            vec![json!(alice_id)],
        )
        .await?;
        ensure!(same_page(browser).await?, "{} was reloaded", browser.name);
    }
    eprintln!(
        "[force_end] confirm click → both dashboards updated: {:?}",
        confirmed.elapsed()
    );
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

    // The hub recorded it as the admin's end, with the reason.
    let stored = admin
        .get_json(&hub.url, &format!("/api/sessions/{session_id}"))
        .await?;
    ensure!(stored["end_reason"] == "admin_ended", "{stored}");
    ensure!(stored["end_note"] == json!(REASON), "{stored}");

    screenshot(a, "force-end-admin.png").await?;
    screenshot(b, "force-end-supervisor.png").await?;
    no_page_errors(a).await?;
    no_page_errors(b).await?;
    Ok(())
}

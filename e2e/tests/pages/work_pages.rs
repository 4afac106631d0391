//! Every work page in a real browser against the real hub, with data in it: each page hydrates
//! without errors and is screenshotted in light and dark, at desktop and phone width
//! (`e2e/output/page-{name}-{light|dark}[-phone].png`). Then what a user does there: Start/Stop
//! on `/sessions`, manual entry with its 422 and 409 shown next to the field, a session started
//! elsewhere appearing live, the CSV link, filters, a new ticket; and what a member may not do.
//!
//! The test reads as its `scenario`: one step function per thing a user does or sees.

use anyhow::{ensure, Context};
use e2e::hub::DEMO_PASSWORD;
use e2e::page::PhoneShots;
use e2e::{ApiSession, BrowserTest, Hub, HubOptions, Page};
use reqwest::Method;
use serde_json::{json, Value};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn work_pages_render_hydrate_and_work() {
    let test = BrowserTest::start("work-pages", HubOptions::default(), &["owner", "member"]).await;
    let outcome = scenario(&test.hub, test.page(0), test.page(1)).await;
    test.finish(outcome).await;
}

async fn scenario(hub: &Hub, owner: Page<'_>, member: Page<'_>) -> anyhow::Result<()> {
    let seeded = seed(hub).await?;
    owner.sign_in("owner@demo.test", DEMO_PASSWORD).await?;
    tour_owner_pages(owner, seeded.ticket_id).await?;
    audit_filters_policy_changes(owner).await?;

    // Everything on /sessions happens on one page, without a reload.
    owner.open("/sessions").await?;
    owner.mark().await?;
    start_and_stop_own_session(owner, seeded.ticket_id).await?;
    session_started_elsewhere_appears(hub, owner).await?;
    manual_entry_reports_errors_next_to_end(owner).await?;
    owner
        .expect_same_page("/sessions after its actions")
        .await?;
    owner.screenshot("sessions-after-actions.png").await?;

    let listed = completed_filter_lists_ended_only(owner).await?;
    csv_link_downloads_the_list(hub, owner, listed).await?;
    new_ticket_through_the_form(owner).await?;
    api_lists_every_ticket(hub, &seeded.owner).await?;
    owner.no_errors().await?;

    member.sign_in("alice@demo.test", DEMO_PASSWORD).await?;
    member_sees_own_sessions_only(member).await?;
    member_reads_policy_only(member).await?;
    member_has_no_audit_log(member).await?;
    member_navigation(member).await
}

/// What [`seed`] made and is used later.
struct Seeded {
    /// The first ticket ("Login form rejects valid passwords").
    ticket_id: i64,
    /// The owner, signed in through the API.
    owner: ApiSession,
}

/// Tickets, running and finished sessions, a forced end and a policy change.
async fn seed(hub: &Hub) -> anyhow::Result<Seeded> {
    let login = |email: &'static str| ApiSession::login(&hub.url, email, DEMO_PASSWORD);
    let (owner, admin, alice, bob) = (
        login("owner@demo.test").await?,
        login("admin@demo.test").await?,
        login("alice@demo.test").await?,
        login("bob@demo.test").await?,
    );
    let ticket_id = create_tickets(hub, &admin).await?;
    record_sessions(hub, &admin, &alice, &bob, ticket_id).await?;
    owner
        .call(
            &hub.url,
            Method::PUT,
            "/api/policy",
            &json!({"screenshot_interval_seconds": 300, "enable_mouse_tracking": true}),
        )
        .await?;
    Ok(Seeded { ticket_id, owner })
}

/// Two tickets by the admin; answers the first one's id.
async fn create_tickets(hub: &Hub, admin: &ApiSession) -> anyhow::Result<i64> {
    let ticket = admin
        .call(
            &hub.url,
            Method::POST,
            "/api/tickets",
            &json!({
                "title": "Login form rejects valid passwords",
                "description": "Reported by three customers since Monday.",
            }),
        )
        .await?;
    let ticket_id = ticket["id"].as_i64().context("ticket id")?;
    admin
        .call(
            &hub.url,
            Method::POST,
            "/api/tickets",
            &json!({"title": "Export the monthly report"}),
        )
        .await?;
    Ok(ticket_id)
}

/// On `ticket_id`: Alice's finished manual entry, her session ended by the admin (a forced
/// end), and Bob's running session.
async fn record_sessions(
    hub: &Hub,
    admin: &ApiSession,
    alice: &ApiSession,
    bob: &ApiSession,
    ticket_id: i64,
) -> anyhow::Result<()> {
    alice
        .call(
            &hub.url,
            Method::POST,
            "/api/sessions/manual",
            &json!({
                "ticket_id": ticket_id,
                "start_time": "2024-05-01T09:00:00Z",
                "end_time": "2024-05-01T11:15:00Z",
                "note": "Reproduced the bug",
            }),
        )
        .await?;
    let forced = alice
        .call(
            &hub.url,
            Method::POST,
            "/api/sessions/start",
            &json!({"ticket_id": ticket_id, "note": "Fixing the validation"}),
        )
        .await?;
    admin
        .call(
            &hub.url,
            Method::POST,
            &format!("/api/sessions/{}/end", forced["id"]),
            &json!({"reason": "Meeting in 5 minutes"}),
        )
        .await?;
    bob.call(
        &hub.url,
        Method::POST,
        "/api/sessions/start",
        &json!({"ticket_id": ticket_id, "note": "Code review"}),
    )
    .await?;
    Ok(())
}

/// Each work page hydrates without errors; four screenshots of each.
async fn tour_owner_pages(page: Page<'_>, ticket_id: i64) -> anyhow::Result<()> {
    for (path, name) in [
        ("/".to_string(), "status"),
        ("/sessions".into(), "sessions"),
        ("/tickets".into(), "tickets"),
        (format!("/tickets/{ticket_id}"), "ticket"),
        ("/settings/policy".into(), "policy"),
        ("/audit".into(), "audit"),
    ] {
        tour(page, &path, name).await?;
    }
    Ok(())
}

/// Opens `path`, checks it, and takes the four screenshots.
async fn tour(page: Page<'_>, path: &str, name: &str) -> anyhow::Result<()> {
    page.open(path).await?;
    page.no_errors().await?;
    page.screenshots(name, PhoneShots::LightAndDark).await
}

/// The audit log shows both kinds of entry, old → new at a glance; its action filter holds.
async fn audit_filters_policy_changes(page: Page<'_>) -> anyhow::Result<()> {
    page.open("/audit?action=POLICY_CHANGED").await?;
    let details = page
        .text("#audit-table tbody tr[data-action=POLICY_CHANGED] .changes")
        .await?
        .unwrap_or_default();
    ensure!(
        details.contains("600") && details.contains("300"),
        "policy change: {details}"
    );
    let forced = page
        .count("#audit-table tr[data-action=SESSION_FORCE_ENDED]")
        .await?;
    ensure!(forced == 0, "the action filter lets other actions through");
    Ok(())
}

/// On /sessions (open): the owner starts and stops their own session with the buttons.
async fn start_and_stop_own_session(page: Page<'_>, ticket_id: i64) -> anyhow::Result<()> {
    page.select("#start-ticket", &ticket_id.to_string()).await?;
    page.click("#start-session").await?;
    let own_id = page
        .wait_for(
            "the own session runs and its row is listed",
            5,
            "const p = document.querySelector('#own-session .own-running'); if (!p) return null;
             const id = p.getAttribute('data-session-id');
             const row = document.querySelector('#sessions-table tr[data-session-id=\"' + id + '\"][data-state=running]');
             return row ? Number(id) : null;",
            vec![],
        )
        .await?;
    page.click("#stop-session").await?;
    page.wait_for(
        "the own session stops; its row shows it ended",
        5,
        "return !!document.querySelector('#start-session') &&
           !!document.querySelector('#sessions-table tr[data-session-id=\"' + arguments[0] + '\"][data-state=ended]');",
        vec![own_id],
    )
    .await?;
    Ok(())
}

/// A session started elsewhere (Carol's agent, say) appears on /sessions without a reload.
async fn session_started_elsewhere_appears(hub: &Hub, page: Page<'_>) -> anyhow::Result<()> {
    let carol = ApiSession::login(&hub.url, "carol@demo.test", DEMO_PASSWORD).await?;
    let started = carol
        .call(
            &hub.url,
            Method::POST,
            "/api/sessions/start",
            &json!({"note": "On call"}),
        )
        .await?;
    page.wait_for(
        "Carol's new session appears on top of the list",
        5,
        "const r = document.querySelector('#sessions-table tbody tr');
         return !!r && r.getAttribute('data-session-id') === String(arguments[0]) && r.getAttribute('data-state') === 'running';",
        vec![started["id"].clone()],
    )
    .await?;
    Ok(())
}

/// Manual entry on /sessions: end before start → 422 next to End; then a valid entry; then the
/// same time again → 409 (overlap) next to End.
async fn manual_entry_reports_errors_next_to_end(page: Page<'_>) -> anyhow::Result<()> {
    let (start, end) = (local_time(page, 2, 9).await?, local_time(page, 2, 8).await?);
    submit_manual_entry(page, &start, &end, None).await?;
    let refused = end_time_error(page, "the 422 next to the end time").await?;
    ensure!(
        refused.as_str().unwrap_or_default().contains("after"),
        "422: {refused}"
    );
    let end = local_time(page, 2, 10).await?;
    submit_manual_entry(page, &start, &end, Some("Planning call")).await?;
    page.wait_for(
        "the saved message and no error",
        5,
        "const s = document.querySelector('#manual-saved');
         return s.textContent.includes('1:00:00') && document.querySelector('#manual-end-error').hidden;",
        vec![],
    )
    .await?;
    submit_manual_entry(page, &start, &end, None).await?;
    let overlap = end_time_error(page, "the 409 next to the end time").await?;
    ensure!(
        overlap.as_str().unwrap_or_default().contains("overlaps"),
        "409: {overlap}"
    );
    Ok(())
}

/// Fills the manual entry form (start, end, and the note if given) and submits it.
async fn submit_manual_entry(
    page: Page<'_>,
    start: &str,
    end: &str,
    note: Option<&str>,
) -> anyhow::Result<()> {
    page.set_value("#manual-start", start).await?;
    page.set_value("#manual-end", end).await?;
    if let Some(note) = note {
        page.set_value("#manual-note", note).await?;
    }
    page.click("#manual-submit").await
}

/// Waits up to 5 s for the error shown next to the manual entry's end time; answers its text.
async fn end_time_error(page: Page<'_>, what: &str) -> anyhow::Result<Value> {
    page.wait_for(
        what,
        5,
        "const e = document.querySelector('#manual-end-error'); return e && !e.hidden ? e.textContent : null;",
        vec![],
    )
    .await
}

/// `/sessions?active=false` lists ended sessions only (at least one); answers how many.
async fn completed_filter_lists_ended_only(page: Page<'_>) -> anyhow::Result<usize> {
    page.open("/sessions?active=false").await?;
    let listed = session_rows(page, "#sessions-table").await?;
    ensure!(
        !listed.is_empty() && listed.iter().all(|(_, s)| s == "ended"),
        "completed only: {listed:?}"
    );
    Ok(listed.len())
}

/// The CSV link downloads the filtered list (`listed` rows) with the page's cookie.
async fn csv_link_downloads_the_list(
    hub: &Hub,
    page: Page<'_>,
    listed: usize,
) -> anyhow::Result<()> {
    let href = page
        .attribute("#sessions-csv", "href")
        .await?
        .context("CSV href")?;
    ensure!(
        href == "/api/sessions/export.csv?active=false",
        "CSV link: {href}"
    );
    let cookie = page.browser.cookie("ph_session").await?;
    let res = reqwest::Client::new()
        .get(hub.http_url(&href))
        .header("cookie", format!("ph_session={cookie}"))
        .send()
        .await?;
    ensure!(res.status() == 200, "CSV: {}", res.status());
    let csv = res.text().await?;
    ensure!(csv.starts_with("id,user,ticket,started_at"), "CSV: {csv}");
    ensure!(
        csv.lines().count() == listed + 1,
        "CSV rows vs listed rows: {csv}"
    );
    Ok(())
}

/// /tickets: an empty title is refused next to the field; a new ticket appears on top.
async fn new_ticket_through_the_form(page: Page<'_>) -> anyhow::Result<()> {
    page.open("/tickets").await?;
    page.click("#ticket-submit").await?;
    page.wait_for(
        "an empty title is refused next to the field",
        5,
        "const e = document.querySelector('#ticket-title-error'); return !!e && !e.hidden;",
        vec![],
    )
    .await?;
    page.set_value("#ticket-title", "Printer on floor 2")
        .await?;
    page.click("#ticket-submit").await?;
    page.wait_for(
        "the new ticket on top of the list",
        5,
        "const r = document.querySelector('#tickets-table tbody tr .title');
         return !!r && r.textContent === 'Printer on floor 2' && document.querySelector('#ticket-created a') !== null;",
        vec![],
    )
    .await?;
    Ok(())
}

/// The demo company's three tickets, and the three this test made.
async fn api_lists_every_ticket(hub: &Hub, owner: &ApiSession) -> anyhow::Result<()> {
    let listed = owner.get_json(&hub.url, "/api/tickets").await?;
    ensure!(listed["total"] == 6, "{listed}");
    Ok(())
}

/// A member on /sessions: own sessions only, no user filter, no End session.
async fn member_sees_own_sessions_only(page: Page<'_>) -> anyhow::Result<()> {
    page.open("/sessions").await?;
    let view = page
        .js(
            "return { userFilter: !!document.querySelector('#filter-user'),
                      users: Array.from(document.querySelectorAll('#sessions-table tbody tr')).map(r => r.getAttribute('data-user-id')),
                      endButtons: document.querySelectorAll('button.end-session').length };",
            vec![],
        )
        .await?;
    ensure!(
        view["userFilter"] == false,
        "a member gets a user filter: {view}"
    );
    ensure!(view["endButtons"] == 0, "a member gets End session: {view}");
    let users: Vec<Option<String>> = serde_json::from_value(view["users"].clone())?;
    ensure!(
        !users.is_empty() && users.windows(2).all(|w| w[0] == w[1]),
        "a member sees only one user's sessions: {users:?}"
    );
    Ok(())
}

/// A member sees the policy read-only.
async fn member_reads_policy_only(page: Page<'_>) -> anyhow::Result<()> {
    page.open("/settings/policy").await?;
    let readonly = page
        .js(
            "return !!document.querySelector('#policy-readonly') && !document.querySelector('#policy-save')
                    && document.querySelector('#screenshot_interval_seconds').disabled;",
            vec![],
        )
        .await?;
    ensure!(readonly == true, "the policy is read-only for a member");
    page.screenshot("page-policy-member.png").await
}

/// A member gets no audit log.
async fn member_has_no_audit_log(page: Page<'_>) -> anyhow::Result<()> {
    page.visit("/audit").await?;
    let forbidden = page.text("#forbidden-message").await?;
    ensure!(
        forbidden
            .as_deref()
            .is_some_and(|t| t.contains("admins and owners")),
        "/audit for a member: {forbidden:?}"
    );
    Ok(())
}

/// A member's navigation leaves out the audit log.
async fn member_navigation(page: Page<'_>) -> anyhow::Result<()> {
    let nav = page
        .js("return Array.from(document.querySelectorAll('.main-nav a')).map(a => a.getAttribute('href'));", vec![])
        .await?;
    ensure!(
        nav == json!([
            "/",
            "/sessions",
            "/timesheets",
            "/absences",
            "/reports",
            "/tickets",
            "/screenshots",
            "/me",
            "/settings/policy",
            "/downloads"
        ]),
        "a member's navigation: {nav}"
    );
    Ok(())
}

/// "2024-05-01T09:00" for `days` ago at `hour`:00, in the browser's local time.
async fn local_time(page: Page<'_>, days: i64, hour: u32) -> anyhow::Result<String> {
    let v = page
        .js(
            "const d = new Date(Date.now() - arguments[0] * 86400000); d.setHours(arguments[1], 0, 0, 0);
             const p = (n) => String(n).padStart(2, '0');
             return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:00`;",
            vec![json!(days), json!(hour)],
        )
        .await?;
    Ok(v.as_str().context("a date")?.to_string())
}

/// The session id and state (`data-session-id`, `data-state`) of each body row of `table`.
async fn session_rows(page: Page<'_>, table: &str) -> anyhow::Result<Vec<(i64, String)>> {
    let v = page
        .js(
            "return Array.from(document.querySelectorAll(arguments[0] + ' tbody tr')).map(r =>
               [Number(r.getAttribute('data-session-id')), r.getAttribute('data-state')]);",
            vec![json!(table)],
        )
        .await?;
    Ok(serde_json::from_value(v)?)
}

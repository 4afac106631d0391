//! The owner's policy form in a real browser against the real hub: a valid change is saved as
//! version 2 and reaches an agent; another owner's change (made through the API) shows in the
//! open form without a reload; an out-of-range value is refused next to its field and nothing
//! is saved. Screenshots: `e2e/output/policy-saved.png`, `policy-invalid.png`.
//!
//! `scenario` lists the steps in order; they all happen on one open form, which must never
//! reload.

use anyhow::{ensure, Context};
use e2e::hub::DEMO_PASSWORD;
use e2e::{AgentSocket, ApiSession, BrowserTest, Hub, HubOptions, Page};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn owner_saves_the_policy_and_sees_field_errors() {
    let test = BrowserTest::start("policy-form", HubOptions::default(), &["owner"]).await;
    let outcome = scenario(&test.hub, test.page(0)).await;
    test.finish(outcome).await;
}

async fn scenario(hub: &Hub, owner: Page<'_>) -> anyhow::Result<()> {
    let mut others = Others::connect(hub).await?;
    owner.sign_in("owner@demo.test", DEMO_PASSWORD).await?;
    form_opens_at_version_1_with_the_ranges(owner).await?;
    valid_change_is_saved_as_version_2(hub, owner, &others).await?;
    agent_receives_the_change(&mut others.agent).await?;
    summary_shows_the_new_interval(owner).await?;
    another_owners_change_shows_in_the_open_form(hub, owner, &others).await?;
    out_of_range_value_is_refused_next_to_its_field(owner).await?;
    nothing_is_saved_after_the_refusal(hub, owner, &others).await?;
    owner
        .expect_same_page("the policy form, through every step")
        .await?;
    owner.no_errors().await
}

// ---- What the steps share ----

/// Who is on the other side of the form: the owner through the API (to read the stored
/// policy, and as another owner changing it), and Alice's agent, which must get the pushes.
struct Others {
    owner_api: ApiSession,
    agent: AgentSocket,
}

impl Others {
    async fn connect(hub: &Hub) -> anyhow::Result<Others> {
        let owner_api = ApiSession::login(&hub.url, "owner@demo.test", DEMO_PASSWORD).await?;
        let alice = ApiSession::login(&hub.url, "alice@demo.test", DEMO_PASSWORD).await?;
        let agent = AgentSocket::connect(&hub.ws_url("/ws/agent"), &alice.token, None).await?;
        Ok(Others { owner_api, agent })
    }

    /// The stored policy, `GET /api/config`.
    async fn config(&self, hub: &Hub) -> anyhow::Result<Value> {
        self.owner_api.get_json(&hub.url, "/api/config").await
    }
}

/// The version the badge's `data-version` holds (`None`: no number there).
async fn version_badge(page: Page<'_>) -> anyhow::Result<Option<i64>> {
    let version = page.attribute("#policy-version", "data-version").await?;
    Ok(version.and_then(|v| v.trim().parse().ok()))
}

/// Waits until the version badge holds and shows `version`.
async fn wait_version_badge(page: Page<'_>, version: i64) -> anyhow::Result<()> {
    page.wait_for(
        &format!("the version badge shows {version}"),
        5,
        "const b = document.querySelector('#policy-version');
         return b.getAttribute('data-version') === String(arguments[0]) && b.textContent.includes(String(arguments[0]));",
        vec![json!(version)],
    )
    .await
    .map(|_| ())
}

/// The next message of `kind` the agent receives, within 5 s.
async fn wait_message(agent: &mut AgentSocket, kind: &str) -> anyhow::Result<Value> {
    let started = Instant::now();
    loop {
        if let Some(m) = agent
            .drain_received()
            .into_iter()
            .find(|m| m["type"] == kind)
        {
            return Ok(m);
        }
        ensure!(
            started.elapsed() < Duration::from_secs(5),
            "the agent got no {kind} within 5 s"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

// ---- The steps ----

/// The form of a new company opens at version 1 (marked: it must not reload) and shows each
/// field's range.
async fn form_opens_at_version_1_with_the_ranges(owner: Page<'_>) -> anyhow::Result<()> {
    owner.open("/settings/policy").await?;
    owner.mark().await?;
    ensure!(
        version_badge(owner).await? == Some(1),
        "a new company starts at version 1"
    );
    let hint = owner.text("#screenshot_interval_seconds-hint").await?;
    ensure!(
        hint.as_deref()
            .is_some_and(|h| h.contains("30") && h.contains("3600")),
        "the interval's range is shown: {hint:?}"
    );
    Ok(())
}

/// A valid change: the form says it was saved as version 2 and pushed; the hub stores it.
async fn valid_change_is_saved_as_version_2(
    hub: &Hub,
    owner: Page<'_>,
    others: &Others,
) -> anyhow::Result<()> {
    owner
        .type_into("#screenshot_interval_seconds", "45")
        .await?;
    let saved_at = Instant::now();
    owner.click("#policy-save").await?;
    owner
        .wait_for(
            "the success message",
            5,
            "const n = document.querySelector('#policy-notice');
             return n.getAttribute('data-kind') === 'saved' && n.textContent.includes('Saved as version 2, pushed to agents');",
            vec![],
        )
        .await?;
    wait_version_badge(owner, 2).await?;
    eprintln!(
        "[policy_form] Save & sync → success shown: {:?}",
        saved_at.elapsed()
    );
    let config = others.config(hub).await?;
    ensure!(config["config_version"] == 2, "{config}");
    ensure!(
        config["config"]["screenshot_interval_seconds"] == 45,
        "{config}"
    );
    Ok(())
}

/// The agent gets the new policy as `config_updated`, naming the one field that changed.
async fn agent_receives_the_change(agent: &mut AgentSocket) -> anyhow::Result<()> {
    let pushed = wait_message(agent, "config_updated").await?;
    ensure!(
        pushed["config"]["screenshot_interval_seconds"] == 45,
        "{pushed}"
    );
    ensure!(
        pushed["changed"] == json!(["screenshot_interval_seconds"]),
        "{pushed}"
    );
    Ok(())
}

/// The summary says the new interval: `policy-saved.png`.
async fn summary_shows_the_new_interval(owner: Page<'_>) -> anyhow::Result<()> {
    let summary = owner.text("#policy-summary").await?.unwrap_or_default();
    ensure!(
        summary.contains("Screenshots every 45 s"),
        "summary: {summary}"
    );
    owner.screenshot("policy-saved.png").await
}

/// Another owner's change (through the API) arrives as `config_updated`: the open form
/// follows it, version badge and field.
async fn another_owners_change_shows_in_the_open_form(
    hub: &Hub,
    owner: Page<'_>,
    others: &Others,
) -> anyhow::Result<()> {
    let (status, body) = others
        .owner_api
        .send_json(
            reqwest::Method::PUT,
            &hub.url,
            "/api/policy",
            &json!({ "idle_threshold_seconds": 120 }),
        )
        .await?;
    ensure!(status == 200, "PUT /api/policy: {status} {body}");
    wait_version_badge(owner, 3).await?;
    owner
        .wait_for(
            "the idle threshold field shows the pushed 120",
            5,
            "return document.querySelector('#idle_threshold_seconds').value === '120';",
            vec![],
        )
        .await?;
    Ok(())
}

/// An out-of-range value: the hub's 422 shows next to that field only (naming the range), the
/// field is marked invalid, and the notice says nothing was saved.
async fn out_of_range_value_is_refused_next_to_its_field(owner: Page<'_>) -> anyhow::Result<()> {
    owner.type_into("#screenshot_quality", "10").await?;
    owner.click("#policy-save").await?;
    let error = owner
        .wait_for(
            "the screenshot_quality error next to its field",
            5,
            "const e = document.querySelector('.policy-field[data-field=\"screenshot_quality\"] #screenshot_quality-error');
             return !!e && !e.hidden && e.textContent.trim() ? e.textContent.trim() : null;",
            vec![],
        )
        .await?;
    let error = error.as_str().context("error text")?.to_string();
    ensure!(
        error.contains("50 to 95"),
        "the error names the range: {error}"
    );
    let invalid = owner
        .attribute("#screenshot_quality", "aria-invalid")
        .await?;
    ensure!(
        invalid.as_deref() == Some("true"),
        "the field is marked invalid"
    );
    let notice = owner.text("#policy-notice").await?.unwrap_or_default();
    ensure!(notice.contains("Nothing was saved"), "notice: {notice}");
    ensure!(
        owner.count_shown(".field-error").await? == 1,
        "only that field shows an error"
    );
    Ok(())
}

/// After the refusal the version has not moved, in the form or in the hub, and the stored
/// quality is the old one: `policy-invalid.png`.
async fn nothing_is_saved_after_the_refusal(
    hub: &Hub,
    owner: Page<'_>,
    others: &Others,
) -> anyhow::Result<()> {
    ensure!(
        version_badge(owner).await? == Some(3),
        "the version did not move"
    );
    let config = others.config(hub).await?;
    ensure!(config["config_version"] == 3, "{config}");
    ensure!(config["config"]["screenshot_quality"] == 85, "{config}");
    owner.screenshot("policy-invalid.png").await
}

//! A team adopts the hub without the demo, in a real browser against the real hub: a hub on an
//! empty database prints a one-time setup link; `/` leads to `/setup`, which without the token
//! shows no form (403); with it the owner creates the organization and lands on `/` signed in.
//! On `/users` the owner invites a member without a password and gets the invite link; in a
//! second browser (fresh profile) the member opens it, sets a password and sees `/` as
//! themselves; the owner's `/users` then lists them with their login.
//! Screenshots: `e2e/output/first-run-setup.png`, `users-page.png`, `users-page-phone.png`.

use anyhow::{ensure, Context};
use e2e::{BrowserTest, Hub, HubOptions, Page};
use serde_json::json;

const ORG: &str = "Acme Robotics";
const OWNER: (&str, &str) = ("Olga Founder", "olga@acme.test");
const OWNER_PASSWORD: &str = "owner-pass-123";
const MEMBER: (&str, &str) = ("Max Member", "max@acme.test");
const MEMBER_PASSWORD: &str = "member-pass-456";

/// Scrolls the page to its top (before a screenshot).
const SCROLL_TOP: &str = "window.scrollTo(0, 0); return null;";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_run_setup_invite_and_second_browser() {
    let options = HubOptions {
        demo: false,
        ..HubOptions::default()
    };
    let test = BrowserTest::start("first-run", options, &["owner", "member"]).await;
    let outcome = scenario(&test.hub, test.page(0), test.page(1)).await;
    test.finish(outcome).await;
}

async fn scenario(hub: &Hub, owner: Page<'_>, member: Page<'_>) -> anyhow::Result<()> {
    let setup_link = the_hub_prints_a_setup_link(hub).await?;
    let http = plain_http()?;
    plain_http_finds_setup_closed(hub, &http).await?;
    the_browser_finds_setup_closed(owner).await?;
    owner_opens_the_setup_link(owner, &setup_link).await?;
    a_short_password_is_refused(owner).await?;
    owner_creates_the_organization(owner).await?;
    the_setup_link_is_used_up(&http, &setup_link).await?;
    let invite = owner_invites_a_member(owner).await?;
    owner_copies_the_invite_link(owner).await?;
    owner_photographs_the_users_page(owner).await?;
    member_opens_the_invite(member, &invite).await?;
    member_sets_a_password(member).await?;
    the_invite_link_works_once(&http, member, &invite).await?;
    owner_sees_the_members_login(owner).await
}

/// The hub on an empty database prints its one-time setup link, which points at this hub.
async fn the_hub_prints_a_setup_link(hub: &Hub) -> anyhow::Result<String> {
    let link = hub.setup_link().await?;
    ensure!(
        link.starts_with(&format!("{}/setup?token=", hub.url)),
        "the printed setup link points at this hub: {link}"
    );
    Ok(link)
}

/// Plain HTTP: `/` leads to `/setup`; without the token, or with a wrong one, the page
/// refuses (403) with no form.
async fn plain_http_finds_setup_closed(hub: &Hub, http: &reqwest::Client) -> anyhow::Result<()> {
    let root = http.get(hub.http_url("/")).send().await?;
    ensure!(
        root.status().is_redirection(),
        "GET / on a hub without organization: {}",
        root.status()
    );
    let location = root
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    ensure!(location == "/setup", "GET / redirects to {location:?}");
    let refused = expect_status(http, &hub.http_url("/setup"), 403, "/setup without token").await?;
    let body = refused.text().await?;
    ensure!(
        !body.contains("type=\"password\"") && body.contains("setup-closed"),
        "/setup without token shows no form"
    );
    let wrong_token = hub.http_url("/setup?token=not-the-token");
    expect_status(http, &wrong_token, 403, "/setup with a wrong token").await?;
    Ok(())
}

/// In the browser: `/` shows the setup page; without the token it explains, with no form.
async fn the_browser_finds_setup_closed(owner: Page<'_>) -> anyhow::Result<()> {
    owner.visit("/").await?;
    owner.wait_path("/setup", 15).await?;
    let closed = owner.text("#setup-closed").await?.unwrap_or_default();
    ensure!(
        closed.contains("This setup link is not valid or was already used"),
        "explanation without token: {closed:?}"
    );
    ensure!(
        owner.count("input[type=password]").await? == 0,
        "no password field without the token"
    );
    Ok(())
}

/// With the token: the form, its timezone at UTC to begin with.
async fn owner_opens_the_setup_link(owner: Page<'_>, link: &str) -> anyhow::Result<()> {
    follow_link(owner, link).await?;
    wait_form_ready(owner, "#setup-form").await?;
    let tz = owner
        .js(
            "return document.querySelector('#setup-timezone').value;",
            vec![],
        )
        .await?;
    ensure!(tz == json!("UTC"), "the timezone starts at UTC: {tz}");
    Ok(())
}

/// The owner fills in the form with a too-short password: refused next to its field.
async fn a_short_password_is_refused(owner: Page<'_>) -> anyhow::Result<()> {
    fill_in(
        owner,
        &[
            ("#setup-org-name", ORG),
            ("#setup-timezone", "Europe/Berlin"),
            ("#setup-owner-name", OWNER.0),
            ("#setup-email", OWNER.1),
            ("#setup-password", "short"),
            ("#setup-password-confirm", "short"),
        ],
    )
    .await?;
    owner.click("#setup-submit").await?;
    let short = owner
        .wait_for(
            "the short password is refused under its field",
            5,
            "const e = document.querySelector('#setup-password-error'); return !e.hidden && e.textContent;",
            vec![],
        )
        .await?;
    ensure!(
        short.as_str().is_some_and(|t| t.contains("at least 10")),
        "{short}"
    );
    Ok(())
}

/// The owner corrects the password and submits: they land on `/`, live, signed in as the
/// owner of the new organization.
async fn owner_creates_the_organization(owner: Page<'_>) -> anyhow::Result<()> {
    fill_in(
        owner,
        &[
            ("#setup-password", OWNER_PASSWORD),
            ("#setup-password-confirm", OWNER_PASSWORD),
        ],
    )
    .await?;
    // The whole form in one picture: a taller window, scrolled to the top.
    screenshot_at(owner, (1280, 1150), SCROLL_TOP, "first-run-setup.png").await?;
    owner.browser.viewport(None).await?;
    owner.click("#setup-submit").await?;
    owner.wait_path("/", 15).await?;
    owner.wait_live().await?;
    let who = owner.text(".viewer-name").await?;
    ensure!(who.as_deref() == Some(OWNER.0), "signed in as {who:?}");
    let role = owner.text(".role-badge").await?;
    ensure!(role.as_deref() == Some("owner"), "role {role:?}");
    let org = owner.text(".org-name").await?;
    ensure!(org.as_deref() == Some(ORG), "organization {org:?}");
    owner.no_errors().await
}

/// The link is used up: `/setup` with it now refuses.
async fn the_setup_link_is_used_up(http: &reqwest::Client, link: &str) -> anyhow::Result<()> {
    expect_status(http, link, 403, "the used setup link").await?;
    Ok(())
}

/// On `/users` the owner invites a member without a password: the invite link to copy, a
/// confirmation and the member's row. Answers the link.
async fn owner_invites_a_member(owner: Page<'_>) -> anyhow::Result<String> {
    owner.open("/users").await?;
    fill_in(
        owner,
        &[("#add-user-name", MEMBER.0), ("#add-user-email", MEMBER.1)],
    )
    .await?;
    owner.click("#add-user-submit").await?;
    let invite = owner
        .wait_for(
            "the invite link",
            10,
            "const i = document.querySelector('#invite-link'); return !!i && i.value;",
            vec![],
        )
        .await?;
    let invite = invite
        .as_str()
        .context("the invite link is text")?
        .to_string();
    ensure!(
        invite.starts_with(&format!("{}/invite/", owner.base)),
        "invite link {invite}"
    );
    let done = owner.text("#add-user-done").await?.unwrap_or_default();
    ensure!(done.contains(MEMBER.0), "confirmation: {done:?}");
    let row = owner
        .wait_for(
            "the new member's row",
            5,
            "const r = [...document.querySelectorAll('#users-table tbody.user-entry')]
                 .find((b) => b.textContent.includes(arguments[0]));
             return !!r && r.querySelector('td.role').textContent.trim();",
            vec![json!(MEMBER.0)],
        )
        .await?;
    ensure!(row == json!("Member"), "the new row's role: {row}");
    Ok(invite)
}

/// The Copy button answers (copied, or the hint to copy by hand).
async fn owner_copies_the_invite_link(owner: Page<'_>) -> anyhow::Result<()> {
    owner.click("#invite-link-copy").await?;
    owner
        .wait_for(
            "the Copy button's answer",
            5,
            "return document.querySelector('#invite-link-copied').textContent.length > 0;",
            vec![],
        )
        .await?;
    Ok(())
}

/// `/users` with the first Manage panel (the new member's) open, on a tall window and on a
/// phone; no page errors.
async fn owner_photographs_the_users_page(owner: Page<'_>) -> anyhow::Result<()> {
    owner
        .js(
            "document.querySelector('#users-table tbody.user-entry details').open = true; return null;",
            vec![],
        )
        .await?;
    screenshot_at(owner, (1280, 1700), SCROLL_TOP, "users-page.png").await?;
    let to_table = "document.querySelector('#users-table').scrollIntoView(); return null;";
    screenshot_at(owner, (375, 812), to_table, "users-page-phone.png").await?;
    owner.browser.viewport(None).await?;
    owner.no_errors().await
}

/// Second browser, fresh profile: the member opens the invite link and is welcomed to the
/// organization by name, with their e-mail.
async fn member_opens_the_invite(member: Page<'_>, invite: &str) -> anyhow::Result<()> {
    follow_link(member, invite).await?;
    wait_form_ready(member, "#invite-form").await?;
    let heading = member.text("#invite-heading").await?;
    ensure!(
        heading.as_deref() == Some(&format!("Welcome to {ORG}")[..]),
        "heading {heading:?}"
    );
    let greeting = member.text("#invite-greeting").await?.unwrap_or_default();
    ensure!(greeting.contains(MEMBER.0), "greeting {greeting:?}");
    let email = member.text("#invite-email").await?;
    ensure!(email.as_deref() == Some(MEMBER.1), "e-mail {email:?}");
    Ok(())
}

/// A confirmation that does not match is refused; the right one signs the member in, on `/`
/// as themselves.
async fn member_sets_a_password(member: Page<'_>) -> anyhow::Result<()> {
    fill_in(
        member,
        &[
            ("#invite-password", MEMBER_PASSWORD),
            ("#invite-password-confirm", "something-else"),
        ],
    )
    .await?;
    member.click("#invite-submit").await?;
    member
        .wait_for(
            "the mismatch shows",
            5,
            "const e = document.querySelector('#invite-password-confirm-error'); return !e.hidden;",
            vec![],
        )
        .await?;
    member
        .type_into("#invite-password-confirm", MEMBER_PASSWORD)
        .await?;
    member.click("#invite-submit").await?;
    member.wait_path("/", 15).await?;
    member.wait_live().await?;
    let who = member.text(".viewer-name").await?;
    ensure!(
        who.as_deref() == Some(MEMBER.0),
        "the member sees / as {who:?}"
    );
    member.no_errors().await
}

/// The invite link works once: plain HTTP gets 404, the browser an explanation.
async fn the_invite_link_works_once(
    http: &reqwest::Client,
    member: Page<'_>,
    invite: &str,
) -> anyhow::Result<()> {
    expect_status(http, invite, 404, "the used invite link").await?;
    follow_link(member, invite).await?;
    let gone = member.text("#invite-closed").await?.unwrap_or_default();
    ensure!(gone.contains("already used or has expired"), "{gone:?}");
    Ok(())
}

/// The owner's `/users` lists the member, with their browser login.
async fn owner_sees_the_members_login(owner: Page<'_>) -> anyhow::Result<()> {
    owner.open("/users").await?;
    let devices = owner
        .js(
            "const r = [...document.querySelectorAll('#users-table tbody.user-entry')]
                 .find((b) => b.textContent.includes(arguments[0]));
             return r ? r.querySelector('td.device-count').textContent.trim() : null;",
            vec![json!(MEMBER.0)],
        )
        .await?;
    ensure!(devices == json!("1"), "the member's logins: {devices}");
    owner.no_errors().await
}

// ---- helpers ----

/// An HTTP client that does not follow redirects: the hub as a script sees it.
fn plain_http() -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?)
}

/// `GET url` must answer `status` (`what` names the request in the failure); the response,
/// for its body.
async fn expect_status(
    http: &reqwest::Client,
    url: &str,
    status: u16,
    what: &str,
) -> anyhow::Result<reqwest::Response> {
    let res = http.get(url).send().await?;
    ensure!(res.status() == status, "{what}: {}", res.status());
    Ok(res)
}

/// Loads `link`, a full address on this hub (as the hub prints it or a page shows it),
/// without waiting for the page to go live.
async fn follow_link(page: Page<'_>, link: &str) -> anyhow::Result<()> {
    let path = link
        .strip_prefix(page.base)
        .with_context(|| format!("{link} is not on {}", page.base))?;
    page.visit(path).await?;
    Ok(())
}

/// Types each `(input, text)` in turn.
async fn fill_in(page: Page<'_>, fields: &[(&str, &str)]) -> anyhow::Result<()> {
    for (css, text) in fields {
        page.type_into(css, text).await?;
    }
    Ok(())
}

/// Waits until the form `css` has its handlers (`data-hydrated="true"`).
async fn wait_form_ready(page: Page<'_>, css: &str) -> anyhow::Result<()> {
    page.wait_for(
        &format!("{css} hydrated"),
        15,
        "const f = document.querySelector(arguments[0]); return !!f && f.dataset.hydrated === 'true';",
        vec![json!(css)],
    )
    .await
    .map(|_| ())
}

/// A screenshot in `e2e/output/{file}` with the window at `size` once `scroll` (a script)
/// has placed the page. The window keeps that size.
async fn screenshot_at(
    page: Page<'_>,
    size: (u32, u32),
    scroll: &str,
    file: &str,
) -> anyhow::Result<()> {
    page.browser.viewport(Some(size)).await?;
    page.js(scroll, vec![]).await?;
    page.screenshot(file).await
}

//! Accessibility in headless Chromium, with the demo alive (its simulated agents running):
//! axe-core's WCAG 2.1 A/AA rules on every page, as the admin and logged out, must find nothing
//! serious or critical (the summary per page is printed and kept in
//! `e2e/output/accessibility.txt`); and `/`, `/timesheets` and `/users` work from the keyboard
//! alone: Tab reaches every control shown, each shows where the focus is, Enter opens a
//! person's controls on `/users` and follows a link.
//!
//! The test reads as its `scenario`: one step function per thing a user does or sees.

use anyhow::{bail, ensure, Context};
use e2e::axe;
use e2e::hub::DEMO_PASSWORD;
use e2e::{BrowserTest, HubOptions, Page};
use serde_json::json;
use std::fmt::Write as _;

const TAB: &str = "\u{E004}";
const ENTER: &str = "\u{E007}";

/// The pages the admin has, besides one session's and one ticket's (found on their lists).
const ADMIN_PAGES: [&str; 17] = [
    "/",
    "/sessions",
    "/tickets",
    "/timesheets",
    "/absences",
    "/reports",
    "/screenshots",
    "/me",
    "/servers",
    "/fleet",
    "/users",
    "/audit",
    "/account",
    "/settings/org",
    "/settings/policy",
    "/settings/webhooks",
    "/downloads",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_passes_axe_and_the_main_pages_work_from_the_keyboard() {
    let options = HubOptions {
        env: vec![("HUB_DEMO_AGENTS".into(), "3".into())],
        ..HubOptions::default()
    };
    let test = BrowserTest::start("accessibility", options, &["admin"]).await;
    let outcome = scenario(test.page(0)).await;
    test.finish(outcome).await;
}

async fn scenario(page: Page<'_>) -> anyhow::Result<()> {
    let mut audit = Audit::new()?;
    audit_the_login_form_logged_out(page, &mut audit).await?;
    page.sign_in("admin@demo.test", DEMO_PASSWORD).await?;
    audit_every_page_as_the_admin(page, &mut audit).await?;
    audit_the_device_page(page, &mut audit).await?;
    audit_the_not_found_page(page, &mut audit).await?;
    audit.conclude()?;
    for path in ["/", "/timesheets", "/users"] {
        tab_reaches_every_control_with_a_focus_indicator(page, path).await?;
    }
    enter_opens_a_persons_controls_on_users(page).await?;
    enter_follows_a_navigation_link(page).await
}

/// Logged out: the login form.
async fn audit_the_login_form_logged_out(page: Page<'_>, audit: &mut Audit) -> anyhow::Result<()> {
    page.visit("/login").await?;
    audit.check(page, "/login").await
}

/// Every page as the admin, with the detail pages of the first session and ticket listed.
async fn audit_every_page_as_the_admin(page: Page<'_>, audit: &mut Audit) -> anyhow::Result<()> {
    let session = first_link(page, "/sessions", "a[href^='/sessions/']").await?;
    let ticket = first_link(page, "/tickets", "a[href^='/tickets/']").await?;
    let mut pages: Vec<String> = ADMIN_PAGES.iter().map(|p| p.to_string()).collect();
    pages.extend(session);
    pages.extend(ticket);
    for path in &pages {
        page.open(path).await?;
        audit.check(page, path).await?;
    }
    Ok(())
}

/// `/device`, where an agent's sign-in code is typed (no live data on it: no socket to wait for).
async fn audit_the_device_page(page: Page<'_>, audit: &mut Audit) -> anyhow::Result<()> {
    page.visit("/device").await?;
    page.wait_shown("main form", 10).await?;
    audit.check(page, "/device").await
}

/// The answer to a path that does not exist.
async fn audit_the_not_found_page(page: Page<'_>, audit: &mut Audit) -> anyhow::Result<()> {
    page.visit("/no-such-page").await?;
    audit.check(page, "/no-such-page").await
}

/// Tab from the top of `path` through the page: every enabled, shown control is reached, and
/// each shows a focus indicator when it has the focus.
async fn tab_reaches_every_control_with_a_focus_indicator(
    page: Page<'_>,
    path: &str,
) -> anyhow::Result<()> {
    page.open(path).await?;
    let controls = page.js(CONTROLS, vec![]).await?.as_u64().unwrap_or(0) as usize;
    ensure!(controls > 0, "{path}: no controls to reach");
    tab_from_the_top(page).await?;
    for _ in 0..controls + 10 {
        page.js(NOTE_FOCUS, vec![]).await?;
        press(page, TAB).await?;
    }
    let missing = page
        .js(
            "return window.__kbControls().filter((e) => !window.__kbSeen.has(e)).map(window.__kbName);",
            vec![],
        )
        .await?;
    ensure!(
        missing.as_array().is_some_and(Vec::is_empty),
        "{path}: Tab never reached {missing}"
    );
    let unmarked = page.js("return window.__kbUnmarked;", vec![]).await?;
    ensure!(
        unmarked.as_array().is_some_and(Vec::is_empty),
        "{path}: focused without a visible focus indicator: {unmarked}"
    );
    eprintln!("keyboard: {path}: Tab reaches all {controls} controls, each with a focus indicator");
    Ok(())
}

/// On /users, Enter on a person's "Manage" summary opens their controls, which Tab reaches.
async fn enter_opens_a_persons_controls_on_users(page: Page<'_>) -> anyhow::Result<()> {
    page.open("/users").await?;
    focus_by_tab(page, "details:not([open]) > summary").await?;
    press(page, ENTER).await?;
    page.wait_for(
        "Enter on a focused summary opens its details",
        5,
        "return !!document.activeElement.closest('details[open]');",
        vec![],
    )
    .await?;
    press(page, TAB).await?;
    let inside = page
        .js(
            "const d = document.querySelector('details[open]'); return !!d && d.contains(document.activeElement) && document.activeElement.tagName !== 'SUMMARY';",
            vec![],
        )
        .await?;
    ensure!(
        inside == json!(true),
        "/users: Tab from an opened summary goes into its controls"
    );
    Ok(())
}

/// Enter on a focused navigation link follows it.
async fn enter_follows_a_navigation_link(page: Page<'_>) -> anyhow::Result<()> {
    page.open("/").await?;
    focus_by_tab(page, "a[href='/timesheets']").await?;
    press(page, ENTER).await?;
    page.wait_for(
        "Enter on the focused Timesheets link opens /timesheets",
        10,
        "return location.pathname === '/timesheets';",
        vec![],
    )
    .await?;
    Ok(())
}

/// axe-core's findings page by page: the summary, and the serious or critical ones that fail
/// the test.
struct Audit {
    /// The axe-core script.
    axe: String,
    report: String,
    blocking: Vec<String>,
}

impl Audit {
    fn new() -> anyhow::Result<Audit> {
        Ok(Audit {
            axe: axe::source()?,
            report: String::new(),
            blocking: Vec::new(),
        })
    }

    /// Runs axe-core over the document shown now and notes its findings under `path`.
    async fn check(&mut self, page: Page<'_>, path: &str) -> anyhow::Result<()> {
        let found = axe::violations(page.browser, &self.axe).await?;
        self.note(path, &found);
        Ok(())
    }

    fn note(&mut self, path: &str, found: &[axe::Violation]) {
        let serious: Vec<&axe::Violation> = found.iter().filter(|v| v.blocks()).collect();
        let _ = writeln!(
            self.report,
            "{path:<22} {} violations ({} serious or critical){}",
            found.len(),
            serious.len(),
            found
                .iter()
                .map(|v| format!(
                    "\n    {} [{}] {}: {}",
                    v.id,
                    v.impact.as_deref().unwrap_or("?"),
                    v.help,
                    v.nodes.join(", ")
                ))
                .collect::<String>()
        );
        for v in serious {
            self.blocking.push(format!(
                "{path}: {} ({}) at {}",
                v.id,
                v.help,
                v.nodes.join(", ")
            ));
        }
    }

    /// Keeps the summary in `e2e/output/accessibility.txt` and prints it; fails on any
    /// serious or critical finding.
    fn conclude(self) -> anyhow::Result<()> {
        let out = e2e::output_dir().join("accessibility.txt");
        std::fs::write(&out, &self.report).context("write the axe summary")?;
        eprintln!("axe-core (WCAG 2.1 A/AA) per page:\n{}", self.report);
        ensure!(
            self.blocking.is_empty(),
            "serious or critical accessibility violations:\n{}",
            self.blocking.join("\n")
        );
        Ok(())
    }
}

/// The first link matching `css` on `list`, if the list has one.
async fn first_link(page: Page<'_>, list: &str, css: &str) -> anyhow::Result<Option<String>> {
    page.open(list).await?;
    page.attribute(css, "href").await
}

/// The page's controls a keyboard user must reach: enabled, shown, in the tab order.
const CONTROLS: &str = r#"
    window.__kbControls = () => [...document.querySelectorAll('a[href], button, input, select, textarea, [tabindex]')]
        .filter((e) => !e.disabled && e.tabIndex >= 0 && e.type !== 'hidden'
            && e.checkVisibility({ visibilityProperty: true })
            // Inside a closed <details> only its <summary> is there until it is opened.
            && !(e.closest('details:not([open])') && !e.closest('summary')));
    window.__kbName = (e) => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
        + (e.getAttribute('href') ? "[href='" + e.getAttribute('href') + "']" : '')
        + (e.getAttribute('name') ? "[name='" + e.getAttribute('name') + "']" : '')
        + (e.textContent.trim() ? ' "' + e.textContent.trim().slice(0, 30) + '"' : '');
    window.__kbSeen = new Set();
    window.__kbUnmarked = [];
    if (document.activeElement) document.activeElement.blur();
    return window.__kbControls().length;
"#;

/// Notes the focused element, and whether it shows where the focus is.
const NOTE_FOCUS: &str = r#"
    const e = document.activeElement;
    if (e && e !== document.body && !window.__kbSeen.has(e)) {
        window.__kbSeen.add(e);
        const s = getComputedStyle(e);
        const shown = (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0)
            || (s.boxShadow && s.boxShadow !== 'none');
        if (!shown) window.__kbUnmarked.push(window.__kbName(e));
    }
    return window.__kbControls().filter((c) => !window.__kbSeen.has(c)).length;
"#;

/// Tabs (from the top) until `css` has the focus.
async fn focus_by_tab(page: Page<'_>, css: &str) -> anyhow::Result<()> {
    tab_from_the_top(page).await?;
    for _ in 0..200 {
        let here = page
            .js(
                "return document.activeElement && document.activeElement.matches(arguments[0]);",
                vec![json!(css)],
            )
            .await?;
        if here == json!(true) {
            return Ok(());
        }
        press(page, TAB).await?;
    }
    bail!("Tab never reached {css}")
}

/// The first Tab on a page, sent to its `<body>`: the focus goes to the first control.
async fn tab_from_the_top(page: Page<'_>) -> anyhow::Result<()> {
    page.browser
        .client
        .find(fantoccini::Locator::Css("body"))
        .await?
        .send_keys(TAB)
        .await?;
    Ok(())
}

/// Sends `key` (a WebDriver key code: [`TAB`], [`ENTER`]) to the element that has the focus.
async fn press(page: Page<'_>, key: &str) -> anyhow::Result<()> {
    page.browser
        .client
        .active_element()
        .await?
        .send_keys(key)
        .await?;
    Ok(())
}

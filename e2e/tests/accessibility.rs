//! Accessibility in headless Chromium, with the demo alive (its simulated agents running):
//! axe-core's WCAG 2.1 A/AA rules on every page, as the admin and logged out, must find nothing
//! serious or critical (the summary per page is printed and kept in
//! `e2e/output/accessibility.txt`); and `/`, `/timesheets` and `/users` work from the keyboard
//! alone: Tab reaches every control shown, each shows where the focus is, Enter opens a
//! person's controls on `/users` and follows a link.

use anyhow::{ensure, Context};
use e2e::axe;
use e2e::dashboard::{clear_failure, dump_failure, open, wait_until};
use e2e::hub::DEMO_PASSWORD;
use e2e::{Browser, ChromeDriver, Hub, HubOptions};
use serde_json::json;
use std::fmt::Write as _;

const TAB: &str = "\u{E004}";
const ENTER: &str = "\u{E007}";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_passes_axe_and_the_main_pages_work_from_the_keyboard() {
    clear_failure("accessibility");
    let hub = Hub::start(HubOptions {
        label: "accessibility-hub".into(),
        env: vec![("HUB_DEMO_AGENTS".into(), "3".into())],
        ..HubOptions::default()
    })
    .await
    .expect("the hub starts");
    let driver = ChromeDriver::start("accessibility-chromedriver")
        .await
        .expect("chromedriver starts (Chromium is needed)");
    let browser = driver.browser("browser (admin)").await.expect("browser");
    let outcome = scenario(&hub, &browser).await;
    if outcome.is_err() {
        dump_failure(&browser, "accessibility").await;
        eprintln!("hub log (tail):\n{}", hub.log_tail(40));
    }
    let _ = browser.close().await;
    drop(driver);
    if let Err(e) = outcome {
        panic!("{e:#}");
    }
    hub.stop().expect("the hub stops cleanly on SIGTERM");
}

async fn scenario(hub: &Hub, browser: &Browser) -> anyhow::Result<()> {
    let axe_js = axe::source()?;
    let mut report = String::new();
    let mut blocking = Vec::new();
    let mut audit = |path: &str, found: Vec<axe::Violation>| {
        let serious: Vec<&axe::Violation> = found.iter().filter(|v| v.blocks()).collect();
        let _ = writeln!(
            report,
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
            blocking.push(format!(
                "{path}: {} ({}) at {}",
                v.id,
                v.help,
                v.nodes.join(", ")
            ));
        }
    };

    // Logged out: the login form.
    browser.client.goto(&format!("{}/login", hub.url)).await?;
    audit("/login", axe::violations(browser, &axe_js).await?);

    browser
        .login(&hub.url, "admin@demo.test", DEMO_PASSWORD)
        .await?;
    // Ids the detail pages need, read from the lists the admin sees.
    let session = first_link(browser, &hub.url, "/sessions", "a[href^='/sessions/']").await?;
    let ticket = first_link(browser, &hub.url, "/tickets", "a[href^='/tickets/']").await?;
    let mut pages = vec![
        "/".to_string(),
        "/sessions".into(),
        "/tickets".into(),
        "/timesheets".into(),
        "/reports".into(),
        "/screenshots".into(),
        "/servers".into(),
        "/fleet".into(),
        "/users".into(),
        "/audit".into(),
        "/account".into(),
        "/settings/org".into(),
        "/settings/policy".into(),
        "/settings/webhooks".into(),
    ];
    pages.extend(session);
    pages.extend(ticket);
    for path in &pages {
        open(browser, &hub.url, path).await?;
        audit(path, axe::violations(browser, &axe_js).await?);
    }
    browser
        .client
        .goto(&format!("{}/no-such-page", hub.url))
        .await?;
    audit("/no-such-page", axe::violations(browser, &axe_js).await?);

    let out = e2e::output_dir().join("accessibility.txt");
    std::fs::write(&out, &report).context("write the axe summary")?;
    eprintln!("axe-core (WCAG 2.1 A/AA) per page:\n{report}");
    ensure!(
        blocking.is_empty(),
        "serious or critical accessibility violations:\n{}",
        blocking.join("\n")
    );

    for path in ["/", "/timesheets", "/users"] {
        keyboard_only(browser, &hub.url, path).await?;
    }
    // On /users, Enter on a person's "Manage" summary opens their controls, which Tab reaches.
    open(browser, &hub.url, "/users").await?;
    focus_by_tab(browser, "details:not([open]) > summary").await?;
    browser
        .client
        .active_element()
        .await?
        .send_keys(ENTER)
        .await?;
    wait_until(
        browser,
        "Enter on a focused summary opens its details",
        5,
        "return !!document.activeElement.closest('details[open]');",
        vec![],
    )
    .await?;
    browser
        .client
        .active_element()
        .await?
        .send_keys(TAB)
        .await?;
    let inside = browser
        .js(
            "const d = document.querySelector('details[open]'); return !!d && d.contains(document.activeElement) && document.activeElement.tagName !== 'SUMMARY';",
            vec![],
        )
        .await?;
    ensure!(
        inside == json!(true),
        "/users: Tab from an opened summary goes into its controls"
    );

    // Enter on a focused navigation link follows it.
    open(browser, &hub.url, "/").await?;
    focus_by_tab(browser, "a[href='/timesheets']").await?;
    browser
        .client
        .active_element()
        .await?
        .send_keys(ENTER)
        .await?;
    wait_until(
        browser,
        "Enter on the focused Timesheets link opens /timesheets",
        10,
        "return location.pathname === '/timesheets';",
        vec![],
    )
    .await?;
    Ok(())
}

/// The first link matching `css` on `list`, if the list has one.
async fn first_link(
    browser: &Browser,
    base: &str,
    list: &str,
    css: &str,
) -> anyhow::Result<Option<String>> {
    open(browser, base, list).await?;
    let href = browser
        .js(
            "const a = document.querySelector(arguments[0]); return a ? a.getAttribute('href') : null;",
            vec![json!(css)],
        )
        .await?;
    Ok(href.as_str().map(str::to_string))
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

/// Tab from the top of `path` through the page: every enabled, shown control is reached, and
/// each shows a focus indicator when it has the focus.
async fn keyboard_only(browser: &Browser, base: &str, path: &str) -> anyhow::Result<()> {
    open(browser, base, path).await?;
    let controls = browser.js(CONTROLS, vec![]).await?.as_u64().unwrap_or(0) as usize;
    ensure!(controls > 0, "{path}: no controls to reach");
    let body = browser
        .client
        .find(fantoccini::Locator::Css("body"))
        .await?;
    body.send_keys(TAB).await?;
    for _ in 0..controls + 10 {
        browser.js(NOTE_FOCUS, vec![]).await?;
        browser
            .client
            .active_element()
            .await?
            .send_keys(TAB)
            .await?;
    }
    let missing = browser
        .js(
            "return window.__kbControls().filter((e) => !window.__kbSeen.has(e)).map(window.__kbName);",
            vec![],
        )
        .await?;
    ensure!(
        missing.as_array().is_some_and(Vec::is_empty),
        "{path}: Tab never reached {missing}"
    );
    let unmarked = browser.js("return window.__kbUnmarked;", vec![]).await?;
    ensure!(
        unmarked.as_array().is_some_and(Vec::is_empty),
        "{path}: focused without a visible focus indicator: {unmarked}"
    );
    eprintln!("keyboard: {path}: Tab reaches all {controls} controls, each with a focus indicator");
    Ok(())
}

/// Tabs (from the top) until `css` has the focus.
async fn focus_by_tab(browser: &Browser, css: &str) -> anyhow::Result<()> {
    let body = browser
        .client
        .find(fantoccini::Locator::Css("body"))
        .await?;
    body.send_keys(TAB).await?;
    for _ in 0..200 {
        let here = browser
            .js(
                "return document.activeElement && document.activeElement.matches(arguments[0]);",
                vec![json!(css)],
            )
            .await?;
        if here == json!(true) {
            return Ok(());
        }
        browser
            .client
            .active_element()
            .await?
            .send_keys(TAB)
            .await?;
    }
    anyhow::bail!("Tab never reached {css}")
}

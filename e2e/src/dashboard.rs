//! The web app's DOM contract as the browser tests use it: the page is hydrated and live,
//! it was not reloaded, an element shows some text. Every hook is an id or data attribute the
//! `web` crate renders on purpose.

use anyhow::Context;
use fantoccini::Locator;
use serde_json::{json, Value};
use std::path::Path;
use std::time::Duration;

use crate::{output_dir, Browser};

/// How often the tests look at the page while waiting.
pub const POLL: Duration = Duration::from_millis(25);

/// Waits for `#live-state[data-live=connected]`: the page hydrated and its `/ws/tab` is open.
/// On a timeout, the page's own errors are part of the message.
pub async fn wait_live(browser: &Browser) -> anyhow::Result<()> {
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

/// Opens `{base}{path}` and waits until it is hydrated and live.
pub async fn open(browser: &Browser, base: &str, path: &str) -> anyhow::Result<()> {
    browser.client.goto(&format!("{base}{path}")).await?;
    wait_live(browser)
        .await
        .with_context(|| format!("{} on {path}", browser.name))
}

/// Marks the current document; [`same_page`] tells whether it is still the one marked.
pub async fn mark_page(browser: &Browser) -> anyhow::Result<()> {
    browser
        .js("window.__e2eMarker = 1; return null;", vec![])
        .await
        .map(|_| ())
}

/// True while the document marked by [`mark_page`] is shown (no reload, no navigation).
pub async fn same_page(browser: &Browser) -> anyhow::Result<bool> {
    Ok(browser
        .js("return window.__e2eMarker === 1;", vec![])
        .await?
        == json!(true))
}

/// The text of the first element matching `css`, or `None` if there is none or it is hidden.
pub async fn visible_text(browser: &Browser, css: &str) -> anyhow::Result<Option<String>> {
    let v = browser
        .js(
            r#"const e = document.querySelector(arguments[0]);
               if (!e || e.hidden || e.closest('[hidden]')) return null;
               return e.textContent.trim();"#,
            vec![json!(css)],
        )
        .await?;
    Ok(v.as_str().map(str::to_string))
}

/// Waits until `script` (see [`Browser::wait_js`]) holds, for up to `secs` seconds.
pub async fn wait_until(
    browser: &Browser,
    what: &str,
    secs: u64,
    script: &str,
    args: Vec<Value>,
) -> anyhow::Result<Value> {
    browser
        .wait_js(
            &format!("{}: {what}", browser.name),
            Duration::from_secs(secs),
            POLL,
            script,
            args,
        )
        .await
}

/// Replaces the value of the input `css` by typing `text` (as a user would: input events).
pub async fn type_into(browser: &Browser, css: &str, text: &str) -> anyhow::Result<()> {
    let input = browser.client.find(Locator::Css(css)).await?;
    input.clear().await?;
    input.send_keys(text).await?;
    Ok(())
}

/// Clicks the element `css`.
pub async fn click(browser: &Browser, css: &str) -> anyhow::Result<()> {
    browser
        .client
        .find(Locator::Css(css))
        .await
        .with_context(|| format!("{}: no {css} to click", browser.name))?
        .click()
        .await?;
    Ok(())
}

/// Fails if the page reported errors (failed loads, exceptions, `console.error`).
pub async fn no_page_errors(browser: &Browser) -> anyhow::Result<()> {
    let errors = browser.page_errors().await?;
    anyhow::ensure!(
        errors.is_empty(),
        "page errors in {}: {errors:#?}",
        browser.name
    );
    Ok(())
}

/// A screenshot in `e2e/output/{file}` once transitions have settled.
pub async fn screenshot(browser: &Browser, file: &str) -> anyhow::Result<()> {
    browser.settle_animations(Duration::from_secs(3)).await?;
    let path = output_dir().join(file);
    browser.screenshot(&path).await?;
    eprintln!("[{}] screenshot {}", browser.name, path.display());
    Ok(())
}

/// On failure: the page's screenshot, HTML and errors next to the other output.
pub async fn dump_failure(browser: &Browser, prefix: &str) {
    let out = output_dir();
    let _ = browser
        .screenshot(&out.join(format!("{prefix}-failure.png")))
        .await;
    if let Ok(html) = browser.client.source().await {
        let _ = std::fs::write(out.join(format!("{prefix}-failure.html")), html);
    }
    if let Ok(errors) = browser.page_errors().await {
        eprintln!("page errors in {}: {errors:#?}", browser.name);
    }
}

/// Removes old failure dumps of `prefix`, so what is left belongs to this run.
pub fn clear_failure(prefix: &str) {
    for ext in ["png", "html"] {
        let _ = std::fs::remove_file(output_dir().join(format!("{prefix}-failure.{ext}")));
    }
}

/// Writes the browser console to `e2e/output/{file}`.
pub async fn save_console(browser: &Browser, file: &str) {
    if let Ok(lines) = browser.console_log().await {
        let _ = std::fs::write(Path::new(&output_dir()).join(file), lines.join("\n"));
    }
}

//! A browser on one hub, with the moves users make on pages: open a path, click, type, read a
//! text, count rows, wait for something to show. The browser tests speak in these rather than in
//! WebDriver calls and scripts; the selectors are the ids and data attributes the `web` crate
//! renders for this purpose (see [`crate::dashboard`]).

use anyhow::Context;
use serde_json::{json, Value};

use crate::dashboard;
use crate::{Browser, Hub};

/// A phone's window (CSS pixels), for the screenshots of narrow layouts.
pub const PHONE: (u32, u32) = (390, 844);

/// Which phone-width pictures [`Page::screenshots`] adds to the two desktop ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhoneShots {
    None,
    Light,
    LightAndDark,
}

/// One browser's view of one hub. Cheap to copy: it borrows both.
#[derive(Clone, Copy)]
pub struct Page<'a> {
    pub browser: &'a Browser,
    /// `http://127.0.0.1:PORT`, the hub's address.
    pub base: &'a str,
}

impl<'a> Page<'a> {
    pub fn new(browser: &'a Browser, hub: &'a Hub) -> Page<'a> {
        Page {
            browser,
            base: &hub.url,
        }
    }

    /// The browser's name, as failures and screenshots show it.
    pub fn name(&self) -> &str {
        &self.browser.name
    }

    /// Signs in through the HTML form at `/login` and waits to land on another page.
    pub async fn sign_in(&self, email: &str, password: &str) -> anyhow::Result<()> {
        self.browser.login(self.base, email, password).await
    }

    /// Opens `path` and waits until the page is hydrated and its live socket is open.
    pub async fn open(&self, path: &str) -> anyhow::Result<()> {
        dashboard::open(self.browser, self.base, path).await
    }

    /// Waits until the page shown now is hydrated and live (after a sign-in or a link the page
    /// followed itself).
    pub async fn wait_live(&self) -> anyhow::Result<()> {
        dashboard::wait_live(self.browser).await
    }

    /// Waits up to `secs` seconds until the browser shows `path` (after a navigation the page
    /// started itself).
    pub async fn wait_path(&self, path: &str, secs: u64) -> anyhow::Result<()> {
        crate::wait_for(
            &format!("{} to land on {path}", self.name()),
            std::time::Duration::from_secs(secs),
            dashboard::POLL,
            || async { Ok((self.path().await? == path).then_some(())) },
        )
        .await
    }

    /// Loads `path` without waiting for it to go live (a page with no socket: an error page,
    /// `/login`, a 403). Answers the text of its `<main>` (or body).
    pub async fn visit(&self, path: &str) -> anyhow::Result<String> {
        self.browser
            .client
            .goto(&format!("{}{path}", self.base))
            .await?;
        let text = self
            .js(
                "const e = document.querySelector('main') || document.body; return e.innerText;",
                vec![],
            )
            .await?;
        Ok(text.as_str().unwrap_or_default().to_string())
    }

    /// The path of the page shown now (`/timesheets`, without the query).
    pub async fn path(&self) -> anyhow::Result<String> {
        Ok(self.browser.client.current_url().await?.path().to_string())
    }

    /// Clicks the element `css`.
    pub async fn click(&self, css: &str) -> anyhow::Result<()> {
        dashboard::click(self.browser, css).await
    }

    /// Replaces the value of the input `css` by typing `text`, as a user would.
    pub async fn type_into(&self, css: &str, text: &str) -> anyhow::Result<()> {
        dashboard::type_into(self.browser, css, text)
            .await
            .with_context(|| format!("{}: type into {css}", self.name()))
    }

    /// Sets the value of the input `css` as a script would, with the `input` event a user's
    /// typing fires: for fields WebDriver does not type into reliably (`datetime-local`) and
    /// for emptying one (WebDriver's clear fires no event).
    pub async fn set_value(&self, css: &str, value: &str) -> anyhow::Result<()> {
        let found = self
            .js(
                "const e = document.querySelector(arguments[0]);
                 if (!e) return false;
                 e.value = arguments[1];
                 e.dispatchEvent(new Event('input', { bubbles: true }));
                 return true;",
                vec![json!(css), json!(value)],
            )
            .await?;
        anyhow::ensure!(found == json!(true), "{}: no input {css}", self.name());
        Ok(())
    }

    /// The value of the input `css` (`None` when there is none).
    pub async fn value(&self, css: &str) -> anyhow::Result<Option<String>> {
        let value = self
            .js(
                "const e = document.querySelector(arguments[0]); return e ? e.value : null;",
                vec![json!(css)],
            )
            .await?;
        Ok(value.as_str().map(str::to_string))
    }

    /// Chooses `value` in the `<select>` `css` (and lets the page know, as a user's choice does).
    pub async fn select(&self, css: &str, value: &str) -> anyhow::Result<()> {
        let found = self
            .js(
                "const e = document.querySelector(arguments[0]);
                 if (!e) return false;
                 e.value = arguments[1];
                 e.dispatchEvent(new Event('input', { bubbles: true }));
                 e.dispatchEvent(new Event('change', { bubbles: true }));
                 return e.value === arguments[1];",
                vec![json!(css), json!(value)],
            )
            .await?;
        anyhow::ensure!(
            found == json!(true),
            "{}: no option {value:?} in {css}",
            self.name()
        );
        Ok(())
    }

    /// The trimmed text of the first element matching `css`; `None` when there is none or it
    /// is hidden.
    pub async fn text(&self, css: &str) -> anyhow::Result<Option<String>> {
        dashboard::visible_text(self.browser, css).await
    }

    /// The text of `css`, which must be shown.
    pub async fn expect_text(&self, css: &str) -> anyhow::Result<String> {
        self.text(css)
            .await?
            .with_context(|| format!("{}: nothing shown at {css}", self.name()))
    }

    /// Waits up to `secs` seconds until the element `css` is shown and its text holds `needle`.
    pub async fn wait_text(&self, css: &str, needle: &str, secs: u64) -> anyhow::Result<()> {
        self.wait_for(
            &format!("{css} shows {needle:?}"),
            secs,
            "const e = document.querySelector(arguments[0]);
             return !!e && !e.hidden && !e.closest('[hidden]') && e.textContent.includes(arguments[1]);",
            vec![json!(css), json!(needle)],
        )
        .await
        .map(|_| ())
    }

    /// Waits up to `secs` seconds until an element matches `css`.
    pub async fn wait_shown(&self, css: &str, secs: u64) -> anyhow::Result<()> {
        self.wait_for(
            &format!("{css} to show"),
            secs,
            "const e = document.querySelector(arguments[0]); return !!e && !e.closest('[hidden]');",
            vec![json!(css)],
        )
        .await
        .map(|_| ())
    }

    /// Waits up to `secs` seconds until no element matches `css`.
    pub async fn wait_gone(&self, css: &str, secs: u64) -> anyhow::Result<()> {
        self.wait_for(
            &format!("{css} to go"),
            secs,
            "return document.querySelector(arguments[0]) === null;",
            vec![json!(css)],
        )
        .await
        .map(|_| ())
    }

    /// How many elements match `css`.
    pub async fn count(&self, css: &str) -> anyhow::Result<usize> {
        let n = self
            .js(
                "return document.querySelectorAll(arguments[0]).length;",
                vec![json!(css)],
            )
            .await?;
        let n = n.as_u64().context("a count")?;
        Ok(usize::try_from(n)?)
    }

    /// How many elements match `css` and are shown (not `hidden`).
    pub async fn count_shown(&self, css: &str) -> anyhow::Result<usize> {
        let n = self
            .js(
                "return [...document.querySelectorAll(arguments[0])].filter((e) => !e.hidden).length;",
                vec![json!(css)],
            )
            .await?;
        let n = n.as_u64().context("a count")?;
        Ok(usize::try_from(n)?)
    }

    /// The number of body rows of the table `table` (a css selector).
    pub async fn rows(&self, table: &str) -> anyhow::Result<usize> {
        self.count(&format!("{table} tbody tr")).await
    }

    /// Waits up to `secs` seconds until `count(css) == n`.
    pub async fn wait_count(&self, css: &str, n: usize, secs: u64) -> anyhow::Result<()> {
        self.wait_for(
            &format!("{n} × {css}"),
            secs,
            "return document.querySelectorAll(arguments[0]).length === arguments[1];",
            vec![json!(css), json!(n)],
        )
        .await
        .map(|_| ())
    }

    /// The attribute `name` of the first element matching `css` (`None`: no element or no
    /// such attribute).
    pub async fn attribute(&self, css: &str, name: &str) -> anyhow::Result<Option<String>> {
        let v = self
            .js(
                "const e = document.querySelector(arguments[0]);
                 return e ? e.getAttribute(arguments[1]) : null;",
                vec![json!(css), json!(name)],
            )
            .await?;
        Ok(v.as_str().map(str::to_string))
    }

    /// Waits up to `secs` seconds until `script` (a function body; `arguments[i]` are `args`)
    /// returns something other than `null` or `false`, and answers that.
    pub async fn wait_for(
        &self,
        what: &str,
        secs: u64,
        script: &str,
        args: Vec<Value>,
    ) -> anyhow::Result<Value> {
        dashboard::wait_until(self.browser, what, secs, script, args).await
    }

    /// Runs `script` (a function body; `arguments[i]` are `args`) in the page.
    pub async fn js(&self, script: &str, args: Vec<Value>) -> anyhow::Result<Value> {
        self.browser.js(script, args).await
    }

    /// Marks the document shown now; [`Page::same_page`] tells whether it is still shown.
    pub async fn mark(&self) -> anyhow::Result<()> {
        dashboard::mark_page(self.browser).await
    }

    /// True while the document marked by [`Page::mark`] is shown (no reload, no navigation).
    pub async fn same_page(&self) -> anyhow::Result<bool> {
        dashboard::same_page(self.browser).await
    }

    /// Fails unless the document marked by [`Page::mark`] is still shown: what was seen came
    /// live, not from a reload.
    pub async fn expect_same_page(&self, when: &str) -> anyhow::Result<()> {
        anyhow::ensure!(
            self.same_page().await?,
            "{}: the page reloaded or navigated ({when})",
            self.name()
        );
        Ok(())
    }

    /// Fails if the page reported errors (failed loads, exceptions, `console.error`).
    pub async fn no_errors(&self) -> anyhow::Result<()> {
        dashboard::no_page_errors(self.browser).await
    }

    /// A screenshot in `e2e/output/{file}` once transitions have settled.
    pub async fn screenshot(&self, file: &str) -> anyhow::Result<()> {
        dashboard::screenshot(self.browser, file).await
    }

    /// `e2e/output/page-{name}-{light,dark}.png` at the window's size, then the phone-width
    /// pictures `phone` asks for (`page-{name}-{light,dark}-phone.png`); leaves the window at its
    /// size, in light.
    pub async fn screenshots(&self, name: &str, phone: PhoneShots) -> anyhow::Result<()> {
        let mut sizes = vec![(None, "", [false, true].as_slice())];
        match phone {
            PhoneShots::None => {}
            PhoneShots::Light => sizes.push((Some(PHONE), "-phone", [false].as_slice())),
            PhoneShots::LightAndDark => {
                sizes.push((Some(PHONE), "-phone", [false, true].as_slice()))
            }
        }
        for (size, suffix, schemes) in sizes {
            self.browser.viewport(size).await?;
            for &dark in schemes {
                self.browser.color_scheme(dark).await?;
                let scheme = if dark { "dark" } else { "light" };
                self.screenshot(&format!("page-{name}-{scheme}{suffix}.png"))
                    .await?;
            }
        }
        self.browser.viewport(None).await?;
        self.browser.color_scheme(false).await?;
        Ok(())
    }

    /// The status the hub answers this browser (its cookies) for `GET path`, fetched from the
    /// page as its own script would.
    pub async fn status_of(&self, path: &str) -> anyhow::Result<u16> {
        let status = self
            .browser
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 fetch(arguments[0], { credentials: 'same-origin' })
                   .then((r) => done(r.status), () => done(0));",
                vec![json!(path)],
            )
            .await?;
        let status = status.as_u64().context("a status")?;
        Ok(u16::try_from(status)?)
    }
}

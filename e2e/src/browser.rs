//! Headless Chromium over WebDriver: one `chromedriver` process, and one [`Browser`] (its own
//! WebDriver session, Chromium process and fresh profile folder) per independent browser context.
//! Chromium and chromedriver are never downloaded: the system packages must be installed.

use crate::process::ChildProcess;
use crate::{free_port, output_dir, wait_for};
use anyhow::{bail, Context};
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const INSTALL_HINT: &str =
    "install the system packages with `e2e/scripts/prepare.sh test` (apt-get install chromium chromium-driver)";

/// Collects page errors, failed resource loads and `console.error` calls into
/// `window.__e2eErrors`, in every document before its own scripts run.
const ERROR_COLLECTOR: &str = r#"(() => {
  const log = [];
  Object.defineProperty(window, '__e2eErrors', { value: log });
  window.addEventListener('error', (e) => {
    const src = e.target && (e.target.src || e.target.href);
    log.push(src ? 'failed to load ' + src : 'error: ' + e.message);
  }, true);
  window.addEventListener('unhandledrejection', (e) => log.push('unhandled rejection: ' + String(e.reason)));
  const original = console.error.bind(console);
  console.error = (...args) => { log.push('console.error: ' + args.map(String).join(' ')); original(...args); };
})();"#;

/// `env_var` if set, else `default` if it exists, else the first of `names` on `PATH`.
fn find_program(env_var: &str, default: &str, names: &[&str]) -> anyhow::Result<PathBuf> {
    if let Ok(path) = std::env::var(env_var) {
        let path = PathBuf::from(path);
        if path.is_file() {
            return Ok(path);
        }
        bail!(
            "{env_var}={} does not exist; {INSTALL_HINT}",
            path.display()
        );
    }
    if Path::new(default).is_file() {
        return Ok(PathBuf::from(default));
    }
    let path_var = std::env::var_os("PATH").unwrap_or_default();
    for dir in std::env::split_paths(&path_var) {
        for name in names {
            let candidate = dir.join(name);
            if candidate.is_file() {
                return Ok(candidate);
            }
        }
    }
    bail!(
        "{} was not found (nor {env_var}, nor any of {names:?} on PATH); {INSTALL_HINT}",
        default
    )
}

/// A `chromedriver` process on a free loopback port; stopped (with its browsers) on drop.
pub struct ChromeDriver {
    /// `http://127.0.0.1:PORT`
    pub url: String,
    chromium: PathBuf,
    _process: ChildProcess,
}

impl ChromeDriver {
    /// Starts chromedriver; fails (never skips) when Chromium or chromedriver is missing.
    pub async fn start(label: &str) -> anyhow::Result<ChromeDriver> {
        let chromium = find_program("CHROMIUM_BIN", CHROMIUM, &["chromium", "chromium-browser"])?;
        let driver = find_program("CHROMEDRIVER_BIN", CHROMEDRIVER, &["chromedriver"])?;
        let port = free_port()?;
        let mut cmd = Command::new(&driver);
        cmd.arg(format!("--port={port}"));
        let log = output_dir().join(format!("{label}.log"));
        // The process group holds the Chromium processes too: dropping this stops them all.
        let mut process = ChildProcess::spawn("chromedriver", cmd, &log, true)?;
        let url = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(2))
            .build()?;
        let status = format!("{url}/status");
        wait_for(
            "chromedriver to answer /status",
            Duration::from_secs(20),
            Duration::from_millis(50),
            || {
                let exited = process.exited();
                let request = http.get(&status).send();
                async move {
                    if let Some(code) = exited {
                        bail!("chromedriver exited ({code})");
                    }
                    let Ok(res) = request.await else {
                        return Ok(None);
                    };
                    let body: Value = res.json().await.unwrap_or_default();
                    Ok((body["value"]["ready"] == json!(true)).then_some(()))
                }
            },
        )
        .await
        .with_context(|| {
            format!(
                "chromedriver log {}:\n{}",
                log.display(),
                process.log_tail(20)
            )
        })?;
        Ok(ChromeDriver {
            url,
            chromium,
            _process: process,
        })
    }

    /// A new, independent browser: its own session, Chromium process and profile folder.
    pub async fn browser(&self, name: &str) -> anyhow::Result<Browser> {
        let profile = tempfile::Builder::new()
            .prefix("presence-hub-e2e-chromium.")
            .tempdir()?;
        let args = vec![
            "--headless".to_string(),
            "--no-sandbox".into(),
            "--disable-gpu".into(),
            "--disable-quic".into(),
            "--no-first-run".into(),
            "--disable-background-networking".into(),
            "--disable-component-update".into(),
            "--disable-sync".into(),
            "--window-size=1280,900".into(),
            format!("--user-data-dir={}", profile.path().display()),
        ];
        let capabilities = json!({
            "browserName": "chrome",
            "goog:chromeOptions": { "binary": self.chromium, "args": args },
            "goog:loggingPrefs": { "browser": "ALL" },
        });
        let Value::Object(capabilities) = capabilities else {
            unreachable!("an object literal")
        };
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities)
            .connect(&self.url)
            .await
            .with_context(|| format!("start a Chromium session ({name}) through chromedriver"))?;
        let session = client
            .session_id()
            .await?
            .context("the WebDriver session has no id")?;
        let browser = Browser {
            client,
            name: name.to_string(),
            session_url: format!("{}/session/{session}", self.url),
            _profile: profile,
        };
        browser
            .chromedriver_command(
                "goog/cdp/execute",
                json!({
                    "cmd": "Page.addScriptToEvaluateOnNewDocument",
                    "params": { "source": ERROR_COLLECTOR },
                }),
            )
            .await
            .context("install the page error collector")?;
        Ok(browser)
    }
}

/// One browser context (a WebDriver session). Call [`Browser::close`] at the end; if a test
/// fails first, dropping the [`ChromeDriver`] stops the browser anyway.
pub struct Browser {
    pub client: Client,
    pub name: String,
    /// `http://127.0.0.1:PORT/session/ID` on chromedriver, for its non-standard commands.
    session_url: String,
    _profile: tempfile::TempDir,
}

impl Browser {
    /// Signs in through the plain HTML form at `{base}/login` and waits to land elsewhere.
    pub async fn login(&self, base: &str, email: &str, password: &str) -> anyhow::Result<()> {
        let c = &self.client;
        c.goto(&format!("{base}/login")).await?;
        let form = c
            .wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::Css("form[action='/login']"))
            .await?;
        form.find(Locator::Css("input[name=email]"))
            .await?
            .send_keys(email)
            .await?;
        form.find(Locator::Css("input[name=password]"))
            .await?
            .send_keys(password)
            .await?;
        form.find(Locator::Css("button[type=submit], input[type=submit]"))
            .await?
            .click()
            .await?;
        wait_for(
            &format!("{} ({email}) to leave /login", self.name),
            Duration::from_secs(10),
            Duration::from_millis(50),
            || async {
                let url = c.current_url().await?;
                if url.path() != "/login" {
                    return Ok(Some(()));
                }
                if let Ok(error) = c.find(Locator::Css("#login-error")).await {
                    bail!("login of {email} refused: {}", error.text().await?);
                }
                Ok(None)
            },
        )
        .await
    }

    /// Runs `script` (a function body; `arguments[i]` are `args`) in the page.
    pub async fn js(&self, script: &str, args: Vec<Value>) -> anyhow::Result<Value> {
        Ok(self.client.execute(script, args).await?)
    }

    /// Polls `script` every `every` until it returns something other than `null`/`false`.
    pub async fn wait_js(
        &self,
        what: &str,
        timeout: Duration,
        every: Duration,
        script: &str,
        args: Vec<Value>,
    ) -> anyhow::Result<Value> {
        wait_for(what, timeout, every, || {
            let args = args.clone();
            async move {
                let value = self.js(script, args).await?;
                Ok((!matches!(value, Value::Null | Value::Bool(false))).then_some(value))
            }
        })
        .await
    }

    /// Waits (up to `timeout`) until no finite CSS animation or transition is running, so a
    /// screenshot shows the final state rather than a colour halfway through a transition.
    pub async fn settle_animations(&self, timeout: Duration) -> anyhow::Result<()> {
        self.wait_js(
            "CSS animations and transitions to finish",
            timeout,
            Duration::from_millis(25),
            r#"return document.getAnimations().every((a) =>
                 a.playState !== 'running' || a.effect.getComputedTiming().iterations === Infinity);"#,
            vec![],
        )
        .await
        .map(|_| ())
    }

    /// Errors the page reported so far (see `ERROR_COLLECTOR`).
    pub async fn page_errors(&self) -> anyhow::Result<Vec<String>> {
        let value = self
            .js("return Array.from(window.__e2eErrors || []);", vec![])
            .await?;
        Ok(serde_json::from_value(value)?)
    }

    /// The browser console since the last call (chromedriver's log endpoint).
    pub async fn console_log(&self) -> anyhow::Result<Vec<String>> {
        let value = self
            .chromedriver_command("se/log", json!({ "type": "browser" }))
            .await?;
        let entries = value.as_array().cloned().unwrap_or_default();
        Ok(entries
            .iter()
            .map(|e| {
                format!(
                    "{} {}",
                    e["level"].as_str().unwrap_or("?"),
                    e["message"].as_str().unwrap_or("")
                )
            })
            .collect())
    }

    /// Saves a PNG screenshot of the viewport to `path`.
    pub async fn screenshot(&self, path: &Path) -> anyhow::Result<()> {
        let png = self.client.screenshot().await?;
        std::fs::write(path, png).with_context(|| format!("write {}", path.display()))
    }

    /// A cookie's value as the browser holds it (HttpOnly ones included).
    pub async fn cookie(&self, name: &str) -> anyhow::Result<String> {
        let cookie = self
            .client
            .get_named_cookie(name)
            .await
            .with_context(|| format!("{} has no cookie {name}", self.name))?;
        Ok(cookie.value().to_string())
    }

    /// Light or dark: what `prefers-color-scheme` reports to the page from now on.
    pub async fn color_scheme(&self, dark: bool) -> anyhow::Result<()> {
        let value = if dark { "dark" } else { "light" };
        self.chromedriver_command(
            "goog/cdp/execute",
            json!({
                "cmd": "Emulation.setEmulatedMedia",
                "params": { "features": [{ "name": "prefers-color-scheme", "value": value }] },
            }),
        )
        .await
        .map(|_| ())
    }

    /// Emulates a viewport of `width` × `height` CSS pixels (a phone: 390 × 844), or the
    /// window's own size again with `None`.
    pub async fn viewport(&self, size: Option<(u32, u32)>) -> anyhow::Result<()> {
        let command = match size {
            Some((width, height)) => json!({
                "cmd": "Emulation.setDeviceMetricsOverride",
                "params": { "width": width, "height": height, "deviceScaleFactor": 1, "mobile": true },
            }),
            None => json!({ "cmd": "Emulation.clearDeviceMetricsOverride", "params": {} }),
        };
        self.chromedriver_command("goog/cdp/execute", command)
            .await
            .map(|_| ())
    }

    /// Ends the WebDriver session (and its Chromium).
    pub async fn close(self) -> anyhow::Result<()> {
        self.client.close().await?;
        Ok(())
    }

    async fn chromedriver_command(&self, path: &str, body: Value) -> anyhow::Result<Value> {
        let res = reqwest::Client::new()
            .post(format!("{}/{path}", self.session_url))
            .json(&body)
            .send()
            .await?;
        let status = res.status();
        let body: Value = res.json().await?;
        if !status.is_success() {
            bail!("chromedriver {path}: {status} {body}");
        }
        Ok(body["value"].clone())
    }
}

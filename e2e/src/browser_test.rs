//! The frame every browser test shares: a hub, chromedriver and one browser per person; after
//! the scenario each browser's console is saved, and on failure each page's screenshot, HTML and
//! errors and the hub's log tail; then everything is stopped and a failure panics with its
//! whole chain of context.
//!
//! ```ignore
//! let test = BrowserTest::start("work-pages", HubOptions::default(), &["owner", "alice"]).await;
//! let outcome = scenario(&test.hub, test.page(0), test.page(1)).await;
//! test.finish(outcome).await;
//! ```

use crate::dashboard::{clear_failure, dump_failure, save_console};
use crate::page::Page;
use crate::{Browser, ChromeDriver, Hub, HubOptions};

pub struct BrowserTest {
    pub hub: Hub,
    /// Names the output files: `{name}-hub.log`, `{name}-console-{who}.log`,
    /// `{name}-{who}-failure.png`.
    name: String,
    /// Whom each browser is for ("owner", "alice"), in the order given to `start`.
    people: Vec<String>,
    browsers: Vec<Browser>,
    // Dropped after the browsers: stopping chromedriver stops their Chromium processes.
    driver: ChromeDriver,
}

impl BrowserTest {
    /// Starts the hub (`options`; its log is `{name}-hub.log` unless `options.label` says
    /// otherwise), chromedriver, and one fresh browser for each of `people`. Panics when one of
    /// them cannot start: there is no test without them.
    pub async fn start(name: &str, mut options: HubOptions, people: &[&str]) -> BrowserTest {
        for who in people {
            clear_failure(&format!("{name}-{who}"));
        }
        if options.label == HubOptions::default().label {
            options.label = format!("{name}-hub");
        }
        let hub = Hub::start(options).await.expect("the hub starts");
        let driver = ChromeDriver::start(&format!("{name}-chromedriver"))
            .await
            .expect("chromedriver starts (Chromium is needed: e2e/scripts/prepare.sh test)");
        let mut browsers = Vec::with_capacity(people.len());
        for who in people {
            let browser = driver
                .browser(&format!("browser ({who})"))
                .await
                .unwrap_or_else(|e| panic!("a browser for {who}: {e:#}"));
            browsers.push(browser);
        }
        BrowserTest {
            hub,
            name: name.to_string(),
            people: people.iter().map(|p| p.to_string()).collect(),
            browsers,
            driver,
        }
    }

    /// The page of the `i`-th person given to [`BrowserTest::start`].
    pub fn page(&self, i: usize) -> Page<'_> {
        Page::new(&self.browsers[i], &self.hub)
    }

    /// Saves the consoles; on failure dumps every page and the hub's log tail; closes the
    /// browsers and chromedriver; panics on failure, else stops the hub (which must stop
    /// cleanly on SIGTERM).
    pub async fn finish(self, outcome: anyhow::Result<()>) {
        let BrowserTest {
            hub,
            name,
            people,
            browsers,
            driver,
        } = self;
        for (who, browser) in people.iter().zip(&browsers) {
            save_console(browser, &format!("{name}-console-{who}.log")).await;
        }
        if outcome.is_err() {
            for (who, browser) in people.iter().zip(&browsers) {
                dump_failure(browser, &format!("{name}-{who}")).await;
            }
            eprintln!(
                "hub log {} (tail):\n{}",
                hub.log_path().display(),
                hub.log_tail(40)
            );
        }
        for browser in browsers {
            let _ = browser.close().await;
        }
        drop(driver);
        if let Err(e) = outcome {
            panic!("{e:#}");
        }
        hub.stop().expect("the hub stops cleanly on SIGTERM");
    }
}

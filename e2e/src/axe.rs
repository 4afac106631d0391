//! axe-core (npm, the accessibility engine browsers' own audits use) run in a page: the WCAG
//! 2.0/2.1 level A and AA rules, and the findings of impact serious or critical. The script is
//! installed by `e2e/scripts/prepare.sh test` (npm, pinned) and found through `AXE_CORE_JS`.

use anyhow::{bail, Context};
use serde::Deserialize;
use serde_json::json;

use crate::Browser;

/// Where prepare.sh installs axe-core when `AXE_CORE_JS` is not set.
const DEFAULT_AXE: &str = "/var/tmp/presence-hub-node/node_modules/axe-core/axe.min.js";

/// One rule a page breaks, with up to five of the elements that break it.
#[derive(Debug, Clone, Deserialize)]
pub struct Violation {
    pub id: String,
    pub impact: Option<String>,
    pub help: String,
    pub nodes: Vec<String>,
}

impl Violation {
    /// Serious or critical: what the test command refuses.
    pub fn blocks(&self) -> bool {
        matches!(self.impact.as_deref(), Some("serious" | "critical"))
    }
}

/// The axe-core script.
pub fn source() -> anyhow::Result<String> {
    let path = std::env::var("AXE_CORE_JS").unwrap_or_else(|_| DEFAULT_AXE.to_string());
    std::fs::read_to_string(&path)
        .with_context(|| format!("axe-core not found at {path}: run e2e/scripts/prepare.sh test"))
}

/// Runs axe-core over the whole document shown in `browser`.
pub async fn violations(browser: &Browser, axe: &str) -> anyhow::Result<Vec<Violation>> {
    let script = r#"
        const done = arguments[arguments.length - 1];
        if (!window.axe) { (0, eval)(arguments[0]); }
        window.axe.run(document, {
            runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
            resultTypes: ['violations'],
        }).then((r) => done(JSON.stringify(r.violations.map((v) => ({
            id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.slice(0, 5).map((n) => n.target.join(' ')),
        }))))).catch((e) => done('ERROR ' + e));
    "#;
    let answer = browser
        .client
        .execute_async(script, vec![json!(axe)])
        .await
        .context("run axe-core")?;
    let text = answer.as_str().unwrap_or_default();
    if let Some(error) = text.strip_prefix("ERROR ") {
        bail!("axe-core failed in the page: {error}");
    }
    Ok(serde_json::from_str(text)?)
}

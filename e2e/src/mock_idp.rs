//! A real OpenID provider for the single sign-on tests: `e2e/sso/mock-idp.mjs`, which runs the
//! npm package oauth2-mock-server (real RS256-signed tokens, its JWKS, PKCE, the nonce of the
//! authorize request) on loopback, as a child process stopped when the handle is dropped. Node
//! and the package come from `e2e/scripts/prepare.sh test`; without them the test fails and
//! says so. The provider's control endpoint shapes the next ID tokens ([`TokenMode`]).

use anyhow::{bail, ensure, Context};
use serde_json::json;
use std::process::Command;
use std::time::Duration;

use crate::process::ChildProcess;
use crate::{output_dir, wait_for, workspace_root};

const INSTALL_HINT: &str = "Node.js and the npm package oauth2-mock-server are needed: run e2e/scripts/prepare.sh test (it installs the package into /var/tmp/presence-hub-node; PRESENCE_NODE_DIR overrides)";

/// What the provider's next ID tokens are like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenMode {
    /// Valid, with `email_verified: true`.
    Normal,
    /// `email_verified: false`.
    EmailUnverified,
    /// An audience that is not the hub's client id.
    WrongAudience,
    /// `exp` in the past.
    Expired,
    /// A nonce other than the sign-in's.
    WrongNonce,
    /// Signed by a key the provider never published.
    OtherKey,
}

impl TokenMode {
    fn as_str(self) -> &'static str {
        match self {
            TokenMode::Normal => "normal",
            TokenMode::EmailUnverified => "unverified",
            TokenMode::WrongAudience => "wrong-aud",
            TokenMode::Expired => "expired",
            TokenMode::WrongNonce => "wrong-nonce",
            TokenMode::OtherKey => "other-key",
        }
    }
}

/// The running provider.
pub struct MockIdp {
    /// `http://127.0.0.1:PORT`: the issuer to configure the hub with.
    pub issuer: String,
    control: String,
    http: reqwest::Client,
    process: ChildProcess,
}

impl MockIdp {
    /// Starts the provider (its output in `e2e/output/{label}.log`) and waits for its URLs.
    pub async fn start(label: &str) -> anyhow::Result<MockIdp> {
        let node = std::env::var("NODE_BIN").unwrap_or_else(|_| "node".to_string());
        let script = workspace_root().join("e2e/sso/mock-idp.mjs");
        let log = output_dir().join(format!("{label}.log"));
        let mut cmd = Command::new(&node);
        cmd.arg(&script);
        let mut process = ChildProcess::spawn("mock-idp", cmd, &log, false)
            .with_context(|| format!("start {node} {}. {INSTALL_HINT}", script.display()))?;
        let urls = wait_for(
            "the mock OpenID provider's URLs on its standard output",
            Duration::from_secs(30),
            Duration::from_millis(50),
            || {
                let exited = process.exited();
                let text = std::fs::read_to_string(&log).unwrap_or_default();
                async move {
                    let urls: Vec<String> = text
                        .lines()
                        .map(str::trim)
                        .filter(|l| l.starts_with("http://127.0.0.1:"))
                        .map(str::to_string)
                        .collect();
                    if urls.len() >= 2 {
                        return Ok(Some(urls));
                    }
                    if let Some(status) = exited {
                        bail!(
                            "the mock OpenID provider exited ({status}):\n{text}\n{INSTALL_HINT}"
                        );
                    }
                    Ok(None)
                }
            },
        )
        .await
        .with_context(|| format!("log {}", log.display()))?;
        Ok(MockIdp {
            issuer: urls[0].clone(),
            control: urls[1].clone(),
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(5))
                .build()?,
            process,
        })
    }

    /// The next ID tokens: `mode`, for `email` (and the `name` claim when given).
    pub async fn next_token(
        &self,
        mode: TokenMode,
        email: &str,
        name: Option<&str>,
    ) -> anyhow::Result<()> {
        let res = self
            .http
            .post(format!("{}/next", self.control))
            .json(&json!({ "mode": mode.as_str(), "email": email, "name": name }))
            .send()
            .await
            .context("the mock provider's control endpoint")?;
        let status = res.status();
        let text = res.text().await.unwrap_or_default();
        ensure!(
            status == 204,
            "the mock provider refused {mode:?}: {status} {text}"
        );
        Ok(())
    }

    /// The last lines of the provider's output, for failures.
    pub fn log_tail(&self, lines: usize) -> String {
        self.process.log_tail(lines)
    }
}

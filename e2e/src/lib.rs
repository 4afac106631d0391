//! Helpers shared by the end-to-end tests: the real hub as a separate process, headless
//! Chromium driven over WebDriver (chromedriver + fantoccini), and API/agent clients that
//! talk to the hub the way the desktop agent does.
//!
//! Everything a test starts is stopped when its handle is dropped, and every log or
//! screenshot lands in [`output_dir`] (`e2e/output/`, ignored by git).
//!
//! Running them (Chromium and chromedriver from Debian: `e2e/scripts/prepare.sh test`):
//!
//! ```sh
//! cargo build -p server --bin presence-hub   # the tests start this binary, they do not build it
//! cargo test -p e2e -- --nocapture
//! ```
//!
//! Overrides: `PRESENCE_HUB_BIN` (the hub binary), `PRESENCE_AGENT_BIN` (the desktop agent),
//! `CHROMIUM_BIN`, `CHROMEDRIVER_BIN`.

pub mod agent;
pub mod api;
pub mod axe;
pub mod bench;
pub mod browser;
pub mod browser_test;
pub mod cluster;
pub mod dashboard;
pub mod fake_a2s;
pub mod hub;
pub mod load;
pub mod mock_idp;
pub mod page;
pub mod process;
pub mod swarm;
pub mod tab;
pub mod wait;
pub mod webhook_receiver;
pub mod xvfb;

pub use api::{AgentSocket, ApiSession};
pub use browser::{Browser, ChromeDriver};
pub use browser_test::BrowserTest;
pub use cluster::{Cluster, ClusterOptions};
pub use fake_a2s::{FakeA2s, FakeA2sOptions};
pub use hub::{Hub, HubOptions};
pub use page::Page;
pub use tab::TabSocket;
pub use wait::wait_for;
pub use webhook_receiver::{Received, WebhookReceiver};

use anyhow::bail;
use std::net::TcpListener;
use std::path::{Path, PathBuf};

/// The workspace root (the folder holding the top-level `Cargo.toml`).
pub fn workspace_root() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().map(PathBuf::from).unwrap_or(manifest)
}

/// `e2e/output/`, created on first use: screenshots and logs of the end-to-end tests.
pub fn output_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("output");
    std::fs::create_dir_all(&dir)
        .unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
    dir
}

/// A loopback port that was free a moment ago (bind to port 0, read it, let it go).
pub fn free_port() -> std::io::Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}

/// A binary of this workspace that the tests start but do not build: `$env_var`, else `name`
/// beside this test's own target folder, else `$CARGO_TARGET_DIR/debug`, else
/// `<workspace>/target/debug`. The error says how to build it.
pub fn binary(name: &str, env_var: &str, build: &str) -> anyhow::Result<PathBuf> {
    if let Ok(path) = std::env::var(env_var) {
        let path = PathBuf::from(path);
        if !path.is_file() {
            bail!("{env_var}={} is not a file", path.display());
        }
        return Ok(path);
    }
    let mut candidates = Vec::new();
    // Test executables live in <target>/debug/deps/; binaries in <target>/debug/.
    if let Ok(exe) = std::env::current_exe() {
        if let Some(profile_dir) = exe.parent().and_then(Path::parent) {
            candidates.push(profile_dir.join(name));
        }
    }
    if let Ok(target) = std::env::var("CARGO_TARGET_DIR") {
        candidates.push(PathBuf::from(target).join("debug").join(name));
    }
    candidates.push(workspace_root().join("target/debug").join(name));
    if let Some(found) = candidates.iter().find(|p| p.is_file()) {
        return Ok(found.clone());
    }
    let looked: Vec<String> = candidates.iter().map(|p| p.display().to_string()).collect();
    bail!(
        "{name} was not found (looked at {}); build it first with `{build}`, or set {env_var}",
        looked.join(", ")
    )
}

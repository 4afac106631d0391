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
//! Overrides: `PRESENCE_HUB_BIN` (the hub binary), `CHROMIUM_BIN`, `CHROMEDRIVER_BIN`.

pub mod api;
pub mod bench;
pub mod browser;
pub mod dashboard;
pub mod hub;
pub mod load;
pub mod process;
pub mod wait;

pub use api::{AgentSocket, ApiSession};
pub use browser::{Browser, ChromeDriver};
pub use hub::{Hub, HubOptions};
pub use wait::wait_for;

use std::net::TcpListener;
use std::path::PathBuf;

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

//! The real `presence-hub` binary, started as a separate process on a free loopback port over a
//! fresh SQLite database in a temporary folder (or on a given port and database: the cluster
//! harness in [`crate::cluster`] starts several over one PostgreSQL server).

use crate::process::ChildProcess;
use crate::{free_port, output_dir, wait_for, workspace_root};
use anyhow::bail;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, SystemTime};

pub const DEMO_PASSWORD: &str = "demo-pass-1";

/// How to start the hub.
#[derive(Debug, Clone)]
pub struct HubOptions {
    /// Prefix of the log file in `e2e/output/` (`<label>.log`).
    pub label: String,
    /// `--demo`: the demo company and its six logins.
    pub demo: bool,
    /// `HUB_OFFLINE_GRACE_MS`.
    pub offline_grace_ms: u64,
    /// `HUB_IDLE_THRESHOLD_MS_OVERRIDE` (0 = the policy's threshold).
    pub idle_threshold_ms_override: u64,
    /// More environment for the process.
    pub env: Vec<(String, String)>,
    /// An existing database (e.g. seeded for a benchmark) instead of a fresh SQLite file.
    pub database_url: Option<String>,
    /// How long to wait for `/healthz` after the start.
    pub start_timeout: Duration,
    /// Listen on this loopback port instead of a free one (a node started again where it was).
    pub port: Option<u16>,
    /// `--data-dir` (default: a folder inside the hub's temporary folder); hubs of one cluster
    /// share one.
    pub data_dir: Option<PathBuf>,
    /// More command-line arguments, after the hub's own.
    pub args: Vec<String>,
}

impl Default for HubOptions {
    fn default() -> Self {
        HubOptions {
            label: "hub".into(),
            demo: true,
            offline_grace_ms: 1500,
            idle_threshold_ms_override: 0,
            env: Vec::new(),
            database_url: None,
            start_timeout: Duration::from_secs(30),
            port: None,
            data_dir: None,
            args: Vec::new(),
        }
    }
}

/// A running hub process; SIGTERM on drop.
pub struct Hub {
    /// `http://127.0.0.1:PORT`
    pub url: String,
    port: u16,
    process: ChildProcess,
    /// The database and data folder; removed when the hub is dropped.
    dir: tempfile::TempDir,
}

/// A hub that was stopped to be started again: same port, same database, same data folder.
pub struct StoppedHub {
    port: u16,
    dir: tempfile::TempDir,
}

impl StoppedHub {
    /// Starts the hub again where it was (its log goes to `<options.label>.log`).
    pub async fn start(self, options: &HubOptions) -> anyhow::Result<Hub> {
        Hub::launch(&binary()?, options, self.dir, self.port).await
    }
}

impl Hub {
    /// Starts the hub and waits until `GET /healthz` answers 200.
    pub async fn start(options: HubOptions) -> anyhow::Result<Hub> {
        let binary = binary()?;
        warn_if_stale(&binary);
        if let Some(port) = options.port {
            let dir = tempfile::Builder::new()
                .prefix("presence-hub-e2e.")
                .tempdir()?;
            return Self::launch(&binary, &options, dir, port).await;
        }
        let mut last = None;
        for _attempt in 0..3 {
            match Self::start_once(&binary, &options).await {
                Ok(hub) => return Ok(hub),
                // Another process took the port between our probe and the hub's bind: retry.
                Err(e) if format!("{e:#}").contains("cannot listen") => last = Some(e),
                Err(e) => return Err(e),
            }
        }
        Err(last.expect("three attempts"))
    }

    async fn start_once(binary: &Path, options: &HubOptions) -> anyhow::Result<Hub> {
        let dir = tempfile::Builder::new()
            .prefix("presence-hub-e2e.")
            .tempdir()?;
        let port = free_port()?;
        Self::launch(binary, options, dir, port).await
    }

    /// Starts the hub on `port` over the database and data folder in `dir`.
    async fn launch(
        binary: &Path,
        options: &HubOptions,
        dir: tempfile::TempDir,
        port: u16,
    ) -> anyhow::Result<Hub> {
        let url = format!("http://127.0.0.1:{port}");
        let data_dir = options
            .data_dir
            .clone()
            .unwrap_or_else(|| dir.path().join("data"));
        std::fs::create_dir_all(&data_dir)?;
        let mut cmd = Command::new(binary);
        cmd.arg("--listen")
            .arg(format!("127.0.0.1:{port}"))
            .arg("--database-url")
            .arg(
                options
                    .database_url
                    .clone()
                    .unwrap_or_else(|| format!("sqlite://{}", dir.path().join("hub.db").display())),
            )
            .arg("--data-dir")
            .arg(&data_dir)
            .env("HUB_OFFLINE_GRACE_MS", options.offline_grace_ms.to_string())
            .env(
                "HUB_IDLE_THRESHOLD_MS_OVERRIDE",
                options.idle_threshold_ms_override.to_string(),
            )
            .env(
                "RUST_LOG",
                std::env::var("RUST_LOG")
                    .unwrap_or_else(|_| "info,tower_http=warn,sqlx=warn".into()),
            )
            .env("NO_COLOR", "1")
            // The demo's simulated people would move dots the tests watch; a test that wants
            // them sets it in `env`.
            .env("HUB_DEMO_AGENTS", "0")
            .current_dir(dir.path());
        if options.demo {
            cmd.arg("--demo");
        }
        cmd.args(&options.args);
        for (k, v) in &options.env {
            cmd.env(k, v);
        }
        let log = output_dir().join(format!("{}.log", options.label));
        let mut process = ChildProcess::spawn("presence-hub", cmd, &log, false)?;

        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(2))
            .build()?;
        let health = format!("{url}/healthz");
        let ready = wait_for(
            "the hub's /healthz",
            options.start_timeout,
            Duration::from_millis(50),
            || {
                let exited = process.exited();
                let http = http.clone();
                let health = health.clone();
                async move {
                    if let Some(status) = exited {
                        bail!("presence-hub exited early ({status})");
                    }
                    Ok(match http.get(&health).send().await {
                        Ok(res) if res.status() == 200 => Some(()),
                        _ => None,
                    })
                }
            },
        )
        .await;
        if let Err(e) = ready {
            let tail = process.log_tail(30);
            return Err(e.context(format!(
                "presence-hub did not become healthy; log {}:\n{tail}",
                log.display()
            )));
        }
        Ok(Hub {
            url,
            port,
            process,
            dir,
        })
    }

    /// `http://127.0.0.1:PORT{path}`
    pub fn http_url(&self, path: &str) -> String {
        format!("{}{path}", self.url)
    }

    /// `ws://127.0.0.1:PORT{path}`
    pub fn ws_url(&self, path: &str) -> String {
        format!("{}{path}", self.url.replacen("http://", "ws://", 1))
    }

    /// The hub's process id (for `/proc/<pid>/…` readings).
    pub fn pid(&self) -> u32 {
        self.process.pid()
    }

    /// The loopback port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Sends a signal without waiting for anything (SIGSTOP and SIGCONT to pause and resume
    /// it, SIGTERM to start several shutdowns at once).
    pub fn signal(&self, sig: libc::c_int) {
        self.process.signal(sig);
    }

    /// The exit status if the process has ended (it is not waited for).
    pub fn exited(&mut self) -> Option<std::process::ExitStatus> {
        self.process.exited()
    }

    /// SIGKILL, as a crash would: no shutdown at all. Waits until the process is gone.
    pub fn kill9(mut self) {
        self.process.kill();
    }

    /// SIGKILL (as [`Hub::kill9`]) keeping the port and database for [`StoppedHub::start`]: a
    /// crash and a restart.
    pub fn kill9_for_restart(mut self) -> StoppedHub {
        self.process.kill();
        StoppedHub {
            port: self.port,
            dir: self.dir,
        }
    }

    /// `127.0.0.1:PORT`
    pub fn addr(&self) -> anyhow::Result<std::net::SocketAddr> {
        Ok(self.url.trim_start_matches("http://").parse()?)
    }

    pub fn log_path(&self) -> &Path {
        self.process.log_path()
    }

    pub fn log_tail(&self, lines: usize) -> String {
        self.process.log_tail(lines)
    }

    /// The one-time setup link a hub started without `--demo` on an empty database prints on
    /// standard output (the line after "No organization yet. …"), read from its log.
    pub async fn setup_link(&self) -> anyhow::Result<String> {
        let log = self.log_path().to_path_buf();
        wait_for(
            "the setup link on the hub's standard output",
            Duration::from_secs(10),
            Duration::from_millis(50),
            || {
                let text = std::fs::read_to_string(&log).unwrap_or_default();
                async move {
                    let link = text
                        .lines()
                        .skip_while(|l| !l.starts_with("No organization yet."))
                        .nth(1)
                        .map(str::trim)
                        .filter(|l| l.contains("/setup?token="))
                        .map(str::to_string);
                    Ok(link)
                }
            },
        )
        .await
    }

    /// Stops the hub cleanly (as [`Hub::stop`]) but keeps its port and database for
    /// [`StoppedHub::start`]: a hub that goes away and comes back.
    pub fn stop_for_restart(mut self) -> anyhow::Result<StoppedHub> {
        self.stop_cleanly()?;
        Ok(StoppedHub {
            port: self.port,
            dir: self.dir,
        })
    }

    /// Stops the hub with SIGTERM and checks that it shut down cleanly (exit code 0, in time).
    pub fn stop(mut self) -> anyhow::Result<()> {
        self.stop_cleanly()
    }

    fn stop_cleanly(&mut self) -> anyhow::Result<()> {
        let (status, on_its_own) = self.process.stop(Duration::from_secs(15));
        if !on_its_own {
            bail!(
                "presence-hub ignored SIGTERM for 15 s; log:\n{}",
                self.process.log_tail(20)
            );
        }
        match status {
            Some(s) if s.success() => Ok(()),
            other => bail!(
                "presence-hub exited with {other:?} after SIGTERM; log:\n{}",
                self.process.log_tail(20)
            ),
        }
    }
}

/// `PRESENCE_HUB_BIN`, else `presence-hub` in the build folder (see [`crate::binary`]).
pub fn binary() -> anyhow::Result<PathBuf> {
    crate::binary(
        "presence-hub",
        "PRESENCE_HUB_BIN",
        "cargo build -p server --bin presence-hub",
    )
}

/// The binary is built separately from the tests: say so loudly if it is older than the code.
fn warn_if_stale(binary: &Path) {
    let Ok(built) = binary.metadata().and_then(|m| m.modified()) else {
        return;
    };
    let root = workspace_root();
    let newest = ["server/src", "web/src", "shared/src", "migrations"]
        .iter()
        .filter_map(|dir| newest_mtime(&root.join(dir)))
        .max();
    if let Some((when, path)) = newest {
        if when > built {
            eprintln!(
                "WARNING: {} is older than {}; rebuild with `cargo build -p server --bin presence-hub`",
                binary.display(),
                path.display()
            );
        }
    }
}

fn newest_mtime(dir: &Path) -> Option<(SystemTime, PathBuf)> {
    let mut newest: Option<(SystemTime, PathBuf)> = None;
    for entry in std::fs::read_dir(dir).ok()?.flatten() {
        let path = entry.path();
        let found = if path.is_dir() {
            newest_mtime(&path)
        } else {
            entry
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .map(|t| (t, path))
        };
        if let Some(found) = found {
            if newest.as_ref().is_none_or(|(t, _)| found.0 > *t) {
                newest = Some(found);
            }
        }
    }
    newest
}

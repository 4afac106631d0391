//! The real `presence-agent` binary, used as a person would: `login`, `run` (headless, or with
//! its window on an X display), `start`/`stop`, `status`. Each [`AgentHome`] is a fresh config
//! folder (`PRESENCE_AGENT_HOME`), so tests never touch the user's own. The same tests drive
//! the Linux binary and the Windows one (`presence-agent.exe` under Wine, [`Platform`]).

use crate::output_dir;
use crate::process::ChildProcess;
use anyhow::{bail, Context};
use serde_json::Value;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

/// `PRESENCE_AGENT_BIN`, else `presence-agent` in the build folder (see [`crate::binary`]).
pub fn binary() -> anyhow::Result<PathBuf> {
    crate::binary(
        "presence-agent",
        "PRESENCE_AGENT_BIN",
        "cargo build -p agent --bin presence-agent",
    )
}

/// `PRESENCE_AGENT_EXE`, else the Windows build of e2e/scripts/windows-agent.sh.
pub fn windows_binary() -> anyhow::Result<PathBuf> {
    if let Ok(path) = std::env::var("PRESENCE_AGENT_EXE") {
        return Ok(PathBuf::from(path));
    }
    let target = std::env::var("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| crate::workspace_root().join("target"));
    let exe = target.join("x86_64-pc-windows-gnu/release/presence-agent.exe");
    if !exe.is_file() {
        bail!(
            "{} is missing; build it with e2e/scripts/windows-agent.sh (or set PRESENCE_AGENT_EXE)",
            exe.display()
        );
    }
    Ok(exe)
}

/// Which build of the agent runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Platform {
    /// The Linux binary, directly.
    Linux,
    /// `presence-agent.exe` under Wine, in the test prefix of e2e/scripts/wine-prefix.sh.
    Windows,
}

/// The Wine environment (`WINEPREFIX`, …) of the test prefix, made once per test process.
pub fn wine_env() -> anyhow::Result<&'static [(String, String)]> {
    static ENV: OnceLock<Result<Vec<(String, String)>, String>> = OnceLock::new();
    let made = ENV.get_or_init(|| {
        let script = crate::workspace_root().join("e2e/scripts/wine-prefix.sh");
        let out = Command::new(&script)
            .arg("--env-lines")
            .output()
            .map_err(|e| format!("run {}: {e}", script.display()))?;
        if !out.status.success() {
            return Err(format!(
                "{} failed: {}",
                script.display(),
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        Ok(String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect())
    });
    made.as_deref()
        .map_err(|e| anyhow::anyhow!("the Wine prefix: {e}"))
}

/// `program` (`wine`, `wineserver`) with the test prefix's environment.
pub fn wine_command(program: &str) -> anyhow::Result<Command> {
    let mut cmd = Command::new(program);
    for (key, value) in wine_env()? {
        cmd.env(key, value);
    }
    Ok(cmd)
}

/// Waits (up to 20 s) until the previous programs' Wine server has ended; one that lingers is
/// ended (`wineserver -k`), so a test never hangs on a stuck Wine.
pub fn wine_settled() -> anyhow::Result<()> {
    let server = |arg: &str| -> anyhow::Result<std::process::Child> {
        wine_command("wineserver")?
            .arg(arg)
            .spawn()
            .with_context(|| format!("wineserver {arg}"))
    };
    let mut wait = server("-w")?;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while std::time::Instant::now() < deadline {
        if wait.try_wait()?.is_some() {
            return Ok(());
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let _ = wait.kill();
    let _ = wait.wait();
    server("-k")?.wait()?;
    Ok(())
}

/// `/tmp/x` as a Windows program under Wine sees it: `Z:\tmp\x`.
pub fn wine_path(path: &Path) -> String {
    format!("Z:{}", path.display().to_string().replace('/', "\\"))
}

/// One device: a config folder and the agent binary.
pub struct AgentHome {
    dir: tempfile::TempDir,
    binary: PathBuf,
    pub platform: Platform,
}

/// How `presence-agent run` is started.
pub enum Display<'a> {
    /// `run --headless`, no `DISPLAY`.
    Headless,
    /// `run --headless` with `DISPLAY` set: idle detection and screenshots work, no window.
    HeadlessOn(&'a str),
    /// `run` with its window on this display.
    Window(&'a str),
}

impl AgentHome {
    /// A Linux agent.
    pub fn new() -> anyhow::Result<AgentHome> {
        AgentHome::on(Platform::Linux)
    }

    /// An agent of `platform`.
    pub fn on(platform: Platform) -> anyhow::Result<AgentHome> {
        let binary = match platform {
            Platform::Linux => binary()?,
            Platform::Windows => {
                wine_env()?;
                windows_binary()?
            }
        };
        Ok(AgentHome {
            dir: tempfile::Builder::new()
                .prefix("presence-agent-e2e.")
                .tempdir()?,
            binary,
            platform,
        })
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// `presence-agent ARGS` in this home (no display).
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = match self.platform {
            Platform::Linux => {
                let mut cmd = Command::new(&self.binary);
                cmd.env("PRESENCE_AGENT_HOME", self.dir.path());
                cmd
            }
            Platform::Windows => {
                // The prefix was made before the home: `on` fails without it.
                let mut cmd = wine_command("wine").unwrap_or_else(|_| Command::new("wine"));
                cmd.arg(&self.binary)
                    .env("PRESENCE_AGENT_HOME", wine_path(self.dir.path()));
                cmd
            }
        };
        cmd.args(args)
            .env_remove("DISPLAY")
            .env_remove("WAYLAND_DISPLAY")
            .env("NO_COLOR", "1")
            .env(
                "RUST_LOG",
                std::env::var("RUST_LOG").unwrap_or_else(|_| "info".into()),
            );
        cmd
    }

    /// Runs a short command to its end: its stdout, or an error with its output.
    fn finish(&self, mut cmd: Command, stdin: Option<&str>) -> anyhow::Result<String> {
        cmd.stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().context("start presence-agent")?;
        if let Some(mut pipe) = child.stdin.take() {
            if let Some(text) = stdin {
                pipe.write_all(text.as_bytes())?;
            }
        }
        let out = child.wait_with_output()?;
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        if !out.status.success() {
            bail!(
                "presence-agent {:?} failed ({}):\n{stdout}{}",
                cmd.get_args().collect::<Vec<_>>(),
                out.status,
                String::from_utf8_lossy(&out.stderr)
            );
        }
        Ok(stdout)
    }

    /// `presence-agent login --server URL --email E --password-stdin`.
    pub fn login(&self, server: &str, email: &str, password: &str) -> anyhow::Result<String> {
        let cmd = self.command(&[
            "login",
            "--server",
            server,
            "--email",
            email,
            "--password-stdin",
        ]);
        self.finish(cmd, Some(&format!("{password}\n")))
    }

    /// `presence-agent login` with no arguments: the hub, e-mail and password come from
    /// `PRESENCE_SERVER`, `PRESENCE_EMAIL` and `PRESENCE_PASSWORD`.
    pub fn login_from_env(
        &self,
        server: &str,
        email: &str,
        password: &str,
    ) -> anyhow::Result<String> {
        let mut cmd = self.command(&["login"]);
        cmd.env("PRESENCE_SERVER", server)
            .env("PRESENCE_EMAIL", email)
            .env("PRESENCE_PASSWORD", password);
        self.finish(cmd, None)
    }

    /// What `presence-agent status` prints.
    pub fn status(&self) -> anyhow::Result<String> {
        self.finish(self.command(&["status"]), None)
    }

    /// `presence-agent start`, answered by the running agent.
    pub fn start_session(&self) -> anyhow::Result<()> {
        self.finish(self.command(&["start"]), None).map(|_| ())
    }

    /// `presence-agent stop`, answered by the running agent.
    pub fn stop_session(&self) -> anyhow::Result<()> {
        self.finish(self.command(&["stop"]), None).map(|_| ())
    }

    /// The status file the running agent rewrites on every change (what `status` reads);
    /// read directly to time changes without starting a process per probe.
    pub fn status_file(&self) -> Option<Value> {
        let text = std::fs::read_to_string(self.dir.path().join("status.json")).ok()?;
        serde_json::from_str(&text).ok()
    }

    /// `presence-agent run`, its log in `e2e/output/<label>.log`; stopped with the handle.
    ///
    /// Windows: Wine runs one desktop per prefix, on the X display of the program that started
    /// it; a window on another display fails to get a GL context. So each run waits until the
    /// previous test's Wine has ended (`wineserver -w`), and the Windows tests run one at a time.
    pub fn run(&self, label: &str, display: Display<'_>) -> anyhow::Result<ChildProcess> {
        if self.platform == Platform::Windows {
            wine_settled()?;
        }
        let mut cmd = match display {
            Display::Headless => self.command(&["run", "--headless"]),
            Display::HeadlessOn(d) => {
                let mut cmd = self.command(&["run", "--headless"]);
                cmd.env("DISPLAY", d);
                cmd
            }
            Display::Window(d) => {
                let mut cmd = self.command(&["run"]);
                cmd.env("DISPLAY", d);
                cmd
            }
        };
        cmd.current_dir(self.dir.path());
        let log = output_dir().join(format!("{label}.log"));
        ChildProcess::spawn("presence-agent", cmd, &log, false)
    }
}

/// A value printed by `presence-agent status` on its `name:` line, trimmed.
pub fn status_line<'a>(status: &'a str, name: &str) -> Option<&'a str> {
    status.lines().find_map(|line| {
        let (key, value) = line.split_once(':')?;
        (key.trim() == name).then(|| value.trim())
    })
}

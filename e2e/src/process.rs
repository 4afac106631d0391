//! A child process that is stopped when its handle is dropped: SIGTERM first, SIGKILL if it
//! does not exit in time. Its stdout and stderr go to one log file.

use anyhow::Context;
use std::fs::File;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

pub struct ChildProcess {
    name: String,
    child: Child,
    log: PathBuf,
    /// Signal the whole process group (the child and whatever it started, e.g. Chromium).
    group: bool,
    exit: Option<ExitStatus>,
}

impl ChildProcess {
    /// Starts `cmd` in a process group of its own, output appended to `log`.
    pub fn spawn(name: &str, mut cmd: Command, log: &Path, group: bool) -> anyhow::Result<Self> {
        let out = File::create(log).with_context(|| format!("create {}", log.display()))?;
        let err = out.try_clone()?;
        cmd.stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .process_group(0);
        let child = cmd
            .spawn()
            .with_context(|| format!("start {name} ({:?})", cmd.get_program()))?;
        Ok(ChildProcess {
            name: name.to_string(),
            child,
            log: log.to_path_buf(),
            group,
            exit: None,
        })
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn log_path(&self) -> &Path {
        &self.log
    }

    /// The exit status if the process has ended (without waiting).
    pub fn exited(&mut self) -> Option<ExitStatus> {
        if self.exit.is_none() {
            self.exit = self.child.try_wait().ok().flatten();
        }
        self.exit
    }

    /// The last `lines` lines of the log, for error messages.
    pub fn log_tail(&self, lines: usize) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let all: Vec<&str> = text.lines().collect();
        all[all.len().saturating_sub(lines)..].join("\n")
    }

    /// SIGKILL (no chance to clean up) and waits for the end; the exit status.
    pub fn kill(&mut self) -> Option<ExitStatus> {
        if let Some(status) = self.exited() {
            return Some(status);
        }
        self.signal(libc::SIGKILL);
        self.exit = self.child.wait().ok();
        self.exit
    }

    /// SIGTERM, then up to `patience` for it to exit, then SIGKILL. Returns how it ended and
    /// whether it ended on its own after SIGTERM (not killed).
    pub fn stop(&mut self, patience: Duration) -> (Option<ExitStatus>, bool) {
        if let Some(status) = self.exited() {
            if self.group {
                self.signal(libc::SIGKILL); // leftovers of the group, if any
            }
            return (Some(status), true);
        }
        self.signal(libc::SIGTERM);
        let deadline = Instant::now() + patience;
        while Instant::now() < deadline {
            if let Some(status) = self.exited() {
                if self.group {
                    self.signal(libc::SIGKILL);
                }
                return (Some(status), true);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        eprintln!(
            "{} (pid {}) did not stop within {patience:?} of SIGTERM; killing it",
            self.name,
            self.pid()
        );
        self.signal(libc::SIGKILL);
        self.exit = self.child.wait().ok();
        (self.exit, false)
    }

    /// Sends `sig` to the process (or to its whole group, see [`ChildProcess::spawn`]).
    pub fn signal(&self, sig: libc::c_int) {
        let Ok(pid) = libc::pid_t::try_from(self.child.id()) else {
            return;
        };
        let target = if self.group { -pid } else { pid };
        // SAFETY: kill(2) with a pid (or process group id) of a child this handle started.
        unsafe {
            libc::kill(target, sig);
        }
    }
}

impl Drop for ChildProcess {
    fn drop(&mut self) {
        self.stop(Duration::from_secs(10));
    }
}

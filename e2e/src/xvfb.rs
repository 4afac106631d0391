//! A virtual X display (Debian's `Xvfb`) for the desktop agent's window, screenshots and idle
//! detection, and pictures of that display taken with ImageMagick's `import`.

use crate::output_dir;
use crate::process::ChildProcess;
use anyhow::{bail, Context};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

pub struct Xvfb {
    /// `:N`, for `DISPLAY`.
    pub display: String,
    _process: ChildProcess,
}

impl Xvfb {
    /// Starts Xvfb (1280×800, 24-bit) on the first free display number from 90.
    pub fn start(label: &str) -> anyhow::Result<Xvfb> {
        if Command::new("Xvfb").arg("-help").output().is_err() {
            bail!("Xvfb is not installed (Debian package xvfb; e2e/scripts/prepare.sh test)");
        }
        let first = 90 + (std::process::id() % 50);
        for number in first..first + 40 {
            if Path::new(&format!("/tmp/.X{number}-lock")).exists() {
                continue;
            }
            let display = format!(":{number}");
            let mut cmd = Command::new("Xvfb");
            cmd.args([&display, "-screen", "0", "1280x800x24", "-nolisten", "tcp"]);
            let log = output_dir().join(format!("{label}.log"));
            let mut process = ChildProcess::spawn("Xvfb", cmd, &log, false)?;
            let socket = PathBuf::from(format!("/tmp/.X11-unix/X{number}"));
            let deadline = Instant::now() + Duration::from_secs(10);
            while Instant::now() < deadline && process.exited().is_none() {
                if socket.exists() && display_answers(&display) {
                    return Ok(Xvfb {
                        display,
                        _process: process,
                    });
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            // Taken by someone else in the meantime, or too slow: try the next number.
        }
        bail!("no free X display number for Xvfb")
    }

    /// A PNG of the whole display in `e2e/output/<name>` (ImageMagick `import -window root`).
    pub fn screenshot(&self, name: &str) -> anyhow::Result<PathBuf> {
        let path = output_dir().join(name);
        let out = Command::new("import")
            .args(["-display", &self.display, "-window", "root"])
            .arg(&path)
            .output()
            .context("run ImageMagick's import (Debian package imagemagick)")?;
        if !out.status.success() {
            bail!(
                "import failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        Ok(path)
    }

    /// Moves the pointer (`xdotool`): user input, as far as idle detection can tell.
    pub fn move_pointer(&self, x: u32, y: u32) -> anyhow::Result<()> {
        self.xdotool(&["mousemove", &x.to_string(), &y.to_string()])
    }

    /// Moves the pointer to (`x`, `y`) and clicks the left button there.
    pub fn click(&self, x: u32, y: u32) -> anyhow::Result<()> {
        self.xdotool(&["mousemove", &x.to_string(), &y.to_string()])?;
        // The window hears the pointer arrive before the button goes down, as with a hand.
        std::thread::sleep(std::time::Duration::from_millis(150));
        self.xdotool(&["click", "1"])
    }

    fn xdotool(&self, args: &[&str]) -> anyhow::Result<()> {
        let out = Command::new("xdotool")
            .args(args)
            .env("DISPLAY", &self.display)
            .output()
            .context("run xdotool (Debian package xdotool)")?;
        if !out.status.success() {
            bail!(
                "xdotool failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        Ok(())
    }
}

/// Whether the X server answers (a connection can be opened), via `xdotool getdisplaygeometry`.
fn display_answers(display: &str) -> bool {
    Command::new("xdotool")
        .arg("getdisplaygeometry")
        .env("DISPLAY", display)
        .output()
        .is_ok_and(|o| o.status.success())
}

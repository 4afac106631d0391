//! Starting the agent at login, and the Windows installer, as a user would meet them:
//! `presence-agent install` / `uninstall` on Linux (the XDG autostart entry) and on Windows
//! under Wine (the HKCU `Run` value); `presence-agent-setup.exe /S` installing for this user
//! without administrator rights and its uninstaller (`/S`) leaving no file or value behind.
//! The Windows tests are ignored by a plain `cargo test` (they need e2e/scripts/windows-agent.sh's
//! build); e2e/scripts/test-all.sh runs them.

use anyhow::Context;
use e2e::agent::{windows_binary, wine_command, wine_env, AgentHome, Platform};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

/// Both Windows tests write the one `PresenceAgent` value of this user's `Run` key: one at a time.
static RUN_VALUE: std::sync::Mutex<()> = std::sync::Mutex::new(());

const RUN_KEY: &str = r"HKCU\Software\Microsoft\Windows\CurrentVersion\Run";
const UNINSTALL_KEY: &str =
    r"HKCU\Software\Microsoft\Windows\CurrentVersion\Uninstall\PresenceAgent";

fn run(mut cmd: Command) -> anyhow::Result<Output> {
    let out = cmd.output().with_context(|| format!("start {cmd:?}"))?;
    Ok(out)
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn linux_install_writes_the_autostart_entry_and_uninstall_removes_it() {
    let home = AgentHome::new().expect("an agent home");
    let config = tempfile::tempdir().expect("a config folder");
    let entry = config.path().join("autostart/presence-agent.desktop");
    let with_config = |args: &[&str]| {
        let mut cmd = home.command(args);
        cmd.env("XDG_CONFIG_HOME", config.path());
        cmd
    };
    let out = run(with_config(&["install"])).expect("install");
    assert!(out.status.success(), "{}", text(&out));
    let desktop = std::fs::read_to_string(&entry).expect("the autostart entry");
    let binary = e2e::agent::binary().expect("the agent binary");
    let exec = format!(
        "Exec=\"{}\" run --home \"{}\"",
        binary.display(),
        home.path().display()
    );
    assert!(desktop.contains(&exec), "{desktop}\nlooked for {exec}");
    assert!(desktop.starts_with("[Desktop Entry]\n"), "{desktop}");
    let out = run(with_config(&["uninstall"])).expect("uninstall");
    assert!(out.status.success(), "{}", text(&out));
    assert!(!entry.exists(), "the entry is gone");
    // Twice is fine: nothing to remove is not an error.
    let out = run(with_config(&["uninstall"])).expect("uninstall again");
    assert!(out.status.success(), "{}", text(&out));
}

/// `wine ARGS` in the test prefix.
fn wine(args: &[&str]) -> anyhow::Result<Command> {
    let mut cmd = wine_command("wine")?;
    cmd.args(args).env_remove("DISPLAY");
    Ok(cmd)
}

/// The data of `name` under the registry key `key`, if the value exists (`wine reg query`).
fn reg_value(key: &str, name: &str) -> anyhow::Result<Option<String>> {
    let out = run(wine(&["reg", "query", key, "/v", name])?)?;
    if !out.status.success() {
        return Ok(None);
    }
    let shown = String::from_utf8_lossy(&out.stdout).into_owned();
    let line = shown
        .lines()
        .find(|l| l.trim_start().starts_with(name))
        .with_context(|| format!("no {name} in {shown}"))?;
    Ok(line.split_once("REG_SZ").map(|(_, v)| v.trim().to_string()))
}

/// This user's folder in the prefix (`C:\users\NAME`).
fn wine_user_dir() -> anyhow::Result<PathBuf> {
    let prefix = wine_env()?
        .iter()
        .find(|(k, _)| k == "WINEPREFIX")
        .map(|(_, v)| PathBuf::from(v))
        .context("no WINEPREFIX")?;
    let user = std::env::var("USER").unwrap_or_else(|_| "root".into());
    Ok(prefix.join("drive_c/users").join(user))
}

/// Every file under `dir` (relative paths), leaving out temporary files.
fn files_under(dir: &Path) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(folder) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&folder) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let relative = path
                .strip_prefix(dir)
                .map(|p| p.display().to_string())
                .unwrap_or_default();
            if relative.starts_with("AppData/Local/Temp") || relative.starts_with("Temp") {
                continue;
            }
            if path.is_dir() && !path.is_symlink() {
                stack.push(path);
            } else {
                found.insert(relative);
            }
        }
    }
    found
}

#[test]
#[ignore = "the Windows build under Wine: e2e/scripts/test-all.sh runs it"]
fn windows_install_writes_the_run_value_and_uninstall_removes_it() {
    let _one_at_a_time = RUN_VALUE.lock().unwrap_or_else(|p| p.into_inner());
    let home = AgentHome::on(Platform::Windows).expect("a Windows agent home");
    let out = run(home.command(&["install"])).expect("install");
    assert!(out.status.success(), "{}", text(&out));
    let value = reg_value(RUN_KEY, "PresenceAgent")
        .expect("reg query")
        .expect("the Run value");
    assert!(
        value.contains("presence-agent.exe\" run --home \"Z:\\"),
        "{value}"
    );
    let out = run(home.command(&["uninstall"])).expect("uninstall");
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(
        reg_value(RUN_KEY, "PresenceAgent").expect("reg query"),
        None
    );
}

#[test]
#[ignore = "the Windows build under Wine: e2e/scripts/test-all.sh runs it"]
fn windows_silent_install_and_uninstall_leave_nothing_behind() {
    let _one_at_a_time = RUN_VALUE.lock().unwrap_or_else(|p| p.into_inner());
    let setup = windows_binary()
        .expect("the Windows build")
        .with_file_name("presence-agent-setup.exe");
    assert!(
        setup.is_file(),
        "{} (e2e/scripts/windows-agent.sh)",
        setup.display()
    );
    let user_dir = wine_user_dir().expect("the Wine user folder");
    let before = files_under(&user_dir);
    let installed = user_dir.join("AppData/Local/Programs/Presence Agent");

    let started = Instant::now();
    let setup_arg = e2e::agent::wine_path(&setup);
    let out = run(wine(&[&setup_arg, "/S"]).expect("wine")).expect("the installer");
    assert!(out.status.success(), "the installer failed: {}", text(&out));
    println!("silent install: {:.1} s", started.elapsed().as_secs_f64());
    for file in ["presence-agent.exe", "uninstall.exe"] {
        assert!(installed.join(file).is_file(), "{} installed", file);
    }
    let run_value = reg_value(RUN_KEY, "PresenceAgent")
        .expect("reg query")
        .expect("the Run value");
    assert!(
        run_value.ends_with("presence-agent.exe\" run"),
        "{run_value}"
    );
    let name = reg_value(UNINSTALL_KEY, "DisplayName").expect("reg query");
    assert_eq!(name.as_deref(), Some("Presence Agent"));
    let quiet = reg_value(UNINSTALL_KEY, "QuietUninstallString")
        .expect("reg query")
        .expect("a quiet uninstall command");
    assert!(quiet.ends_with("uninstall.exe\" /S"), "{quiet}");

    // The installed program runs.
    let exe = e2e::agent::wine_path(&installed.join("presence-agent.exe"));
    let out = run(wine(&[&exe, "--version"]).expect("wine")).expect("the installed agent");
    assert!(
        String::from_utf8_lossy(&out.stdout).starts_with("presence-agent "),
        "{}",
        text(&out)
    );

    // The uninstaller copies itself away and returns at once: wait for its work.
    let uninstaller = e2e::agent::wine_path(&installed.join("uninstall.exe"));
    let out = run(wine(&[&uninstaller, "/S"]).expect("wine")).expect("the uninstaller");
    assert!(
        out.status.success(),
        "the uninstaller failed: {}",
        text(&out)
    );
    let deadline = Instant::now() + Duration::from_secs(60);
    while installed.exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(250));
    }
    // Wine writes its registry to disk a moment after the last program ends.
    let mut settle = wine_command("wineserver").expect("wine");
    settle.arg("-w");
    let _ = run(settle);
    assert!(!installed.exists(), "{} is gone", installed.display());
    assert_eq!(
        reg_value(RUN_KEY, "PresenceAgent").expect("reg query"),
        None
    );
    assert_eq!(
        reg_value(UNINSTALL_KEY, "DisplayName").expect("reg query"),
        None
    );
    let after = files_under(&user_dir);
    let left: Vec<_> = after.difference(&before).collect();
    assert!(left.is_empty(), "files left behind: {left:?}");
}

//! Where the agent keeps its files. `--home` / `$PRESENCE_AGENT_HOME` puts them all in one
//! folder; otherwise they follow the platform (the `directories` crate): the login and the
//! policy in the user's config folder (`~/.config/presence-agent`, `%APPDATA%\presence-agent\config`,
//! `~/Library/Application Support/presence-agent`), the queue, the screenshots waiting for upload
//! and the logs in the local data folder (`~/.local/share/presence-agent`,
//! `%LOCALAPPDATA%\presence-agent\data`), which does not roam between computers.

use serde::de::DeserializeOwned;
use serde::Serialize;
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone)]
pub struct AgentPaths {
    /// The login, the policy, what the running agent shows; also names the agent (one login
    /// per folder).
    pub root: PathBuf,
    /// What this computer alone needs: writes and screenshots waiting for the hub, logs.
    pub data: PathBuf,
}

impl AgentPaths {
    /// `home` when given (the `--home` option, or `$PRESENCE_AGENT_HOME`), else the platform's
    /// folders for this user.
    pub fn resolve(home: Option<PathBuf>) -> std::io::Result<AgentPaths> {
        if let Some(home) = home.filter(|h| !h.as_os_str().is_empty()) {
            return Ok(AgentPaths::at(home));
        }
        let dirs = directories::ProjectDirs::from("", "", "presence-agent").ok_or_else(|| {
            std::io::Error::new(std::io::ErrorKind::NotFound, "no home folder for this user")
        })?;
        Ok(AgentPaths {
            root: dirs.config_dir().to_path_buf(),
            data: dirs.data_local_dir().to_path_buf(),
        })
    }

    /// Everything in `root`.
    pub fn at(root: PathBuf) -> AgentPaths {
        AgentPaths {
            data: root.clone(),
            root,
        }
    }

    /// The server URL and who logged in; the device token too where there is no credential
    /// store (mode 0600).
    pub fn credentials(&self) -> PathBuf {
        self.root.join("credentials.json")
    }
    /// The last policy received, used when the hub is unreachable at start.
    pub fn config_cache(&self) -> PathBuf {
        self.root.join("config-cache.json")
    }
    /// Writes waiting for the hub (starts, stops), one JSON object per line.
    pub fn queue(&self) -> PathBuf {
        self.data.join("queue.jsonl")
    }
    /// Screenshots waiting for upload.
    pub fn pending_screenshots(&self) -> PathBuf {
        self.data.join("pending-screenshots")
    }
    /// What the running agent shows; `presence-agent status` reads it.
    pub fn status(&self) -> PathBuf {
        self.root.join("status.json")
    }
    /// The running agent's control channel (`presence-agent start|stop`): a Unix socket here,
    /// or on Windows the name of a pipe made from this path.
    pub fn control_socket(&self) -> PathBuf {
        self.root.join("control.sock")
    }
    pub fn logs(&self) -> PathBuf {
        self.data.join("logs")
    }
}

/// Writes JSON atomically (temp file + rename) with the given Unix mode. Windows has no modes:
/// the file inherits the ACL of the user's own profile folder, which others cannot read.
pub fn write_json<T: Serialize>(path: &Path, value: &T, mode: u32) -> std::io::Result<()> {
    #[cfg(not(unix))]
    let _ = mode;
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let tmp = path.with_extension("tmp");
    {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, mode);
        let mut file = options.open(&tmp)?;
        file.write_all(&serde_json::to_vec_pretty(value).map_err(std::io::Error::other)?)?;
        file.sync_all()?;
    }
    #[cfg(unix)]
    std::fs::set_permissions(&tmp, std::os::unix::fs::PermissionsExt::from_mode(mode))?;
    std::fs::rename(&tmp, path)
}

pub fn read_json<T: DeserializeOwned>(path: &Path) -> Option<T> {
    let bytes = std::fs::read(path).ok()?;
    serde_json::from_slice(&bytes).ok()
}

//! Where the agent keeps its files: `$PRESENCE_AGENT_HOME`, else the user's config folder
//! (`~/.config/presence-agent` on Linux).

use serde::de::DeserializeOwned;
use serde::Serialize;
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone)]
pub struct AgentPaths {
    pub root: PathBuf,
}

impl AgentPaths {
    pub fn resolve() -> std::io::Result<AgentPaths> {
        let root = match std::env::var_os("PRESENCE_AGENT_HOME") {
            Some(dir) if !dir.is_empty() => PathBuf::from(dir),
            _ => dirs::config_dir()
                .ok_or_else(|| {
                    std::io::Error::new(
                        std::io::ErrorKind::NotFound,
                        "no config folder for this user",
                    )
                })?
                .join("presence-agent"),
        };
        Ok(AgentPaths::at(root))
    }

    pub fn at(root: PathBuf) -> AgentPaths {
        AgentPaths { root }
    }

    /// The device token and server URL (mode 0600).
    pub fn credentials(&self) -> PathBuf {
        self.root.join("credentials.json")
    }
    /// The last policy received, used when the hub is unreachable at start.
    pub fn config_cache(&self) -> PathBuf {
        self.root.join("config-cache.json")
    }
    /// Writes waiting for the hub (starts, stops), one JSON object per line.
    pub fn queue(&self) -> PathBuf {
        self.root.join("queue.jsonl")
    }
    /// Screenshots waiting for upload.
    pub fn pending_screenshots(&self) -> PathBuf {
        self.root.join("pending-screenshots")
    }
    /// What the running agent shows; `presence-agent status` reads it.
    pub fn status(&self) -> PathBuf {
        self.root.join("status.json")
    }
    /// The running agent's control socket (`presence-agent start|stop`).
    pub fn control_socket(&self) -> PathBuf {
        self.root.join("control.sock")
    }
    pub fn logs(&self) -> PathBuf {
        self.root.join("logs")
    }
}

/// Writes JSON atomically (temp file + rename) with the given Unix mode.
pub fn write_json<T: Serialize>(path: &Path, value: &T, mode: u32) -> std::io::Result<()> {
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

//! The device token from `presence-agent login`.

use serde::{Deserialize, Serialize};

use crate::paths::{read_json, write_json, AgentPaths};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Credentials {
    pub server: String,
    pub token: String,
    pub user_id: i64,
    pub email: String,
    pub name: String,
}

impl Credentials {
    pub fn load(paths: &AgentPaths) -> Option<Credentials> {
        read_json(&paths.credentials())
    }

    /// Only the user may read it: the token logs in as them.
    pub fn save(&self, paths: &AgentPaths) -> std::io::Result<()> {
        write_json(&paths.credentials(), self, 0o600)
    }

    pub fn remove(paths: &AgentPaths) -> std::io::Result<()> {
        match std::fs::remove_file(paths.credentials()) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }
}

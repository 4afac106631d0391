//! The login from `presence-agent login`: the hub, who logged in, and the device token. The
//! token goes to the OS credential store where there is one (`os::secret_store`); the rest,
//! and the token only where there is no store, is `credentials.json` (mode 0600).

use serde::{Deserialize, Serialize};

use crate::os::secret_store::{self, StoreError};
use crate::paths::{read_json, write_json, AgentPaths};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Credentials {
    pub server: String,
    /// Empty in the file when the credential store keeps it.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub token: String,
    pub user_id: i64,
    pub email: String,
    pub name: String,
    /// Where the token is kept.
    #[serde(default)]
    pub token_in: TokenPlace,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenPlace {
    /// In `credentials.json` itself (no credential store on this computer).
    #[default]
    File,
    /// In the operating system's credential store.
    CredentialStore,
}

impl TokenPlace {
    pub fn describe(self) -> &'static str {
        match self {
            TokenPlace::File => "in credentials.json (readable by this user only)",
            TokenPlace::CredentialStore => "in the system's credential store",
        }
    }
}

/// The credential store's account for this agent folder.
fn account(paths: &AgentPaths) -> String {
    paths.root.display().to_string()
}

impl Credentials {
    /// The login, with its token wherever it is kept; `None` when not logged in (or the store
    /// lost the token, which needs a new login as well).
    pub fn load(paths: &AgentPaths) -> Option<Credentials> {
        let mut creds: Credentials = read_json(&paths.credentials())?;
        if creds.token_in == TokenPlace::CredentialStore {
            match secret_store::load(&account(paths)) {
                Ok(Some(token)) => creds.token = token,
                Ok(None) => {
                    tracing::warn!(
                        "the device token is missing from the credential store; log in again"
                    );
                    return None;
                }
                Err(e) => {
                    tracing::warn!(error = %e, "the device token cannot be read from the credential store");
                    return None;
                }
            }
        }
        Some(creds)
    }

    /// Stores the login: the token in the credential store when there is one, else in the
    /// file, which only this user may read (the token logs in as them). Answers where it went.
    pub fn save(&self, paths: &AgentPaths) -> std::io::Result<TokenPlace> {
        let mut kept = self.clone();
        match secret_store::save(&account(paths), &self.token) {
            Ok(()) => {
                kept.token = String::new();
                kept.token_in = TokenPlace::CredentialStore;
            }
            Err(StoreError::Unavailable(why)) => {
                tracing::info!(%why, "no credential store; the token is kept in credentials.json (0600)");
                kept.token_in = TokenPlace::File;
            }
            Err(e) => return Err(std::io::Error::other(e)),
        }
        write_json(&paths.credentials(), &kept, 0o600)?;
        Ok(kept.token_in)
    }

    pub fn remove(paths: &AgentPaths) -> std::io::Result<()> {
        if let Some(creds) = read_json::<Credentials>(&paths.credentials()) {
            if creds.token_in == TokenPlace::CredentialStore {
                secret_store::delete(&account(paths)).map_err(std::io::Error::other)?;
            }
        }
        match std::fs::remove_file(paths.credentials()) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }
}

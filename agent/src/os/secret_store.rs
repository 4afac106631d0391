//! The device token in the operating system's credential store: Windows Credential Manager,
//! the macOS keychain, the Secret Service on Linux desktops (GNOME Keyring, KWallet) when one
//! answers on the session bus. Where there is none, [`StoreError::Unavailable`] tells the
//! caller to keep the token in its 0600 file instead.

/// The service name every entry is filed under; the account is the agent's folder, so two
/// agent folders (two logins) on one account do not overwrite each other.
const SERVICE: &str = "presence-agent";

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// No credential store on this computer (or none answering): use the file.
    #[error("no credential store: {0}")]
    Unavailable(String),
    /// The store is there but refused or failed.
    #[error("the credential store failed: {0}")]
    Failed(String),
}

impl From<keyring::Error> for StoreError {
    fn from(e: keyring::Error) -> Self {
        match e {
            keyring::Error::NoStorageAccess(_) | keyring::Error::PlatformFailure(_) => {
                StoreError::Unavailable(e.to_string())
            }
            other => StoreError::Failed(other.to_string()),
        }
    }
}

fn entry(account: &str) -> Result<keyring::Entry, StoreError> {
    if !present() {
        return Err(StoreError::Unavailable(
            "no session bus for a Secret Service".into(),
        ));
    }
    Ok(keyring::Entry::new(SERVICE, account)?)
}

/// Linux: only with a session bus, whose Secret Service may then answer (asking without one
/// would try to start a bus). Elsewhere the store is part of the system.
fn present() -> bool {
    if cfg!(all(unix, not(target_os = "macos"))) {
        std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some_and(|a| !a.is_empty())
    } else {
        true
    }
}

/// Keeps `secret` for `account`, replacing an earlier one.
pub fn save(account: &str, secret: &str) -> Result<(), StoreError> {
    entry(account)?.set_password(secret)?;
    Ok(())
}

/// The secret kept for `account`, if any.
pub fn load(account: &str) -> Result<Option<String>, StoreError> {
    match entry(account)?.get_password() {
        Ok(secret) => Ok(Some(secret)),
        Err(keyring::Error::NoEntry) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Forgets the secret of `account`; none kept is not an error.
pub fn delete(account: &str) -> Result<(), StoreError> {
    match entry(account)?.delete_credential() {
        Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

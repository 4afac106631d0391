//! What differs between operating systems outside the desktop observations (`tracking`):
//! whether a process lives, starting at login, the credential store, the control channel's
//! address. One function per job, one body per OS, chosen by `cfg`.

pub mod autostart;
pub mod name;
pub mod process;
pub mod secret_store;

//! Signing in beyond the password (SPEC §17), against a real hub: two-factor codes, OpenID
//! Connect single sign-on and the agents' device login. One test binary for the three: each
//! binary links the whole hub, which costs the cold build seconds per file.

#[path = "../common/mod.rs"]
mod common;
mod device_flow;
mod sso;
mod two_factor;

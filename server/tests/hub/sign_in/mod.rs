//! Signing in beyond the password (SPEC §17), against a real hub: two-factor codes, OpenID
//! Connect single sign-on and the agents' device login.

mod device_flow;
mod sso;
mod two_factor;

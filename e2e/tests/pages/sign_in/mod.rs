//! Signing in beyond the password (SPEC §17) in headless Chromium against a real hub: single
//! sign-on with a real OpenID provider (oauth2-mock-server), two-factor enrolment and the
//! two-step login, and approving an agent's device login.

mod device_page;
mod sso;
mod two_factor_pages;

//! The agent's window.

pub mod window;

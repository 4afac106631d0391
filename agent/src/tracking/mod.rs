//! What the agent observes on the desktop: idle time, screenshots.

pub mod idle;
pub mod screenshots;

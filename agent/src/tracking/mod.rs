//! What the agent observes on the desktop: idle time, screenshots, input counts, the focused
//! app.

pub mod focus;
pub mod idle;
pub mod input;
pub mod screenshots;

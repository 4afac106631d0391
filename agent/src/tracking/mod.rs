//! What the agent observes on the desktop: idle time, screenshots, input counts, the focused
//! app. Each is a trait here with one implementation per platform, chosen at compile time:
//! `x11` (Linux and other Unix desktops), `windows`, `macos`. Screenshots are xcap's on Windows
//! and macOS, the X server's own (`x11::screen`) on X11 desktops.

pub mod focus;
pub mod idle;
pub mod input;
pub mod screenshots;

#[cfg(target_os = "macos")]
pub mod macos;
#[cfg(windows)]
pub mod windows;
#[cfg(all(unix, not(target_os = "macos")))]
pub mod x11;

use focus::FocusSource;
use idle::IdleSource;
use input::InputSource;
use screenshots::ScreenSource;

/// This computer's sources, as the running agent uses them.
pub struct DesktopSources {
    pub idle: Box<dyn IdleSource>,
    pub focus: Box<dyn FocusSource>,
    pub input: Box<dyn InputSource>,
    pub screen: Box<dyn ScreenSource>,
}

/// The sources of the desktop the agent runs on (X11: the display in `$DISPLAY`).
pub fn desktop() -> DesktopSources {
    #[cfg(all(unix, not(target_os = "macos")))]
    let (idle, focus, input): (
        Box<dyn IdleSource>,
        Box<dyn FocusSource>,
        Box<dyn InputSource>,
    ) = (
        Box::new(x11::idle::X11Idle::new(None)),
        Box::new(x11::focus::X11Focus::new(None)),
        Box::new(x11::input::x11_input(None)),
    );
    #[cfg(all(unix, not(target_os = "macos")))]
    let screen: Box<dyn ScreenSource> = Box::new(x11::screen::X11Screen::new(None));
    #[cfg(any(windows, target_os = "macos"))]
    let screen: Box<dyn ScreenSource> = Box::new(screenshots::Desktop);
    #[cfg(windows)]
    let (idle, focus, input): (
        Box<dyn IdleSource>,
        Box<dyn FocusSource>,
        Box<dyn InputSource>,
    ) = (
        Box::new(windows::idle::WindowsIdle::default()),
        Box::new(windows::focus::WindowsFocus),
        Box::new(windows::input::windows_input()),
    );
    #[cfg(target_os = "macos")]
    let (idle, focus, input): (
        Box<dyn IdleSource>,
        Box<dyn FocusSource>,
        Box<dyn InputSource>,
    ) = (
        Box::new(macos::idle::MacIdle::default()),
        Box::new(macos::focus::MacFocus),
        Box::new(macos::input::mac_input()),
    );
    DesktopSources {
        idle,
        focus,
        input,
        screen,
    }
}

//! The focused app on macOS: `NSWorkspace`'s frontmost application, by its localized name.
//! Window titles need the accessibility permission, which the agent does not ask for: the
//! title is empty.

use objc2_app_kit::NSWorkspace;
use shared::protocol::ActiveApp;

use crate::tracking::focus::{active_app, FocusSource};

pub struct MacFocus;

impl FocusSource for MacFocus {
    fn active_app(&mut self) -> Option<ActiveApp> {
        let app = NSWorkspace::sharedWorkspace().frontmostApplication()?;
        let name = app.localizedName()?.to_string();
        active_app(Some(&name), "")
    }
}

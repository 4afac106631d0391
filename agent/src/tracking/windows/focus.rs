//! The focused app on Windows: the foreground window, its title (`GetWindowTextW`) and the
//! image of the process that owns it (`QueryFullProcessImageNameW`, opened with the limited
//! query right any user has on their own processes), named by its file stem (`firefox`).

use shared::protocol::ActiveApp;
use windows_sys::Win32::Foundation::CloseHandle;
use windows_sys::Win32::System::Threading::{
    OpenProcess, QueryFullProcessImageNameW, PROCESS_NAME_WIN32, PROCESS_QUERY_LIMITED_INFORMATION,
};
use windows_sys::Win32::UI::WindowsAndMessaging::{
    GetForegroundWindow, GetWindowTextW, GetWindowThreadProcessId,
};

use crate::tracking::focus::{active_app, image_name, FocusSource};

/// The foreground window of the interactive session.
pub struct WindowsFocus;

impl FocusSource for WindowsFocus {
    fn active_app(&mut self) -> Option<ActiveApp> {
        // SAFETY: no arguments; a null handle (no foreground window) is checked below.
        let window = unsafe { GetForegroundWindow() };
        if window.is_null() {
            return None;
        }
        let mut title = [0u16; 512];
        // SAFETY: the buffer is valid for `title.len()` UTF-16 units, the count passed; the
        // call writes at most that many, NUL included, and returns how many it wrote.
        let len = unsafe { GetWindowTextW(window, title.as_mut_ptr(), title.len() as i32) };
        let title = String::from_utf16_lossy(&title[..len.max(0) as usize]);
        let image = process_image(window);
        active_app(image.as_deref().and_then(image_name), &title)
    }
}

/// The full path of the program that owns `window`, if its process may be queried.
fn process_image(window: windows_sys::Win32::Foundation::HWND) -> Option<String> {
    let mut pid = 0u32;
    // SAFETY: `window` came from GetForegroundWindow (a stale handle only makes the call
    // fail); `pid` is a live u32 the call writes.
    unsafe { GetWindowThreadProcessId(window, &mut pid) };
    if pid == 0 {
        return None;
    }
    // SAFETY: plain call; a null handle is checked before use.
    let process = unsafe { OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, 0, pid) };
    if process.is_null() {
        return None;
    }
    let mut path = [0u16; 1024];
    let mut size = path.len() as u32;
    // SAFETY: `process` is an open handle; `path` is valid for `size` units, and the call
    // stores the units written (without the NUL) back into `size`.
    let ok = unsafe {
        QueryFullProcessImageNameW(process, PROCESS_NAME_WIN32, path.as_mut_ptr(), &mut size)
    } != 0;
    // SAFETY: `process` is open and closed once, here.
    unsafe { CloseHandle(process) };
    ok.then(|| String::from_utf16_lossy(&path[..size as usize]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_foreground_window_or_one_is_an_answer_not_a_crash() {
        // A test process has no window of its own; whatever the desktop shows, the answer
        // is bounded like every platform's.
        if let Some(app) = WindowsFocus.active_app() {
            assert!(!app.app.is_empty());
            assert!(app.title.chars().count() <= crate::tracking::focus::MAX_TITLE_CHARS);
        }
        assert!(process_image(std::ptr::null_mut()).is_none());
    }
}

//! Input counts on Windows: low-level keyboard and mouse hooks (`WH_KEYBOARD_LL`,
//! `WH_MOUSE_LL`) installed by the counting thread, which pumps its message queue as such
//! hooks require. The hook procedures are shown which key and where the pointer is; they only
//! count, and pass every event on unchanged.

use std::sync::{Arc, OnceLock};
use windows_sys::Win32::Foundation::{LPARAM, LRESULT, WPARAM};
use windows_sys::Win32::System::LibraryLoader::GetModuleHandleW;
use windows_sys::Win32::UI::WindowsAndMessaging::{
    CallNextHookEx, GetMessageW, SetWindowsHookExW, UnhookWindowsHookEx, HC_ACTION, MSG,
    WH_KEYBOARD_LL, WH_MOUSE_LL, WM_KEYDOWN, WM_LBUTTONDOWN, WM_MBUTTONDOWN, WM_MOUSEHWHEEL,
    WM_MOUSEMOVE, WM_MOUSEWHEEL, WM_RBUTTONDOWN, WM_SYSKEYDOWN, WM_XBUTTONDOWN,
};

use crate::tracking::input::{Counters, CountingInput};

/// The hook procedures are plain functions without a context argument: they find the
/// counters here. One counting thread per process (the agent runs one).
static COUNTERS: OnceLock<Arc<Counters>> = OnceLock::new();

/// Input counts from the interactive session's keyboard and mouse.
pub fn windows_input() -> CountingInput {
    CountingInput::new("windows-input", Box::new(listen))
}

unsafe extern "system" fn keyboard_hook(code: i32, wparam: WPARAM, lparam: LPARAM) -> LRESULT {
    if code == HC_ACTION as i32 {
        let message = wparam as u32;
        if message == WM_KEYDOWN || message == WM_SYSKEYDOWN {
            if let Some(counters) = COUNTERS.get() {
                counters.key();
            }
        }
    }
    // SAFETY: passes the event on with the arguments Windows gave this hook, as it must.
    unsafe { CallNextHookEx(std::ptr::null_mut(), code, wparam, lparam) }
}

unsafe extern "system" fn mouse_hook(code: i32, wparam: WPARAM, lparam: LPARAM) -> LRESULT {
    if code == HC_ACTION as i32 {
        let counted = matches!(
            wparam as u32,
            WM_MOUSEMOVE
                | WM_LBUTTONDOWN
                | WM_RBUTTONDOWN
                | WM_MBUTTONDOWN
                | WM_XBUTTONDOWN
                | WM_MOUSEWHEEL
                | WM_MOUSEHWHEEL
        );
        if counted {
            if let Some(counters) = COUNTERS.get() {
                counters.mouse();
            }
        }
    }
    // SAFETY: as in `keyboard_hook`.
    unsafe { CallNextHookEx(std::ptr::null_mut(), code, wparam, lparam) }
}

/// Installs both hooks, then waits for messages until the thread's queue ends (the hooks are
/// called while it waits).
fn listen(counters: Arc<Counters>) -> Result<(), String> {
    COUNTERS
        .set(counters.clone())
        .map_err(|_| "input is already being counted in this process".to_string())?;
    // SAFETY: a null name asks for this program's own module handle; nothing is written.
    let module = unsafe { GetModuleHandleW(std::ptr::null()) };
    // SAFETY: the procedures are `extern "system"` functions of this module that live as long
    // as the program; thread id 0 hooks the whole desktop, as low-level hooks do.
    let keyboard = unsafe { SetWindowsHookExW(WH_KEYBOARD_LL, Some(keyboard_hook), module, 0) };
    if keyboard.is_null() {
        return Err(format!(
            "the keyboard hook was refused: {}",
            std::io::Error::last_os_error()
        ));
    }
    // SAFETY: as above.
    let mouse = unsafe { SetWindowsHookExW(WH_MOUSE_LL, Some(mouse_hook), module, 0) };
    if mouse.is_null() {
        let error = std::io::Error::last_os_error();
        // SAFETY: `keyboard` is the hook installed above, removed once.
        unsafe { UnhookWindowsHookEx(keyboard) };
        return Err(format!("the mouse hook was refused: {error}"));
    }
    counters.now_listening();
    tracing::info!("counting keyboard and mouse activity (low-level hooks)");
    // SAFETY: MSG is plain data (integers and a handle); all zeros is a valid value.
    let mut message: MSG = unsafe { std::mem::zeroed() };
    // SAFETY: `message` is a live MSG the call fills; a null window takes every message of
    // this thread. 0 means WM_QUIT, -1 an error: either ends the loop.
    while unsafe { GetMessageW(&mut message, std::ptr::null_mut(), 0, 0) } > 0 {}
    // SAFETY: both are the hooks installed above, each removed once.
    unsafe {
        UnhookWindowsHookEx(keyboard);
        UnhookWindowsHookEx(mouse);
    }
    Err("the input thread's message queue ended".to_string())
}

//! Whether the agent that wrote `status.json` still runs.

/// True while process `pid` exists.
#[cfg(unix)]
pub fn alive(pid: u32) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return false;
    };
    // SAFETY: signal 0 sends nothing; it only asks whether the process exists (and may be
    // signalled), touching no memory of ours.
    unsafe { libc::kill(pid, 0) == 0 }
}

/// True while process `pid` exists and has not exited.
#[cfg(windows)]
pub fn alive(pid: u32) -> bool {
    use windows_sys::Win32::Foundation::{CloseHandle, STILL_ACTIVE};
    use windows_sys::Win32::System::Threading::{
        GetExitCodeProcess, OpenProcess, PROCESS_QUERY_LIMITED_INFORMATION,
    };
    // SAFETY: plain call; a null handle (no such process, or not ours) is checked.
    let process = unsafe { OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, 0, pid) };
    if process.is_null() {
        return false;
    }
    let mut code = 0u32;
    // SAFETY: `process` is open; `code` is a live u32 the call writes.
    let read = unsafe { GetExitCodeProcess(process, &mut code) } != 0;
    // SAFETY: `process` is open and closed once, here.
    unsafe { CloseHandle(process) };
    read && code == STILL_ACTIVE as u32
}

#[cfg(test)]
mod tests {
    #[test]
    fn this_process_lives_and_an_unused_pid_does_not() {
        assert!(super::alive(std::process::id()));
        // Far above any pid the systems hand out by default (Linux: 4,194,304 at most).
        assert!(!super::alive(2_000_000_000));
    }
}

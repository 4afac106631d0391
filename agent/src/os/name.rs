//! The operating system as the fleet page shows it.

/// Linux: the distribution's name from `/etc/os-release` ("Debian GNU/Linux 13 (trixie)");
/// Windows: the product and version from the registry ("Windows 10 Pro 22H2, build 19045");
/// else the OS family. The architecture follows in brackets.
pub fn os_name() -> String {
    let arch = std::env::consts::ARCH;
    match named() {
        Some(name) => format!("{name} ({arch})"),
        None => format!("{} ({arch})", std::env::consts::OS),
    }
}

#[cfg(not(windows))]
fn named() -> Option<String> {
    let text = std::fs::read_to_string("/etc/os-release").ok()?;
    text.lines()
        .find_map(|l| l.strip_prefix("PRETTY_NAME="))
        .map(|v| v.trim_matches('"').to_string())
        .filter(|v| !v.is_empty())
}

#[cfg(windows)]
fn named() -> Option<String> {
    let product = registry_text("ProductName")?;
    let mut name = product;
    if let Some(version) = registry_text("DisplayVersion") {
        name.push(' ');
        name.push_str(&version);
    }
    if let Some(build) = registry_text("CurrentBuildNumber") {
        name.push_str(", build ");
        name.push_str(&build);
    }
    Some(name)
}

/// A text value of `HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion`.
#[cfg(windows)]
fn registry_text(value: &str) -> Option<String> {
    use windows_sys::Win32::Foundation::ERROR_SUCCESS;
    use windows_sys::Win32::System::Registry::{RegGetValueW, HKEY_LOCAL_MACHINE, RRF_RT_REG_SZ};
    let key: Vec<u16> = r"SOFTWARE\Microsoft\Windows NT\CurrentVersion"
        .encode_utf16()
        .chain(Some(0))
        .collect();
    let name: Vec<u16> = value.encode_utf16().chain(Some(0)).collect();
    let mut buffer = [0u16; 256];
    let mut size = (buffer.len() * 2) as u32;
    // SAFETY: key and name are live NUL-terminated UTF-16 strings; `buffer` is valid for
    // `size` bytes, and the call writes at most that many (NUL included) and stores the count.
    let status = unsafe {
        RegGetValueW(
            HKEY_LOCAL_MACHINE,
            key.as_ptr(),
            name.as_ptr(),
            RRF_RT_REG_SZ,
            std::ptr::null_mut(),
            buffer.as_mut_ptr().cast(),
            &mut size,
        )
    };
    if status != ERROR_SUCCESS {
        return None;
    }
    let units = (size as usize / 2).min(buffer.len());
    let text = String::from_utf16_lossy(&buffer[..units]);
    let text = text.trim_end_matches('\0').trim().to_string();
    (!text.is_empty()).then_some(text)
}

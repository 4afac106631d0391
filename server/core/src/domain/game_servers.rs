//! What a game server entry may look like: a display name and a `host:port` query address.

/// The longest display name.
pub const MAX_NAME_CHARS: usize = 100;

/// The trimmed name, or what is wrong with it.
pub fn check_name(name: &str) -> Result<String, String> {
    let name = name.trim();
    let len = name.chars().count();
    if len == 0 || len > MAX_NAME_CHARS {
        return Err(format!("must be 1 to {MAX_NAME_CHARS} characters"));
    }
    Ok(name.to_string())
}

/// `host:port` (an IPv6 host in brackets), port 1–65535; the trimmed address, or what is
/// wrong with it. The host is resolved at each poll, so a DNS change is followed.
pub fn check_address(address: &str) -> Result<String, String> {
    const WHAT: &str = "must be host:port with a port from 1 to 65535";
    let address = address.trim();
    let Some((host, port)) = address.rsplit_once(':') else {
        return Err(WHAT.into());
    };
    let port_ok = port.parse::<u16>().is_ok_and(|p| p > 0);
    let host_ok = if let Some(inner) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        inner.parse::<std::net::Ipv6Addr>().is_ok()
    } else {
        !host.is_empty()
            && host.len() <= 253
            && host
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-' || c == '_')
    };
    if port_ok && host_ok {
        Ok(address.to_string())
    } else {
        Err(WHAT.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses() {
        assert_eq!(
            check_address(" 127.0.0.1:27015 ").unwrap(),
            "127.0.0.1:27015"
        );
        assert!(check_address("play.example.com:27015").is_ok());
        assert!(check_address("[::1]:27015").is_ok());
        for bad in [
            "",
            "127.0.0.1",
            "127.0.0.1:0",
            "127.0.0.1:70000",
            ":27015",
            "a b:1",
            "::1:27015",
            "host:port",
        ] {
            assert!(check_address(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn names() {
        assert_eq!(check_name("  EU #1 ").unwrap(), "EU #1");
        assert!(check_name(" ").is_err());
        assert!(check_name(&"x".repeat(101)).is_err());
    }
}

//! Same-origin checks for cookie-authenticated requests (sockets and HTML forms).

use axum::http::{header, HeaderMap};

/// True when `Origin` names the hub itself (scheme http/https, same host and port as `Host`).
pub fn is_same_origin(headers: &HeaderMap) -> bool {
    let (Some(origin), Some(host)) = (headers.get(header::ORIGIN), headers.get(header::HOST))
    else {
        return false;
    };
    let (Ok(origin), Ok(host)) = (origin.to_str(), host.to_str()) else {
        return false;
    };
    match url::Url::parse(origin) {
        Ok(url) if matches!(url.scheme(), "http" | "https") => {
            let authority = match (url.host_str(), url.port()) {
                (Some(h), Some(p)) => format!("{h}:{p}"),
                (Some(h), None) => h.to_string(),
                _ => return false,
            };
            authority.eq_ignore_ascii_case(host)
        }
        _ => false,
    }
}

/// For HTML form posts: browsers send `Origin` on POST; a foreign one is refused, a missing
/// one (old clients, curl) is let through since the cookie is SameSite=Lax anyway.
pub fn form_origin_ok(headers: &HeaderMap) -> bool {
    headers.get(header::ORIGIN).is_none() || is_same_origin(headers)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(origin: &str, host: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::ORIGIN, HeaderValue::from_str(origin).unwrap());
        h.insert(header::HOST, HeaderValue::from_str(host).unwrap());
        h
    }

    #[test]
    fn only_the_hubs_own_origin_passes() {
        assert!(is_same_origin(&headers(
            "http://127.0.0.1:3000",
            "127.0.0.1:3000"
        )));
        assert!(is_same_origin(&headers(
            "https://hub.example.com",
            "hub.example.com"
        )));
        assert!(!is_same_origin(&headers(
            "http://evil.test",
            "127.0.0.1:3000"
        )));
        assert!(!is_same_origin(&headers(
            "http://127.0.0.1:3001",
            "127.0.0.1:3000"
        )));
        assert!(!is_same_origin(&headers("null", "127.0.0.1:3000")));
        assert!(!is_same_origin(&HeaderMap::new()));
    }
}

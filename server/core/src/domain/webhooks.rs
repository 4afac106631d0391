//! Rules of webhooks (SPEC §15), plain functions: which URLs and event kinds are accepted,
//! the signature, the retry schedule, and what each committed event is called and carries.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use backon::{BackoffBuilder, ExponentialBuilder};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::events::Event;
use shared::webhooks::WEBHOOK_EVENTS;

pub const MAX_URL_CHARS: usize = 2000;
pub const MAX_DESCRIPTION_CHARS: usize = 200;
pub const MIN_SECRET_CHARS: usize = 16;
pub const MAX_SECRET_CHARS: usize = 200;
/// A delivery that keeps failing is retried for this long, then marked failed.
pub const GIVE_UP_AFTER_MS: i64 = 24 * 3600 * 1000;
/// The longest wait between two attempts.
pub const MAX_RETRY_DELAY: Duration = Duration::from_secs(3600);
/// How long the receiver has to answer one attempt.
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(10);

/// The event kinds asked for, checked, without repeats, in the order of [`WEBHOOK_EVENTS`].
pub fn check_events(events: &[String]) -> Result<Vec<String>, String> {
    if events.is_empty() {
        return Err("choose at least one event".to_string());
    }
    if let Some(unknown) = events
        .iter()
        .find(|e| !WEBHOOK_EVENTS.iter().any(|(k, _)| k == e))
    {
        let known: Vec<&str> = WEBHOOK_EVENTS.iter().map(|(k, _)| *k).collect();
        return Err(format!(
            "unknown event {unknown:?}; known: {}",
            known.join(", ")
        ));
    }
    Ok(WEBHOOK_EVENTS
        .iter()
        .filter(|(k, _)| events.iter().any(|e| e == k))
        .map(|(k, _)| k.to_string())
        .collect())
}

/// Where the hub itself answers: its listening address, its public URL's host and port, and
/// in a cluster every node's.
#[derive(Debug, Clone, Default)]
pub struct OwnAddresses {
    pub sockets: Vec<SocketAddr>,
    /// (host, port) of public URLs, host lower-cased.
    pub names: Vec<(String, u16)>,
}

impl OwnAddresses {
    /// Whether `ip:port` reaches the hub: one of its sockets, or a local address on the port
    /// of a socket that listens on every interface.
    pub fn covers_ip(&self, ip: IpAddr, port: u16) -> bool {
        self.sockets.iter().any(|s| {
            s.port() == port
                && (s.ip() == ip
                    || ((s.ip().is_unspecified() || s.ip().is_loopback())
                        && (ip.is_loopback() || ip.is_unspecified())))
        })
    }

    /// Whether a URL's host and port name the hub (before any lookup).
    pub fn covers(&self, host: &str, port: u16) -> bool {
        let host = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_lowercase();
        if self.names.iter().any(|(h, p)| *h == host && *p == port) {
            return true;
        }
        match host.parse::<IpAddr>() {
            Ok(ip) => self.covers_ip(ip, port),
            Err(_) if host == "localhost" || host.ends_with(".localhost") => {
                self.covers_ip(IpAddr::from([127, 0, 0, 1]), port)
            }
            Err(_) => false,
        }
    }
}

/// A URL a webhook may deliver to: http or https, with a host, not the hub itself.
pub fn check_url(raw: &str, own: &OwnAddresses) -> Result<String, String> {
    let raw = raw.trim();
    if raw.chars().count() > MAX_URL_CHARS {
        return Err(format!("at most {MAX_URL_CHARS} characters"));
    }
    let url = url::Url::parse(raw).map_err(|e| format!("not a URL ({e})"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!(
            "must start with http:// or https:// (not {}:)",
            url.scheme()
        ));
    }
    let Some(host) = url.host_str() else {
        return Err("needs a host".to_string());
    };
    let port = url.port_or_known_default().unwrap_or(80);
    if own.covers(host, port) {
        return Err("is this hub's own address: the hub does not deliver to itself".to_string());
    }
    Ok(url.to_string())
}

/// `X-Presence-Signature`: `sha256=` and the hex HMAC-SHA256 of the body with the secret.
pub fn signature(secret: &str, body: &[u8]) -> String {
    // HMAC takes keys of any length; this cannot fail.
    let mut mac = match Hmac::<Sha256>::new_from_slice(secret.as_bytes()) {
        Ok(mac) => mac,
        Err(_) => return String::new(),
    };
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// The wait before attempt `attempt + 1` after `attempt` failed ones (1-based): doubling
/// from `base`, with jitter, at most [`MAX_RETRY_DELAY`].
pub fn retry_delay(attempt: u32, base: Duration) -> Duration {
    ExponentialBuilder::default()
        .with_min_delay(base)
        .with_max_delay(MAX_RETRY_DELAY)
        .with_factor(2.0)
        .with_jitter()
        .without_max_times()
        .build()
        .nth(attempt.saturating_sub(1) as usize)
        .unwrap_or(MAX_RETRY_DELAY)
        .min(MAX_RETRY_DELAY)
}

/// A committed event as webhooks see it: its kind and its `data`; `None` for events no
/// webhook subscribes to (members, tokens, game server polls...).
pub fn kind_and_data(event: &Event) -> Option<(&'static str, serde_json::Value)> {
    let (kind, data) = match event {
        Event::SessionStarted { session } => ("session.started", to_value(session)),
        Event::SessionEnded { user_id, ended } => {
            let mut v = to_value(ended);
            v["user_id"] = (*user_id).into();
            ("session.ended", v)
        }
        Event::SessionUpdated { session } => ("session.updated", to_value(session)),
        Event::SessionDeleted { deleted } => ("session.deleted", to_value(deleted)),
        Event::ConfigUpdated { update, .. } => ("policy.changed", to_value(update)),
        Event::StatusChanged { user_id, status } => (
            "status.changed",
            serde_json::json!({ "user_id": user_id, "status": status }),
        ),
        Event::CoverageAlert { alert } => ("coverage.alert", to_value(alert)),
        Event::CoverageCleared { cleared } => ("coverage.cleared", to_value(cleared)),
        Event::TimesheetUpdated { update } => ("timesheet.updated", to_value(update)),
        Event::AbsenceUpdated { absence } => ("absence.updated", to_value(absence)),
        Event::MemberChanged { .. }
        | Event::TokensRevoked { .. }
        | Event::OrgUpdated { .. }
        | Event::GameServerUpdated { .. }
        | Event::WebhookDeliveryUpdated { .. } => return None,
    };
    Some((kind, data))
}

fn to_value<T: serde::Serialize>(v: &T) -> serde_json::Value {
    serde_json::to_value(v).unwrap_or(serde_json::Value::Null)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn own() -> OwnAddresses {
        OwnAddresses {
            sockets: vec!["0.0.0.0:8080".parse().unwrap()],
            names: vec![("hub.example.com".into(), 443)],
        }
    }

    #[test]
    fn only_http_urls_elsewhere_than_the_hub_are_accepted() {
        let own = own();
        assert_eq!(
            check_url(" https://hooks.example.org/in ", &own).unwrap(),
            "https://hooks.example.org/in"
        );
        assert!(check_url("http://127.0.0.1:9000/x", &own).is_ok());
        for bad in [
            "ftp://x.org/",
            "file:///etc/passwd",
            "javascript:alert(1)",
            "nope",
        ] {
            assert!(check_url(bad, &own).is_err(), "{bad}");
        }
        for mine in [
            "http://127.0.0.1:8080/api",
            "http://localhost:8080/",
            "http://[::1]:8080/",
            "http://0.0.0.0:8080/",
            "https://HUB.example.com/hook",
        ] {
            let why = check_url(mine, &own).unwrap_err();
            assert!(why.contains("own address"), "{mine}: {why}");
        }
    }

    #[test]
    fn the_signature_is_the_hmac_sha256_of_the_body() {
        // RFC 4231, test case 2.
        assert_eq!(
            signature("Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn retries_double_with_jitter_up_to_an_hour() {
        let base = Duration::from_secs(10);
        let first = retry_delay(1, base);
        assert!(first >= base && first <= base * 2, "{first:?}");
        let third = retry_delay(3, base);
        assert!(third >= base * 4 && third <= base * 8, "{third:?}");
        assert!(retry_delay(40, base) <= MAX_RETRY_DELAY);
    }

    #[test]
    fn events_are_checked_and_kept_in_a_fixed_order() {
        let asked = vec![
            "session.ended".to_string(),
            "session.started".to_string(),
            "session.ended".to_string(),
        ];
        assert_eq!(
            check_events(&asked).unwrap(),
            ["session.started", "session.ended"]
        );
        assert!(check_events(&[]).is_err());
        assert!(check_events(&["session.exploded".to_string()])
            .unwrap_err()
            .contains("unknown event"));
    }
}

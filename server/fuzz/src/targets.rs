//! The body of every fuzz target, one function each, so that the same checks run in two ways:
//! under libFuzzer (`fuzz_targets/*.rs`, `e2e/scripts/fuzz.sh`) and, in the ordinary test build,
//! over every seed and every input that once crashed a target (`server/tests/hub/fuzz_replay.rs`).
//! A failed check panics: that is the finding.

use std::sync::OnceLock;
use std::time::Duration;

use server::a2s::{parse_datagram, parse_message, parse_split, Datagram, Message, Reassembly};
use server::api::extract::{ApiQuery, Paging};
use server::api::screenshots::{ListQuery, UploadQuery};
use server::error::ApiError;
use server::hub::PeerKind;
use server::ops::screenshots::jpeg_size;
use server::ws::connection::{Connection, Ended, MessageHandler, SocketLimits};
use server::ws::{AgentMessages, TabMessages};
use shared::Role;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::runtime::Runtime;

use super::frames::parse_server_frames;
use super::{check_answer, hub_with_org, MEMBER, SUPERVISOR};

/// A target's checks over one input.
pub type Target = fn(&[u8]);

/// Every target by the name of its folder under `seeds/` and `regressions/`.
pub const ALL: [(&str, Target); 8] = [
    ("socket_frames", socket_frames),
    ("agent_message", |b| text(b, agent_message)),
    ("tab_message", |b| text(b, tab_message)),
    ("a2s_datagram", a2s_datagram),
    ("a2s_split", a2s_split),
    ("screenshot_upload", screenshot_upload),
    ("query_strings", |b| text(b, query_strings)),
    ("holiday_ics", |b| text(b, holiday_ics)),
];

/// Text targets see only UTF-8 input, as libFuzzer's `&str` targets do.
fn text(bytes: &[u8], target: fn(&str)) {
    if let Ok(text) = std::str::from_utf8(bytes) {
        target(text);
    }
}

fn runtime() -> &'static Runtime {
    static RT: OnceLock<Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .start_paused(true)
            .build()
            .expect("a runtime")
    })
}

/// Raw bytes from a client after the handshake, through the real connection future (framing,
/// limits, the closing handshake) and the agent handler. Whatever arrives, the hub writes only
/// well-formed server frames, ends with at most one Close frame carrying an allowed code and a
/// reason, and never panics.
pub fn socket_frames(bytes: &[u8]) {
    runtime().block_on(async {
        let (hub, org) = hub_with_org();
        let reg = hub.attach(&org, PeerKind::Agent, MEMBER, Role::Member, 1, |_| None);
        let (mut client, server) = tokio::io::duplex(1 << 16);
        let socket = server::ws::socket::WsSocket::server(server, server::ws::socket_config());
        let handler = AgentMessages::new(hub.clone(), org.clone(), MEMBER, 1);
        let limits = SocketLimits {
            ping_every: Duration::from_secs(20),
            idle_timeout: Duration::from_secs(60),
            messages_per_second: 20,
            write_timeout: Duration::from_secs(5),
        };
        let connection = tokio::spawn(Connection::new(socket, reg, hub.clone(), handler, limits));
        let _ = client.write_all(bytes).await;
        let mut written = Vec::new();
        // Time is paused: the hub's 1 s close wait and this 10 s bound pass at once.
        let read = tokio::time::timeout(Duration::from_secs(10), client.read_to_end(&mut written));
        if read.await.is_err() {
            // The bytes were fine and the connection waits for more: end it the client's way.
            drop(client);
        }
        let ended = tokio::time::timeout(Duration::from_secs(10), connection)
            .await
            .expect("the connection ends once the client is gone")
            .expect("the connection does not panic");

        let frames = parse_server_frames(&written);
        let closes: Vec<_> = frames.iter().filter(|f| f.opcode == 0x8).collect();
        assert!(closes.len() <= 1, "one Close frame at most");
        if let Some(close) = closes.first() {
            assert!(
                std::ptr::eq(*close, frames.last().expect("frames")),
                "nothing after the Close frame"
            );
            if close.payload.len() >= 2 {
                let code = u16::from_be_bytes([close.payload[0], close.payload[1]]);
                // RFC 6455 §7.4.1 and the IANA registry: 1012-1014 (restart, try again, bad
                // gateway) are registered and may be sent (the hub sends 1012 itself, and echoes
                // a client's); 1004-1006 and 1015 never go on the wire.
                assert!(
                    (1000..=1003).contains(&code)
                        || (1007..=1014).contains(&code)
                        || (3000..=4999).contains(&code),
                    "close code {code} may not be sent"
                );
                assert!(std::str::from_utf8(&close.payload[2..]).is_ok());
            }
        }
        if let Ended::Failed { code } = ended {
            assert!(matches!(code, 1002 | 1007 | 1009), "{code}");
            let close = closes
                .first()
                .expect("a failure is told with a Close frame");
            assert_eq!(
                u16::from_be_bytes([close.payload[0], close.payload[1]]),
                code
            );
            assert!(close.payload.len() > 2, "with a reason");
        }
    });
}

/// A desktop agent's text message through the hub's real handler (`/ws/agent`): any text is
/// either acted on or answered with the JSON error; the hub's state stays usable.
pub fn agent_message(text: &str) {
    let (hub, org) = hub_with_org();
    let mut handler = AgentMessages::new(hub.clone(), org.clone(), MEMBER, 1);
    let answer = handler.on_text(text);
    check_answer(text, answer);
    // Whatever the heartbeat said, the dashboards' view of the user is still whole.
    let users = org.snapshot_for(MEMBER, true);
    assert_eq!(users.len(), 2);
}

/// A dashboard tab's text message through the hub's real handler (`/ws/tab`).
pub fn tab_message(text: &str) {
    let (hub, org) = hub_with_org();
    let mut handler = TabMessages::new(hub.clone(), org.clone(), SUPERVISOR);
    let answer = handler.on_text(text);
    check_answer(text, answer);
    assert_eq!(org.snapshot_for(SUPERVISOR, true).len(), 2);
}

/// A UDP datagram from a game server (A2S): the header, then a whole message or a split part.
pub fn a2s_datagram(bytes: &[u8]) {
    match parse_datagram(bytes) {
        Ok(Datagram::Single(payload)) => {
            if let Ok(message) = parse_message(payload) {
                if let Message::Players(players) = &message {
                    assert!(players.len() <= payload.len(), "a player costs bytes");
                }
                let _ = message.kind();
            }
        }
        Ok(Datagram::Part(part)) => assert!(part.number < part.total),
        Err(error) => assert!(!error.to_string().is_empty()),
    }
}

/// A split A2S answer arriving as any sequence of parts (in any order, repeated, of other
/// answers): reassembly never panics and a finished message is parsed like a single one.
pub fn a2s_split(bytes: &[u8]) {
    // Parts separated by a 0xFD marker; the first part sets the answer's id and count.
    let mut reassembly: Option<Reassembly> = None;
    for chunk in bytes.split(|b| *b == 0xFD).filter(|c| !c.is_empty()) {
        let Ok(part) = parse_split(chunk) else {
            continue;
        };
        let r = reassembly.get_or_insert_with(|| Reassembly::new(part.id, part.total));
        if let Ok(Some(whole)) = r.add(part) {
            let _ = parse_message(&whole);
            return;
        }
    }
}

/// The body of `POST /api/screenshots`: only a readable JPEG header gives a size; anything else
/// is the API's 422, never a panic.
pub fn screenshot_upload(body: &[u8]) {
    match jpeg_size(body) {
        Ok((width, height)) => assert!(width > 0 && height > 0, "{width}x{height}"),
        Err(error) => assert_eq!(ApiError::from(error).status().as_u16(), 422),
    }
}

fn api<T: serde::de::DeserializeOwned>(uri: &http::Uri) -> Option<T> {
    match ApiQuery::<T>::from_uri(uri) {
        Ok(ApiQuery(value)) => Some(value),
        Err(error) => {
            assert_eq!(error.status().as_u16(), 400, "{error}");
            None
        }
    }
}

/// Query strings of the REST API and of the pages: parsed into their types, checked, and any
/// refusal is the API's 400; the pages' parsers take any pairs and build links that parse back.
pub fn query_strings(query: &str) {
    if let Ok(uri) = http::Uri::try_from(format!("/api/x?{query}")) {
        if let Some(paging) = api::<Paging>(&uri) {
            if let Ok((page, per_page)) = paging.resolve() {
                assert!(page >= 1 && (1..=500).contains(&per_page));
            }
        }
        let _ = api::<UploadQuery>(&uri);
        let _ = api::<ListQuery>(&uri);
    }
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    let borrowed = || pairs.iter().map(|(k, v)| (k.as_str(), v.as_str()));
    let page = web::query::parse_page_only(borrowed());
    assert!(page >= 1);
    let link = web::query::page_href("/x", page);
    let back = url::Url::parse(&format!("http://h{link}")).expect("a link that parses");
    let again = web::query::parse_page_only(
        back.query_pairs()
            .collect::<Vec<_>>()
            .iter()
            .map(|(k, v)| (k.as_ref(), v.as_ref())),
    );
    assert_eq!(again, page, "{link}");

    // The sessions page: its links read back as the same filters.
    let q = web::query::SessionQuery::parse(borrowed());
    let _ = (q.from_ms(), q.to_ms());
    let href = q.page_href(q.page);
    let back = url::Url::parse(&format!("http://h{href}")).expect("a link that parses");
    let pairs: Vec<(String, String)> = back.query_pairs().into_owned().collect();
    let again =
        web::query::SessionQuery::parse(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    assert_eq!(again.page_href(again.page), href);
}

/// An iCalendar file an admin uploads to `POST /api/holidays/import`: read into days or refused
/// with a message the API can say; what it reads is in date order, each day once, named, and
/// within the import's limit.
pub fn holiday_ics(text: &str) {
    use server::domain::holidays::{holidays_from_ics, MAX_IMPORTED_DAYS};
    match holidays_from_ics(text) {
        Ok(days) => {
            assert!(
                !days.is_empty() && days.len() <= MAX_IMPORTED_DAYS,
                "{}",
                days.len()
            );
            assert!(
                days.windows(2).all(|w| w[0].0 < w[1].0),
                "in date order, once each"
            );
            for (day, name) in &days {
                let length = name.chars().count();
                assert!((1..=200).contains(&length), "{day}: {name:?}");
                assert_eq!(name.trim(), name, "{day}: {name:?}");
                assert!(
                    !name.chars().any(char::is_control),
                    "one line: {day}: {name:?}"
                );
            }
        }
        Err(e) => assert!(!e.to_string().is_empty()),
    }
}

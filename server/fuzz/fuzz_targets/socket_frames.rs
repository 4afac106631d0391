//! Raw bytes from a client after the handshake, through the real connection future (framing,
//! limits, the closing handshake) and the agent handler. Whatever arrives, the hub writes only
//! well-formed server frames, ends with at most one Close frame carrying an allowed code and a
//! reason, and never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use server::hub::PeerKind;
use server::ws::connection::{Connection, Ended, SocketLimits};
use server::ws::AgentMessages;
use server_fuzz::frames::parse_server_frames;
use server_fuzz::{hub_with_org, MEMBER};
use shared::Role;
use std::sync::OnceLock;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::runtime::Runtime;
use tokio_tungstenite::tungstenite::protocol::Role as WsRole;

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

fuzz_target!(|bytes: &[u8]| {
    runtime().block_on(async {
        let (hub, org) = hub_with_org();
        let reg = hub.attach(&org, PeerKind::Agent, MEMBER, Role::Member, 1, |_| None);
        let (mut client, server) = tokio::io::duplex(1 << 16);
        let socket = tokio_tungstenite::WebSocketStream::from_raw_socket(
            server,
            WsRole::Server,
            Some(server::ws::socket_config()),
        )
        .await;
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
});

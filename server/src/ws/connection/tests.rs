//! The connection future against a client that writes raw bytes over an in-memory pipe: every
//! frame the hub sends is read back byte by byte, so these tests check the wire itself
//! (RFC 6455 §5 framing, §5.5.1 and §7 closing, §7.4 codes), not a client library's reading
//! of it.

use super::*;
use crate::hub::test_support::{hub as test_hub, member, org};
use crate::hub::ConnControl;
use shared::Role;
use std::sync::Mutex;
use tokio::io::{duplex, AsyncReadExt, AsyncWriteExt, DuplexStream};
use tokio::task::JoinHandle;

const TEXT: u8 = 0x1;
const BINARY: u8 = 0x2;
const CONTINUATION: u8 = 0x0;
const CLOSE: u8 = 0x8;
const PING: u8 = 0x9;
const PONG: u8 = 0xA;

/// Records the text messages the connection hands over; "bad" is refused.
#[derive(Clone, Default)]
struct Recorder(Arc<Mutex<Vec<String>>>);

impl MessageHandler for Recorder {
    fn on_text(&mut self, text: &str) -> Result<(), SocketError> {
        if text == "bad" {
            return Err(SocketError {
                code: "invalid_message".into(),
                message: "not a message".into(),
            });
        }
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(text.to_string());
        Ok(())
    }
}

impl Recorder {
    fn seen(&self) -> Vec<String> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

struct Harness {
    hub: Arc<Hub>,
    control: Arc<ConnControl>,
    recorder: Recorder,
    client: DuplexStream,
    task: JoinHandle<Ended>,
}

fn limits() -> SocketLimits {
    SocketLimits {
        ping_every: Duration::from_secs(20),
        idle_timeout: Duration::from_secs(60),
        messages_per_second: 5,
        write_timeout: Duration::from_millis(500),
    }
}

/// A connection of user 1 (a member of org 1) over a pipe of `pipe_bytes`.
async fn connect_with(
    pipe_bytes: usize,
    setup: impl FnOnce(&Hub, &Arc<crate::hub::OrgHub>),
) -> Harness {
    let hub = Arc::new(test_hub());
    let org = org(&hub, 1);
    member(&org, 1, Role::Member);
    setup(&hub, &org);
    let reg = hub.attach(&org, PeerKind::Agent, 1, Role::Member, 1, |_| None);
    let control = reg.control.clone();
    let (client, server) = duplex(pipe_bytes);
    let socket = WsSocket::server(server, crate::ws::socket_config());
    let recorder = Recorder::default();
    let task = tokio::spawn(Connection::new(
        socket,
        reg,
        hub.clone(),
        recorder.clone(),
        limits(),
    ));
    Harness {
        hub,
        control,
        recorder,
        client,
        task,
    }
}

async fn connect() -> Harness {
    connect_with(64 * 1024, |_, _| {}).await
}

/// A client frame: FIN, RSV bits, opcode, masked unless `masked` is false (RFC 6455 §5.2).
fn frame_with(fin: bool, rsv: u8, opcode: u8, masked: bool, payload: &[u8]) -> Vec<u8> {
    let mut out = vec![(u8::from(fin) << 7) | (rsv << 4) | opcode];
    let mask_bit = if masked { 0x80 } else { 0 };
    match payload.len() {
        n if n < 126 => out.push(mask_bit | n as u8),
        n if n <= usize::from(u16::MAX) => {
            out.push(mask_bit | 126);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            out.push(mask_bit | 127);
            out.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    if masked {
        let key = [0x37, 0xfa, 0x21, 0x3d];
        out.extend_from_slice(&key);
        out.extend(payload.iter().enumerate().map(|(i, b)| b ^ key[i % 4]));
    } else {
        out.extend_from_slice(payload);
    }
    out
}

fn frame(opcode: u8, payload: &[u8]) -> Vec<u8> {
    frame_with(true, 0, opcode, true, payload)
}

fn close_frame(code: u16, reason: &str) -> Vec<u8> {
    let mut payload = code.to_be_bytes().to_vec();
    payload.extend_from_slice(reason.as_bytes());
    frame(CLOSE, &payload)
}

/// The next frame the hub sends: (FIN, opcode, payload). Fails on a mask, a timeout or EOF.
async fn read_frame(client: &mut DuplexStream) -> (bool, u8, Vec<u8>) {
    tokio::time::timeout(Duration::from_secs(5), async {
        let mut head = [0u8; 2];
        client.read_exact(&mut head).await.expect("a frame header");
        assert_eq!(head[1] & 0x80, 0, "server frames are never masked");
        assert_eq!(head[0] & 0x70, 0, "no reserved bits");
        let len = match head[1] & 0x7f {
            126 => u64::from(client.read_u16().await.expect("length")),
            127 => client.read_u64().await.expect("length"),
            n => u64::from(n),
        };
        let mut payload = vec![0u8; len as usize];
        client.read_exact(&mut payload).await.expect("payload");
        (head[0] & 0x80 != 0, head[0] & 0x0f, payload)
    })
    .await
    .expect("a frame within 5 s")
}

/// The hub's Close frame: (code, reason).
async fn read_close(client: &mut DuplexStream) -> (u16, String) {
    let (fin, opcode, payload) = read_frame(client).await;
    assert!(fin);
    assert_eq!(
        opcode, CLOSE,
        "expected a Close frame, got opcode {opcode}: {payload:?}"
    );
    assert!(payload.len() >= 2, "a Close frame with a code");
    let code = u16::from_be_bytes([payload[0], payload[1]]);
    let reason = String::from_utf8(payload[2..].to_vec()).expect("a UTF-8 reason");
    (code, reason)
}

/// The hub dropped the TCP connection: the pipe reads end of file.
async fn expect_eof(client: &mut DuplexStream) {
    let mut rest = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), client.read_to_end(&mut rest))
        .await
        .expect("the connection is closed within 5 s")
        .expect("read to the end");
    assert!(rest.is_empty(), "nothing after the Close frame: {rest:?}");
}

async fn ended(task: JoinHandle<Ended>) -> Ended {
    tokio::time::timeout(Duration::from_secs(5), task)
        .await
        .expect("the connection ends within 5 s")
        .expect("the connection task does not panic")
}

/// Sends `bytes`, then expects Close `code` with `reason`, the TCP close, and a failed end.
async fn expect_failure(bytes: &[u8], code: u16, reason: &str) {
    let mut h = connect().await;
    h.client.write_all(bytes).await.expect("write");
    assert_eq!(read_close(&mut h.client).await, (code, reason.to_string()));
    expect_eof(&mut h.client).await;
    assert_eq!(ended(h.task).await, Ended::Failed { code });
    assert_eq!(h.hub.metrics.protocol_errors(code).get(), 1);
    assert!(h.recorder.seen().is_empty(), "nothing reached the handler");
}

#[tokio::test]
async fn text_messages_reach_the_handler_and_pushes_arrive_as_one_text_frame() {
    let mut h = connect().await;
    h.client.write_all(&frame(TEXT, b"hello")).await.unwrap();
    // A message in three fragments, with a ping between them (RFC 6455 §5.4 allows it).
    h.client
        .write_all(&frame_with(false, 0, TEXT, true, b"frag"))
        .await
        .unwrap();
    h.client.write_all(&frame(PING, b"p")).await.unwrap();
    h.client
        .write_all(&frame_with(false, 0, CONTINUATION, true, b"men"))
        .await
        .unwrap();
    h.client
        .write_all(&frame_with(true, 0, CONTINUATION, true, b"ted"))
        .await
        .unwrap();
    assert_eq!(read_frame(&mut h.client).await, (true, PONG, b"p".to_vec()));
    crate::hub::test_support::eventually(|| h.recorder.seen().len() == 2).await;
    assert_eq!(h.recorder.seen(), ["hello", "fragmented"]);

    h.control
        .push(&Outgoing::new("{\"type\":\"x\"}".into(), Instant::now()))
        .unwrap();
    assert_eq!(
        read_frame(&mut h.client).await,
        (true, TEXT, b"{\"type\":\"x\"}".to_vec())
    );
    h.control.request_ping();
    assert_eq!(read_frame(&mut h.client).await, (true, PING, Vec::new()));
    assert!(!h.task.is_finished());
}

#[tokio::test]
async fn a_client_close_is_answered_with_the_same_code_before_the_tcp_close() {
    let mut h = connect().await;
    h.client.write_all(&close_frame(1000, "bye")).await.unwrap();
    assert_eq!(read_close(&mut h.client).await, (1000, "bye".into()));
    expect_eof(&mut h.client).await;
    assert_eq!(ended(h.task).await, Ended::ClientClosed);
}

#[tokio::test]
async fn every_code_a_client_may_send_is_echoed() {
    // Found by the socket_frames fuzz target: the hub echoed 1012 (correctly, it is registered),
    // which the target's list of allowed codes had missed.
    for code in [1001, 1003, 1007, 1011, 1012, 1013, 3000, 4999] {
        let mut h = connect().await;
        h.client.write_all(&close_frame(code, "x")).await.unwrap();
        assert_eq!(read_close(&mut h.client).await, (code, "x".into()));
        expect_eof(&mut h.client).await;
        assert_eq!(ended(h.task).await, Ended::ClientClosed);
    }
}

#[tokio::test]
async fn an_empty_client_close_is_answered_with_an_empty_close() {
    let mut h = connect().await;
    h.client.write_all(&frame(CLOSE, b"")).await.unwrap();
    assert_eq!(read_frame(&mut h.client).await, (true, CLOSE, Vec::new()));
    expect_eof(&mut h.client).await;
    assert_eq!(ended(h.task).await, Ended::ClientClosed);
}

#[tokio::test]
async fn a_close_code_that_may_not_be_sent_is_answered_with_1002() {
    // 1005 is reserved for "no code" and must never be on the wire (RFC 6455 §7.4.1).
    for code in [1005, 1006, 999, 2999] {
        let mut h = connect().await;
        h.client.write_all(&close_frame(code, "")).await.unwrap();
        let (answer, reason) = read_close(&mut h.client).await;
        assert_eq!(answer, 1002, "close code {code}");
        assert!(!reason.is_empty());
        expect_eof(&mut h.client).await;
        ended(h.task).await;
    }
}

#[tokio::test]
async fn a_one_byte_close_payload_is_a_protocol_error() {
    expect_failure(&frame(CLOSE, &[0x03]), 1002, "invalid Close frame payload").await;
}

#[tokio::test]
async fn an_unmasked_client_frame_is_a_protocol_error() {
    expect_failure(
        &frame_with(true, 0, TEXT, false, b"hi"),
        1002,
        "client frames must be masked",
    )
    .await;
}

#[tokio::test]
async fn reserved_bits_are_a_protocol_error() {
    for rsv in [0b100, 0b010, 0b001] {
        expect_failure(
            &frame_with(true, rsv, TEXT, true, b"hi"),
            1002,
            "reserved bits set without an extension",
        )
        .await;
    }
}

#[tokio::test]
async fn reserved_opcodes_are_a_protocol_error() {
    for opcode in [0x3, 0x7, 0xB, 0xF] {
        expect_failure(&frame(opcode, b""), 1002, "reserved opcode").await;
    }
}

#[tokio::test]
async fn a_stray_continuation_is_a_protocol_error() {
    expect_failure(
        &frame(CONTINUATION, b"x"),
        1002,
        "continuation frame with nothing to continue",
    )
    .await;
}

#[tokio::test]
async fn a_new_message_inside_a_fragmented_one_is_a_protocol_error() {
    let mut bytes = frame_with(false, 0, TEXT, true, b"a");
    bytes.extend(frame(TEXT, b"b"));
    expect_failure(&bytes, 1002, "new message before the fragmented one ended").await;
}

#[tokio::test]
async fn an_oversized_control_frame_is_a_protocol_error() {
    expect_failure(
        &frame(PING, &[b'x'; 126]),
        1002,
        "control frame longer than 125 bytes",
    )
    .await;
}

#[tokio::test]
async fn a_fragmented_control_frame_is_a_protocol_error() {
    expect_failure(
        &frame_with(false, 0, PING, true, b"x"),
        1002,
        "fragmented control frame",
    )
    .await;
}

#[tokio::test]
async fn invalid_utf8_in_text_is_closed_with_1007() {
    expect_failure(
        &frame(TEXT, &[b'o', b'k', 0xff, 0xfe]),
        1007,
        "invalid UTF-8 in a text message",
    )
    .await;
}

#[tokio::test]
async fn invalid_utf8_split_over_fragments_is_closed_with_1007() {
    // A two-byte sequence cut in half is fine until the last fragment leaves it unfinished.
    let mut bytes = frame_with(false, 0, TEXT, true, &[b'a', 0xc3]);
    bytes.extend(frame_with(true, 0, CONTINUATION, true, b"b"));
    expect_failure(&bytes, 1007, "invalid UTF-8 in a text message").await;
}

#[tokio::test]
async fn an_oversized_frame_is_closed_with_1009() {
    let big = vec![b'x'; MAX_MESSAGE_BYTES + 1];
    expect_failure(&frame(TEXT, &big), 1009, "message too big").await;
}

#[tokio::test]
async fn an_oversized_message_in_small_fragments_is_closed_with_1009() {
    let part = vec![b'x'; 4096];
    let mut bytes = frame_with(false, 0, TEXT, true, &part);
    for _ in 0..4 {
        bytes.extend(frame_with(false, 0, CONTINUATION, true, &part));
    }
    expect_failure(&bytes, 1009, "message too big").await;
}

#[tokio::test]
async fn a_binary_frame_gets_the_json_error_and_the_socket_stays_open() {
    let mut h = connect().await;
    h.client
        .write_all(&frame(BINARY, &[1, 2, 3]))
        .await
        .unwrap();
    let (_, opcode, payload) = read_frame(&mut h.client).await;
    assert_eq!(opcode, TEXT);
    let error: serde_json::Value = serde_json::from_slice(&payload).unwrap();
    assert_eq!(error["type"], "error");
    assert_eq!(error["error"]["code"], "binary_not_supported");
    h.client
        .write_all(&frame(TEXT, b"still here"))
        .await
        .unwrap();
    crate::hub::test_support::eventually(|| h.recorder.seen() == ["still here"]).await;
}

#[tokio::test]
async fn a_refused_message_gets_the_json_error_and_the_socket_stays_open() {
    let mut h = connect().await;
    h.client.write_all(&frame(TEXT, b"bad")).await.unwrap();
    let (_, opcode, payload) = read_frame(&mut h.client).await;
    assert_eq!(opcode, TEXT);
    let error: serde_json::Value = serde_json::from_slice(&payload).unwrap();
    assert_eq!(error["error"]["code"], "invalid_message");
    assert!(!h.task.is_finished());
}

#[tokio::test]
async fn the_hubs_close_carries_code_and_reason_and_waits_for_the_answer() {
    let mut h = connect().await;
    h.control.close(CloseCause::ServiceRestart);
    assert_eq!(
        read_close(&mut h.client).await,
        (1012, "service restart".into())
    );
    // Data still in flight from the client is dropped, not an error.
    h.client.write_all(&frame(TEXT, b"late")).await.unwrap();
    h.client.write_all(&close_frame(1012, "")).await.unwrap();
    expect_eof(&mut h.client).await;
    assert_eq!(
        ended(h.task).await,
        Ended::ClosedByHub {
            cause: CloseCause::ServiceRestart,
            answered: true
        }
    );
    assert!(h.recorder.seen().is_empty());
}

#[tokio::test(start_paused = true)]
async fn a_client_that_never_answers_the_close_is_dropped_after_the_close_timeout() {
    let mut h = connect().await;
    let started = Instant::now();
    h.control.close(CloseCause::Unauthorized);
    assert_eq!(read_close(&mut h.client).await, (4001, "logged out".into()));
    expect_eof(&mut h.client).await;
    assert_eq!(
        ended(h.task).await,
        Ended::ClosedByHub {
            cause: CloseCause::Unauthorized,
            answered: false
        }
    );
    let waited = started.elapsed();
    assert!(
        waited >= CLOSE_TIMEOUT && waited < CLOSE_TIMEOUT + Duration::from_millis(100),
        "waited {waited:?}"
    );
}

#[tokio::test]
async fn more_messages_than_the_rate_limit_close_the_socket_with_1008() {
    let mut h = connect().await;
    // 5 a second with a burst of 10: the eleventh message at once is one too many.
    for i in 0..11 {
        h.client
            .write_all(&frame(TEXT, format!("m{i}").as_bytes()))
            .await
            .unwrap();
    }
    assert_eq!(
        read_close(&mut h.client).await,
        (1008, "rate limit: too many messages a second".into())
    );
    assert_eq!(h.recorder.seen().len(), 10);
    h.client.write_all(&close_frame(1008, "")).await.unwrap();
    assert_eq!(
        ended(h.task).await,
        Ended::ClosedByHub {
            cause: CloseCause::RateLimited,
            answered: true
        }
    );
}

#[tokio::test(start_paused = true)]
async fn a_client_that_stops_reading_is_dropped_after_the_write_timeout() {
    // A 256-byte pipe the client never reads: a 4 KiB push cannot go through.
    let h = connect_with(256, |_, _| {}).await;
    let started = Instant::now();
    h.control
        .push(&Outgoing::new("x".repeat(4096).into(), Instant::now()))
        .unwrap();
    assert_eq!(ended(h.task).await, Ended::Broken);
    let waited = started.elapsed();
    assert!(
        waited >= limits().write_timeout
            && waited < limits().write_timeout + Duration::from_millis(100),
        "waited {waited:?}"
    );
}

#[tokio::test]
async fn a_socket_over_the_per_user_limit_gets_1008_too_many_connections_first() {
    let mut others = Vec::new();
    let mut h = connect_with(64 * 1024, |hub, org| {
        for _ in 0..20 {
            others.push(hub.attach(org, PeerKind::Tab, 1, Role::Member, 2, |_| None));
        }
    })
    .await;
    assert_eq!(
        read_close(&mut h.client).await,
        (1008, "too many connections".into())
    );
    h.client.write_all(&close_frame(1008, "")).await.unwrap();
    expect_eof(&mut h.client).await;
    ended(h.task).await;
    assert_eq!(
        h.hub
            .metrics
            .connections_refused(CloseCause::TooManyConnections.metric_label())
            .get(),
        1
    );
    assert!(
        others.iter().all(|r| r.control.close_requested().is_none()),
        "the other 20 sockets are unaffected"
    );
}

#[tokio::test]
async fn a_tcp_drop_without_a_close_ends_the_connection() {
    let h = connect().await;
    drop(h.client);
    assert_eq!(ended(h.task).await, Ended::Broken);
}

/// Every socket holds one of these in its task (agents' `Connection` over the upgraded HTTP
/// stream): tokio allocates a task in 128-byte steps, and up to ~530 bytes of future it is 640
/// bytes; 544 (before issue 28) made it 768. This guards the step.
#[test]
fn a_connection_fits_the_smaller_task_allocation() {
    type AgentConnection =
        Connection<crate::ws::AgentMessages, hyper_util::rt::TokioIo<hyper::upgrade::Upgraded>>;
    let size =
        std::mem::size_of::<tokio_util::task::task_tracker::TrackedFuture<AgentConnection>>();
    assert!(size <= 512, "{size} bytes");
}

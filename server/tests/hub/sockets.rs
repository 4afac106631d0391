//! `/ws/agent` and `/ws/tab` over real sockets: handshake auth, first messages, limits.

use crate::common;

use common::{close_code, next_json, send_json, wait_for, TestHub};
use futures_util::{SinkExt, StreamExt};
use serde_json::json;
use shared::protocol::close_code as code;
use shared::Role;
use std::time::Duration;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::Message;

async fn handshake_status(req: tokio_tungstenite::tungstenite::handshake::client::Request) -> u16 {
    match tokio_tungstenite::connect_async(req).await {
        Ok(_) => 101,
        Err(tokio_tungstenite::tungstenite::Error::Http(res)) => res.status().as_u16(),
        Err(e) => panic!("unexpected handshake error {e}"),
    }
}

#[tokio::test]
async fn agent_hello_carries_user_config_and_server_time() {
    let hub = TestHub::start().await;
    let (org, users) = hub.org("Acme", &[("ann@a.test", Role::Member)]).await;
    let token = hub.login("ann@a.test").await;
    let mut agent = hub.agent(&token).await;
    let hello = next_json(&mut agent, 5).await;
    assert_eq!(hello["type"], "hello");
    assert_eq!(hello["user"]["id"], users[0].id);
    assert_eq!(hello["user"]["org_id"], org.id);
    assert_eq!(hello["active_session"], serde_json::Value::Null);
    assert_eq!(hello["config_version"], 1);
    assert_eq!(hello["config"]["idle_threshold_seconds"], 300);
    assert!(hello["server_time"]
        .as_str()
        .is_some_and(|t| t.ends_with('Z')));
}

#[tokio::test]
async fn sockets_refuse_missing_or_bad_credentials() {
    let hub = TestHub::start().await;
    hub.org("Acme", &[("ann@a.test", Role::Member)]).await;
    let req = hub.ws_url("/ws/agent").into_client_request().unwrap();
    assert_eq!(handshake_status(req).await, 401);
    let mut req = hub.ws_url("/ws/agent").into_client_request().unwrap();
    req.headers_mut().insert(
        "authorization",
        HeaderValue::from_static("Bearer not-a-real-token"),
    );
    assert_eq!(handshake_status(req).await, 401);
    let req = hub.ws_url("/ws/tab").into_client_request().unwrap();
    assert_eq!(handshake_status(req).await, 401);
}

#[tokio::test]
async fn cookie_tab_sockets_must_come_from_the_hubs_own_origin() {
    let hub = TestHub::start().await;
    hub.org("Acme", &[("ann@a.test", Role::Admin)]).await;
    let token = hub.login("ann@a.test").await;
    let host = hub.url.trim_start_matches("http://").to_string();
    let with = |origin: &str| {
        let mut req = hub.ws_url("/ws/tab").into_client_request().unwrap();
        req.headers_mut().insert(
            "cookie",
            HeaderValue::from_str(&format!("ph_session={token}")).unwrap(),
        );
        req.headers_mut()
            .insert("origin", HeaderValue::from_str(origin).unwrap());
        req
    };
    assert_eq!(handshake_status(with("http://evil.example")).await, 403);
    assert_eq!(handshake_status(with(&format!("http://{host}"))).await, 101);
    let (mut tab, _) = tokio_tungstenite::connect_async(with(&format!("http://{host}")))
        .await
        .unwrap();
    let snapshot = next_json(&mut tab, 5).await;
    assert_eq!(snapshot["type"], "presence_snapshot");
}

#[tokio::test]
async fn bad_messages_get_an_error_and_the_socket_stays_open() {
    let hub = TestHub::start().await;
    hub.org("Acme", &[("ann@a.test", Role::Member)]).await;
    let token = hub.login("ann@a.test").await;
    let mut agent = hub.agent(&token).await;
    wait_for(&mut agent, "hello", 5, |_| true).await;
    agent.send(Message::Text("{not json".into())).await.unwrap();
    let e = wait_for(&mut agent, "error", 5, |_| true).await;
    assert_eq!(e["error"]["code"], "invalid_message");
    send_json(&mut agent, json!({"type": "self_destruct"})).await;
    let e = wait_for(&mut agent, "error", 5, |_| true).await;
    assert_eq!(e["error"]["code"], "unknown_type");
    send_json(
        &mut agent,
        json!({"type": "heartbeat", "idle_seconds": "lots"}),
    )
    .await;
    let e = wait_for(&mut agent, "error", 5, |_| true).await;
    assert_eq!(e["error"]["code"], "invalid_message");
    agent
        .send(Message::Binary(vec![1, 2, 3].into()))
        .await
        .unwrap();
    let e = wait_for(&mut agent, "error", 5, |_| true).await;
    assert_eq!(e["error"]["code"], "binary_not_supported");
    // Still alive: a good heartbeat is accepted without an error.
    send_json(&mut agent, json!({"type": "heartbeat", "idle_seconds": 0})).await;
    agent.send(Message::Ping(vec![7].into())).await.unwrap();
    loop {
        match tokio::time::timeout(Duration::from_secs(5), agent.next())
            .await
            .unwrap()
            .unwrap()
            .unwrap()
        {
            Message::Pong(p) => {
                assert_eq!(&p[..], &[7]);
                break;
            }
            Message::Text(t) => panic!("unexpected message {t}"),
            _ => {}
        }
    }
}

#[tokio::test]
async fn an_oversized_frame_closes_with_1009() {
    let hub = TestHub::start().await;
    hub.org("Acme", &[("ann@a.test", Role::Member)]).await;
    let token = hub.login("ann@a.test").await;
    let mut agent = hub.agent(&token).await;
    wait_for(&mut agent, "hello", 5, |_| true).await;
    let big = format!(
        "{{\"type\":\"heartbeat\",\"idle_seconds\":0,\"active_app\":\"{}\"}}",
        "x".repeat(100_000)
    );
    let _ = agent.send(Message::Text(big.into())).await;
    assert_eq!(close_code(&mut agent, 5).await, Some(code::MESSAGE_TOO_BIG));
}

#[tokio::test]
async fn a_flood_of_messages_closes_with_1008() {
    let hub = TestHub::start_with(|c| c.ws_messages_per_second = 5).await;
    hub.org("Acme", &[("ann@a.test", Role::Member)]).await;
    let token = hub.login("ann@a.test").await;
    let mut agent = hub.agent(&token).await;
    wait_for(&mut agent, "hello", 5, |_| true).await;
    for _ in 0..50 {
        if agent
            .send(Message::Text(
                json!({"type": "heartbeat", "idle_seconds": 0})
                    .to_string()
                    .into(),
            ))
            .await
            .is_err()
        {
            break;
        }
    }
    assert_eq!(
        close_code(&mut agent, 5).await,
        Some(code::POLICY_VIOLATION)
    );
}

#[tokio::test]
async fn a_silent_client_is_closed_after_the_idle_timeout() {
    let hub = TestHub::start_with(|c| {
        c.ws_ping_seconds = 1;
        c.ws_idle_timeout_seconds = 2;
    })
    .await;
    hub.org("Acme", &[("ann@a.test", Role::Member)]).await;
    let token = hub.login("ann@a.test").await;
    // A raw client that reads but never answers: not even the pings (a library client would
    // answer those by itself).
    let opened = std::time::Instant::now();
    let mut stream = raw_socket(&hub, "/ws/agent", &token).await;
    let mut pings = 0;
    let code = loop {
        let (_, opcode, payload) =
            tokio::time::timeout(Duration::from_secs(10), read_frame(&mut stream))
                .await
                .expect("the hub closes a silent socket");
        match opcode {
            0x9 => pings += 1,
            0x8 => break u16::from_be_bytes([payload[0], payload[1]]),
            _ => {}
        }
    };
    assert!(pings >= 1, "the hub pings");
    assert_eq!(code, code::GOING_AWAY);
    assert!(
        opened.elapsed() >= Duration::from_secs(2),
        "not before the idle timeout: {:?}",
        opened.elapsed()
    );
}

#[tokio::test]
async fn shutdown_closes_sockets_with_1012() {
    let mut hub = TestHub::start().await;
    hub.org("Acme", &[("ann@a.test", Role::Member)]).await;
    let token = hub.login("ann@a.test").await;
    let mut agent = hub.agent(&token).await;
    wait_for(&mut agent, "hello", 5, |_| true).await;
    let mut tab = hub.tab(&token).await;
    wait_for(&mut tab, "presence_snapshot", 5, |_| true).await;
    let stop = tokio::spawn(async move {
        hub.stop().await;
        hub
    });
    assert_eq!(
        close_code(&mut agent, 10).await,
        Some(code::SERVICE_RESTART)
    );
    assert_eq!(close_code(&mut tab, 10).await, Some(code::SERVICE_RESTART));
    stop.await.unwrap();
}

#[tokio::test]
async fn logout_closes_the_sockets_of_that_token() {
    let hub = TestHub::start().await;
    hub.org("Acme", &[("ann@a.test", Role::Member)]).await;
    let token = hub.login("ann@a.test").await;
    let other = hub.login("ann@a.test").await;
    let mut agent = hub.agent(&token).await;
    let mut other_agent = hub.agent(&other).await;
    wait_for(&mut agent, "hello", 5, |_| true).await;
    wait_for(&mut other_agent, "hello", 5, |_| true).await;
    let res = hub
        .http()
        .post(format!("{}/api/auth/logout", hub.url))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    assert_eq!(close_code(&mut agent, 5).await, Some(code::UNAUTHORIZED));
    send_json(
        &mut other_agent,
        json!({"type": "heartbeat", "idle_seconds": 0}),
    )
    .await;
    other_agent
        .send(Message::Ping(vec![1].into()))
        .await
        .unwrap();
    let pong = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            if let Some(Ok(Message::Pong(_))) = other_agent.next().await {
                return true;
            }
        }
    })
    .await;
    assert!(pong.unwrap(), "the other device stays connected");
}

/// Opens `path` with a hand-written handshake (the RFC's example key) and a Bearer token.
async fn raw_socket(hub: &TestHub, path: &str, token: &str) -> tokio::net::TcpStream {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = hub.url.trim_start_matches("http://").to_string();
    let mut stream = tokio::net::TcpStream::connect(&addr)
        .await
        .expect("connect");
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\
         Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
         Authorization: Bearer {token}\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await.expect("request");
    let mut response = Vec::new();
    while !response.ends_with(b"\r\n\r\n") {
        response.push(stream.read_u8().await.expect("response byte"));
    }
    let response = String::from_utf8(response).expect("ascii");
    assert!(response.starts_with("HTTP/1.1 101"), "{response}");
    assert!(
        response
            .to_ascii_lowercase()
            .contains("sec-websocket-accept: s3pplmbitxaq9kygzzhzrbk+xoo="),
        "{response}"
    );
    stream
}

/// Reads one server frame (unmasked) from a raw stream: (fin, opcode, payload).
async fn read_frame(stream: &mut tokio::net::TcpStream) -> (bool, u8, Vec<u8>) {
    use tokio::io::AsyncReadExt;
    let mut head = [0u8; 2];
    stream.read_exact(&mut head).await.expect("frame header");
    assert_eq!(head[1] & 0x80, 0, "server frames are not masked");
    let len = match head[1] & 0x7f {
        126 => u64::from(stream.read_u16().await.expect("length")),
        127 => stream.read_u64().await.expect("length"),
        n => u64::from(n),
    };
    let mut payload = vec![0u8; len as usize];
    stream.read_exact(&mut payload).await.expect("payload");
    (head[0] & 0x80 != 0, head[0] & 0x0f, payload)
}

#[tokio::test]
async fn a_large_snapshot_is_one_text_frame_with_a_16_bit_length() {
    let hub = TestHub::start().await;
    let emails: Vec<String> = (0..150)
        .map(|i| format!("a-rather-long-mailbox-name-number-{i:03}@example.test"))
        .collect();
    let mut users: Vec<(&str, Role)> = emails.iter().map(|e| (e.as_str(), Role::Member)).collect();
    users[0].1 = Role::Supervisor;
    hub.org("Acme", &users).await;
    let token = hub.login(&emails[0]).await;

    // A raw client, so the frames themselves can be seen.
    let mut stream = raw_socket(&hub, "/ws/tab", &token).await;

    // Written by the hub's own framing (not tungstenite's): one final text frame.
    let (fin, opcode, message) = read_frame(&mut stream).await;
    assert!(fin, "not fragmented");
    assert_eq!(opcode, 0x1, "text");
    assert!(
        message.len() > 125,
        "long enough for the 16-bit length form"
    );
    let snapshot: serde_json::Value = serde_json::from_slice(&message).expect("one JSON message");
    assert_eq!(snapshot["type"], "presence_snapshot");
    assert_eq!(snapshot["users"].as_array().map(Vec::len), Some(150));

    // A library client reassembles them the same way.
    let mut tab = hub.tab(&token).await;
    let snapshot = next_json(&mut tab, 5).await;
    assert_eq!(snapshot["users"].as_array().map(Vec::len), Some(150));
}

#[tokio::test]
async fn a_plain_request_to_a_socket_address_gets_426_in_the_error_shape() {
    let hub = TestHub::start().await;
    let res = hub
        .http()
        .get(format!("{}/ws/agent", hub.url))
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), 426);
    assert_eq!(
        res.headers().get("upgrade").and_then(|v| v.to_str().ok()),
        Some("websocket")
    );
    let body: serde_json::Value = res.json().await.expect("json");
    assert_eq!(body["error"]["code"], "upgrade_required");
}

/// A masked client frame (RFC 6455 §5.3), or an unmasked one when `masked` is false.
fn client_frame(opcode: u8, masked: bool, payload: &[u8]) -> Vec<u8> {
    assert!(payload.len() < 126, "short frames only");
    let mut out = vec![0x80 | opcode, payload.len() as u8];
    if !masked {
        out.extend_from_slice(payload);
        return out;
    }
    out[1] |= 0x80;
    let key = [0xa1, 0x0b, 0x5c, 0x72];
    out.extend_from_slice(&key);
    out.extend(payload.iter().enumerate().map(|(i, b)| b ^ key[i % 4]));
    out
}

/// The hub's Close frame on a raw stream, then the end of the TCP connection.
async fn read_close_then_eof(stream: &mut tokio::net::TcpStream) -> (u16, String) {
    use tokio::io::AsyncReadExt;
    let (code, reason) = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            let (_, opcode, payload) = read_frame(stream).await;
            if opcode == 0x8 {
                let code = u16::from_be_bytes([payload[0], payload[1]]);
                return (
                    code,
                    String::from_utf8(payload[2..].to_vec()).expect("utf-8"),
                );
            }
        }
    })
    .await
    .expect("a Close frame within 5 s");
    let mut rest = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut rest))
        .await
        .expect("the hub closes the TCP connection")
        .expect("read");
    assert!(rest.is_empty());
    (code, reason)
}

#[tokio::test]
async fn a_clients_close_is_answered_before_the_tcp_close() {
    use tokio::io::AsyncWriteExt;
    let hub = TestHub::start().await;
    hub.org("Acme", &[("ann@a.test", Role::Member)]).await;
    let token = hub.login("ann@a.test").await;
    let mut stream = raw_socket(&hub, "/ws/agent", &token).await;
    let (_, opcode, _) = read_frame(&mut stream).await;
    assert_eq!(opcode, 0x1, "hello");
    let mut close = 1001u16.to_be_bytes().to_vec();
    close.extend_from_slice(b"tab closed");
    stream
        .write_all(&client_frame(0x8, true, &close))
        .await
        .unwrap();
    assert_eq!(
        read_close_then_eof(&mut stream).await,
        (1001, "tab closed".into()),
        "the code and reason echoed (RFC 6455 §5.5.1)"
    );

    // A library client sees a clean close, not 1006.
    let mut agent = hub.agent(&token).await;
    wait_for(&mut agent, "hello", 5, |_| true).await;
    agent.close(None).await.expect("close");
    assert!(matches!(
        tokio::time::timeout(Duration::from_secs(5), agent.next()).await,
        Ok(Some(Ok(Message::Close(_)))) | Ok(None)
    ));
}

#[tokio::test]
async fn an_unmasked_frame_gets_close_1002_with_a_reason_and_is_counted() {
    use tokio::io::AsyncWriteExt;
    let hub = TestHub::start().await;
    hub.org("Acme", &[("ann@a.test", Role::Member)]).await;
    let token = hub.login("ann@a.test").await;
    let mut stream = raw_socket(&hub, "/ws/tab", &token).await;
    stream
        .write_all(&client_frame(0x1, false, br#"{"type":"activity"}"#))
        .await
        .unwrap();
    assert_eq!(
        read_close_then_eof(&mut stream).await,
        (1002, "client frames must be masked".into())
    );
    let invalid_utf8 = client_frame(0x1, true, &[0xc0, 0xaf]);
    let mut stream = raw_socket(&hub, "/ws/agent", &token).await;
    stream.write_all(&invalid_utf8).await.unwrap();
    assert_eq!(
        read_close_then_eof(&mut stream).await,
        (1007, "invalid UTF-8 in a text message".into())
    );
    let metrics = hub.metrics().await;
    assert!(
        metrics.contains("presence_hub_protocol_errors_total{code=\"1002\"} 1"),
        "{metrics}"
    );
    assert!(metrics.contains("presence_hub_protocol_errors_total{code=\"1007\"} 1"));
}

#[tokio::test]
async fn the_socket_past_the_per_user_limit_is_closed_and_the_others_keep_working() {
    let hub = TestHub::start_with(|c| c.max_sockets_per_user = 3).await;
    hub.org(
        "Acme",
        &[
            ("ann@a.test", Role::Member),
            ("sup@a.test", Role::Supervisor),
        ],
    )
    .await;
    let token = hub.login("ann@a.test").await;
    let mut agent = hub.agent(&token).await;
    wait_for(&mut agent, "hello", 5, |_| true).await;
    let mut tabs = Vec::new();
    for _ in 0..2 {
        let mut tab = hub.tab(&token).await;
        wait_for(&mut tab, "presence_snapshot", 5, |_| true).await;
        tabs.push(tab);
    }
    // The fourth: no snapshot, only the close.
    let mut extra = hub.tab(&token).await;
    match tokio::time::timeout(Duration::from_secs(5), extra.next()).await {
        Ok(Some(Ok(Message::Close(Some(frame))))) => {
            assert_eq!(u16::from(frame.code), code::POLICY_VIOLATION);
            assert_eq!(frame.reason.as_str(), "too many connections");
        }
        other => panic!("expected Close 1008, got {other:?}"),
    }
    // Another user is not affected, and the first three still get their pushes.
    let sup = hub.login("sup@a.test").await;
    let mut sup_tab = hub.tab(&sup).await;
    wait_for(&mut sup_tab, "presence_snapshot", 5, |_| true).await;
    let res = hub
        .call("POST", "/api/sessions/start", Some(&token), Some(json!({})))
        .await;
    assert_eq!(res.0, 201, "{:?}", res.1);
    wait_for(&mut agent, "session_started", 5, |_| true).await;
    for tab in &mut tabs {
        wait_for(tab, "session_started", 5, |_| true).await;
    }
    let metrics = hub.metrics().await;
    assert!(
        metrics
            .contains("presence_hub_connections_refused_total{reason=\"too_many_connections\"} 1"),
        "{metrics}"
    );
}

//! The UDP side of a query: one socket per query, connected to the server so only its
//! datagrams arrive; the challenge handshake; split answers put back together; one deadline
//! over the whole exchange.

use std::net::SocketAddr;
use std::time::Duration;
use tokio::net::UdpSocket;

use super::message::{info_request, parse_datagram, parse_message, player_request};
use super::message::{Datagram, Message, Player, ServerInfo, NO_CHALLENGE};
use super::split::Reassembly;
use super::A2sError;

/// A server that answers a challenge with another challenge this often is broken.
const MAX_CHALLENGES: usize = 3;

/// `host:port` to a socket address (the first one the resolver gives).
pub async fn resolve(address: &str) -> Result<SocketAddr, A2sError> {
    let failed = |reason: String| A2sError::Resolve {
        address: address.to_string(),
        reason,
    };
    tokio::net::lookup_host(address)
        .await
        .map_err(|e| failed(e.to_string()))?
        .next()
        .ok_or_else(|| failed("no address found".into()))
}

/// A2S_INFO: the server's name, map and player counts.
pub async fn query_info(addr: SocketAddr, timeout: Duration) -> Result<ServerInfo, A2sError> {
    match exchange(addr, timeout, Message::INFO, info_request).await? {
        Message::Info(info) => Ok(info),
        other => Err(unexpected(Message::INFO, &other)),
    }
}

/// A2S_PLAYER: who is on the server now.
pub async fn query_players(addr: SocketAddr, timeout: Duration) -> Result<Vec<Player>, A2sError> {
    let request = |challenge: Option<[u8; 4]>| player_request(challenge.unwrap_or(NO_CHALLENGE));
    match exchange(addr, timeout, Message::PLAYERS, request).await? {
        Message::Players(players) => Ok(players),
        other => Err(unexpected(Message::PLAYERS, &other)),
    }
}

fn unexpected(expected: u8, got: &Message) -> A2sError {
    A2sError::UnexpectedType {
        expected,
        got: got.kind(),
    }
}

/// Sends `request` (without a challenge first); a `0x41` answer is a challenge to send back.
/// Servers that answer at once are fine too.
async fn exchange(
    addr: SocketAddr,
    timeout: Duration,
    expected: u8,
    request: impl Fn(Option<[u8; 4]>) -> Vec<u8>,
) -> Result<Message, A2sError> {
    let local: SocketAddr = if addr.is_ipv4() {
        ([0, 0, 0, 0], 0).into()
    } else {
        (std::net::Ipv6Addr::UNSPECIFIED, 0).into()
    };
    let socket = UdpSocket::bind(local).await?;
    socket.connect(addr).await?;
    let talk = async {
        let mut challenge = None;
        for _ in 0..=MAX_CHALLENGES {
            socket.send(&request(challenge)).await?;
            match receive(&socket).await? {
                Message::Challenge(c) => challenge = Some(c),
                m if m.kind() == expected => return Ok(m),
                m => return Err(unexpected(expected, &m)),
            }
        }
        Err(A2sError::TooManyChallenges)
    };
    tokio::time::timeout(timeout, talk)
        .await
        .map_err(|_| A2sError::Timeout(addr))?
}

/// One message: a single datagram, or every part of a split answer.
async fn receive(socket: &UdpSocket) -> Result<Message, A2sError> {
    let mut buf = vec![0u8; 65_536];
    let mut parts: Option<Reassembly> = None;
    loop {
        let n = socket.recv(&mut buf).await?;
        match parse_datagram(&buf[..n])? {
            Datagram::Single(payload) => return parse_message(payload),
            Datagram::Part(part) => {
                let r = parts.get_or_insert_with(|| Reassembly::new(part.id, part.total));
                if let Some(whole) = r.add(part)? {
                    return parse_message(&whole);
                }
            }
        }
    }
}

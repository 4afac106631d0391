//! A fake game server that answers Valve A2S queries on loopback UDP: a scriptable player list,
//! an optional challenge handshake (for A2S_INFO and A2S_PLAYER, as servers since 2020 do),
//! optional split (multi-packet) answers, and silence on demand. Its packets are written here
//! from Valve's description, independently of the hub's parser, so tests check one against
//! the other. Used by the tests and by the `fake-a2s` binary.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::net::UdpSocket;
use tokio::task::JoinHandle;

const SINGLE: [u8; 4] = [0xFF; 4];
const SPLIT: [u8; 4] = [0xFE, 0xFF, 0xFF, 0xFF];
const INFO_QUERY: &[u8] = b"\x54Source Engine Query\0";

#[derive(Debug, Clone)]
pub struct FakeA2sOptions {
    /// Answer a request without the right challenge with a `0x41` challenge first.
    pub challenge: bool,
    /// Split answers longer than this many bytes into Source-format parts.
    pub split_at: Option<usize>,
    pub server_name: String,
    pub map: String,
    pub max_players: u8,
}

impl Default for FakeA2sOptions {
    fn default() -> Self {
        FakeA2sOptions {
            challenge: true,
            split_at: None,
            server_name: "Fake Staff Server".into(),
            map: "de_dust2".into(),
            max_players: 32,
        }
    }
}

#[derive(Debug)]
struct State {
    options: FakeA2sOptions,
    players: Vec<String>,
    silent: bool,
    player_answers: u64,
    challenge: [u8; 4],
    next_split_id: u32,
}

/// A running fake server; stops when dropped.
pub struct FakeA2s {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
    task: JoinHandle<()>,
}

impl FakeA2s {
    /// On a free loopback port.
    pub async fn start(options: FakeA2sOptions) -> std::io::Result<FakeA2s> {
        Self::bind(SocketAddr::from(([127, 0, 0, 1], 0)), options).await
    }

    pub async fn bind(listen: SocketAddr, options: FakeA2sOptions) -> std::io::Result<FakeA2s> {
        let socket = UdpSocket::bind(listen).await?;
        let addr = socket.local_addr()?;
        let seed = addr.port().to_le_bytes();
        let state = Arc::new(Mutex::new(State {
            options,
            players: Vec::new(),
            silent: false,
            player_answers: 0,
            challenge: [0x5A, seed[0], seed[1], 0xA5],
            next_split_id: 1,
        }));
        let task = tokio::spawn(serve(socket, state.clone()));
        Ok(FakeA2s { addr, state, task })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `127.0.0.1:PORT`, as a game server entry's address.
    pub fn address(&self) -> String {
        self.addr.to_string()
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Who is on the server from now on.
    pub fn set_players(&self, names: &[&str]) {
        self.state().players = names.iter().map(|n| n.to_string()).collect();
    }

    pub fn players(&self) -> Vec<String> {
        self.state().players.clone()
    }

    /// A silent server answers nothing (a crashed or unreachable server).
    pub fn set_silent(&self, silent: bool) {
        self.state().silent = silent;
    }

    pub fn set_map(&self, map: &str) {
        self.state().options.map = map.to_string();
    }

    /// A2S_PLAYER answers (with the player list) sent so far.
    pub fn player_answers(&self) -> u64 {
        self.state().player_answers
    }
}

impl Drop for FakeA2s {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn serve(socket: UdpSocket, state: Arc<Mutex<State>>) {
    let mut buf = vec![0u8; 2048];
    loop {
        let Ok((n, from)) = socket.recv_from(&mut buf).await else {
            continue;
        };
        let replies = {
            let mut s = state.lock().unwrap_or_else(|p| p.into_inner());
            answer(&mut s, &buf[..n])
        };
        for reply in replies {
            let _ = socket.send_to(&reply, from).await;
        }
    }
}

/// The datagrams that answer `request` (none for silence or junk).
fn answer(s: &mut State, request: &[u8]) -> Vec<Vec<u8>> {
    if s.silent || !request.starts_with(&SINGLE) {
        return Vec::new();
    }
    let body = &request[4..];
    let message = if let Some(rest) = body.strip_prefix(INFO_QUERY) {
        if s.options.challenge && rest != s.challenge {
            challenge(s)
        } else {
            info(s)
        }
    } else if let Some(rest) = body.strip_prefix(&[0x55]) {
        if s.options.challenge && rest != s.challenge {
            challenge(s)
        } else {
            s.player_answers += 1;
            players(s)
        }
    } else {
        return Vec::new();
    };
    match s.options.split_at {
        Some(limit) if message.len() > limit => {
            let id = s.next_split_id;
            s.next_split_id = s.next_split_id.wrapping_add(1) & 0x7FFF_FFFF;
            split(&message, id, limit)
        }
        _ => vec![message],
    }
}

fn challenge(s: &State) -> Vec<u8> {
    let mut p = SINGLE.to_vec();
    p.push(0x41);
    p.extend_from_slice(&s.challenge);
    p
}

fn cstring(p: &mut Vec<u8>, text: &str) {
    p.extend_from_slice(text.as_bytes());
    p.push(0);
}

/// A2S_INFO, Source layout, no extra data.
fn info(s: &State) -> Vec<u8> {
    let mut p = SINGLE.to_vec();
    p.extend_from_slice(&[0x49, 17]);
    cstring(&mut p, &s.options.server_name);
    cstring(&mut p, &s.options.map);
    cstring(&mut p, "cstrike");
    cstring(&mut p, "Counter-Strike: Source");
    p.extend_from_slice(&240u16.to_le_bytes());
    p.push(s.players.len().min(255) as u8);
    p.push(s.options.max_players);
    p.extend_from_slice(&[0, b'd', b'l', 0, 1]);
    cstring(&mut p, "1.0.0.0");
    p
}

fn players(s: &State) -> Vec<u8> {
    let mut p = SINGLE.to_vec();
    p.push(0x44);
    p.push(s.players.len().min(255) as u8);
    for (i, name) in s.players.iter().take(255).enumerate() {
        p.push(i as u8);
        cstring(&mut p, name);
        p.extend_from_slice(&(i as i32).to_le_bytes());
        p.extend_from_slice(&(60.0f32 * i as f32).to_le_bytes());
    }
    p
}

/// Source split parts: id, part count, part number, packet size, then the bytes.
fn split(message: &[u8], id: u32, limit: usize) -> Vec<Vec<u8>> {
    let chunks: Vec<&[u8]> = message.chunks(limit.max(1)).collect();
    chunks
        .iter()
        .enumerate()
        .map(|(i, chunk)| {
            let mut p = SPLIT.to_vec();
            p.extend_from_slice(&id.to_le_bytes());
            p.push(chunks.len().min(255) as u8);
            p.push(i as u8);
            p.extend_from_slice(&(limit.min(u16::MAX as usize) as u16).to_le_bytes());
            p.extend_from_slice(chunk);
            p
        })
        .collect()
}

//! Valve's A2S server queries (<https://developer.valvesoftware.com/wiki/Server_queries>):
//! A2S_INFO for the server's name and map, A2S_PLAYER for who is on it.
//!
//! `reader`, `message` and `split` turn bytes into types and nothing else, so every layout
//! is unit-tested without a socket; `client` is the UDP exchange around them (challenge
//! handshake, split responses, timeout).

mod client;
mod error;
mod message;
mod reader;
mod split;

pub use client::{query_info, query_players, resolve};
pub use error::A2sError;
pub use message::{
    info_request, parse_datagram, parse_message, player_request, Datagram, Message, Player,
    ServerInfo, NO_CHALLENGE,
};
pub use split::{parse_split, Reassembly, SplitPart};

//! Everything that can go wrong with one A2S query. Malformed packets are errors, never panics.

use std::net::SocketAddr;

#[derive(Debug, thiserror::Error)]
pub enum A2sError {
    #[error("packet ends early: {what} is missing")]
    Truncated { what: &'static str },
    #[error(
        "packet header {0:#010x} is neither a single (0xFFFFFFFF) nor a split (0xFFFFFFFE) packet"
    )]
    BadHeader(u32),
    #[error("unknown message type {0:#04x}")]
    UnknownType(u8),
    #[error("unexpected response type {got:#04x} (expected {expected:#04x})")]
    UnexpectedType { expected: u8, got: u8 },
    #[error("the response is compressed, which this client does not support")]
    Compressed,
    #[error("invalid split packet: {0}")]
    BadSplit(&'static str),
    #[error("the server kept answering with new challenges")]
    TooManyChallenges,
    #[error("no answer from {0} in time")]
    Timeout(SocketAddr),
    #[error("cannot resolve {address}: {reason}")]
    Resolve { address: String, reason: String },
    #[error("network error: {0}")]
    Io(#[from] std::io::Error),
}

//! Presence Hub's core without I/O, shared by the server's layers: the rules (`domain`), the
//! events (`events`, a leaf), the in-memory hub (`hub`: organizations, presence, sockets'
//! queues, fan-out) and its metrics. This crate depends on no SQL, HTTP or WebSocket library,
//! so the hub cannot reach the database or a socket by accident: the compiler holds the wall.
//! What the hub learns that must be stored goes out through [`hub::WriteBehind`].

pub mod domain;
pub mod events;
pub mod hub;
pub mod metrics;
pub mod records;
pub mod time;

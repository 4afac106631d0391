//! presence-hub: the Presence Hub server.
//!
//! Layers, as folders: transport (`api`, `ws`, `pages`, `cli`) → operations (`ops`: every
//! write that announces an event; `queries`: reads that need shaping) → rules (`domain`, plain
//! functions) → storage (`store`, sqlx) → `events` (the publisher and, on PostgreSQL, the
//! cluster bus) → `hub` (turns events into frames for this node's sockets; no SQL, no
//! WebSocket types).

pub mod a2s;
pub mod api;
pub mod app;
pub mod cli;
pub mod config;
pub mod demo;
pub mod downloads;
pub mod error;
pub mod events;
pub mod exports;
pub mod jobs;
pub mod ops;
pub mod origin;
pub mod pages;
pub mod queries;
pub mod state;
pub mod store;
pub mod web_render;
pub mod write_behind;
pub mod ws;

pub use hub_core::{domain, hub, metrics};

pub use app::{start, RunningHub};
pub use config::Config;

//! presence-hub: the Presence Hub server.
//!
//! Layers: transport (`api`, `ws`, `pages`) → domain (`domain`, plain rules) with the
//! in-memory `hub` owning connections → storage (`store`, sqlx).

pub mod a2s;
pub mod accounts;
pub mod api;
pub mod app;
pub mod cli;
pub mod config;
pub mod demo;
pub mod domain;
pub mod error;
pub mod game_poller;
pub mod game_servers;
pub mod hub;
pub mod metrics;
pub mod ops;
pub mod origin;
pub mod pages;
pub mod session_activity;
pub mod staff_time;
pub mod store;
pub mod web_render;
pub mod work_sessions;
pub mod ws;

pub use app::{start, RunningHub};
pub use config::Config;

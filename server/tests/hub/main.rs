//! The hub's integration tests: real hubs in this process (SQLite, or PostgreSQL when
//! PRESENCE_TEST_PG is set), driven over HTTP and WebSockets as clients drive them. One test
//! binary with a module per area, not a binary per file: each binary links the whole hub, and
//! 24 of them took ~100 CPU-seconds of the cold test build.

mod activity;
mod auth_and_users;
mod cli;
mod cluster;
mod common;
mod downloads;
mod fleet;
mod fuzz_replay;
mod game_servers;
mod live_context;
mod openapi;
mod own_data;
mod pages;
mod people;
mod policy;
mod presence;
mod screenshots;
mod sessions;
mod setup;
mod sign_in;
mod sockets;
mod tenancy;
mod timesheets;
mod web_pages;
mod webhooks;
mod worktime;

//! Rules of the product as plain functions and types: no sockets, no SQL.

pub mod activity;
pub mod auth;
pub mod coverage;
pub mod device_flow;
pub mod game_servers;
pub mod holidays;
pub mod own_data;
pub mod people;
pub mod periods;
pub mod presence;
pub mod rules;
pub mod server_presence;
pub mod sessions;
pub mod sso;
pub mod status;
pub mod tally;
pub mod two_factor;
pub mod webhooks;
pub mod weeks;
pub mod worktime;

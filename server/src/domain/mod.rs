//! Rules of the product as plain functions and types: no sockets, no SQL.

pub mod activity;
pub mod auth;
pub mod presence;
pub mod sessions;

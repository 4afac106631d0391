//! The load generator: many agent and tab sockets against a running hub, spread over worker
//! processes (each under the 20,000-open-files limit) and over several loopback source
//! addresses (so ephemeral ports do not run out), ramped at a set rate, sending heartbeats and
//! activity at set rates, and stopping by itself after a set time.
//!
//! - [`seed`] fills a database with benchmark users and device tokens (the [`manifest`]);
//! - [`connect`] opens one socket from a chosen source address;
//! - [`socket`] runs one socket: periodic messages out, every message in shown to an [`observe::Observer`];
//! - [`worker`] is one worker process; [`fleet`] starts workers and adds up their reports;
//! - [`clock`] is the one clock every process of a run shares; [`stats`] summarises latencies.

pub mod clock;
pub mod connect;
pub mod fleet;
pub mod manifest;
pub mod observe;
pub mod seed;
pub mod socket;
pub mod stats;
pub mod worker;

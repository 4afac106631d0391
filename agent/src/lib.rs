//! presence-agent: the Presence Hub desktop agent.
//!
//! `client` talks to the hub (REST, the socket, the offline queue), `tracking` observes the
//! desktop (idle time, screenshots), `engine` decides, `state` is what is shown, `ui` the
//! window, `os` what differs between operating systems beyond the desktop (start at login, the
//! credential store, processes), `swarm` many simulated agents for load tests.

pub mod client;
pub mod control;
pub mod engine;
pub mod os;
pub mod paths;
pub mod state;
pub mod swarm;
pub mod swarm_demo;
pub mod tracking;
pub mod ui;

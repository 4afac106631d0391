//! Talking to the hub: REST (behind the [`hub::HubClient`] trait), the socket, credentials,
//! the offline queue and the screenshot spool.

pub mod api;
pub mod backoff;
pub mod credentials;
pub mod device_flow;
pub mod hub;
pub mod queue;
pub mod socket;
pub mod spool;

//! Talking to the hub: REST, the socket, credentials, the offline queue.

pub mod api;
pub mod backoff;
pub mod credentials;
pub mod queue;
pub mod socket;

//! Types both ends of Presence Hub speak. Compiles for wasm: serde and chrono only.

pub mod activity;
pub mod api;
pub mod backoff;
pub mod device_flow;
pub mod fleet;
pub mod game_servers;
pub mod own_data;
pub mod people;
pub mod policy;
pub mod presence;
pub mod protocol;
pub mod role;
pub mod sso;
pub mod timesheets;
pub mod two_factor;
pub mod webhooks;
pub mod worktime;

pub use policy::Policy;
pub use presence::{ContextKind, CustomStatus, PresenceContext, PresenceEntry, PresenceStatus};
pub use role::Role;

//! One module per page.

pub mod audit;
pub mod forbidden;
pub mod login;
pub mod not_found;
pub mod policy;
pub mod screenshots;
pub mod servers;
pub mod session;
pub mod sessions;
pub mod staff;
pub mod status;
pub mod ticket;
pub mod tickets;

use crate::data::Viewer;

/// "Sessions · Demo Co · Presence Hub".
pub fn title(page: &str, viewer: &Option<Viewer>) -> String {
    match viewer {
        Some(v) => format!("{page} · {} · Presence Hub", v.org_name),
        None => format!("{page} · Presence Hub"),
    }
}

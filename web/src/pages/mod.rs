//! One module per page.

pub mod absences;
pub mod account;
pub mod audit;
pub mod device;
pub mod downloads;
pub mod fleet;
pub mod forbidden;
pub mod invite;
pub mod login;
pub mod me;
pub mod not_found;
pub mod org_settings;
pub mod policy;
pub mod reports;
pub mod screenshots;
pub mod servers;
pub mod session;
pub mod sessions;
pub mod setup;
pub mod staff;
pub mod status;
pub mod ticket;
pub mod tickets;
pub mod timesheets;
pub mod users;
pub mod webhooks;

use crate::data::Viewer;

/// "Sessions · Demo Co · Presence Hub".
pub fn title(page: &str, viewer: &Option<Viewer>) -> String {
    match viewer {
        Some(v) => format!("{page} · {} · Presence Hub", v.org_name),
        None => format!("{page} · Presence Hub"),
    }
}

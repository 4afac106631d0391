//! What the hub hands the app for one request. The server fills it before rendering;
//! the app serializes what it shows into the page so that hydration sees the same data.

use serde::{Deserialize, Serialize};
use shared::api::UserInfo;
use shared::PresenceEntry;

/// The logged-in user looking at the page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Viewer {
    pub user: UserInfo,
    pub org_name: String,
}

/// Everything the status page `/` needs for its first render.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StatusPageData {
    /// Sorted by name, then id: the order is part of the markup, so both ends must agree.
    pub users: Vec<PresenceEntry>,
    pub idle_threshold_seconds: u32,
}

/// Provided as Leptos context by the hub for each server-side render.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PageData {
    pub viewer: Option<Viewer>,
    pub status: Option<StatusPageData>,
    /// Shown on `/login` after a failed attempt.
    pub login_error: Option<String>,
}

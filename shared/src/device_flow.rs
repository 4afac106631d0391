//! The agent's sign-in without a password (SPEC §17): the device authorization flow of
//! RFC 8628 as the hub serves it. The agent asks for a code (`POST /api/auth/device`), shows it
//! with the `/device` address, and polls `POST /api/auth/device/token`; a signed-in person
//! approves or denies the code in the browser (`POST /api/auth/device/approve` / `deny`).
//! Unknown fields are accepted on purpose: generic RFC 8628 clients send `client_id`,
//! `grant_type` and `scope`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// `POST /api/auth/device`: who asks, shown to the person who approves.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeviceAuthRequest {
    /// E.g. "presence-agent on build-box, Debian GNU/Linux 13"; at most 100 characters kept.
    #[serde(default)]
    pub client_name: Option<String>,
}

/// The answer to `POST /api/auth/device`: what the agent shows and how it polls.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeviceAuthorization {
    /// The agent's secret for polling (256 random bits); never shown to the person.
    pub device_code: String,
    /// What the person types on `/device`: `ABCD-EFGH`.
    pub user_code: String,
    /// `{public URL}/device`.
    pub verification_uri: String,
    /// `{public URL}/device?code=ABCD-EFGH`.
    pub verification_uri_complete: String,
    /// Seconds until the codes stop working (600).
    pub expires_in: u64,
    /// Seconds to wait between two polls (5; 5 more after each `slow_down`).
    pub interval: u64,
}

/// `POST /api/auth/device/token`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeviceTokenRequest {
    pub device_code: String,
}

/// `POST /api/auth/device/approve` and `POST /api/auth/device/deny`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeviceDecisionRequest {
    /// As typed: case, spaces and the dash do not matter (`abcd efgh` is `ABCD-EFGH`).
    pub user_code: String,
}

/// A sign-in waiting for approval, as the `/device` page shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeviceLoginRequest {
    /// `ABCD-EFGH`.
    pub user_code: String,
    pub client_name: String,
    /// The address the agent asked from.
    pub client_ip: Option<String>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

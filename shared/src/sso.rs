//! Single sign-on with OpenID Connect (SPEC §17): an organization's provider settings
//! (`/api/org/sso`, owner only) and the lookup that offers "Sign in with {org}" on `/login`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The error code of a password login refused because the organization signs in only through
/// its identity provider (`409`); its owners keep their password (break-glass).
pub const SSO_REQUIRED: &str = "sso_required";

/// Where the provider sends the browser back, below the hub's public address: register
/// `{public URL}/auth/sso/callback` at the provider.
pub const CALLBACK_PATH: &str = "/auth/sso/callback";

/// `GET /api/org/sso`: the provider settings. The client secret is never returned.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SsoSettings {
    /// The provider's issuer URL, exactly as its discovery document names it.
    pub issuer: String,
    pub client_id: String,
    /// Whether a client secret is stored (it is write-only).
    pub client_secret_set: bool,
    /// Lower-case e-mail domains whose people may join as members at their first sign-in.
    pub allowed_domains: Vec<String>,
    /// Password logins of the organization are refused, except its owners'.
    pub sso_only: bool,
    /// The redirect URI to register at the provider.
    pub callback_url: String,
    pub updated_at: DateTime<Utc>,
}

/// `PUT /api/org/sso`: the whole configuration.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SsoConfigRequest {
    /// An absolute `https://` URL (`http://` only for a provider on this machine: localhost,
    /// 127.0.0.1, `[::1]`), without query or fragment.
    pub issuer: String,
    pub client_id: String,
    /// Absent or `null`: the stored secret is kept. `""`: no secret (a public client, PKCE only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
    /// E-mail domains (`example.com`) whose people become members at their first sign-in.
    #[serde(default)]
    pub allowed_domains: Vec<String>,
    /// Refuse password logins of the organization, except its owners'.
    #[serde(default)]
    pub sso_only: bool,
}

/// `GET /api/auth/sso/lookup?email=…`: the organization that signs this e-mail domain in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SsoLookup {
    pub org_id: i64,
    pub org_name: String,
    /// Where the browser starts the sign-in (`/auth/sso/{org_id}/start`), a path on this hub.
    pub start_url: String,
}

/// The single sign-on part of `/settings/org` (owners only).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SsoSection {
    /// `None` while the organization has no provider.
    pub settings: Option<SsoSettings>,
    /// The redirect URI to register at the provider.
    pub callback_url: String,
}

/// The start of the sign-in with an organization's provider.
pub fn start_path(org_id: i64) -> String {
    format!("/auth/sso/{org_id}/start")
}

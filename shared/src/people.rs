//! People and their access (SPEC §3, §4): first-run setup, invite and reset links, one's own
//! password, devices (auth tokens), organization settings.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::api::{double_option, UserRecord};

/// `POST /api/setup`: the first organization and its owner, with the one-time setup token
/// the hub printed at start-up. Answers like a login.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SetupRequest {
    pub token: String,
    pub org_name: String,
    /// IANA name, e.g. `Europe/Berlin`; `UTC` when absent.
    #[serde(default)]
    pub timezone: Option<String>,
    pub owner_name: String,
    pub email: String,
    pub password: String,
}

/// `POST /api/users` answers the new user, and the one-time invite link when no password was
/// given.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreatedUser {
    #[serde(flatten)]
    pub user: UserRecord,
    /// `{public URL}/invite/{token}`, valid 7 days, single use; absent when a password was set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invite_link: Option<String>,
}

/// What a one-time link is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum LinkKind {
    /// A new user sets their first password.
    Invite,
    /// An admin issued a password reset.
    Reset,
}

/// `POST /api/users/{id}/reset-link` → a one-time link to set a new password.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LinkResponse {
    pub link: String,
    pub expires_at: DateTime<Utc>,
}

/// `GET /api/auth/invite/{token}`: whose link it is (shown on `/invite/{token}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InviteInfo {
    pub kind: LinkKind,
    pub name: String,
    pub email: String,
    pub org_name: String,
    pub expires_at: DateTime<Utc>,
}

/// `POST /api/auth/invite/{token}`: the password to set; answers like a login.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SetPasswordRequest {
    pub password: String,
}

/// `POST /api/auth/password`: change one's own password; one's other tokens are revoked.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ChangePasswordRequest {
    pub current_password: String,
    pub new_password: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PasswordChanged {
    /// How many other logins (browsers, agents) were signed out.
    pub revoked_tokens: u64,
}

/// The kind of a login token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum TokenKind {
    /// A browser login (the session cookie).
    Web,
    /// A desktop agent.
    Device,
    /// A token for scripts.
    Api,
}

impl TokenKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TokenKind::Web => "web",
            TokenKind::Device => "device",
            TokenKind::Api => "api",
        }
    }

    pub fn parse(s: &str) -> Option<TokenKind> {
        match s {
            "web" => Some(TokenKind::Web),
            "device" => Some(TokenKind::Device),
            "api" => Some(TokenKind::Api),
            _ => None,
        }
    }

    /// "Browser", "Desktop agent", "API".
    pub fn label(self) -> &'static str {
        match self {
            TokenKind::Web => "Browser",
            TokenKind::Device => "Desktop agent",
            TokenKind::Api => "API",
        }
    }
}

/// A live login of a user: `GET /api/auth/tokens`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeviceToken {
    pub id: i64,
    pub user_id: i64,
    pub user_name: String,
    pub kind: TokenKind,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    /// The client address at login or at the last use.
    pub client_ip: Option<String>,
    pub expires_at: DateTime<Utc>,
    /// The token of the request that listed it.
    pub current: bool,
}

/// `GET/PATCH /api/org`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OrgSettings {
    pub id: i64,
    pub name: String,
    /// IANA name: days, weeks and months of reports and staff time follow it.
    pub timezone: String,
    pub created_at: DateTime<Utc>,
    /// Whom two-factor sign-in is required of (SPEC §17).
    #[serde(default)]
    pub require_2fa_for: crate::two_factor::TwoFactorRequirement,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UpdateOrgRequest {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub timezone: Option<String>,
    /// `none`, `admins` (owners and admins) or `everyone`.
    #[serde(default)]
    pub require_2fa_for: Option<crate::two_factor::TwoFactorRequirement>,
}

/// `PATCH /api/tickets/{id}`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UpdateTicketRequest {
    #[serde(default)]
    pub title: Option<String>,
    /// `null` clears the description.
    #[serde(
        default,
        with = "double_option",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub description: Option<Option<String>>,
    /// `open` or `closed`.
    #[serde(default)]
    pub status: Option<String>,
}

/// The shortest password the hub accepts.
pub const MIN_PASSWORD_CHARS: usize = 10;

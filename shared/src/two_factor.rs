//! Two-factor sign-in (SPEC §17): TOTP enrolment on `/account`, recovery codes, the login's
//! second step, and whom an organization requires it of.

use serde::{Deserialize, Serialize};

use crate::api::LoginResponse;

/// Whom an organization requires two-factor sign-in of (`require_2fa_for`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum TwoFactorRequirement {
    /// Nobody: each person decides.
    #[default]
    #[serde(rename = "none")]
    Nobody,
    /// Owners and admins.
    #[serde(rename = "admins")]
    Admins,
    #[serde(rename = "everyone")]
    Everyone,
}

impl TwoFactorRequirement {
    pub const ALL: [TwoFactorRequirement; 3] = [
        TwoFactorRequirement::Nobody,
        TwoFactorRequirement::Admins,
        TwoFactorRequirement::Everyone,
    ];

    /// The stored and wire form: `none`, `admins`, `everyone`.
    pub fn as_str(self) -> &'static str {
        match self {
            TwoFactorRequirement::Nobody => "none",
            TwoFactorRequirement::Admins => "admins",
            TwoFactorRequirement::Everyone => "everyone",
        }
    }

    pub fn parse(s: &str) -> Option<TwoFactorRequirement> {
        TwoFactorRequirement::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
    }

    /// As the organization's settings page offers it ("Require two-factor sign-in for: …").
    pub fn label(self) -> &'static str {
        match self {
            TwoFactorRequirement::Nobody => "nobody",
            TwoFactorRequirement::Admins => "owners and admins",
            TwoFactorRequirement::Everyone => "everyone",
        }
    }
}

/// `GET /api/me/2fa`: one's own two-factor sign-in.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TwoFactorStatus {
    /// Signing in asks for a code after the password.
    pub enabled: bool,
    /// Unused recovery codes (0 while off).
    pub recovery_codes_left: u32,
    /// The organization requires it of this person (`require_2fa_for`): while it is off, the
    /// API answers 403 `two_factor_required` and pages lead to `/account`.
    pub required: bool,
}

/// `POST /api/me/2fa/setup`: a new secret to add to an authenticator app. It is only used
/// once a code from it enables two-factor sign-in (`POST /api/me/2fa/enable`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TwoFactorSetup {
    /// Base32 (RFC 4648, no padding), for typing into the app.
    pub secret: String,
    /// `otpauth://totp/Presence%20Hub:{e-mail}?secret=…&issuer=Presence%20Hub` (SHA-1, 6
    /// digits, 30 s).
    pub otpauth_uri: String,
    /// The URI as a QR code: an `<svg>` element.
    pub qr_svg: String,
}

/// A code from the authenticator app (`POST /api/me/2fa/enable`,
/// `POST /api/me/2fa/recovery-codes`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct TotpCodeRequest {
    /// 6 digits (spaces are ignored).
    pub code: String,
}

/// Ten single-use recovery codes (`abcd-efgh-ijkl`), shown this once: the hub keeps only
/// their hashes. Earlier ones stop working.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RecoveryCodes {
    pub recovery_codes: Vec<String>,
}

/// `POST /api/me/2fa/disable`: one's password, or a current code.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct DisableTwoFactorRequest {
    #[serde(default)]
    pub password: Option<String>,
    #[serde(default)]
    pub code: Option<String>,
}

/// The answer of a correct password when the user has two-factor sign-in: no token yet; the
/// second step is `POST /api/auth/mfa` with `mfa_token` (valid 5 minutes, 5 tries).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MfaRequired {
    /// Always `true`.
    pub mfa_required: bool,
    pub mfa_token: String,
}

/// `POST /api/auth/login`: signed in, or (two-factor sign-in) the second step to take.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(untagged)]
pub enum LoginAnswer {
    LoggedIn(LoginResponse),
    MfaRequired(MfaRequired),
}

/// `POST /api/auth/mfa`: the login's second step, with a code from the app or a recovery code.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct MfaRequest {
    pub mfa_token: String,
    /// 6 digits from the authenticator app.
    #[serde(default)]
    pub code: Option<String>,
    /// One of the recovery codes (works once).
    #[serde(default)]
    pub recovery_code: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_login_answer_reads_either_shape() {
        let step: LoginAnswer =
            serde_json::from_str(r#"{"mfa_required": true, "mfa_token": "abc"}"#).unwrap();
        assert!(matches!(step, LoginAnswer::MfaRequired(m) if m.mfa_token == "abc"));
        let done: LoginAnswer = serde_json::from_str(
            r#"{"token": "t", "user": {"id": 1, "name": "A", "email": "a@b.c", "role": "member", "org_id": 2}}"#,
        )
        .unwrap();
        assert!(matches!(done, LoginAnswer::LoggedIn(r) if r.token == "t"));
    }

    #[test]
    fn requirements_keep_their_stored_names() {
        for r in TwoFactorRequirement::ALL {
            assert_eq!(TwoFactorRequirement::parse(r.as_str()), Some(r));
            assert_eq!(serde_json::to_value(r).unwrap(), r.as_str());
        }
        assert_eq!(TwoFactorRequirement::default().as_str(), "none");
    }
}

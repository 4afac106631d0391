//! What an operation can refuse, or fail with. Transport-free: the HTTP edge maps it to the
//! JSON error of SPEC §5 once (`impl From<OpError> for ApiError` in `crate::error`), the command
//! line to its exit codes (`crate::cli`).

use std::collections::BTreeMap;

use crate::domain::device_flow::DeviceRefusal;
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum OpError {
    /// The request itself makes no sense (not a field's value: a malformed reference).
    #[error("{0}")]
    BadRequest(String),
    #[error("Wrong e-mail or password.")]
    InvalidCredentials,
    /// The caller's role or relation to the thing does not allow it.
    #[error("{0}")]
    Forbidden(&'static str),
    /// Missing, or another organization's (which must look the same).
    #[error("{0} not found.")]
    NotFound(&'static str),
    /// The state of things refuses it (a running session, a used link, an approved week).
    #[error("{0}")]
    Conflict(String),
    /// Field values out of their rules, each named with what is wrong with it.
    #[error("{message}")]
    Invalid {
        message: String,
        fields: BTreeMap<String, String>,
    },
    #[error("Too many attempts. Try again in {retry_after_seconds} s.")]
    RateLimited { retry_after_seconds: u64 },
    /// A wrong (or already used) two-factor code at the login's second step.
    #[error("{0}")]
    InvalidCode(&'static str),
    /// The login's second step is used, expired or out of attempts: sign in again.
    #[error(
        "This sign-in has expired or had too many wrong codes. Sign in again with your password."
    )]
    MfaExpired,
    /// The organization requires two-factor sign-in of this person, who has not turned it on.
    #[error("Your organization requires two-factor sign-in. Turn it on in your account (/account) to continue.")]
    TwoFactorRequired,
    /// The device sign-in's token endpoint says "not (yet)" (RFC 8628: pending, slow down,
    /// expired, denied, unknown code): answered 400 with the refusal's own `code`.
    #[error("{0}")]
    DeviceFlow(DeviceRefusal),
    /// A password login of an organization that signs in only through its identity provider
    /// (`sso_only`); the text names the button to use.
    #[error("{0}")]
    SsoRequired(String),
    /// A failure of the hub itself, not of the request.
    #[error("{0}")]
    Internal(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl OpError {
    pub fn invalid_field(field: &str, what: impl Into<String>) -> Self {
        let what = what.into();
        OpError::Invalid {
            message: format!("Invalid {field}: {what}."),
            fields: BTreeMap::from([(field.to_string(), what)]),
        }
    }

    /// Refuses naming each field with what is wrong with it; `Ok` when `fields` is empty.
    pub fn unless_valid(fields: BTreeMap<String, String>) -> Result<(), OpError> {
        if fields.is_empty() {
            return Ok(());
        }
        let names: Vec<&str> = fields.keys().map(String::as_str).collect();
        Err(OpError::Invalid {
            message: format!("Invalid value for {}.", names.join(", ")),
            fields,
        })
    }

    /// The one sentence for a person (the command line, a page): each bad field spelled out.
    pub fn describe(&self) -> String {
        match self {
            OpError::Store(StoreError::UniqueViolation(what)) => format!("{what} already exists."),
            OpError::Invalid { fields, message } if !fields.is_empty() => {
                let details: Vec<String> = fields
                    .iter()
                    .map(|(field, what)| format!("{} {what}", field.replace('_', " ")))
                    .collect();
                format!("{message} {}.", details.join("; "))
            }
            other => other.to_string(),
        }
    }
}

pub type OpResult<T> = Result<T, OpError>;

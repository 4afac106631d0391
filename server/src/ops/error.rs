//! What an operation can refuse, or fail with. Transport-free: the HTTP edge maps it to the
//! JSON error of SPEC §5 once (`impl From<OpError> for ApiError` in `crate::error`), the command
//! line to its exit codes (`crate::cli`).

use std::collections::BTreeMap;

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

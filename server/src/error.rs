//! The one place where errors become HTTP responses with the JSON shape of SPEC §5.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use shared::api::{ErrorBody, ErrorDetail};
use std::collections::BTreeMap;

use crate::domain::device_flow::DeviceRefusal;
use crate::ops::OpError;
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    BadRequest(String),
    #[error("You are not logged in.")]
    Unauthorized,
    #[error("Wrong e-mail or password.")]
    InvalidCredentials,
    #[error("{0}")]
    Forbidden(&'static str),
    #[error("{0} not found.")]
    NotFound(&'static str),
    #[error("{0}")]
    Conflict(String),
    #[error("{message}")]
    Invalid {
        message: String,
        fields: BTreeMap<String, String>,
    },
    #[error("{0}")]
    PayloadTooLarge(String),
    #[error("Too many attempts. Try again in {retry_after_seconds} s.")]
    RateLimited { retry_after_seconds: u64 },
    /// A wrong or used two-factor code (401 `invalid_code`).
    #[error("{0}")]
    InvalidCode(&'static str),
    /// The login's second step can no longer be finished (401 `mfa_expired`).
    #[error("{0}")]
    MfaExpired(String),
    /// Enrolment required by the organization first (403 `two_factor_required`).
    #[error("{0}")]
    TwoFactorRequired(String),
    /// The device sign-in's polling answers (RFC 8628 §3.5): 400 with the refusal's code.
    #[error("{0}")]
    DeviceFlow(DeviceRefusal),
    /// A password login where the organization requires single sign-on (409 `sso_required`).
    #[error("{0}")]
    SsoRequired(String),
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("Method not allowed.")]
    MethodNotAllowed,
    #[error("This address is a WebSocket endpoint: open it with a WebSocket upgrade.")]
    UpgradeRequired,
    #[error("The hub is shutting down. Try again shortly.")]
    Unavailable,
    /// A failure of the hub itself (not of the request); logged, answered 500.
    #[error("{0}")]
    Internal(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl ApiError {
    /// 422 naming `field`, worded as the operations word it ([`OpError::invalid_field`]).
    pub fn invalid_field(field: &str, what: impl Into<String>) -> Self {
        OpError::invalid_field(field, what).into()
    }

    /// The HTTP status this error is answered with.
    pub fn status(&self) -> StatusCode {
        self.status_and_code().0
    }

    fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            ApiError::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad_request"),
            ApiError::Unauthorized => (StatusCode::UNAUTHORIZED, "unauthorized"),
            ApiError::InvalidCredentials => (StatusCode::UNAUTHORIZED, "invalid_credentials"),
            ApiError::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
            ApiError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            ApiError::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
            ApiError::Invalid { .. } => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_value"),
            ApiError::PayloadTooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"),
            ApiError::RateLimited { .. } => (StatusCode::TOO_MANY_REQUESTS, "rate_limited"),
            ApiError::InvalidCode(_) => (StatusCode::UNAUTHORIZED, "invalid_code"),
            ApiError::MfaExpired(_) => (StatusCode::UNAUTHORIZED, "mfa_expired"),
            ApiError::TwoFactorRequired(_) => (StatusCode::FORBIDDEN, "two_factor_required"),
            ApiError::DeviceFlow(refusal) => (StatusCode::BAD_REQUEST, refusal.code()),
            ApiError::SsoRequired(_) => (StatusCode::CONFLICT, shared::sso::SSO_REQUIRED),
            ApiError::UnsupportedMediaType(_) => {
                (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")
            }
            ApiError::MethodNotAllowed => (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed"),
            ApiError::UpgradeRequired => (StatusCode::UPGRADE_REQUIRED, "upgrade_required"),
            ApiError::Unavailable => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
            ApiError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal_error"),
            ApiError::Store(
                StoreError::UniqueViolation(_) | StoreError::Conflict(_) | StoreError::Refused(_),
            ) => (StatusCode::CONFLICT, "conflict"),
            ApiError::Store(e) if e.is_unreachable() => {
                (StatusCode::SERVICE_UNAVAILABLE, "unavailable")
            }
            ApiError::Store(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal_error"),
        }
    }
}

/// The HTTP edge's one mapping of what an operation refused or failed with.
impl From<OpError> for ApiError {
    fn from(e: OpError) -> Self {
        match e {
            OpError::BadRequest(text) => ApiError::BadRequest(text),
            OpError::InvalidCredentials => ApiError::InvalidCredentials,
            OpError::Forbidden(why) => ApiError::Forbidden(why),
            OpError::NotFound(what) => ApiError::NotFound(what),
            OpError::Conflict(text) => ApiError::Conflict(text),
            OpError::Invalid { message, fields } => ApiError::Invalid { message, fields },
            OpError::RateLimited {
                retry_after_seconds,
            } => ApiError::RateLimited {
                retry_after_seconds,
            },
            OpError::InvalidCode(why) => ApiError::InvalidCode(why),
            e @ OpError::MfaExpired => ApiError::MfaExpired(e.to_string()),
            e @ OpError::TwoFactorRequired => ApiError::TwoFactorRequired(e.to_string()),
            OpError::DeviceFlow(refusal) => ApiError::DeviceFlow(refusal),
            OpError::SsoRequired(text) => ApiError::SsoRequired(text),
            OpError::Internal(text) => ApiError::Internal(text),
            OpError::Store(e) => ApiError::Store(e),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        let message = match &self {
            ApiError::Store(StoreError::UniqueViolation(what)) => format!("{what} already exists."),
            ApiError::Store(StoreError::Conflict(text)) => text.to_string(),
            ApiError::Store(StoreError::Refused(text)) => text.clone(),
            ApiError::Store(e) if e.is_unreachable() => {
                tracing::warn!(error = %e, "database unreachable: request refused");
                "The database is unreachable: nothing was saved. Try again in a moment.".to_string()
            }
            ApiError::Store(e) => {
                tracing::error!(error = %e, "storage error while serving a request");
                "The server could not complete the request.".to_string()
            }
            ApiError::Internal(e) => {
                tracing::error!(error = %e, "internal error while serving a request");
                "The server could not complete the request.".to_string()
            }
            other => other.to_string(),
        };
        let fields = match &self {
            ApiError::Invalid { fields, .. } if !fields.is_empty() => Some(fields.clone()),
            _ => None,
        };
        let body = ErrorBody {
            error: ErrorDetail {
                code: code.to_string(),
                message,
                fields,
            },
        };
        let mut response = (status, Json(body)).into_response();
        if let ApiError::UpgradeRequired = self {
            response
                .headers_mut()
                .insert(header::UPGRADE, HeaderValue::from_static("websocket"));
        }
        if let ApiError::RateLimited {
            retry_after_seconds,
        } = self
        {
            if let Ok(v) = HeaderValue::from_str(&retry_after_seconds.to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, v);
            }
        }
        response
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

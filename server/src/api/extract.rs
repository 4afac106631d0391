//! Request extractors: who is calling, the JSON body, paging. Each maps its failure to the
//! JSON error shape instead of axum's plain-text rejections.

use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Query, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, StatusCode};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use std::net::{IpAddr, SocketAddr};

use crate::error::ApiError;
use crate::state::AppState;
use crate::store::UserRow;
use shared::Role;

pub const SESSION_COOKIE: &str = "ph_session";

pub fn bearer_token(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    (scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty())
        .then(|| token.trim().to_string())
}

pub fn cookie_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(cookie::Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == SESSION_COOKIE && !c.value().is_empty())
        .map(|c| c.value().to_string())
}

/// The logged-in caller: from `Authorization: Bearer` or the session cookie.
#[derive(Debug, Clone)]
pub struct Caller {
    pub user: UserRow,
    pub token_id: i64,
    pub token_kind: String,
    pub token: String,
    /// The client's address (see [`ClientIp`]).
    pub ip: IpAddr,
}

impl Caller {
    pub fn require(&self, role: Role, why: &'static str) -> Result<(), ApiError> {
        if self.user.role.at_least(role) {
            Ok(())
        } else {
            Err(ApiError::Forbidden(why))
        }
    }

    pub fn org_id(&self) -> i64 {
        self.user.org_id
    }

    /// The caller as the operations of `crate::ops` see them.
    pub fn actor(&self) -> crate::ops::Actor {
        crate::ops::Actor {
            user: self.user.clone(),
            token_id: self.token_id,
            ip: Some(self.ip.to_string()),
        }
    }

    /// Requests made with the desktop agent's device token.
    pub fn token_kind_is_device(&self) -> bool {
        self.token_kind == "device"
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let token = bearer_token(&parts.headers)
            .or_else(|| cookie_token(&parts.headers))
            .ok_or(ApiError::Unauthorized)?;
        let ip = client_ip(parts, state.config.trust_proxy);
        let owner = state
            .authenticate_request_from(&token, ip)
            .await?
            .ok_or(ApiError::Unauthorized)?;
        if owner.must_enrol_two_factor() && !open_before_two_factor(parts.uri.path()) {
            return Err(crate::ops::OpError::TwoFactorRequired.into());
        }
        Ok(Caller {
            ip,
            user: owner.user,
            token_id: owner.token_id,
            token_kind: owner.kind,
            token,
        })
    }
}

/// What someone whose organization requires two-factor sign-in may call before turning it on:
/// signing in and out (`/api/auth/…`) and their own two-factor set-up (`/api/me/2fa…`). Not
/// approving an agent's device login: that hands out a token, which must wait for the second
/// factor like every other way in.
fn open_before_two_factor(path: &str) -> bool {
    let device_approval =
        path.starts_with("/api/auth/device/approve") || path.starts_with("/api/auth/device/deny");
    (path.starts_with("/api/auth/") && !device_approval)
        || path == "/api/me/2fa"
        || path.starts_with("/api/me/2fa/")
}

/// The client's address: the socket peer, or `X-Forwarded-For` when the hub trusts a proxy.
#[derive(Debug, Clone, Copy)]
pub struct ClientIp(pub IpAddr);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(ClientIp(client_ip(parts, state.config.trust_proxy)))
    }
}

pub fn client_ip(parts: &Parts, trust_proxy: bool) -> IpAddr {
    if trust_proxy {
        let forwarded = parts
            .headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .and_then(|v| v.trim().parse().ok());
        if let Some(ip) = forwarded {
            return ip;
        }
    }
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
        .unwrap_or(IpAddr::from([127, 0, 0, 1]))
}

/// `Json<T>` whose rejections speak the API's error shape.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(ApiJson(v)),
            Err(rejection) => Err(json_rejection(rejection)),
        }
    }
}

fn json_rejection(rejection: JsonRejection) -> ApiError {
    let text = rejection.body_text();
    match rejection.status() {
        StatusCode::PAYLOAD_TOO_LARGE => {
            ApiError::PayloadTooLarge("The request body is too large.".into())
        }
        StatusCode::UNSUPPORTED_MEDIA_TYPE => {
            ApiError::UnsupportedMediaType("Send the body as application/json.".into())
        }
        StatusCode::UNPROCESSABLE_ENTITY => ApiError::Invalid {
            message: format!("The request body has invalid values: {text}"),
            fields: Default::default(),
        },
        _ => ApiError::BadRequest(format!("The request body is not valid JSON: {text}")),
    }
}

/// `Query<T>` whose rejections speak the API's error shape.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Self::from_uri(&parts.uri)
    }
}

impl<T: DeserializeOwned> ApiQuery<T> {
    /// The query string of `uri` read as `T` (public for the fuzz target).
    pub fn from_uri(uri: &axum::http::Uri) -> Result<Self, ApiError> {
        match Query::<T>::try_from_uri(uri) {
            Ok(Query(v)) => Ok(ApiQuery(v)),
            Err(e) => Err(query_rejection(e)),
        }
    }
}

fn query_rejection(rejection: QueryRejection) -> ApiError {
    ApiError::BadRequest(format!(
        "Invalid query parameters: {}",
        rejection.body_text()
    ))
}

/// `page` (from 1) and `per_page` (1 to 500, default 50).
#[derive(Debug, Clone, Copy, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Paging {
    /// From 1.
    #[param(minimum = 1)]
    pub page: Option<u32>,
    /// 1 to 500 (more reads as 500); 50 when absent.
    #[param(minimum = 1)]
    pub per_page: Option<u32>,
}

impl Paging {
    pub fn resolve(self) -> Result<(u32, u32), ApiError> {
        let page = self.page.unwrap_or(1);
        let per_page = self.per_page.unwrap_or(50);
        if page == 0 {
            return Err(ApiError::invalid_field("page", "must be 1 or more"));
        }
        if per_page == 0 {
            return Err(ApiError::invalid_field("per_page", "must be from 1 to 500"));
        }
        Ok((page, per_page.min(500)))
    }
}

/// A numeric id from the path; anything else reads as "not found".
pub struct IdPath(pub i64);

impl<S: Send + Sync> FromRequestParts<S> for IdPath {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let axum::extract::Path(raw) =
            axum::extract::Path::<String>::from_request_parts(parts, state)
                .await
                .map_err(|_| ApiError::NotFound("Resource"))?;
        raw.parse()
            .map(IdPath)
            .map_err(|_| ApiError::NotFound("Resource"))
    }
}

/// The session cookie: HttpOnly, SameSite=Lax, for the whole site.
pub fn session_cookie(token: &str) -> String {
    cookie::Cookie::build((SESSION_COOKIE, token.to_string()))
        .http_only(true)
        .same_site(cookie::SameSite::Lax)
        .path("/")
        .max_age(cookie::time::Duration::milliseconds(
            crate::ops::tokens::TOKEN_LIFETIME_MS,
        ))
        .build()
        .to_string()
}

pub fn cleared_cookie() -> String {
    cookie::Cookie::build((SESSION_COOKIE, ""))
        .http_only(true)
        .same_site(cookie::SameSite::Lax)
        .path("/")
        .max_age(cookie::time::Duration::ZERO)
        .build()
        .to_string()
}

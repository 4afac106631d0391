//! Single sign-on (SPEC §17): `GET/PUT/DELETE /api/org/sso` (the organization's OpenID Connect
//! provider, owner only; the client secret is write-only) and `GET /api/auth/sso/lookup` (which
//! organization signs an e-mail domain in, for "Sign in with …" on `/login`). The sign-in itself
//! is the browser's: `/auth/sso/…` in `crate::pages`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;

use super::extract::{ApiJson, ApiQuery, Caller};
use crate::error::{ApiError, ApiResult};
use crate::ops;
use crate::state::AppState;
use shared::api::ErrorBody;
use shared::sso::{SsoConfigRequest, SsoLookup, SsoSettings};

#[utoipa::path(
    operation_id = "org_sso_show",
    get,
    path = "/api/org/sso",
    tag = "organization",
    summary = "The organization's single sign-on provider (owner only; the client secret is never returned)",
    responses(
        (status = 200, description = "The provider settings, and the callback URL to register at the provider", body = SsoSettings),
        (status = 404, description = "No provider is set up", body = ErrorBody)
    )
)]
pub async fn show(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<SsoSettings>> {
    Ok(Json(ops::sso::get(&state.ops(), &caller.actor()).await?))
}

#[utoipa::path(
    operation_id = "org_sso_update",
    put,
    path = "/api/org/sso",
    tag = "organization",
    summary = "Set up or replace the organization's OpenID Connect provider (owner only); without client_secret the stored one is kept",
    request_body = SsoConfigRequest,
    responses((status = 200, description = "Saved; register callback_url at the provider", body = SsoSettings))
)]
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<SsoConfigRequest>,
) -> ApiResult<Json<SsoSettings>> {
    Ok(Json(
        ops::sso::configure_as(&state.ops(), &caller.actor(), &body).await?,
    ))
}

#[utoipa::path(
    operation_id = "org_sso_remove",
    delete,
    path = "/api/org/sso",
    tag = "organization",
    summary = "Remove the organization's provider (owner only); password logins work again for everyone",
    responses((status = 204, description = "Removed"))
)]
pub async fn remove(State(state): State<AppState>, caller: Caller) -> ApiResult<StatusCode> {
    ops::sso::remove_as(&state.ops(), &caller.actor()).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LookupQuery {
    /// The address typed on the login page; only its domain is used.
    email: String,
}

#[utoipa::path(
    operation_id = "auth_sso_lookup",
    get,
    path = "/api/auth/sso/lookup",
    tag = "auth",
    summary = "The organization whose identity provider signs in this e-mail's domain (by domain only: nothing about accounts)",
    params(LookupQuery),
    responses(
        (status = 200, description = "The organization and where its sign-in starts", body = SsoLookup),
        (status = 404, description = "No organization signs this domain in", body = ErrorBody)
    ),
    security(())
)]
pub async fn lookup(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<LookupQuery>,
) -> ApiResult<Json<SsoLookup>> {
    ops::sso::lookup(&state.ops(), &query.email)
        .await?
        .map(Json)
        .ok_or(ApiError::NotFound("Single sign-on for this e-mail domain"))
}

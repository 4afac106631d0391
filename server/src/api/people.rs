//! One's own access: invite and reset links (`/api/auth/invite/{token}`), password change,
//! devices (`/api/auth/tokens`), the first-run setup (`/api/setup`), organization settings
//! (`/api/org`).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use serde::Deserialize;

use super::extract::{ApiJson, ApiQuery, Caller, ClientIp, IdPath};
use crate::error::ApiResult;
use crate::ops;
use crate::state::AppState;
use crate::store::UserRow;
use shared::api::LoginResponse;
use shared::people::{
    ChangePasswordRequest, DeviceToken, InviteInfo, OrgSettings, PasswordChanged,
    SetPasswordRequest, SetupRequest, TokenKind, UpdateOrgRequest,
};
use shared::two_factor::{LoginAnswer, MfaRequired};

/// Logs `user` in with a new browser token: the login answer and the session cookie.
async fn logged_in(
    state: &AppState,
    user: UserRow,
    ip: std::net::IpAddr,
) -> ApiResult<impl IntoResponse> {
    let token =
        ops::tokens::issue(&state.ops(), &user, TokenKind::Web, Some(&ip.to_string())).await?;
    Ok(super::auth::login_answer(token, &user))
}

#[utoipa::path(
    operation_id = "invites_show",
    get,
    path = "/api/auth/invite/{token}",
    tag = "auth",
    summary = "Whose invite or reset link this is",
    params(("token" = String, Path, description = "The token of the link")),
    responses((status = 200, description = "The link's person and organization", body = InviteInfo)),
    security(())
)]
pub async fn invite_info(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> ApiResult<Json<InviteInfo>> {
    let link = ops::people::find_link(&state.ops(), &token).await?;
    Ok(Json(ops::people::invite_info(&link)))
}

#[utoipa::path(
    operation_id = "invites_accept",
    post,
    path = "/api/auth/invite/{token}",
    tag = "auth",
    summary = "Set a password from an invite or reset link (single use) and log in",
    request_body = SetPasswordRequest,
    params(("token" = String, Path, description = "The token of the link")),
    responses((status = 200, description = "Logged in, like a login (with two-factor sign-in on, `{mfa_required: true, mfa_token}`: finish with `POST /api/auth/mfa`); the link stops working", body = LoginAnswer)),
    security(())
)]
pub async fn accept_invite(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Path(token): Path<String>,
    ApiJson(body): ApiJson<SetPasswordRequest>,
) -> ApiResult<impl IntoResponse> {
    state.refuse_when_stopping()?;
    let user =
        ops::people::use_link(&state.ops(), &token, &body.password, Some(ip.to_string())).await?;
    // A new password from a link is not the second factor: with two-factor sign-in on, the
    // code is asked for next, as after a login's password.
    let second_step =
        ops::two_factor::second_step_if_on(&state.ops(), &user, TokenKind::Web, ip).await?;
    if let Some(mfa_token) = second_step {
        let answer = LoginAnswer::MfaRequired(MfaRequired {
            mfa_required: true,
            mfa_token,
        });
        return Ok(Json(answer).into_response());
    }
    Ok(logged_in(&state, user, ip).await?.into_response())
}

#[utoipa::path(
    operation_id = "password_change",
    post,
    path = "/api/auth/password",
    tag = "auth",
    summary = "Change one's own password; one's other logins are signed out",
    request_body = ChangePasswordRequest,
    responses((status = 200, description = "Changed", body = PasswordChanged))
)]
pub async fn change_password(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<ChangePasswordRequest>,
) -> ApiResult<Json<PasswordChanged>> {
    let revoked_tokens = ops::people::change_password(
        &state.ops(),
        &caller.actor(),
        &body.current_password,
        &body.new_password,
    )
    .await?;
    Ok(Json(PasswordChanged { revoked_tokens }))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TokensQuery {
    /// Admins and up: this user's tokens; 0 for everyone's in the organization.
    user_id: Option<i64>,
}

#[utoipa::path(
    operation_id = "tokens_list",
    get,
    path = "/api/auth/tokens",
    tag = "auth",
    summary = "Live logins (browsers, agents): one's own, or (admin and up) a user's",
    params(TokensQuery),
    responses((status = 200, description = "Newest use first", body = Vec<DeviceToken>))
)]
pub async fn tokens(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<TokensQuery>,
) -> ApiResult<Json<Vec<DeviceToken>>> {
    Ok(Json(
        ops::tokens::list(&state.ops(), &caller.actor(), query.user_id).await?,
    ))
}

#[utoipa::path(
    operation_id = "tokens_revoke",
    delete,
    path = "/api/auth/tokens/{id}",
    tag = "auth",
    summary = "Revoke a login; its sockets close at once with 4001",
    params(("id" = i64, Path, description = "The resource's id (another organization's id answers 404)")),
    responses((status = 204, description = "Revoked"))
)]
pub async fn revoke_token(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
) -> ApiResult<StatusCode> {
    ops::tokens::revoke(&state.ops(), &caller.actor(), id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    operation_id = "setup_create",
    post,
    path = "/api/setup",
    tag = "setup",
    summary = "Create the first organization and its owner with the one-time setup token",
    request_body = SetupRequest,
    responses((status = 201, description = "Created; the owner is logged in", body = LoginResponse)),
    security(())
)]
pub async fn setup(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(body): ApiJson<SetupRequest>,
) -> ApiResult<impl IntoResponse> {
    state.refuse_when_stopping()?;
    let owner = ops::orgs::setup(&state.ops(), &body, Some(ip.to_string())).await?;
    tracing::info!(
        org_id = owner.org_id,
        "first organization created through /setup"
    );
    let response = logged_in(&state, owner, ip).await?;
    Ok((StatusCode::CREATED, response))
}

#[utoipa::path(
    operation_id = "org_show",
    get,
    path = "/api/org",
    tag = "organization",
    summary = "The organization's settings (admin and up)",
    responses((status = 200, description = "Settings", body = OrgSettings))
)]
pub async fn org(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<OrgSettings>> {
    let org = ops::orgs::get(&state.ops(), &caller.actor()).await?;
    Ok(Json(ops::orgs::settings(&org)))
}

#[utoipa::path(
    operation_id = "org_update",
    patch,
    path = "/api/org",
    tag = "organization",
    summary = "Rename the organization, change its timezone or whom it requires two-factor sign-in of (admin and up)",
    request_body = UpdateOrgRequest,
    responses((status = 200, description = "Saved", body = OrgSettings))
)]
pub async fn update_org(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<UpdateOrgRequest>,
) -> ApiResult<Json<OrgSettings>> {
    let org = ops::orgs::update(&state.ops(), &caller.actor(), &body).await?;
    Ok(Json(ops::orgs::settings(&org)))
}

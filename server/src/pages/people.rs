//! The pages of people and access: `/setup` (first run), `/invite/{token}`, `/users`
//! (admins), `/account`, `/settings/org` (admins).

use super::signed_in::UserManagers;
use super::AtLeast;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::Response;
use std::collections::HashMap;

use super::{page_response, query_pairs, SignedIn};
use crate::error::ApiError;
use crate::ops::{self, OpError};
use crate::state::AppState;
use shared::PresenceStatus;
use web::data::{
    AccountPageData, InvitePageData, OrgPageData, PageData, SetupPageData, UserRow, UsersPageData,
};

/// `/setup?token=…`: the first organization and its owner. Without the live token (or once
/// an organization exists) the page explains and shows no form.
pub async fn setup_page(State(state): State<AppState>, req: Request) -> Result<Response, ApiError> {
    let token = query_pairs(&req)
        .into_iter()
        .find(|(k, _)| k == "token")
        .map(|(_, v)| v)
        .unwrap_or_default();
    let open = !token.is_empty() && ops::orgs::setup_open(&state.ops(), &token).await?;
    let status = (!open).then_some(StatusCode::FORBIDDEN);
    let data = PageData {
        setup: Some(SetupPageData { token, open }),
        ..PageData::default()
    };
    Ok(page_response(&state, data, req, status).await)
}

/// `/invite/{token}`: who the link is for and the password form; an unknown, used or expired
/// link says so (404).
pub async fn invite_page(
    State(state): State<AppState>,
    req: Request,
) -> Result<Response, ApiError> {
    let token = req
        .uri()
        .path()
        .strip_prefix("/invite/")
        .unwrap_or_default()
        .to_string();
    let invite = match ops::people::find_link(&state.ops(), &token).await {
        Ok(link) => Some(ops::people::invite_info(&link)),
        Err(OpError::NotFound(_)) => None,
        Err(e) => return Err(e.into()),
    };
    let status = invite.is_none().then_some(StatusCode::NOT_FOUND);
    let data = PageData {
        invite: Some(InvitePageData { token, invite }),
        ..PageData::default()
    };
    Ok(page_response(&state, data, req, status).await)
}

/// The page for a signed-in viewer below `role`: 403 with why.
async fn forbidden(state: &AppState, me: SignedIn, why: &str, req: Request) -> Response {
    let data = PageData {
        viewer: Some(me.viewer),
        forbidden: Some(why.to_string()),
        ..PageData::default()
    };
    page_response(state, data, req, Some(StatusCode::FORBIDDEN)).await
}

async fn org_timezone(state: &AppState, org_id: i64) -> Result<String, ApiError> {
    Ok(state
        .store
        .get_org(org_id)
        .await?
        .map(|o| o.timezone)
        .unwrap_or_else(|| "UTC".into()))
}

/// `/users` (admins and owners): everyone, their status and devices; invite, change role,
/// deactivate, game identity, reset link.
pub async fn users_page(
    State(state): State<AppState>,
    AtLeast(me, _): AtLeast<UserManagers>,
    req: Request,
) -> Result<Response, ApiError> {
    let org_id = me.owner.user.org_id;
    let actor = me.actor();
    let devices = ops::tokens::list(&state.ops(), &actor, Some(0)).await?;
    let status: HashMap<i64, PresenceStatus> = me
        .org
        .snapshot_for(me.owner.user.id, true)
        .into_iter()
        .map(|e| (e.user_id, e.status))
        .collect();
    let users = state
        .store
        .org_users(org_id)
        .await?
        .into_iter()
        .map(|u| UserRow {
            status: status
                .get(&u.id)
                .copied()
                .unwrap_or(PresenceStatus::Offline),
            devices: devices
                .iter()
                .filter(|d| d.user_id == u.id)
                .cloned()
                .collect(),
            user: u.record(),
        })
        .collect();
    let data = PageData {
        users: Some(UsersPageData {
            users,
            org_timezone: org_timezone(&state, org_id).await?,
            two_factor_users: state.store.two_factor_user_ids(org_id).await?,
        }),
        viewer: Some(me.viewer),
        ..PageData::default()
    };
    Ok(page_response(&state, data, req, None).await)
}

/// `/account`: one's own profile, password change, two-factor sign-in and devices.
pub async fn account_page(
    State(state): State<AppState>,
    me: SignedIn,
    req: Request,
) -> Result<Response, ApiError> {
    let actor = me.actor();
    let devices = ops::tokens::list(&state.ops(), &actor, None).await?;
    let data = PageData {
        account: Some(AccountPageData {
            user: me.owner.user.record(),
            devices,
            org_timezone: org_timezone(&state, me.owner.user.org_id).await?,
            two_factor: ops::two_factor::status(&state.ops(), &me.owner.user).await?,
        }),
        viewer: Some(me.viewer),
        ..PageData::default()
    };
    Ok(page_response(&state, data, req, None).await)
}

/// `/settings/org` (admins and owners): name and timezone; owners also single sign-on.
pub async fn org_page(
    State(state): State<AppState>,
    me: SignedIn,
    req: Request,
) -> Result<Response, ApiError> {
    let actor = me.actor();
    let org = match ops::orgs::get(&state.ops(), &actor).await {
        Ok(org) => org,
        Err(OpError::Forbidden(why)) => return Ok(forbidden(&state, me, why, req).await),
        Err(e) => return Err(e.into()),
    };
    let data = PageData {
        org: Some(OrgPageData {
            org: ops::orgs::settings(&org),
            sso: ops::sso::section(&state.ops(), &actor).await?,
        }),
        viewer: Some(me.viewer),
        ..PageData::default()
    };
    Ok(page_response(&state, data, req, None).await)
}

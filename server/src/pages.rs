//! HTML pages (rendered by the `web` crate), the login/logout forms, and static assets.
//! The work pages live in submodules, one per page; each fills its part of [`PageData`] from
//! the store and the hub with the same role scoping as the matching API handler.

mod absences;
mod audit;
mod device;
mod downloads;
mod fleet;
mod login_mfa;
mod me;
mod people;
mod policy;
mod screenshots;
mod servers;
mod session;
mod sessions;
pub mod signed_in;
mod sso;
mod staff;
mod tickets;
mod timesheets;
mod webhooks;

pub use absences::absences_page;
pub use audit::audit_page;
pub use device::device_page;
pub use downloads::{download_file, downloads_page};
pub use fleet::fleet_page;
pub use login_mfa::{login_mfa_form, login_mfa_page};
pub use me::me_page;
pub use people::{account_page, invite_page, org_page, setup_page, users_page};
pub use policy::policy_page;
pub use screenshots::screenshots_page;
pub use servers::servers_page;
pub use session::session_page;
pub use sessions::sessions_page;
pub use signed_in::{AtLeast, PageRole, SignedIn};
pub use sso::{sso_by_email, sso_by_email_form, sso_callback, sso_start};
pub use staff::staff_page;
pub use tickets::{ticket_page, tickets_page};
pub use timesheets::{reports_page, timesheets_page};
pub use webhooks::webhooks_page;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, LOCATION, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;

use crate::api::extract::{client_ip, cookie_token};
use crate::error::ApiError;
use crate::ops::{accounts, OpError};
use crate::state::AppState;
use crate::store::TokenOwner;
use crate::web_render::render_page;
use web::data::{PageData, StatusPageData, Viewer};

const STYLESHEET: &str = include_str!("../../style/main.css");
const SCRIPT: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/pkg/web.js"));
const WASM: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/pkg/web_bg.wasm"));

pub(crate) async fn viewer_of(state: &AppState, headers: &HeaderMap) -> Option<TokenOwner> {
    let token = cookie_token(headers)?;
    match state.authenticate(&token).await {
        Ok(owner) => owner,
        Err(e) => {
            tracing::warn!(error = %e, "session lookup failed while rendering a page");
            None
        }
    }
}

/// The request's query parameters, decoded.
pub(crate) fn query_pairs(req: &Request) -> Vec<(String, String)> {
    url::form_urlencoded::parse(req.uri().query().unwrap_or("").as_bytes())
        .into_owned()
        .collect()
}

/// Renders the app for `req` with `data`, never cached; `status` overrides the app's own.
pub(crate) async fn page_response(
    state: &AppState,
    data: PageData,
    req: Request,
    status: Option<StatusCode>,
) -> Response {
    let mut response = no_store(render_page(state.leptos.clone(), data, req).await);
    if let Some(status) = status {
        *response.status_mut() = status;
    }
    response
}

pub(crate) fn to_login() -> Response {
    Redirect::to("/login").into_response()
}

pub(crate) async fn viewer_data(
    state: &AppState,
    owner: &TokenOwner,
) -> Result<(Viewer, std::sync::Arc<crate::hub::OrgHub>), ApiError> {
    let org = state.org_for(&owner.user).await?;
    Ok((
        Viewer {
            user: owner.user.info(),
            org_name: org.name(),
        },
        org,
    ))
}

/// `/`: the live user status table.
pub async fn status_page(
    State(state): State<AppState>,
    req: Request,
) -> Result<Response, ApiError> {
    let Some(owner) = viewer_of(&state, req.headers()).await else {
        return Ok(Redirect::to(login_or_setup(&state).await).into_response());
    };
    if owner.must_enrol_two_factor() {
        return Ok(Redirect::to(signed_in::ENROL_PAGE).into_response());
    }
    let (viewer, org) = viewer_data(&state, &owner).await?;
    let users = org.snapshot_for(owner.user.id, owner.user.role.reads_whole_org());
    let idle_threshold_seconds = org.policy().config.idle_threshold_seconds;
    let coverage_alerts = state.store.coverage_alerts(owner.user.org_id).await?;
    let data = PageData {
        viewer: Some(viewer),
        status: Some(StatusPageData {
            users,
            idle_threshold_seconds,
            coverage_alerts,
        }),
        ..PageData::default()
    };
    Ok(no_store(render_page(state.leptos.clone(), data, req).await))
}

/// Where a visitor without a session goes: `/login`, or `/setup` while the hub started on
/// an empty database and nobody has created the first organization yet.
async fn login_or_setup(state: &AppState) -> &'static str {
    if state.setup_link.is_some() && state.store.count_orgs().await.is_ok_and(|n| n == 0) {
        "/setup"
    } else {
        "/login"
    }
}

/// Where to go after signing in (`?next=`): only a path of this hub (`/device?code=…`),
/// never another site (`//evil.test`, `https://…`, `/\evil.test`), so a crafted link cannot
/// send someone away; plain visible ASCII only, as a `Location` header takes it.
pub(crate) fn local_next(next: Option<&str>) -> Option<String> {
    let next = next?.trim();
    let local = next.starts_with('/')
        && !next.starts_with("//")
        && next.len() <= 512
        && next.chars().all(|c| c.is_ascii_graphic() && c != '\\');
    local.then(|| next.to_string())
}

/// `/login`: the form (or straight to `/`, or `?next=`, when already logged in; to `/setup`
/// on first run).
pub async fn login_page(State(state): State<AppState>, req: Request) -> Response {
    let next = local_next(
        query_pairs(&req)
            .into_iter()
            .find(|(k, _)| k == "next")
            .map(|(_, v)| v)
            .as_deref(),
    );
    if viewer_of(&state, req.headers()).await.is_some() {
        return Redirect::to(next.as_deref().unwrap_or("/")).into_response();
    }
    if login_or_setup(&state).await == "/setup" {
        return Redirect::to("/setup").into_response();
    }
    let data = PageData {
        login_next: next,
        ..PageData::default()
    };
    render_page(state.leptos.clone(), data, req).await
}

#[derive(Deserialize)]
pub struct LoginForm {
    email: String,
    password: String,
    /// Where to go once signed in (see [`local_next`]).
    #[serde(default)]
    next: Option<String>,
}

/// `POST /login` from the HTML form: cookie and redirect, or the form again with the reason.
pub async fn login_form(State(state): State<AppState>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    if !crate::origin::form_origin_ok(&parts.headers) {
        return ApiError::Forbidden("Cross-site form posts are refused.").into_response();
    }
    let ip = client_ip(&parts, state.config.trust_proxy);
    let form = Form::<LoginForm>::from_request(Request::from_parts(parts, body), &()).await;
    let mut next = None;
    let outcome = match form {
        Ok(Form(form)) => {
            next = local_next(form.next.as_deref());
            accounts::login(
                &state.ops(),
                &state.login_limiter,
                ip,
                &form.email,
                &form.password,
                shared::people::TokenKind::Web,
            )
            .await
        }
        Err(_) => Err(OpError::InvalidCredentials),
    };
    match outcome {
        Ok(accounts::LoginStep::SecondFactor { mfa_token }) => {
            let mfa = web::data::LoginMfaData {
                mfa_token,
                error: None,
                recovery: false,
            };
            login_mfa::second_step(&state, mfa, next, "/login", StatusCode::OK).await
        }
        Ok(accounts::LoginStep::Done { token, .. }) => {
            let mut response = Redirect::to(next.as_deref().unwrap_or("/")).into_response();
            *response.status_mut() = StatusCode::SEE_OTHER;
            if let Ok(cookie) = HeaderValue::from_str(&crate::api::extract::session_cookie(&token))
            {
                response.headers_mut().insert(SET_COOKIE, cookie);
            }
            response
        }
        Err(error) => {
            let status = match &error {
                OpError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
                OpError::Store(_) => StatusCode::INTERNAL_SERVER_ERROR,
                OpError::SsoRequired(_) => StatusCode::CONFLICT,
                _ => StatusCode::UNAUTHORIZED,
            };
            let message = match &error {
                OpError::Store(_) => "The server could not log you in. Try again.".to_string(),
                other => other.to_string(),
            };
            let data = PageData {
                login_error: Some(message),
                login_next: next,
                ..PageData::default()
            };
            let mut response = render_page(state.leptos.clone(), data, get_request("/login")).await;
            *response.status_mut() = status;
            response
        }
    }
}

/// `POST /logout`: revokes the cookie's token and returns to the login form.
pub async fn logout_form(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if !crate::origin::form_origin_ok(&headers) {
        return ApiError::Forbidden("Cross-site form posts are refused.").into_response();
    }
    if let Some(token) = cookie_token(&headers) {
        if let Err(e) = accounts::logout(&state.ops(), &token).await {
            return ApiError::from(e).into_response();
        }
    }
    let mut response = (StatusCode::SEE_OTHER, [(LOCATION, "/login")]).into_response();
    if let Ok(cookie) = HeaderValue::from_str(&crate::api::extract::cleared_cookie()) {
        response.headers_mut().insert(SET_COOKIE, cookie);
    }
    response
}

/// Any other path: the app's not-found page with status 404.
pub async fn not_found_page(State(state): State<AppState>, req: Request) -> Response {
    let viewer = match viewer_of(&state, req.headers()).await {
        Some(owner) => viewer_data(&state, &owner).await.ok().map(|(v, _)| v),
        None => None,
    };
    let data = PageData {
        viewer,
        ..PageData::default()
    };
    let mut response = render_page(state.leptos.clone(), data, req).await;
    *response.status_mut() = StatusCode::NOT_FOUND;
    response
}

pub(crate) fn get_request(path: &str) -> Request {
    let mut req = Request::new(Body::empty());
    if let Ok(uri) = path.parse() {
        *req.uri_mut() = uri;
    }
    req
}

fn no_store(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn asset(content_type: &'static str, body: &'static [u8]) -> Response {
    (
        [(CONTENT_TYPE, content_type), (CACHE_CONTROL, "no-cache")],
        body,
    )
        .into_response()
}

pub async fn stylesheet() -> Response {
    asset("text/css; charset=utf-8", STYLESHEET.as_bytes())
}

pub async fn script() -> Response {
    asset("text/javascript; charset=utf-8", SCRIPT)
}

pub async fn wasm() -> Response {
    asset("application/wasm", WASM)
}

use axum::extract::FromRequest;

//! The browser's side of single sign-on (SPEC §17): `/auth/sso/{org_id}/start` sends the
//! browser to the organization's identity provider, `/auth/sso/callback` takes it back and
//! signs the person in (the session cookie exactly as the login sets it, then `/`), and
//! `/auth/sso` (the login form's "Use single sign-on", which works without JavaScript) finds
//! the organization by the e-mail's domain. Every refusal is a small page that says what went
//! wrong, with the way back to `/login`; this is the one place refusals become HTTP.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, LOCATION, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};

use crate::api::extract::{session_cookie, ClientIp};
use crate::domain::sso::SsoRefusal;
use crate::error::ApiError;
use crate::ops::sso::oidc::HttpOidc;
use crate::ops::sso::{self, CallbackParams, SsoFailure, SsoNext, FLOW_LIFETIME_MS};
use crate::ops::OpError;
use crate::state::AppState;

/// The cookie that ties the provider's answer to the browser that started the sign-in: it
/// holds the sign-in's `state`, sent back only to `/auth/sso/…`.
const FLOW_COOKIE: &str = "ph_sso";
const FLOW_COOKIE_PATH: &str = "/auth/sso";

/// `GET /auth/sso/{org_id}/start[?login_hint=…&next=…]`: 303 to the provider, with the flow
/// cookie; or the refusal page (no provider, provider out of reach).
pub async fn sso_start(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Path(org_id): Path<String>,
    uri: Uri,
) -> Response {
    let Ok(org_id) = org_id.parse::<i64>() else {
        return refusal_page(&SsoRefusal::NotConfigured, false);
    };
    let query = query_of(&uri);
    let started = sso::start(
        &state.ops(),
        HttpOidc::shared(),
        org_id,
        param(&query, "login_hint"),
        param(&query, "next"),
        Some(ip.to_string()),
    )
    .await;
    match started {
        Ok(started) => {
            let mut response = see_other(&started.url);
            append_cookie(&mut response, &flow_cookie(&started.state));
            response
        }
        Err(failure) => failure_page(failure, false),
    }
}

/// `GET /auth/sso/callback?code=…&state=…` (or `?error=…`): signs the person in and goes to
/// `/` (or where the sign-in was started for), or the refusal page.
pub async fn sso_callback(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let query = query_of(&uri);
    let owned = |name: &str| param(&query, name).map(str::to_string);
    let params = CallbackParams {
        code: owned("code"),
        state: owned("state"),
        error: owned("error"),
        error_description: owned("error_description"),
        browser_state: flow_cookie_value(&headers),
    };
    match sso::callback(
        &state.ops(),
        HttpOidc::shared(),
        &params,
        Some(ip.to_string()),
    )
    .await
    {
        Ok(login) => {
            let mut response = match login.next {
                SsoNext::SignedIn { token } => {
                    let mut to = see_other(login.return_to.as_deref().unwrap_or("/"));
                    append_cookie(&mut to, &session_cookie(&token));
                    to
                }
                // The same second step as after a password: the code form of /login.
                SsoNext::SecondFactor { mfa_token } => {
                    let mfa = web::data::LoginMfaData {
                        mfa_token,
                        error: None,
                        recovery: false,
                    };
                    super::login_mfa::second_step(
                        &state,
                        mfa,
                        login.return_to,
                        "/login",
                        StatusCode::OK,
                    )
                    .await
                }
            };
            append_cookie(&mut response, &cleared_flow_cookie());
            response
        }
        Err(failure) => failure_page(failure, true),
    }
}

/// `GET /auth/sso?email=…[&next=…]`: to the start of the e-mail domain's organization, or
/// back to `/login` saying that none signs it in.
pub async fn sso_by_email(State(state): State<AppState>, uri: Uri) -> Response {
    let query = query_of(&uri);
    by_email(&state, param(&query, "email"), param(&query, "next")).await
}

/// `POST /auth/sso` from the login form's "Use single sign-on" button (a password typed in
/// the form is ignored).
pub async fn sso_by_email_form(State(state): State<AppState>, body: Bytes) -> Response {
    let form: Vec<(String, String)> = url::form_urlencoded::parse(&body).into_owned().collect();
    by_email(&state, param(&form, "email"), param(&form, "next")).await
}

async fn by_email(state: &AppState, email: Option<&str>, next: Option<&str>) -> Response {
    let back = |why: &str| {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        query.append_pair("sso", why);
        if let Some(next) = next {
            query.append_pair("next", next);
        }
        see_other(&format!("/login?{}", query.finish()))
    };
    let Some(email) = email.map(str::trim).filter(|e| !e.is_empty()) else {
        return back("email");
    };
    match sso::lookup(&state.ops(), email).await {
        Ok(Some(found)) => {
            let mut query = url::form_urlencoded::Serializer::new(String::new());
            query.append_pair("login_hint", email);
            if let Some(next) = next {
                query.append_pair("next", next);
            }
            see_other(&format!("{}?{}", found.start_url, query.finish()))
        }
        Ok(None) => back("unknown"),
        Err(e) => failure_page(SsoFailure::Failed(e), false),
    }
}

fn query_of(uri: &Uri) -> Vec<(String, String)> {
    url::form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
        .into_owned()
        .collect()
}

fn param<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .filter(|v| !v.is_empty())
}

/// 303 to `location`; a location that cannot be a header (it never should) becomes the
/// "could not finish" page.
fn see_other(location: &str) -> Response {
    match HeaderValue::from_str(location) {
        Ok(value) => {
            let mut response = StatusCode::SEE_OTHER.into_response();
            response.headers_mut().insert(LOCATION, value);
            response
                .headers_mut()
                .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
            response
        }
        Err(_) => failure_page(
            SsoFailure::Failed(OpError::Internal(format!(
                "a redirect that is not a header value: {location:?}"
            ))),
            false,
        ),
    }
}

fn append_cookie(response: &mut Response, cookie: &str) {
    if let Ok(value) = HeaderValue::from_str(cookie) {
        response.headers_mut().append(SET_COOKIE, value);
    }
}

fn flow_cookie(state: &str) -> String {
    cookie::Cookie::build((FLOW_COOKIE, state.to_string()))
        .http_only(true)
        // Lax: sent on the provider's top-level redirect back to the callback.
        .same_site(cookie::SameSite::Lax)
        .path(FLOW_COOKIE_PATH)
        .max_age(cookie::time::Duration::milliseconds(FLOW_LIFETIME_MS))
        .build()
        .to_string()
}

fn cleared_flow_cookie() -> String {
    cookie::Cookie::build((FLOW_COOKIE, ""))
        .http_only(true)
        .same_site(cookie::SameSite::Lax)
        .path(FLOW_COOKIE_PATH)
        .max_age(cookie::time::Duration::ZERO)
        .build()
        .to_string()
}

fn flow_cookie_value(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(cookie::Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == FLOW_COOKIE && !c.value().is_empty())
        .map(|c| c.value().to_string())
}

/// The page of a refused or failed sign-in; `clear_flow` also drops the flow cookie (the
/// sign-in it named is spent).
fn failure_page(failure: SsoFailure, clear_flow: bool) -> Response {
    let mut response = match failure {
        SsoFailure::Refused(refusal) => refusal_page(&refusal, false),
        SsoFailure::Failed(error) => {
            let error = ApiError::from(error);
            let status = error.status();
            tracing::error!(%error, "single sign-on failed");
            let message = if status == StatusCode::SERVICE_UNAVAILABLE {
                "The hub's database is unreachable right now: nothing was signed in. Try again in a moment."
            } else {
                "The hub could not finish the sign-in. Try again in a moment."
            };
            page(status, "Sign-in did not finish", message)
        }
    };
    if clear_flow {
        append_cookie(&mut response, &cleared_flow_cookie());
    }
    response
}

fn refusal_page(refusal: &SsoRefusal, clear_flow: bool) -> Response {
    let status = StatusCode::from_u16(refusal.status()).unwrap_or(StatusCode::BAD_REQUEST);
    let mut response = page(status, "Sign-in refused", &refusal.to_string());
    if clear_flow {
        append_cookie(&mut response, &cleared_flow_cookie());
    }
    response
}

/// A plain page in the look of `/login` (no script: nothing on it to hydrate).
fn page(status: StatusCode, heading: &str, message: &str) -> Response {
    let (heading, message) = (escape(heading), escape(message));
    let html = format!(
        r#"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8"/>
<meta name="viewport" content="width=device-width, initial-scale=1"/>
<meta name="color-scheme" content="light dark"/>
<link rel="icon" href="data:,"/>
<link rel="stylesheet" href="/style/main.css"/>
<title>{heading} · Presence Hub</title>
</head>
<body>
<main class="page narrow login" id="main">
<h1>Presence Hub</h1>
<div class="card" id="sso-refused">
<h2>{heading}</h2>
<p class="form-error" id="sso-reason" role="alert">{message}</p>
<p><a href="/login" class="button-link" id="sso-back">Back to sign-in</a></p>
</div>
</main>
</body>
</html>
"#
    );
    (
        status,
        [
            (CONTENT_TYPE, "text/html; charset=utf-8"),
            (CACHE_CONTROL, "no-store"),
        ],
        html,
    )
        .into_response()
}

/// Text for the page's HTML (element content and double-quoted attributes).
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn refusal_pages_escape_what_they_repeat() {
        let refusal = SsoRefusal::ProviderDeclined {
            error: "<script>alert(1)</script>".into(),
            description: None,
        };
        let response = refusal_page(&refusal, true);
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        let cookies = response.headers().get_all(SET_COOKIE).iter().count();
        assert_eq!(cookies, 1, "the flow cookie is cleared");
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .expect("the page");
        let html = String::from_utf8_lossy(&body);
        assert!(
            html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
            "{html}"
        );
        assert!(!html.contains("<script>"), "{html}");
        assert!(html.contains(r#"href="/login""#), "{html}");
    }

    #[test]
    fn the_flow_cookie_goes_only_to_the_sso_paths() {
        let cookie = flow_cookie("abc");
        assert!(cookie.contains("ph_sso=abc"), "{cookie}");
        assert!(cookie.contains("Path=/auth/sso"), "{cookie}");
        assert!(cookie.contains("HttpOnly"), "{cookie}");
        assert!(cookie.contains("SameSite=Lax"), "{cookie}");
        let mut headers = HeaderMap::new();
        headers.insert(
            axum::http::header::COOKIE,
            HeaderValue::from_static("ph_session=x; ph_sso=abc"),
        );
        assert_eq!(flow_cookie_value(&headers).as_deref(), Some("abc"));
    }
}

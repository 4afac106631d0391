//! Who looks at a page, as extractors: [`SignedIn`] (without a live session cookie the page
//! answers with a redirect to `/login`) and [`AtLeast`] (below the page's role, its 403 page
//! saying why). Every page opens with one of them instead of repeating the checks.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use std::marker::PhantomData;
use std::sync::Arc;

use super::{get_request, page_response, to_login, viewer_data, viewer_of};
use crate::error::ApiError;
use crate::hub::OrgHub;
use crate::state::AppState;
use crate::store::TokenOwner;
use shared::Role;
use web::data::{PageData, Viewer};

/// Where someone goes who must turn on two-factor sign-in first.
pub(crate) const ENROL_PAGE: &str = "/account";

/// A signed-in page view: who, as the page shows them, and their organization.
pub struct SignedIn {
    pub owner: TokenOwner,
    pub viewer: Viewer,
    pub org: Arc<OrgHub>,
}

impl SignedIn {
    /// The viewer as the operations of `crate::ops` see them.
    pub fn actor(&self) -> crate::ops::Actor {
        crate::ops::Actor {
            user: self.owner.user.clone(),
            token_id: self.owner.token_id,
            ip: None,
        }
    }

    /// The page for this viewer saying why they may not see it, answered 403.
    pub async fn forbidden(self, state: &AppState, why: &str, path: &str) -> Response {
        let data = PageData {
            viewer: Some(self.viewer),
            forbidden: Some(why.to_string()),
            ..PageData::default()
        };
        page_response(state, data, get_request(path), Some(StatusCode::FORBIDDEN)).await
    }
}

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let Some(owner) = viewer_of(state, &parts.headers).await else {
            return Err(to_login());
        };
        // Their organization requires two-factor sign-in they have not turned on: every page
        // but the one where they do leads there (SPEC §17).
        if owner.must_enrol_two_factor() && parts.uri.path() != ENROL_PAGE {
            return Err(Redirect::to(ENROL_PAGE).into_response());
        }
        let (viewer, org) = viewer_data(state, &owner)
            .await
            .map_err(ApiError::into_response)?;
        Ok(SignedIn { owner, viewer, org })
    }
}

/// What a page asks of its viewer's role, and what it tells those below it.
pub trait PageRole {
    const ROLE: Role;
    const WHY: &'static str;
}

/// A signed-in viewer of role `R::ROLE` or above.
pub struct AtLeast<R>(pub SignedIn, pub PhantomData<R>);

impl<R: PageRole> FromRequestParts<AppState> for AtLeast<R> {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let me = SignedIn::from_request_parts(parts, state).await?;
        if me.owner.user.role.at_least(R::ROLE) {
            return Ok(AtLeast(me, PhantomData));
        }
        let path = parts
            .uri
            .path_and_query()
            .map_or("/", |p| p.as_str())
            .to_string();
        Err(me.forbidden(state, R::WHY, &path).await)
    }
}

/// The admins' pages (and their owners').
macro_rules! page_role {
    ($(#[$doc:meta])* $name:ident, $role:expr, $why:literal) => {
        $(#[$doc])*
        pub struct $name;
        impl PageRole for $name {
            const ROLE: Role = $role;
            const WHY: &'static str = $why;
        }
    };
}

page_role!(
    /// `/audit`.
    AuditReaders,
    Role::Admin,
    "Only admins and owners can read the audit log."
);
page_role!(
    /// `/fleet`.
    FleetReaders,
    Role::Admin,
    "Only admins and owners can see the agent fleet."
);
page_role!(
    /// `/users`.
    UserManagers,
    Role::Admin,
    "Only admins and owners can manage users."
);
page_role!(
    /// `/servers`.
    ServerReaders,
    Role::Supervisor,
    "Only supervisors and above can see the game servers."
);
page_role!(
    /// `/settings/webhooks`.
    WebhookManagers,
    Role::Admin,
    "Only admins and owners manage webhooks."
);

//! `/settings/policy`: the organization's current policy as the hub holds it (what agents
//! get); editable for the owner only, read-only for everyone else.

use super::SignedIn;
use axum::extract::{Request, State};
use axum::response::Response;

use super::page_response;
use crate::error::ApiError;
use crate::state::AppState;
use crate::store::ms_to_time;
use shared::Role;
use web::data::{PageData, PolicyPageData};

pub async fn policy_page(
    State(state): State<AppState>,
    me: SignedIn,
    req: Request,
) -> Result<Response, ApiError> {
    let policy = me.org.policy();
    let data = PageData {
        policy: Some(PolicyPageData {
            config_version: policy.version,
            config: policy.config,
            updated_at: ms_to_time(policy.updated_at),
            can_edit: me.owner.user.role == Role::Owner,
        }),
        viewer: Some(me.viewer),
        ..PageData::default()
    };
    Ok(page_response(&state, data, req, None).await)
}

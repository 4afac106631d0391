//! The REST API under `/api`: one file per resource.

mod activity;
mod audit;
mod auth;
mod config;
mod corrections;
mod device_flow;
pub mod extract;
mod fleet;
mod game_servers;
mod health;
pub mod openapi;
mod own_data;
mod people;
mod policy;
pub mod screenshots;
mod sessions;
mod sso;
mod staff;
mod status;
mod tickets;
mod timesheets;
mod two_factor;
mod users;
mod webhooks;
mod worktime;

use axum::extract::DefaultBodyLimit;
use axum::Router;
use utoipa::OpenApi;
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouterExt};
use utoipa_axum::routes;
use utoipa_swagger_ui::SwaggerUi;

use crate::error::ApiError;
use crate::state::AppState;

/// The REST API with its OpenAPI description: every route is registered through
/// `routes!`, from the handler's `#[utoipa::path]`, so the two cannot drift apart (a test in
/// `server/tests/hub/openapi.rs` checks it from the outside).
pub fn router() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    let (router, mut openapi) = OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .routes(routes!(auth::login))
        .routes(routes!(auth::logout))
        .routes(routes!(auth::me))
        .routes(routes!(two_factor::mfa))
        .routes(routes!(two_factor::status))
        .routes(routes!(two_factor::setup))
        .routes(routes!(two_factor::enable))
        .routes(routes!(two_factor::disable))
        .routes(routes!(two_factor::recovery_codes))
        .routes(routes!(device_flow::start))
        .routes(routes!(device_flow::token))
        .routes(routes!(device_flow::approve))
        .routes(routes!(device_flow::deny))
        .routes(routes!(status::show, status::set, status::clear))
        .routes(routes!(people::change_password))
        .routes(routes!(people::tokens))
        .routes(routes!(people::revoke_token))
        .routes(routes!(people::invite_info, people::accept_invite))
        .routes(routes!(people::setup))
        .routes(routes!(people::org, people::update_org))
        .routes(routes!(sso::show, sso::update, sso::remove))
        .routes(routes!(sso::lookup))
        .routes(routes!(users::list, users::create))
        .routes(routes!(users::show, users::update))
        .routes(routes!(users::reset_link))
        .routes(routes!(two_factor::reset))
        .routes(routes!(sessions::of_user))
        .routes(routes!(sessions::list))
        .routes(routes!(sessions::export_csv))
        .routes(routes!(sessions::start))
        .routes(routes!(sessions::stop))
        .routes(routes!(sessions::manual))
        .routes(routes!(
            sessions::show,
            corrections::correct,
            corrections::delete
        ))
        .routes(routes!(corrections::spans, corrections::report))
        .routes(routes!(corrections::answer))
        .routes(routes!(timesheets::week))
        .routes(routes!(timesheets::approve))
        .routes(routes!(timesheets::reopen))
        .routes(routes!(timesheets::report))
        .routes(routes!(timesheets::report_csv))
        .routes(routes!(worktime::report))
        .routes(routes!(worktime::export))
        .routes(routes!(worktime::export_csv))
        .routes(routes!(worktime::export_xlsx))
        .routes(routes!(worktime::export_pdf))
        .routes(routes!(worktime::plans, worktime::set_plan))
        .routes(routes!(worktime::remove_plan))
        .routes(routes!(worktime::holidays, worktime::add_holiday))
        .routes(
            routes!(worktime::import_holidays)
                .layer(DefaultBodyLimit::max(worktime::MAX_ICS_BYTES)),
        )
        .routes(routes!(worktime::remove_holiday))
        .routes(routes!(worktime::absences, worktime::request_absence))
        .routes(routes!(worktime::approve))
        .routes(routes!(worktime::refuse))
        .routes(routes!(worktime::cancel))
        .routes(routes!(sessions::end))
        .routes(routes!(activity::show))
        .routes(routes!(tickets::list, tickets::create))
        .routes(routes!(tickets::show, tickets::update))
        .routes(routes!(sessions::of_ticket))
        .routes(routes!(audit::list))
        .routes(routes!(fleet::list))
        .routes(routes!(webhooks::list, webhooks::create))
        .routes(routes!(webhooks::show, webhooks::update, webhooks::delete))
        .routes(routes!(webhooks::deliveries))
        .routes(routes!(webhooks::test))
        .routes(routes!(screenshots::list))
        .routes(
            routes!(screenshots::upload)
                .layer(DefaultBodyLimit::max(screenshots::MAX_UPLOAD_BYTES)),
        )
        .routes(routes!(screenshots::image))
        .routes(routes!(screenshots::delete))
        .routes(routes!(own_data::data))
        .routes(routes!(own_data::export_own))
        .routes(routes!(own_data::export_user))
        .routes(routes!(own_data::erase))
        .routes(routes!(game_servers::list, game_servers::create))
        .routes(routes!(
            game_servers::show,
            game_servers::update,
            game_servers::delete
        ))
        .routes(routes!(staff::details))
        .routes(routes!(staff::server_sessions))
        .routes(routes!(staff::stats))
        .routes(routes!(config::show))
        .routes(routes!(policy::update))
        .routes(routes!(health::healthz))
        .routes(routes!(health::metrics))
        .split_for_parts();
    let router = router
        .route("/api/{*rest}", axum::routing::any(not_found))
        .method_not_allowed_fallback(method_not_allowed);
    openapi::finish(&mut openapi);
    (router, openapi)
}

/// `/api/docs`: Swagger UI (vendored in the binary) over `/api/openapi.json`.
pub fn docs(openapi: utoipa::openapi::OpenApi) -> Router<AppState> {
    SwaggerUi::new("/api/docs")
        .url("/api/openapi.json", openapi)
        .into()
}

async fn not_found() -> ApiError {
    ApiError::NotFound("Endpoint")
}

async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}

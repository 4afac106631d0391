//! The REST API under `/api`: one file per resource.

mod activity;
mod audit;
mod auth;
mod config;
pub mod extract;
mod game_servers;
mod health;
mod policy;
mod screenshots;
mod sessions;
mod staff;
mod tickets;
mod users;

use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use axum::Router;

use crate::app::AppState;
use crate::error::ApiError;

pub use health::{healthz, metrics};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/auth/login", post(auth::login))
        .route("/api/auth/logout", post(auth::logout))
        .route("/api/auth/me", get(auth::me))
        .route("/api/users", get(users::list).post(users::create))
        .route("/api/users/{id}", get(users::show).patch(users::update))
        .route("/api/users/{id}/sessions", get(sessions::of_user))
        .route("/api/sessions", get(sessions::list))
        .route("/api/sessions/export.csv", get(sessions::export_csv))
        .route("/api/sessions/start", post(sessions::start))
        .route("/api/sessions/stop", post(sessions::stop))
        .route("/api/sessions/manual", post(sessions::manual))
        .route("/api/sessions/{id}", get(sessions::show))
        .route("/api/sessions/{id}/end", post(sessions::end))
        .route("/api/sessions/{id}/activity", get(activity::show))
        .route("/api/tickets", get(tickets::list).post(tickets::create))
        .route("/api/tickets/{id}", get(tickets::show))
        .route("/api/tickets/{id}/sessions", get(sessions::of_ticket))
        .route("/api/audit", get(audit::list))
        .route(
            "/api/screenshots",
            get(screenshots::list)
                .post(screenshots::upload)
                .layer(DefaultBodyLimit::max(screenshots::MAX_UPLOAD_BYTES)),
        )
        .route("/api/screenshots/{id}/image", get(screenshots::image))
        .route(
            "/api/game-servers",
            get(game_servers::list).post(game_servers::create),
        )
        .route(
            "/api/game-servers/{id}",
            get(game_servers::show).patch(game_servers::update),
        )
        .route("/api/staff/{id}/details", get(staff::details))
        .route(
            "/api/staff/{id}/server-sessions",
            get(staff::server_sessions),
        )
        .route("/api/staff/{id}/stats", get(staff::stats))
        .route("/api/config", get(config::show))
        .route("/api/policy", axum::routing::put(policy::update))
        .route("/api/{*rest}", axum::routing::any(not_found))
        .method_not_allowed_fallback(method_not_allowed)
}

async fn not_found() -> ApiError {
    ApiError::NotFound("Endpoint")
}

async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}

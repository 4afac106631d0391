//! Webhooks (admins and owners): `GET/POST /api/webhooks`, `GET/PATCH/DELETE
//! /api/webhooks/{id}`, its delivery log and a test delivery.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;

use super::extract::{ApiJson, ApiQuery, Caller, IdPath, Paging};
use crate::error::{ApiError, ApiResult};
use crate::ops::webhooks;
use crate::state::AppState;
use crate::store::WebhookRow;
use shared::api::Paged;
use shared::webhooks::{
    CreateWebhookRequest, CreatedWebhook, UpdateWebhookRequest, Webhook, WebhookDelivery,
};
use shared::Role;

const ADMINS: &str = "Only admins and owners manage webhooks.";

/// A webhook with its newest delivery.
async fn view(state: &AppState, row: &WebhookRow) -> ApiResult<Webhook> {
    let (last, _) = state.store.list_deliveries(row.id, 1, 1).await?;
    Ok(row.api(last.into_iter().next()))
}

async fn own(state: &AppState, caller: &Caller, id: i64) -> ApiResult<WebhookRow> {
    caller.require(Role::Admin, ADMINS)?;
    state
        .store
        .get_webhook(caller.org_id(), id)
        .await?
        .ok_or(ApiError::NotFound("Webhook"))
}

#[utoipa::path(
    operation_id = "webhooks_list",
    get,
    path = "/api/webhooks",
    tag = "webhooks",
    summary = "The organization's webhooks, each with its newest delivery (admin and up)",
    responses((status = 200, description = "Every webhook", body = Vec<Webhook>))
)]
pub async fn list(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<Vec<Webhook>>> {
    caller.require(Role::Admin, ADMINS)?;
    let rows = state.store.list_webhooks(caller.org_id()).await?;
    let last = state.store.last_deliveries(caller.org_id()).await?;
    Ok(Json(
        rows.iter()
            .map(|r| r.api(last.iter().find(|d| d.webhook_id == r.id).cloned()))
            .collect(),
    ))
}

#[utoipa::path(
    operation_id = "webhooks_create",
    post,
    path = "/api/webhooks",
    tag = "webhooks",
    summary = "Add a webhook: an http(s) URL (never the hub's own), the event kinds, a secret (made when absent). The answer is the only time the secret is shown",
    request_body = CreateWebhookRequest,
    responses((status = 201, description = "Created, with its secret", body = CreatedWebhook))
)]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(req): ApiJson<CreateWebhookRequest>,
) -> ApiResult<(StatusCode, Json<CreatedWebhook>)> {
    caller.require(Role::Admin, ADMINS)?;
    let (row, secret) =
        webhooks::create(&state.store, &caller.actor(), &state.own_addresses(), req).await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedWebhook {
            webhook: row.api(None),
            secret,
        }),
    ))
}

#[utoipa::path(
    operation_id = "webhooks_show",
    get,
    path = "/api/webhooks/{id}",
    tag = "webhooks",
    summary = "One webhook (its secret is not shown)",
    params(("id" = i64, Path, description = "The resource's id (another organization's id answers 404)")),
    responses((status = 200, description = "The webhook", body = Webhook))
)]
pub async fn show(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
) -> ApiResult<Json<Webhook>> {
    let row = own(&state, &caller, id).await?;
    Ok(Json(view(&state, &row).await?))
}

#[utoipa::path(
    operation_id = "webhooks_update",
    patch,
    path = "/api/webhooks/{id}",
    tag = "webhooks",
    summary = "Change a webhook's URL, events, description, or switch it off and on",
    params(("id" = i64, Path, description = "The resource's id (another organization's id answers 404)")),
    request_body = UpdateWebhookRequest,
    responses((status = 200, description = "The webhook", body = Webhook))
)]
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
    ApiJson(req): ApiJson<UpdateWebhookRequest>,
) -> ApiResult<Json<Webhook>> {
    caller.require(Role::Admin, ADMINS)?;
    let row = webhooks::update(
        &state.store,
        &caller.actor(),
        &state.own_addresses(),
        id,
        req,
    )
    .await?;
    Ok(Json(view(&state, &row).await?))
}

#[utoipa::path(
    operation_id = "webhooks_delete",
    delete,
    path = "/api/webhooks/{id}",
    tag = "webhooks",
    summary = "Delete a webhook: nothing more is sent to it",
    params(("id" = i64, Path, description = "The resource's id (another organization's id answers 404)")),
    responses((status = 204, description = "Deleted"))
)]
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
) -> ApiResult<StatusCode> {
    caller.require(Role::Admin, ADMINS)?;
    webhooks::delete(&state.store, &caller.actor(), id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    operation_id = "webhooks_deliveries",
    get,
    path = "/api/webhooks/{id}/deliveries",
    tag = "webhooks",
    summary = "The webhook's delivery log, newest first: state, attempts, the receiver's last status or error",
    params(("id" = i64, Path, description = "The resource's id (another organization's id answers 404)"), Paging),
    responses((status = 200, description = "A page of deliveries", body = Paged<WebhookDelivery>))
)]
pub async fn deliveries(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
    ApiQuery(paging): ApiQuery<Paging>,
) -> ApiResult<Json<Paged<WebhookDelivery>>> {
    own(&state, &caller, id).await?;
    let (page, per_page) = paging.resolve()?;
    let (items, total) = state.store.list_deliveries(id, page, per_page).await?;
    Ok(Json(Paged {
        items,
        page,
        per_page,
        total,
    }))
}

#[utoipa::path(
    operation_id = "webhooks_test",
    post,
    path = "/api/webhooks/{id}/test",
    tag = "webhooks",
    summary = "Send a `webhook.test` delivery to this webhook now",
    params(("id" = i64, Path, description = "The resource's id (another organization's id answers 404)")),
    responses((status = 202, description = "Queued: the delivery", body = WebhookDelivery))
)]
pub async fn test(
    State(state): State<AppState>,
    caller: Caller,
    IdPath(id): IdPath,
) -> ApiResult<(StatusCode, Json<WebhookDelivery>)> {
    own(&state, &caller, id).await?;
    webhooks::test(&state.store, &caller.actor(), id).await?;
    let (newest, _) = state.store.list_deliveries(id, 1, 1).await?;
    let delivery = newest
        .into_iter()
        .next()
        .ok_or_else(|| ApiError::Internal("the test delivery vanished".into()))?;
    Ok((StatusCode::ACCEPTED, Json(delivery)))
}

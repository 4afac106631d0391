//! Webhooks (SPEC §15): REST bodies of `/api/webhooks` and the delivery log.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The event kinds a webhook may ask for, and what each is.
pub const WEBHOOK_EVENTS: [(&str, &str); 11] = [
    ("session.started", "A work session started"),
    (
        "session.ended",
        "A work session ended (stop, admin's end, automatic stop)",
    ),
    (
        "session.updated",
        "A session was corrected or recorded after the fact",
    ),
    ("session.deleted", "A recorded session was deleted"),
    ("policy.changed", "The tracking policy was saved"),
    ("presence.changed", "Someone turned active, idle or offline"),
    ("status.changed", "Someone set or cleared a status or break"),
    ("coverage.alert", "A game server is short of staff"),
    ("coverage.cleared", "A coverage alert ended"),
    ("timesheet.updated", "A week was approved or reopened"),
    (
        "absence.updated",
        "An absence was requested, approved, refused or cancelled",
    ),
];

/// The kind of the deliveries `POST /api/webhooks/{id}/test` makes.
pub const TEST_EVENT: &str = "webhook.test";

/// A webhook as listed (the secret is never shown again after creation).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Webhook {
    pub id: i64,
    pub url: String,
    pub events: Vec<String>,
    pub description: String,
    pub enabled: bool,
    /// The secret's last four characters, to tell secrets apart.
    pub secret_hint: String,
    pub created_at: DateTime<Utc>,
    /// The newest delivery, if any.
    pub last_delivery: Option<WebhookDelivery>,
}

/// `POST /api/webhooks`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateWebhookRequest {
    /// http:// or https://; never the hub's own address.
    pub url: String,
    /// Event kinds (see `WEBHOOK_EVENTS`); at least one.
    pub events: Vec<String>,
    #[serde(default)]
    pub description: Option<String>,
    /// 16 to 200 characters; the hub makes one when absent.
    #[serde(default)]
    pub secret: Option<String>,
}

/// The answer of `POST /api/webhooks`: the only time the secret is shown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreatedWebhook {
    pub webhook: Webhook,
    pub secret: String,
}

/// `PATCH /api/webhooks/{id}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UpdateWebhookRequest {
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub events: Option<Vec<String>>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub enabled: Option<bool>,
}

/// One delivery and where it stands.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WebhookDelivery {
    pub id: i64,
    pub webhook_id: i64,
    /// `X-Presence-Delivery`.
    pub delivery_id: String,
    /// `X-Presence-Event`.
    pub event: String,
    /// `pending` (waiting or retrying), `delivered`, or `failed` (gave up after 24 h).
    pub state: String,
    pub attempts: i64,
    pub created_at: DateTime<Utc>,
    pub last_attempt_at: Option<DateTime<Utc>>,
    /// The receiver's HTTP status of the last attempt; null when it could not be reached.
    pub last_status: Option<i64>,
    pub last_error: Option<String>,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub delivered_at: Option<DateTime<Utc>>,
}

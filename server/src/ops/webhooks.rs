//! Webhooks (admins and owners): create (the secret shown once), change, delete, test. Every
//! change is audited; deliveries themselves are made by the store with each event.

use std::collections::BTreeMap;

use super::Actor;
use crate::domain::webhooks::{
    check_events, check_url, OwnAddresses, MAX_DESCRIPTION_CHARS, MAX_SECRET_CHARS,
    MIN_SECRET_CHARS,
};
use crate::ops::error::OpError;
use crate::store::{NewAudit, Store, WebhookPatch, WebhookRow};
use shared::webhooks::{CreateWebhookRequest, UpdateWebhookRequest, TEST_EVENT};

/// A new secret: 32 random bytes, hex.
fn new_secret() -> String {
    format!(
        "whsec_{:016x}{:016x}{:016x}{:016x}",
        rand::random::<u64>(),
        rand::random::<u64>(),
        rand::random::<u64>(),
        rand::random::<u64>()
    )
}

fn audit(
    actor: &Actor,
    action: &'static str,
    id: Option<i64>,
    details: serde_json::Value,
) -> NewAudit {
    NewAudit {
        org_id: actor.user.org_id,
        actor_id: Some(actor.user.id),
        action,
        target_type: Some("webhook"),
        target_id: id,
        ip: actor.ip.clone(),
        details,
    }
}

fn check_description(fields: &mut BTreeMap<String, String>, d: Option<&str>) -> Option<String> {
    let d = d?.trim().to_string();
    if d.chars().count() > MAX_DESCRIPTION_CHARS {
        fields.insert(
            "description".into(),
            format!("at most {MAX_DESCRIPTION_CHARS} characters"),
        );
    }
    Some(d)
}

/// Creates a webhook; the answer is the only time its secret is shown.
pub async fn create(
    store: &Store,
    actor: &Actor,
    own: &OwnAddresses,
    req: CreateWebhookRequest,
) -> Result<(WebhookRow, String), OpError> {
    let mut fields = BTreeMap::new();
    let url = check_url(&req.url, own)
        .map_err(|e| fields.insert("url".into(), e))
        .ok();
    let events = check_events(&req.events)
        .map_err(|e| fields.insert("events".into(), e))
        .ok();
    let description =
        check_description(&mut fields, req.description.as_deref()).unwrap_or_default();
    let secret = match req.secret {
        Some(s) => {
            let n = s.chars().count();
            if !(MIN_SECRET_CHARS..=MAX_SECRET_CHARS).contains(&n)
                || s.chars().any(char::is_control)
            {
                fields.insert(
                    "secret".into(),
                    format!("from {MIN_SECRET_CHARS} to {MAX_SECRET_CHARS} printable characters"),
                );
            }
            s
        }
        None => new_secret(),
    };
    OpError::unless_valid(fields)?;
    let (Some(url), Some(events)) = (url, events) else {
        return Err(OpError::BadRequest("url and events are required".into()));
    };
    let new = WebhookRow {
        id: 0,
        org_id: actor.user.org_id,
        url: url.clone(),
        events: events.clone(),
        secret: secret.clone(),
        description,
        enabled: true,
        created_at: 0,
    };
    let entry = audit(
        actor,
        "WEBHOOK_CREATED",
        None,
        serde_json::json!({ "url": url, "events": events }),
    );
    let row = store.create_webhook(&new, actor.user.id, &entry).await?;
    Ok((row, secret))
}

pub async fn update(
    store: &Store,
    actor: &Actor,
    own: &OwnAddresses,
    id: i64,
    req: UpdateWebhookRequest,
) -> Result<WebhookRow, OpError> {
    let current = store
        .get_webhook(actor.user.org_id, id)
        .await?
        .ok_or(OpError::NotFound("Webhook"))?;
    let mut fields = BTreeMap::new();
    let patch = WebhookPatch {
        url: req.url.as_deref().and_then(|u| {
            check_url(u, own)
                .map_err(|e| fields.insert("url".into(), e))
                .ok()
        }),
        events: req.events.as_deref().and_then(|e| {
            check_events(e)
                .map_err(|why| fields.insert("events".into(), why))
                .ok()
        }),
        description: check_description(&mut fields, req.description.as_deref()),
        enabled: req.enabled,
    };
    OpError::unless_valid(fields)?;
    let mut changes = serde_json::Map::new();
    if let Some(u) = patch.url.as_ref().filter(|u| **u != current.url) {
        changes.insert(
            "url".into(),
            serde_json::json!({"old": current.url, "new": u}),
        );
    }
    if let Some(e) = patch.events.as_ref().filter(|e| **e != current.events) {
        changes.insert(
            "events".into(),
            serde_json::json!({"old": current.events, "new": e}),
        );
    }
    if let Some(e) = patch.enabled.filter(|e| *e != current.enabled) {
        changes.insert(
            "enabled".into(),
            serde_json::json!({"old": current.enabled, "new": e}),
        );
    }
    let entry = audit(
        actor,
        "WEBHOOK_UPDATED",
        Some(id),
        serde_json::json!({ "url": current.url, "changes": changes }),
    );
    store
        .update_webhook(actor.user.org_id, id, &patch, &entry)
        .await?
        .ok_or(OpError::NotFound("Webhook"))
}

pub async fn delete(store: &Store, actor: &Actor, id: i64) -> Result<(), OpError> {
    let current = store
        .get_webhook(actor.user.org_id, id)
        .await?
        .ok_or(OpError::NotFound("Webhook"))?;
    let entry = audit(
        actor,
        "WEBHOOK_DELETED",
        Some(id),
        serde_json::json!({ "url": current.url }),
    );
    if store.delete_webhook(actor.user.org_id, id, &entry).await? {
        Ok(())
    } else {
        Err(OpError::NotFound("Webhook"))
    }
}

/// Queues a `webhook.test` delivery to this webhook only (even when disabled it is refused).
pub async fn test(store: &Store, actor: &Actor, id: i64) -> Result<(), OpError> {
    let hook = store
        .get_webhook(actor.user.org_id, id)
        .await?
        .ok_or(OpError::NotFound("Webhook"))?;
    if !hook.enabled {
        return Err(OpError::Conflict(
            "This webhook is disabled: enable it to send a test.".into(),
        ));
    }
    let data = serde_json::json!({
        "message": "A test delivery from Presence Hub.",
        "webhook_id": id,
        "requested_by": actor.user.id,
    });
    store
        .enqueue_direct(actor.user.org_id, TEST_EVENT, &data, Some(id))
        .await?;
    Ok(())
}

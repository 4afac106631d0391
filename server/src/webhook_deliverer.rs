//! The webhook deliverer: POSTs each webhook's deliveries in order, signed, retrying failures
//! with exponential backoff for 24 hours. In a cluster one node delivers (the one that leads
//! background work), and each attempt is claimed in the database first, so two nodes never
//! send the same delivery at once, and a node that dies mid-retry leaves the delivery to the
//! next leader, which sends it once. A receiver that answered but whose answer was lost with
//! a crashed node may see a delivery twice: `X-Presence-Delivery` names it for dropping.
//!
//! Also here: `presence.changed` deliveries, from this node's own presence changes (presence
//! is soft state, not a committed event), for the organizations whose webhooks want them.

use std::net::IpAddr;
use std::time::Duration;

use futures_util::future::join_all;

use crate::app::AppState;
use crate::domain::webhooks::{retry_delay, signature, ATTEMPT_TIMEOUT, GIVE_UP_AFTER_MS};
use crate::store::{now_ms, Attempt, DueDelivery};

/// How often due deliveries are looked for.
const TICK: Duration = Duration::from_millis(250);
/// Deliveries (of different webhooks) sent at once.
const BATCH: i64 = 32;
/// How often the organizations wanting `presence.changed` are read again.
const PRESENCE_ORGS_EVERY: Duration = Duration::from_secs(5);

pub async fn run(state: AppState) {
    let client = match reqwest::Client::builder()
        .timeout(ATTEMPT_TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("PresenceHub-Webhooks/", env!("CARGO_PKG_VERSION")))
        .build()
    {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "webhooks: no HTTP client; deliveries stop");
            return;
        }
    };
    let node: String = match state.events.bus() {
        Some(bus) => bus.membership().node_id().to_string(),
        None => "local".to_string(),
    };
    let base = Duration::from_millis(state.config.webhook_retry_base_ms.max(1));
    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut presence_orgs = tokio::time::interval(PRESENCE_ORGS_EVERY);
    loop {
        tokio::select! {
            _ = state.shutdown.cancelled() => break,
            _ = presence_orgs.tick() => match state.store.orgs_wanting("presence.changed").await {
                Ok(orgs) => state.hub.presence_hooks.want(orgs),
                Err(e) => tracing::debug!(error = %e, "webhooks: reading presence subscribers failed"),
            },
            _ = tick.tick() => {
                enqueue_presence(&state).await;
                if state.leads_background_work() {
                    deliver_due(&state, &client, &node, base).await;
                }
            }
        }
    }
}

/// Presence changes this node saw, as deliveries.
async fn enqueue_presence(state: &AppState) {
    for change in state.hub.presence_hooks.take() {
        let data = serde_json::json!({
            "user_id": change.user_id,
            "name": change.name,
            "status": change.status,
            "at": crate::store::ms_to_time(change.at),
        });
        if let Err(e) = state
            .store
            .enqueue_direct(change.org_id, "presence.changed", &data, None)
            .await
        {
            tracing::warn!(error = %e, "webhooks: a presence change was not queued");
        }
    }
}

async fn deliver_due(state: &AppState, client: &reqwest::Client, node: &str, base: Duration) {
    let now = now_ms();
    let due = match state.store.due_deliveries(now, BATCH).await {
        Ok(due) => due,
        Err(e) => {
            tracing::warn!(error = %e, "webhooks: reading due deliveries failed");
            return;
        }
    };
    join_all(
        due.into_iter()
            .map(|d| deliver_one(state, client, node, base, d)),
    )
    .await;
}

async fn deliver_one(
    state: &AppState,
    client: &reqwest::Client,
    node: &str,
    base: Duration,
    d: DueDelivery,
) {
    let now = now_ms();
    let hold = (ATTEMPT_TIMEOUT * 3).as_millis() as i64;
    match state
        .store
        .claim_delivery(d.id, node, now, now + hold)
        .await
    {
        Ok(true) => {}
        Ok(false) => return,
        Err(e) => return tracing::debug!(error = %e, "webhooks: claim failed"),
    }
    let attempt = attempt(state, client, &d).await;
    let attempt = match attempt {
        Ok(status) => Attempt::Delivered { status },
        Err((status, error)) => {
            let tries = u32::try_from(d.attempts + 1).unwrap_or(u32::MAX);
            let retry_at = now_ms() + retry_delay(tries, base).as_millis() as i64;
            let in_time = retry_at - d.created_at < GIVE_UP_AFTER_MS;
            tracing::info!(
                delivery = d.delivery_id,
                webhook_id = d.webhook_id,
                status,
                error,
                tries,
                "webhook delivery failed"
            );
            Attempt::Failed {
                status,
                error,
                retry_at: in_time.then_some(retry_at),
            }
        }
    };
    match state.store.record_attempt(d.id, node, &attempt).await {
        Ok(Some(published)) => state.events.publish(published),
        Ok(None) => tracing::warn!(
            delivery = d.delivery_id,
            "webhooks: the claim was lost before the attempt was recorded"
        ),
        Err(e) => {
            tracing::warn!(error = %e, delivery = d.delivery_id, "webhooks: recording an attempt failed")
        }
    }
}

/// One POST: the receiver's 2xx status, or its status (if any) and what went wrong.
async fn attempt(
    state: &AppState,
    client: &reqwest::Client,
    d: &DueDelivery,
) -> Result<i64, (Option<i64>, String)> {
    refuse_own_address(state, &d.url)
        .await
        .map_err(|e| (None, e))?;
    let answer = client
        .post(&d.url)
        .header("content-type", "application/json")
        .header("x-presence-event", &d.event)
        .header("x-presence-delivery", &d.delivery_id)
        .header(
            "x-presence-signature",
            signature(&d.secret, d.payload.as_bytes()),
        )
        .body(d.payload.clone())
        .send()
        .await
        .map_err(|e| (None, describe(&e)))?;
    let status = i64::from(answer.status().as_u16());
    if answer.status().is_success() {
        Ok(status)
    } else {
        Err((
            Some(status),
            format!("The receiver answered HTTP {status}."),
        ))
    }
}

fn describe(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        format!("No answer within {} s.", ATTEMPT_TIMEOUT.as_secs())
    } else if e.is_connect() {
        "Could not connect to the receiver.".to_string()
    } else {
        format!("The request failed: {e}")
    }
}

/// A name may point at the hub after the webhook was saved: looked up at every attempt.
async fn refuse_own_address(state: &AppState, raw: &str) -> Result<(), String> {
    let url = url::Url::parse(raw).map_err(|e| format!("Not a URL: {e}"))?;
    let host = url.host_str().unwrap_or_default().to_string();
    let port = url.port_or_known_default().unwrap_or(80);
    let own = state.own_addresses();
    if own.covers(&host, port) {
        return Err("Refused: this is the hub's own address.".to_string());
    }
    let bare = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_string();
    if bare.parse::<IpAddr>().is_err() {
        if let Ok(addrs) = tokio::net::lookup_host((bare.as_str(), port)).await {
            if addrs.into_iter().any(|a| own.covers_ip(a.ip(), port)) {
                return Err("Refused: this name leads to the hub's own address.".to_string());
            }
        }
    }
    Ok(())
}

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

use std::net::SocketAddr;
use std::sync::Arc;

use crate::domain::webhooks::{signature, ATTEMPT_TIMEOUT};
use crate::hub::Hub;
use crate::jobs::JobCtx;
use crate::ops;
use crate::store::{now_ms, DueDelivery};

/// How often due deliveries are looked for.
const TICK: Duration = Duration::from_millis(250);
/// Deliveries (of different webhooks) sent at once.
const BATCH: i64 = 32;
/// How often the organizations wanting `presence.changed` are read again.
const PRESENCE_ORGS_EVERY: Duration = Duration::from_secs(5);

/// What the deliverer works with besides the [`JobCtx`].
struct Deliverer {
    state: JobCtx,
    /// The presence changes this node saw (`presence.changed`).
    hub: Arc<Hub>,
    /// This hub's listener, never a receiver.
    bound: SocketAddr,
}

/// Runs until the hub stops; failed attempts are retried after `base` × 2^tries.
pub async fn run(state: JobCtx, hub: Arc<Hub>, bound: SocketAddr, base: Duration) {
    let me = Deliverer { state, hub, bound };
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
    let node: String = match me.state.events.bus() {
        Some(bus) => bus.membership().node_id().to_string(),
        None => "local".to_string(),
    };
    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut presence_orgs = tokio::time::interval(PRESENCE_ORGS_EVERY);
    loop {
        tokio::select! {
            _ = me.state.shutdown.cancelled() => break,
            _ = presence_orgs.tick() => match me.state.store.orgs_wanting("presence.changed").await {
                Ok(orgs) => me.hub.presence_hooks.want(orgs),
                Err(e) => tracing::debug!(error = %e, "webhooks: reading presence subscribers failed"),
            },
            _ = tick.tick() => {
                enqueue_presence(&me).await;
                if me.state.leads() {
                    deliver_due(&me, &client, &node, base).await;
                }
            }
        }
    }
}

/// Presence changes this node saw, as deliveries.
async fn enqueue_presence(me: &Deliverer) {
    for change in me.hub.presence_hooks.take() {
        let data = serde_json::json!({
            "user_id": change.user_id,
            "name": change.name,
            "status": change.status,
            "at": crate::store::ms_to_time(change.at),
        });
        let queued = ops::deliveries::queue_presence(&me.state.ops(), change.org_id, &data).await;
        if let Err(e) = queued {
            tracing::warn!(error = %e, "webhooks: a presence change was not queued");
        }
    }
}

async fn deliver_due(me: &Deliverer, client: &reqwest::Client, node: &str, base: Duration) {
    let now = now_ms();
    let due = match me.state.store.due_deliveries(now, BATCH).await {
        Ok(due) => due,
        Err(e) => {
            tracing::warn!(error = %e, "webhooks: reading due deliveries failed");
            return;
        }
    };
    join_all(
        due.into_iter()
            .map(|d| deliver_one(me, client, node, base, d)),
    )
    .await;
}

async fn deliver_one(
    me: &Deliverer,
    client: &reqwest::Client,
    node: &str,
    base: Duration,
    d: DueDelivery,
) {
    let ctx = me.state.ops();
    match ops::deliveries::claim(&ctx, &d, node, now_ms()).await {
        Ok(true) => {}
        Ok(false) => return,
        Err(e) => return tracing::debug!(error = %e, "webhooks: claim failed"),
    }
    let outcome = attempt(me, client, &d).await;
    match ops::deliveries::record(&ctx, &d, node, outcome, base).await {
        Ok(true) => {}
        Ok(false) => tracing::warn!(
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
    me: &Deliverer,
    client: &reqwest::Client,
    d: &DueDelivery,
) -> ops::deliveries::Outcome {
    refuse_own_address(me, &d.url)
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
async fn refuse_own_address(me: &Deliverer, raw: &str) -> Result<(), String> {
    let url = url::Url::parse(raw).map_err(|e| format!("Not a URL: {e}"))?;
    let host = url.host_str().unwrap_or_default().to_string();
    let port = url.port_or_known_default().unwrap_or(80);
    let own = super::own_addresses(&me.state.events, me.bound, &me.state.public_url);
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

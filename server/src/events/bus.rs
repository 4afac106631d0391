//! The cluster bus on PostgreSQL. Events are durable before they are announced: an operation
//! appends its event to the outbox in its own transaction, and the commit wakes every node
//! (`NOTIFY hub_events, 'org:seq'`). Each node then reads the events it has not applied yet.
//!
//! Per organization, a node applies events strictly in `seq` order (gapless, commit order):
//! one that arrives early (its own, through the local fast path, before another node's
//! earlier one) waits until the missing ones are read from the table; one that arrives again
//! (its own, once more through the table) is dropped. The listening connection is a direct
//! one; when it drops, the node connects again, listens, and reads everything it missed.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use backon::{BackoffBuilder, ExponentialBuilder};
use sqlx::postgres::{PgConnectOptions, PgListener, PgPoolOptions};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::nodes::{Membership, NODES_CHANNEL};
use super::presence::{PresenceSync, PRESENCE_CHANNEL};
use super::Event;
use crate::hub::Hub;
use crate::store::{now_ms, Store, StoreResult, EVENTS_CHANNEL};

/// How many events one read of the outbox takes.
const READ_BATCH: i64 = 500;
/// `application_name` of the LISTEN connection (visible in `pg_stat_activity`).
/// Device rows another node wrote (`node|org:id,id`), for admins' fleet pages.
pub const DEVICES_CHANNEL: &str = "hub_devices";
const LISTENER_NAME: &str = "presence-hub listener";
/// Every node also compares the organizations' heads with what it applied this often, so a
/// lost wake-up costs at most this long.
const SAFETY_SWEEP: Duration = Duration::from_secs(2);
/// Events are kept this long (a node away for longer reloads its organizations instead).
const RETENTION_MS: i64 = 3600 * 1000;
const PRUNE_EVERY: Duration = Duration::from_secs(60);

/// Where a node stands in one organization's event stream.
#[derive(Debug, Default)]
struct OrgCursor {
    /// The last event applied.
    last: i64,
    /// Events that arrived ahead of a missing one.
    pending: BTreeMap<i64, Event>,
    /// False while the organization is being loaded: events wait.
    ready: bool,
}

pub struct Bus {
    hub: Arc<Hub>,
    store: Store,
    /// A direct connection URL for LISTEN (not through a transaction-mode pooler).
    url: String,
    cursors: Mutex<HashMap<i64, OrgCursor>>,
    /// Organizations whose events must be read from the table.
    wanted: mpsc::UnboundedSender<i64>,
    wanted_rx: Mutex<Option<mpsc::UnboundedReceiver<i64>>>,
    listening: AtomicBool,
    membership: Arc<Membership>,
    presence: PresenceSync,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    match m.lock() {
        Ok(g) => g,
        Err(poisoned) => poisoned.into_inner(),
    }
}

impl Bus {
    pub fn new(hub: Arc<Hub>, store: Store, url: String, membership: Arc<Membership>) -> Arc<Bus> {
        let (wanted, wanted_rx) = mpsc::unbounded_channel();
        let presence = PresenceSync::new(hub.clone(), store.clone(), membership.clone());
        Arc::new(Bus {
            hub,
            store,
            url,
            cursors: Mutex::new(HashMap::new()),
            wanted,
            wanted_rx: Mutex::new(Some(wanted_rx)),
            listening: AtomicBool::new(false),
            membership,
            presence,
        })
    }

    pub fn hub(&self) -> &Arc<Hub> {
        &self.hub
    }

    pub fn membership(&self) -> &Arc<Membership> {
        &self.membership
    }

    /// Whether the listening connection is up (and caught up since it came up).
    pub fn listening(&self) -> bool {
        self.listening.load(Ordering::SeqCst)
    }

    /// An organization about to be loaded: events after `seq` are applied on top of what the
    /// loader reads; they wait until [`Bus::org_ready`].
    pub fn start_org_from(&self, org_id: i64, seq: i64) {
        let mut cursors = lock(&self.cursors);
        let cursor = cursors.entry(org_id).or_default();
        if !cursor.ready {
            cursor.last = cursor.last.max(seq);
        }
    }

    /// The organization is in the hub: waiting events are applied.
    pub fn org_ready(&self, org_id: i64) {
        let mut cursors = lock(&self.cursors);
        if let Some(cursor) = cursors.get_mut(&org_id) {
            cursor.ready = true;
            cursor.pending.retain(|seq, _| *seq > cursor.last);
            self.drain(org_id, cursor);
        }
        // Whatever committed while it loaded and was not heard of yet.
        let _ = self.wanted.send(org_id);
    }

    /// Delivers event `seq` of `org_id`, committed by this node, to the hub once, in order.
    pub fn deliver(&self, org_id: i64, seq: i64, event: Event) {
        self.accept(org_id, seq, event, false);
    }

    /// Takes event `seq` unless it was taken already; whether it was new.
    fn accept(&self, org_id: i64, seq: i64, event: Event, from_table: bool) -> bool {
        let mut cursors = lock(&self.cursors);
        let Some(cursor) = cursors.get_mut(&org_id) else {
            // An organization this node has not loaded: it reads it, current, when one of
            // its users connects here.
            return false;
        };
        if seq <= cursor.last || cursor.pending.contains_key(&seq) {
            self.hub.metrics.events_duplicate.inc();
            return false;
        }
        if from_table {
            self.hub.metrics.events_received.inc();
        }
        cursor.pending.insert(seq, event);
        if cursor.ready {
            self.drain(org_id, cursor);
        }
        if !cursor.pending.is_empty() {
            // Something earlier is missing: read it from the table.
            let _ = self.wanted.send(org_id);
        }
        true
    }

    fn drain(&self, org_id: i64, cursor: &mut OrgCursor) {
        while let Some(event) = cursor.pending.remove(&(cursor.last + 1)) {
            cursor.last += 1;
            self.hub.apply(org_id, &event);
        }
    }

    /// Where this node stands in `org_id`'s events; `None` while the organization is not
    /// loaded (or being loaded).
    fn cursor_of(&self, org_id: i64) -> Option<i64> {
        lock(&self.cursors)
            .get(&org_id)
            .filter(|c| c.ready)
            .map(|c| c.last)
    }

    /// Reads and applies what `org_id` has after this node's position. `missed`: the read
    /// was not asked for by a notification (after a reconnection, or the periodic sweep), so
    /// what it finds counts as caught up.
    async fn catch_up(&self, org_id: i64, missed: bool) -> StoreResult<()> {
        loop {
            let Some(after) = self.cursor_of(org_id) else {
                return Ok(());
            };
            let events = self.store.events_after(org_id, after, READ_BATCH).await?;
            let Some(first) = events.first() else {
                return Ok(());
            };
            if first.seq > after + 1 {
                // Pruned while this node was away: its copy of the organization is reloaded.
                tracing::warn!(
                    org_id,
                    after,
                    first = first.seq,
                    "events pruned while away: reloading the organization"
                );
                self.reload(org_id, first.seq - 1).await?;
                continue;
            }
            let full = events.len() as i64 == READ_BATCH;
            let now = now_ms();
            for stored in events {
                let lag = (now - stored.created_at).max(0) as f64 / 1000.0;
                if self.accept(org_id, stored.seq, stored.event, true) {
                    self.hub.metrics.bus_lag_seconds.observe(lag);
                    if missed {
                        self.hub.metrics.events_caught_up.inc();
                    }
                }
            }
            if !full {
                return Ok(());
            }
        }
    }

    async fn reload(&self, org_id: i64, seq: i64) -> StoreResult<()> {
        let directory = crate::events::directory::read(&self.store, org_id).await?;
        {
            let mut cursors = lock(&self.cursors);
            let cursor = cursors.entry(org_id).or_default();
            cursor.last = seq;
            cursor.pending.retain(|s, _| *s > seq);
        }
        if let Some(directory) = directory {
            self.hub.refresh_org(directory);
        }
        Ok(())
    }

    /// Reads every organization whose head is past this node's position.
    async fn catch_up_all(&self) -> StoreResult<()> {
        for (org_id, head) in self.store.event_heads().await? {
            if self.cursor_of(org_id).is_some_and(|last| head > last) {
                self.catch_up(org_id, true).await?;
            }
        }
        Ok(())
    }

    /// Starts the listener, the reader and the pruner; they end with `stop`.
    pub fn spawn(self: &Arc<Self>, stop: CancellationToken) -> Vec<tokio::task::JoinHandle<()>> {
        self.hub.announcer.enable();
        let mut tasks = vec![
            tokio::spawn(self.clone().listen(stop.clone())),
            tokio::spawn(self.clone().prune(stop.clone())),
            tokio::spawn(self.presence.clone().send_changes(stop.clone())),
        ];
        if let Some(rx) = lock(&self.wanted_rx).take() {
            tasks.push(tokio::spawn(self.clone().read_wanted(rx, stop.clone())));
        }
        tasks.extend(self.membership.clone().spawn(self.clone(), stop));
        tasks
    }

    /// Reads the organizations asked for, each once per burst of requests.
    async fn read_wanted(
        self: Arc<Self>,
        mut rx: mpsc::UnboundedReceiver<i64>,
        stop: CancellationToken,
    ) {
        let mut sweep = tokio::time::interval(SAFETY_SWEEP);
        sweep.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            let mut orgs = HashSet::new();
            tokio::select! {
                _ = stop.cancelled() => return,
                got = rx.recv() => match got {
                    Some(org_id) => { orgs.insert(org_id); }
                    None => return,
                },
                _ = sweep.tick() => {
                    if let Err(e) = self.catch_up_all().await {
                        tracing::debug!(error = %e, "bus: periodic catch-up failed");
                    }
                    continue;
                }
            }
            while let Ok(org_id) = rx.try_recv() {
                orgs.insert(org_id);
            }
            for org_id in orgs {
                if let Err(e) = self.catch_up(org_id, false).await {
                    tracing::warn!(org_id, error = %e, "bus: reading events failed; retrying");
                    tokio::time::sleep(Duration::from_millis(200)).await;
                    let _ = self.wanted.send(org_id);
                }
            }
        }
    }

    /// The LISTEN loop: (re)connect, listen, catch up, then follow the notifications.
    async fn listen(self: Arc<Self>, stop: CancellationToken) {
        let mut backoff = reconnect_delays();
        loop {
            if stop.is_cancelled() {
                return;
            }
            let mut listener = match self.connect_listener().await {
                Ok(l) => l,
                Err(e) => {
                    tracing::warn!(error = %e, "bus: cannot listen; retrying");
                    tokio::select! {
                        _ = stop.cancelled() => return,
                        _ = tokio::time::sleep(backoff.next().unwrap_or(Duration::from_secs(2))) => continue,
                    }
                }
            };
            // Listening before reading: whatever commits from now on wakes this node, and
            // the read below covers everything before.
            if let Err(e) = self.catch_up_all().await {
                tracing::warn!(error = %e, "bus: catching up failed; reconnecting");
                tokio::time::sleep(backoff.next().unwrap_or(Duration::from_secs(2))).await;
                continue;
            }
            backoff = reconnect_delays();
            self.listening.store(true, Ordering::SeqCst);
            self.presence.resync().await;
            tracing::info!("bus: listening");
            loop {
                tokio::select! {
                    _ = stop.cancelled() => return,
                    got = listener.try_recv() => match got {
                        Ok(Some(n)) => self.dispatch(n.channel(), n.payload()).await,
                        Ok(None) => {
                            tracing::warn!("bus: the listening connection dropped; reconnecting");
                            break;
                        }
                        Err(e) => {
                            tracing::warn!(error = %e, "bus: listening failed; reconnecting");
                            break;
                        }
                    }
                }
            }
            self.listening.store(false, Ordering::SeqCst);
            self.hub.metrics.bus_reconnects.inc();
        }
    }

    async fn connect_listener(&self) -> Result<PgListener, sqlx::Error> {
        // A pool of one direct connection, named so that an operator (and the LISTEN test)
        // can tell it apart in pg_stat_activity; PgListener reconnects through it.
        let options: PgConnectOptions = self.url.parse()?;
        let pool = PgPoolOptions::new()
            .max_connections(1)
            .max_lifetime(None)
            .idle_timeout(None)
            .acquire_timeout(Duration::from_secs(3))
            .connect_with(options.application_name(LISTENER_NAME))
            .await?;
        let mut listener = PgListener::connect_with(&pool).await?;
        listener.ignore_pool_close_event(true);
        listener
            .listen_all([
                EVENTS_CHANNEL,
                PRESENCE_CHANNEL,
                NODES_CHANNEL,
                DEVICES_CHANNEL,
            ])
            .await?;
        Ok(listener)
    }

    async fn dispatch(&self, channel: &str, payload: &str) {
        match channel {
            EVENTS_CHANNEL => {
                let parsed = payload
                    .split_once(':')
                    .and_then(|(o, s)| Some((o.parse::<i64>().ok()?, s.parse::<i64>().ok()?)));
                match parsed {
                    Some((org_id, seq))
                        if self.cursor_of(org_id).is_some_and(|last| seq > last) =>
                    {
                        let _ = self.wanted.send(org_id);
                    }
                    Some(_) => {}
                    None => tracing::warn!(payload, "bus: unreadable event notification"),
                }
            }
            PRESENCE_CHANNEL => self.presence.received(payload).await,
            NODES_CHANNEL => self.membership.notified(payload, &self.hub),
            DEVICES_CHANNEL => self.devices_written(payload).await,
            _ => {}
        }
    }

    /// Tells another node's tabs that devices it holds were written (see
    /// [`Bus::devices_notifier`]): this node reads and pushes them to its own tabs.
    async fn devices_written(&self, payload: &str) {
        let Some((node, rest)) = payload.split_once('|') else {
            return;
        };
        if node == &**self.membership.node_id() {
            return;
        }
        let Some((org, ids)) = rest.split_once(':') else {
            return;
        };
        let Ok(org_id) = org.parse::<i64>() else {
            return;
        };
        if !self.hub.watches_fleet(org_id) {
            return;
        }
        let ids: Vec<i64> = ids.split(',').filter_map(|i| i.parse().ok()).collect();
        match self.store.list_devices(org_id, Some(&ids)).await {
            Ok(devices) => self.hub.push_devices(org_id, devices),
            Err(e) => tracing::debug!(error = %e, "bus: reading written devices failed"),
        }
    }

    /// What the device writer calls after a flush: `NOTIFY hub_devices` so that the other
    /// nodes push the written devices to their admins' tabs (chunked below the payload limit).
    pub fn devices_notifier(self: &Arc<Self>) -> crate::write_behind::devices::DevicesWritten {
        let bus = self.clone();
        Box::new(move |org_id, ids| {
            let bus = bus.clone();
            tokio::spawn(async move {
                let node = bus.membership.node_id().clone();
                for chunk in ids.chunks(400) {
                    let list = chunk
                        .iter()
                        .map(|i| i.to_string())
                        .collect::<Vec<_>>()
                        .join(",");
                    let payload = format!("{node}|{org_id}:{list}");
                    if let Err(e) = bus.store.notify(DEVICES_CHANNEL, &payload).await {
                        tracing::debug!(error = %e, "bus: device notification failed");
                    }
                }
            });
        })
    }

    /// Applies whatever `org_id` committed that this node has not applied yet (one indexed
    /// read when it is up to date). Best effort: without the database the hub serves what
    /// it has.
    pub async fn sync(&self, org_id: i64) {
        if let Err(e) = self.catch_up(org_id, false).await {
            tracing::debug!(org_id, error = %e, "bus: sync before serving failed");
        }
    }

    /// Announces this node's full presence and asks the others for theirs (after a
    /// (re)connection or a rejoin).
    pub async fn resync_presence(&self) {
        self.presence.resync().await;
    }

    async fn prune(self: Arc<Self>, stop: CancellationToken) {
        let mut tick = tokio::time::interval(PRUNE_EVERY);
        loop {
            tokio::select! {
                _ = stop.cancelled() => return,
                _ = tick.tick() => {
                    match self.store.prune_events(now_ms() - RETENTION_MS).await {
                        Ok(0) => {}
                        Ok(n) => tracing::debug!(deleted = n, "bus: old events pruned"),
                        Err(e) => tracing::debug!(error = %e, "bus: pruning failed"),
                    }
                }
            }
        }
    }
}

/// Reconnection delays: from 100 ms, doubling, at most 2 s, with jitter (so that the nodes
/// of a cluster do not knock on a restarting database in step).
fn reconnect_delays() -> impl Iterator<Item = Duration> {
    ExponentialBuilder::new()
        .with_min_delay(Duration::from_millis(100))
        .with_max_delay(Duration::from_secs(2))
        .with_jitter()
        .without_max_times()
        .build()
}

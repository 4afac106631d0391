//! One organization in memory: its policy, its members and their presence, its sockets.

use dashmap::DashMap;
use std::sync::atomic::{AtomicI64, AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};

use super::close::CloseCause;
use super::peer::{Peer, PeerKind};
use super::HubSettings;
use crate::domain::presence::{merge, NodeView, PresenceRules, UserPresence};
use crate::events::MemberInfo;
use crate::time::ms_to_time;
use shared::protocol::SessionInfo;
use shared::{ContextKind, CustomStatus, Policy, PresenceContext, PresenceEntry, Role};

/// A user as the hub keeps them.
#[derive(Debug, Clone)]
pub struct Member {
    pub name: String,
    pub role: Role,
    pub active: bool,
    /// This node's view, from the sockets held here.
    pub presence: UserPresence,
    /// The other nodes' views (cluster mode), by node id.
    pub remote: Vec<(Arc<str>, NodeView)>,
    /// The last activity the dashboards were last told about.
    pub pushed_activity_ms: Option<i64>,
    /// Boxed: a session row is ~250 bytes, kept inline in every member of every loaded
    /// organization (DashMap buckets, at their load factor) though most users run none.
    pub active_session: Option<Box<SessionInfo>>,
    /// The running session and the time (ms) of its last agent heartbeat: app time is
    /// attributed per interval between heartbeats.
    pub last_beat: Option<(i64, i64)>,
    /// A break or custom status the user set (boxed: few users have one).
    pub custom: Option<Box<CustomStatus>>,
    /// The game server the poller sees them on (boxed likewise).
    pub game: Option<Box<GameContext>>,
}

/// Where the A2S poller sees a user: the server and since when.
#[derive(Debug, Clone, PartialEq)]
pub struct GameContext {
    pub server_id: i64,
    pub server_name: String,
    pub since: chrono::DateTime<chrono::Utc>,
}

impl Member {
    /// What the dashboards show next to the dot: a break or custom status first (the user
    /// said so), then the game server, then the running session's ticket.
    pub fn context(&self) -> Option<PresenceContext> {
        if let Some(status) = &self.custom {
            return Some(status.context());
        }
        if let Some(game) = &self.game {
            return Some(PresenceContext {
                kind: ContextKind::Game,
                label: game.server_name.clone(),
                since: game.since,
                emoji: None,
                until: None,
            });
        }
        let session = self.active_session.as_ref()?;
        let ticket = session.ticket_id?;
        let label = match &session.ticket_title {
            Some(title) => format!("#{ticket} {title}"),
            None => format!("#{ticket}"),
        };
        Some(PresenceContext {
            kind: ContextKind::Ticket,
            label,
            since: session.started_at,
            emoji: None,
            until: None,
        })
    }
}

impl Member {
    /// This node's own view of the user.
    pub fn local_view(&self) -> NodeView {
        NodeView {
            status: self.presence.status(),
            last_activity_ms: self.presence.last_activity_ms(),
        }
    }

    /// The user's presence across every node.
    pub fn view(&self) -> NodeView {
        merge(std::iter::once(self.local_view()).chain(self.remote.iter().map(|(_, v)| *v)))
    }
}

/// The policy switches behind the optional heartbeat fields. What an agent sends while its
/// switch is off (an agent with an old config) is not recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrackingSwitches {
    pub keyboard: bool,
    pub mouse: bool,
    pub website: bool,
}

impl TrackingSwitches {
    pub fn of(config: &Policy) -> Self {
        TrackingSwitches {
            keyboard: config.enable_keyboard_tracking,
            mouse: config.enable_mouse_tracking,
            website: config.website_tracking_enabled,
        }
    }

    fn bits(self) -> u8 {
        u8::from(self.keyboard) | u8::from(self.mouse) << 1 | u8::from(self.website) << 2
    }

    fn from_bits(bits: u8) -> Self {
        TrackingSwitches {
            keyboard: bits & 1 != 0,
            mouse: bits & 2 != 0,
            website: bits & 4 != 0,
        }
    }
}

#[derive(Debug, Clone)]
pub struct PolicyState {
    pub version: i64,
    pub config: Policy,
    pub updated_at: i64,
}

pub struct OrgHub {
    pub org_id: i64,
    /// Shown in every page's header; renamed through `PATCH /api/org`.
    name: RwLock<String>,
    policy: RwLock<PolicyState>,
    /// Copy of the policy's idle threshold (ms), read on every heartbeat without a lock.
    idle_threshold_ms: AtomicI64,
    /// Copy of the policy's tracking switches ([`TrackingSwitches`] bits), read likewise.
    tracking: AtomicU8,
    pub(super) members: DashMap<i64, Member>,
    pub(super) tabs: DashMap<u64, Peer>,
    pub(super) agents: DashMap<u64, Peer>,
    /// The agent sockets of each user: a push about one person (their session ended) goes to
    /// theirs without walking every agent of the organization, which at 15,000 sockets took
    /// longer than the rest of an admin's force-end together (`bench --peer`, issue 28).
    pub(super) agents_of: DashMap<i64, Vec<u64>>,
    /// Agent device tokens with a socket here: (user, sockets open).
    pub(super) device_sockets: DashMap<i64, (i64, u32)>,
    next_conn: AtomicU64,
    /// Held while an outgoing message is built and queued, so every socket of the
    /// organization sees events in one order and a snapshot never overtakes a diff.
    publish: Mutex<()>,
    offline_grace_ms: i64,
    idle_override_ms: Option<i64>,
}

impl OrgHub {
    pub(super) fn new(
        org_id: i64,
        name: &str,
        policy: PolicyState,
        settings: &HubSettings,
    ) -> Self {
        OrgHub {
            org_id,
            name: RwLock::new(name.to_string()),
            idle_threshold_ms: AtomicI64::new(policy.config.idle_threshold_seconds as i64 * 1000),
            tracking: AtomicU8::new(TrackingSwitches::of(&policy.config).bits()),
            policy: RwLock::new(policy),
            members: DashMap::new(),
            tabs: DashMap::new(),
            agents: DashMap::new(),
            agents_of: DashMap::new(),
            device_sockets: DashMap::new(),
            next_conn: AtomicU64::new(1),
            publish: Mutex::new(()),
            offline_grace_ms: settings.offline_grace_ms,
            idle_override_ms: settings.idle_threshold_override_ms,
        }
    }

    pub fn name(&self) -> String {
        match self.name.read() {
            Ok(n) => n.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    pub fn rename(&self, name: &str) {
        match self.name.write() {
            Ok(mut n) => *n = name.to_string(),
            Err(poisoned) => *poisoned.into_inner() = name.to_string(),
        }
    }

    pub fn policy(&self) -> PolicyState {
        match self.policy.read() {
            Ok(p) => p.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Installs a saved policy; false (nothing changes) when a newer version is already in
    /// place: two saves commit in order, but their hand-over here may arrive the other way
    /// round, and the older one must not overwrite the newer.
    pub fn set_policy(&self, next: PolicyState) -> bool {
        let mut current = match self.policy.write() {
            Ok(p) => p,
            Err(poisoned) => poisoned.into_inner(),
        };
        if next.version < current.version {
            return false;
        }
        self.idle_threshold_ms.store(
            next.config.idle_threshold_seconds as i64 * 1000,
            Ordering::Relaxed,
        );
        self.tracking
            .store(TrackingSwitches::of(&next.config).bits(), Ordering::Relaxed);
        *current = next;
        true
    }

    pub fn rules(&self) -> PresenceRules {
        let idle = self
            .idle_override_ms
            .unwrap_or_else(|| self.idle_threshold_ms.load(Ordering::Relaxed));
        PresenceRules {
            idle_threshold_ms: idle,
            offline_grace_ms: self.offline_grace_ms,
        }
    }

    /// What the policy lets the hub record from heartbeats.
    pub fn tracking(&self) -> TrackingSwitches {
        TrackingSwitches::from_bits(self.tracking.load(Ordering::Relaxed))
    }

    pub(super) fn lock_publish(&self) -> MutexGuard<'_, ()> {
        match self.publish.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    pub(super) fn next_conn_id(&self) -> u64 {
        self.next_conn.fetch_add(1, Ordering::Relaxed)
    }

    pub fn has_member(&self, user_id: i64) -> bool {
        self.members.contains_key(&user_id)
    }

    pub fn member(&self, user_id: i64) -> Option<Member> {
        self.members.get(&user_id).map(|m| m.clone())
    }

    pub(super) fn upsert_member(&self, user: &MemberInfo) {
        self.members
            .entry(user.user_id)
            .and_modify(|m| {
                m.name = user.name.clone();
                m.role = user.role;
                m.active = user.active;
            })
            .or_insert_with(|| Member {
                name: user.name.clone(),
                role: user.role,
                active: user.active,
                presence: UserPresence::restored(user.last_activity_at),
                remote: Vec::new(),
                pushed_activity_ms: user.last_activity_at,
                active_session: None,
                last_beat: None,
                custom: None,
                game: None,
            });
    }

    /// Follows who is on a game server from a poll's update; the users whose context changed.
    pub(super) fn follow_game_server(
        &self,
        update: &shared::game_servers::GameServerUpdate,
    ) -> Vec<i64> {
        let server_id = update.server.id;
        let mut changed = Vec::new();
        for closed in &update.closed {
            if let Some(mut m) = self.members.get_mut(&closed.user_id) {
                if m.game.as_ref().is_some_and(|g| g.server_id == server_id) {
                    m.game = None;
                    changed.push(closed.user_id);
                }
            }
        }
        if update.deleted {
            for mut m in self.members.iter_mut() {
                if m.game.as_ref().is_some_and(|g| g.server_id == server_id) {
                    m.game = None;
                    changed.push(*m.key());
                }
            }
        }
        for opened in &update.opened {
            if let Some(mut m) = self.members.get_mut(&opened.user_id) {
                m.game = Some(Box::new(GameContext {
                    server_id,
                    server_name: update.server.name.clone(),
                    since: opened.join_time,
                }));
                changed.push(opened.user_id);
            }
        }
        changed.sort_unstable();
        changed.dedup();
        changed
    }

    /// Every member's status and game server as the database has them (directory loads).
    pub(super) fn install_contexts(
        &self,
        statuses: Vec<(i64, CustomStatus)>,
        on_servers: Vec<(i64, GameContext)>,
    ) {
        for mut m in self.members.iter_mut() {
            let user_id = *m.key();
            m.custom = statuses
                .iter()
                .find(|(u, _)| *u == user_id)
                .map(|(_, s)| Box::new(s.clone()));
            m.game = on_servers
                .iter()
                .find(|(u, _)| *u == user_id)
                .map(|(_, g)| Box::new(g.clone()));
        }
    }

    pub(super) fn entry_of(user_id: i64, m: &Member) -> PresenceEntry {
        let view = m.view();
        PresenceEntry {
            user_id,
            name: m.name.clone(),
            role: m.role,
            status: view.status,
            last_activity_at: view.last_activity_ms.map(ms_to_time),
            active_session: m.active_session.as_deref().cloned(),
            context: m.context(),
            dnd: m.custom.as_ref().is_some_and(|c| c.dnd),
        }
    }

    /// The status table as `viewer` may see it: the whole organization for supervisors and up,
    /// only themselves for members. Sorted by name, then id.
    pub fn snapshot_for(&self, viewer_id: i64, sees_org: bool) -> Vec<PresenceEntry> {
        let mut users: Vec<PresenceEntry> = if sees_org {
            self.members
                .iter()
                .filter(|m| m.active)
                .map(|m| Self::entry_of(*m.key(), m.value()))
                .collect()
        } else {
            self.members
                .get(&viewer_id)
                .map(|m| vec![Self::entry_of(viewer_id, &m)])
                .unwrap_or_default()
        };
        users.sort_by(|a, b| a.name.cmp(&b.name).then(a.user_id.cmp(&b.user_id)));
        users
    }

    /// Adds a socket (under the publish lock, so that a push sees it in both maps or in none).
    pub(super) fn add_peer(&self, kind: PeerKind, conn_id: u64, peer: Peer) {
        match kind {
            PeerKind::Agent => {
                self.agents_of
                    .entry(peer.user_id)
                    .or_default()
                    .push(conn_id);
                self.agents.insert(conn_id, peer);
            }
            PeerKind::Tab => {
                self.tabs.insert(conn_id, peer);
            }
        }
    }

    /// Removes a socket; `None` when it was not (or no longer) registered.
    pub(super) fn remove_peer(&self, kind: PeerKind, conn_id: u64) -> Option<Peer> {
        match kind {
            PeerKind::Agent => {
                let (_, peer) = self.agents.remove(&conn_id)?;
                self.agents_of.remove_if_mut(&peer.user_id, |_, ids| {
                    ids.retain(|id| *id != conn_id);
                    ids.is_empty()
                });
                Some(peer)
            }
            PeerKind::Tab => self.tabs.remove(&conn_id).map(|(_, peer)| peer),
        }
    }

    /// Runs `each` on the agent sockets of `user_id`.
    pub(super) fn for_agents_of(&self, user_id: i64, mut each: impl FnMut(&Peer)) {
        if let Some(ids) = self.agents_of.get(&user_id) {
            for id in ids.iter() {
                if let Some(peer) = self.agents.get(id) {
                    each(&peer);
                }
            }
        }
    }

    pub fn agent_count(&self) -> usize {
        self.agents.len()
    }

    pub fn tab_count(&self) -> usize {
        self.tabs.len()
    }

    fn close_where(&self, cause: CloseCause, pred: impl Fn(&Peer) -> bool) {
        for map in [&self.agents, &self.tabs] {
            for p in map.iter() {
                if pred(p.value()) {
                    p.control.close(cause);
                }
            }
        }
    }

    pub fn close_user_connections(&self, user_id: i64, cause: CloseCause) {
        self.close_where(cause, |p| p.user_id == user_id);
    }

    pub fn close_token_connections(&self, token_id: i64, cause: CloseCause) {
        self.close_where(cause, |p| p.token_id == token_id);
    }

    pub fn close_all(&self, cause: CloseCause) {
        self.close_where(cause, |_| true);
    }
}

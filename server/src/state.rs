//! What every request, socket and page of a running hub works with: the shared state and the
//! few questions answered from it (who a token belongs to, which organization a user is in on
//! this node, the operations' and jobs' contexts).

use std::net::SocketAddr;
use std::ops::Deref;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::config::Config;
use crate::domain::auth::token_hash;
use crate::downloads::Downloads;
use crate::error::ApiError;
use crate::events::Events;
use crate::hub::{Hub, OrgHub};
use crate::ops::accounts::LoginLimiter;
use crate::store::{now_ms, Store, StoreError, TokenOwner, UserRow};
use crate::write_behind::Writers;

pub struct AppInner {
    pub config: Config,
    pub store: Store,
    pub hub: Arc<Hub>,
    /// What the hub noted, on its way to the database (coalesced).
    pub writers: Arc<Writers>,
    /// Where operations publish their events (the hub, through the cluster bus on PostgreSQL).
    pub events: Events,
    pub login_limiter: LoginLimiter,
    /// New device sign-in codes per address, and code guesses per user.
    pub device_limiter: crate::ops::device_flow::DeviceFlowLimiter,
    pub leptos: leptos::config::LeptosOptions,
    /// Cancelled when the hub stops: sockets close with 1012, background tasks end.
    pub shutdown: CancellationToken,
    /// Every socket task, so shutdown can wait for them to finish.
    pub tasks: TaskTracker,
    pub epoch: i64,
    /// Where people reach the hub, for the links it hands out (`--public-url`).
    pub public_url: String,
    /// The first-run link, while the database holds no organization.
    pub setup_link: Option<String>,
    /// The address the hub's listener is bound to.
    pub bound: SocketAddr,
    /// The desktop agents offered on `/downloads` (`--downloads-dir`) and their hashes.
    pub downloads: Downloads,
    /// Tokens whose last use is being written (one write at a time per token).
    pub touches: crate::ops::tokens::TouchesInFlight,
}

#[derive(Clone)]
pub struct AppState(Arc<AppInner>);

impl Deref for AppState {
    type Target = AppInner;
    fn deref(&self) -> &AppInner {
        &self.0
    }
}

impl AppState {
    pub fn new(inner: AppInner) -> Self {
        AppState(Arc::new(inner))
    }

    /// The user behind a bearer token or cookie value, if the token is live.
    pub async fn authenticate(&self, token: &str) -> Result<Option<TokenOwner>, StoreError> {
        self.store.token_owner(&token_hash(token)).await
    }

    /// The user behind a socket's token, noting (at most once a minute) that it was used from
    /// `ip`: the devices list shows when and from where.
    pub async fn authenticate_from(
        &self,
        token: &str,
        ip: std::net::IpAddr,
    ) -> Result<Option<TokenOwner>, StoreError> {
        let owner = self.authenticate(token).await?;
        self.note_use(owner, ip)
    }

    /// The same for an API request (its token read on the direct SQLite connection, see
    /// `Store::token_owner_of_request`).
    pub async fn authenticate_request_from(
        &self,
        token: &str,
        ip: std::net::IpAddr,
    ) -> Result<Option<TokenOwner>, StoreError> {
        let owner = self
            .store
            .token_owner_of_request(&token_hash(token))
            .await?;
        self.note_use(owner, ip)
    }

    fn note_use(
        &self,
        owner: Option<TokenOwner>,
        ip: std::net::IpAddr,
    ) -> Result<Option<TokenOwner>, StoreError> {
        // The owner is copied for the write only: most uses need none (one a minute per token).
        let stale = owner
            .as_ref()
            .filter(|o| crate::ops::tokens::needs_touch(o, now_ms()));
        if let Some((stale, in_flight)) =
            stale.and_then(|o| self.touches.begin(o.token_id).map(|t| (o, t)))
        {
            let owner = stale.clone();
            let (store, public_url) = (self.store.clone(), self.public_url.clone());
            // Off the request's path: the answer does not wait for this write.
            tokio::spawn(async move {
                let _in_flight = in_flight;
                let ctx = crate::ops::Ctx {
                    store: &store,
                    events: None,
                    public_url: &public_url,
                };
                if let Err(e) = crate::ops::tokens::touch(&ctx, &owner, &ip.to_string()).await {
                    tracing::debug!(error = %e, "token use not recorded");
                }
            });
        }
        Ok(owner)
    }

    /// Where this hub (and in a cluster every node) answers: webhooks never deliver there.
    pub fn own_addresses(&self) -> crate::domain::webhooks::OwnAddresses {
        crate::jobs::own_addresses(&self.events, self.bound, &self.public_url)
    }

    /// What the background jobs work with.
    pub fn jobs(&self) -> crate::jobs::JobCtx {
        crate::jobs::JobCtx {
            store: self.store.clone(),
            events: self.events.clone(),
            public_url: self.public_url.clone(),
            shutdown: self.shutdown.clone(),
        }
    }

    /// What the operations of `crate::ops` work with, in this process.
    pub fn ops(&self) -> crate::ops::Ctx<'_> {
        crate::ops::Ctx {
            store: &self.store,
            events: Some(&self.events),
            public_url: &self.public_url,
        }
    }

    /// The hub's copy of `user`'s organization, loaded from the store if it has none yet.
    /// The user's organization as this node holds it. In a cluster, first brought up to
    /// every event committed so far, so that a `hello`, a snapshot or a page shows what another
    /// node acknowledged before this request (the bus alone lags by a few milliseconds).
    pub async fn org_for(&self, user: &UserRow) -> Result<Arc<OrgHub>, StoreError> {
        let bus = self.events.bus();
        let org =
            crate::events::directory::org_for(&self.store, &self.hub, bus.map(|b| &**b), user)
                .await?;
        if let Some(bus) = bus {
            bus.sync(org.org_id).await;
        }
        Ok(org)
    }

    pub fn refuse_when_stopping(&self) -> Result<(), ApiError> {
        if self.shutdown.is_cancelled() {
            Err(ApiError::Unavailable)
        } else {
            Ok(())
        }
    }
}

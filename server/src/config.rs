//! Start-up settings of the hub: command-line flags, each also from an environment variable.

use clap::Parser;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

pub const DEFAULT_SQLITE_PATH: &str = "./data/presence-hub.db";

#[derive(Debug, Clone, Parser)]
#[command(
    name = "presence-hub",
    version,
    about = "Presence Hub: real-time presence and time tracking"
)]
pub struct Config {
    /// Address to listen on.
    #[arg(long, env = "HUB_LISTEN", default_value = "127.0.0.1:3000")]
    pub listen: SocketAddr,

    /// `sqlite://path` (default: a file under ./data/) or `postgres://...`.
    #[arg(long, env = "DATABASE_URL")]
    pub database_url: Option<String>,

    /// Create the demo company if it does not exist.
    #[arg(long, env = "HUB_DEMO", value_parser = parse_flag, num_args = 0..=1, default_missing_value = "1", default_value = "0")]
    pub demo: bool,

    /// With `--demo`: how many of the demo's people a simulated agent acts out
    /// (`presence-agent swarm --demo`, started beside the hub when its binary is there).
    #[arg(long, env = "HUB_DEMO_AGENTS", default_value_t = 3, value_parser = clap::value_parser!(u32).range(0..=4))]
    pub demo_agents: u32,

    /// Seconds between A2S polls of the game servers.
    #[arg(long, env = "HUB_A2S_POLL_SECONDS", default_value_t = 60)]
    pub a2s_poll_seconds: u64,

    /// Poll interval in ms, overriding `--a2s-poll-seconds` when not 0 (tests and demos).
    #[arg(long, env = "HUB_A2S_POLL_MS", default_value_t = 0, hide = true)]
    pub a2s_poll_ms: u64,

    /// How long one A2S query (with its challenge round trip) may take before the server
    /// counts as not answering this poll (ms); capped at the poll interval.
    #[arg(long, env = "HUB_A2S_TIMEOUT_MS", default_value_t = 3_000)]
    pub a2s_timeout_ms: u64,

    /// How long a user without any connection keeps their status before turning offline (ms).
    #[arg(long, env = "HUB_OFFLINE_GRACE_MS", default_value_t = 10_000)]
    pub offline_grace_ms: u64,

    /// Override of the policy's idle threshold, in ms (tests and demos; 0 = use the policy).
    #[arg(long, env = "HUB_IDLE_THRESHOLD_MS_OVERRIDE", default_value_t = 0)]
    pub idle_threshold_ms_override: u64,

    /// How often presence is written through to the database (ms): the coalescing window.
    #[arg(long, env = "HUB_PRESENCE_FLUSH_MS", default_value_t = 5_000)]
    pub presence_flush_ms: u64,

    /// How often session activity (input counts, app time) is written to the database (ms).
    #[arg(long, env = "HUB_ACTIVITY_FLUSH_MS", default_value_t = 10_000)]
    pub activity_flush_ms: u64,

    /// Seconds between WebSocket pings.
    #[arg(long, env = "HUB_WS_PING_SECONDS", default_value_t = 20)]
    pub ws_ping_seconds: u64,

    /// A socket that sends nothing (not even a pong) for this long is closed.
    #[arg(long, env = "HUB_WS_IDLE_TIMEOUT_SECONDS", default_value_t = 60)]
    pub ws_idle_timeout_seconds: u64,

    /// Messages a second one socket may send (sustained); twice this as a burst.
    #[arg(long, env = "HUB_WS_MESSAGES_PER_SECOND", default_value_t = 20)]
    pub ws_messages_per_second: u32,

    /// Open sockets one user may hold on this hub (agents and tabs together); the next one is
    /// closed with 1008 "too many connections".
    #[arg(long, env = "HUB_MAX_SOCKETS_PER_USER", default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_sockets_per_user: u32,

    /// Login attempts a minute, per client address and per e-mail address.
    #[arg(long, env = "HUB_LOGIN_ATTEMPTS_PER_MINUTE", default_value_t = 10)]
    pub login_attempts_per_minute: u32,

    /// Trust `X-Forwarded-For` for the client address (only behind your own proxy).
    #[arg(long, env = "HUB_TRUST_PROXY", value_parser = parse_flag, num_args = 0..=1, default_missing_value = "1", default_value = "0")]
    pub trust_proxy: bool,

    /// The address people open (`https://hub.example.com`), for the setup, invite and reset
    /// links the hub hands out. Default: `http://` and the listen address.
    #[arg(long, env = "HUB_PUBLIC_URL")]
    pub public_url: Option<String>,

    /// Folder for files the hub keeps beside the database (screenshots).
    #[arg(long, env = "HUB_DATA_DIR", default_value = "./data")]
    pub data_dir: PathBuf,

    /// Folder of the desktop agents users download from `/downloads` (its plain files, with
    /// their SHA-256). Unset: the page says that none are offered.
    #[arg(long, env = "HUB_DOWNLOADS_DIR")]
    pub downloads_dir: Option<PathBuf>,

    /// This hub's name in a cluster (PostgreSQL). Default: the host name and the listen port.
    #[arg(long, env = "HUB_NODE_ID")]
    pub node_id: Option<String>,

    /// Cluster mode: how often this node renews its lease (ms).
    #[arg(long, env = "HUB_NODE_HEARTBEAT_MS", default_value_t = 2_000)]
    pub node_heartbeat_ms: u64,

    /// The wait before a failed webhook delivery's first retry (ms); it doubles at every
    /// failure, up to an hour, for 24 hours.
    #[arg(
        long,
        env = "HUB_WEBHOOK_RETRY_BASE_MS",
        default_value_t = 10_000,
        hide = true
    )]
    pub webhook_retry_base_ms: u64,

    /// Cluster mode: a node silent this long (ms) is declared dead by the others.
    #[arg(long, env = "HUB_NODE_LEASE_MS", default_value_t = 9_000)]
    pub node_lease_ms: u64,

    /// How often the retention job deletes what the policy no longer keeps (ms).
    #[arg(
        long,
        env = "HUB_RETENTION_EVERY_MS",
        default_value_t = 3_600_000,
        hide = true
    )]
    pub retention_every_ms: u64,

    /// Moves the retention job's clock forward (ms): tests show what a pass deletes days
    /// later without waiting for them.
    #[arg(
        long,
        env = "HUB_RETENTION_CLOCK_OFFSET_MS",
        default_value_t = 0,
        hide = true
    )]
    pub retention_clock_offset_ms: i64,
}

/// The base of the links the hub hands out: the flag, or the listen address.
pub fn public_url(flag: Option<&str>, listen: SocketAddr) -> String {
    match flag.map(str::trim).filter(|u| !u.is_empty()) {
        Some(url) => url.trim_end_matches('/').to_string(),
        None => {
            let mut addr = listen;
            if addr.ip().is_unspecified() {
                addr.set_ip(std::net::IpAddr::from([127, 0, 0, 1]));
            }
            format!("http://{addr}")
        }
    }
}

fn parse_flag(s: &str) -> Result<bool, String> {
    match s.to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" | "" => Ok(false),
        other => Err(format!("expected 1/0 or true/false, got {other:?}")),
    }
}

impl Config {
    /// `--node-id`, or `host:port` of the address the hub listens on.
    pub fn node_id_for(&self, bound: SocketAddr) -> String {
        match self
            .node_id
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty())
        {
            Some(id) => id.to_string(),
            None => {
                let host = std::fs::read_to_string("/etc/hostname")
                    .ok()
                    .map(|h| h.trim().to_string())
                    .filter(|h| !h.is_empty())
                    .unwrap_or_else(|| "hub".into());
                format!("{host}:{}", bound.port())
            }
        }
    }

    /// The database URL in force: the flag, or the embedded SQLite default.
    pub fn database_url(&self) -> String {
        match &self.database_url {
            Some(url) if !url.is_empty() => url.clone(),
            _ => format!("sqlite://{DEFAULT_SQLITE_PATH}"),
        }
    }

    /// `--public-url`, or `http://` and the address the hub listens on (an unspecified
    /// address such as 0.0.0.0 reads as loopback).
    pub fn public_url_for(&self, bound: SocketAddr) -> String {
        public_url(self.public_url.as_deref(), bound)
    }

    /// The time between two polls of every enabled game server.
    pub fn a2s_poll_interval(&self) -> Duration {
        if self.a2s_poll_ms > 0 {
            Duration::from_millis(self.a2s_poll_ms)
        } else {
            Duration::from_secs(self.a2s_poll_seconds.max(1))
        }
    }

    /// The per-query timeout: the flag, but never longer than the poll interval.
    pub fn a2s_timeout(&self) -> Duration {
        Duration::from_millis(self.a2s_timeout_ms.max(1)).min(self.a2s_poll_interval())
    }

    pub fn offline_grace(&self) -> Duration {
        Duration::from_millis(self.offline_grace_ms)
    }

    /// A configuration for tests: port 0 on loopback, the given database, short timings.
    pub fn for_tests(database_url: String, data_dir: PathBuf) -> Self {
        let mut config = Config::parse_from(["presence-hub"]);
        config.listen = SocketAddr::from(([127, 0, 0, 1], 0));
        config.database_url = Some(database_url);
        config.data_dir = data_dir;
        config.downloads_dir = None;
        config.offline_grace_ms = 300;
        config.presence_flush_ms = 100;
        config.activity_flush_ms = 100;
        config.login_attempts_per_minute = 1000;
        config.webhook_retry_base_ms = 200;
        config.demo_agents = 0;
        config
    }
}

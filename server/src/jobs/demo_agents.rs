//! The demo alive (`--demo`): a few of the demo's people acted out by simulated desktop
//! agents, so that dots, timers, contexts and the fleet move when a newcomer opens the page.
//! They are `presence-agent swarm --demo` — the swarm's real protocol code, as a child
//! process of the hub, with device tokens of their own — started when the agent binary is
//! next to the hub's (or named by `PRESENCE_AGENT_BIN`), and stopped with the hub.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use std::net::SocketAddr;
use tokio_util::task::TaskTracker;

use crate::config::Config;
use crate::demo::DEMO_USERS;
use crate::domain::auth::token_hash;
use crate::jobs::JobCtx;
use crate::ops::{self, Ctx, OpError};
use shared::people::TokenKind;

/// The people acted out, in order: Alice, Bob, Carol, then Lena (`DEMO_USERS` indexes).
const ACTED: [usize; 4] = [3, 4, 5, 2];
const TOKENS_FILE: &str = "demo-agents.tokens";

/// Where the agent binary is: `PRESENCE_AGENT_BIN`, or beside this executable.
fn agent_binary() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("PRESENCE_AGENT_BIN") {
        return Some(PathBuf::from(path));
    }
    let exe = std::env::current_exe().ok()?;
    let beside = exe.parent()?.join("presence-agent");
    beside.is_file().then_some(beside)
}

/// Device tokens of the acted people: the ones kept from an earlier run while they still
/// work (so the fleet does not grow a device per restart), else new ones.
async fn tokens(ctx: &Ctx<'_>, data_dir: &Path, count: usize) -> Result<Vec<String>, OpError> {
    let store = ctx.store;
    let file = data_dir.join(TOKENS_FILE);
    let kept: Vec<String> = std::fs::read_to_string(&file)
        .map(|t| t.lines().map(str::to_string).collect())
        .unwrap_or_default();
    let mut out = Vec::new();
    for (k, index) in ACTED.iter().take(count).enumerate() {
        let (email, _, _) = DEMO_USERS[*index];
        let Some(user) = store.find_user_by_email(email).await? else {
            continue;
        };
        if let Some(token) = kept.get(k) {
            let owner = store.token_owner(&token_hash(token)).await?;
            if owner.is_some_and(|o| o.user.id == user.id) {
                out.push(token.clone());
                continue;
            }
        }
        out.push(ops::tokens::issue(ctx, &user, TokenKind::Device, Some("127.0.0.1")).await?);
    }
    if let Err(e) = write_private(&file, &out.join("\n")) {
        tracing::warn!(error = %e, "demo agents: cannot keep their tokens");
    }
    Ok(out)
}

fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(text.as_bytes())
}

/// Starts the simulated agents (if `--demo` and the binary is there); they stop with the hub.
pub async fn start(state: &JobCtx, config: &Config, bound: SocketAddr, tasks: &TaskTracker) {
    let count = config.demo_agents as usize;
    if !config.demo || count == 0 {
        return;
    }
    let Some(bin) = agent_binary() else {
        tracing::warn!("demo agents not started: presence-agent is not next to presence-hub (cargo build --bin presence-agent)");
        return;
    };
    let data_dir = config.data_dir.clone();
    if let Err(e) = std::fs::create_dir_all(&data_dir) {
        return tracing::warn!(error = %e, "demo agents not started: no data folder");
    }
    let tokens = match tokens(&state.ops(), &data_dir, count).await {
        Ok(t) if !t.is_empty() => t,
        Ok(_) => return,
        Err(e) => return tracing::warn!(error = %e, "demo agents not started"),
    };
    let mut addr = bound;
    if addr.ip().is_unspecified() {
        addr.set_ip(std::net::IpAddr::from([127, 0, 0, 1]));
    }
    let log = std::fs::File::create(data_dir.join("demo-agents.log"));
    let mut cmd = tokio::process::Command::new(&bin);
    cmd.args([
        "swarm",
        "--demo",
        "--heartbeat-seconds",
        "5",
        "--seconds",
        "315360000",
    ])
    .arg("--server")
    .arg(format!("http://{addr}"))
    .arg("--tokens")
    .arg(data_dir.join(TOKENS_FILE))
    .arg("--count")
    .arg(tokens.len().to_string())
    .env("RUST_LOG", "warn")
    .stdin(Stdio::null())
    .stdout(Stdio::null())
    .stderr(log.map(Stdio::from).unwrap_or_else(|_| Stdio::null()))
    .kill_on_drop(true);
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => {
            return tracing::warn!(error = %e, bin = %bin.display(), "demo agents not started")
        }
    };
    tracing::info!(agents = tokens.len(), bin = %bin.display(), "demo agents started");
    let stop = state.shutdown.clone();
    tasks.spawn(async move {
        tokio::select! {
            _ = stop.cancelled() => { let _ = child.kill().await; }
            status = child.wait() => tracing::warn!(?status, "demo agents stopped"),
        }
    });
}

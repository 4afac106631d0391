//! A cluster as SPEC §13 runs it, on this machine: a PostgreSQL server of its own, several
//! `presence-hub` processes on it (nodes `hub-1`, `hub-2`, … — every index here counts from 1,
//! like the names), and HAProxy in front of them, WebSocket-aware and health-checked on
//! `/healthz`, from the same template as `e2e/scripts/cluster.sh` (`e2e/cluster/`).
//!
//! Node 1 starts first, with `--demo` (unless [`ClusterOptions::demo`] is off), and the others
//! once it is healthy (it ran the migrations). Then HAProxy, and [`Cluster::start`] returns when
//! HAProxy reports every hub UP. [`Cluster::start_with`] runs a preparation of the database (the
//! benchmark's seeding) after PostgreSQL is up and before any hub starts. Everything stops when the [`Cluster`] is dropped; logs go to
//! `e2e/output/<label>-hub-N.log` (`-hub-N-run2.log` after a restart), `<label>-haproxy.log`
//! and `<label>-postgres.log`.
//!
//! Failures to inject: [`Cluster::kill9`], [`Cluster::pause`] / [`Cluster::resume`] (SIGSTOP /
//! SIGCONT), [`Cluster::stop_node`] / [`Cluster::start_node`] (same port, same database),
//! [`Cluster::restart_postgres`] (or [`Cluster::stop_postgres`] … [`Cluster::start_postgres`]:
//! an outage of any length), and SQL through [`Cluster::psql`] (e.g. `pg_terminate_backend`).
//!
//! Only one cluster runs at a time in a test process: [`Cluster::start`] waits for the one
//! before to be dropped (two would share two cores and make every timing meaningless).
//!
//! Needs PostgreSQL's server binaries and HAProxy (`e2e/scripts/prepare.sh test`); the HAProxy
//! binary may be named with `HAPROXY_BIN`.

use crate::hub::{Hub, HubOptions};
use crate::process::ChildProcess;
use crate::{free_port, output_dir, wait_for, workspace_root};
use anyhow::{bail, ensure, Context};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::{Mutex, OwnedMutexGuard};

/// The response header HAProxy adds: the name of the hub that answered (`hub-2`), also on a
/// WebSocket's `101 Switching Protocols`.
pub const NODE_HEADER: &str = "x-presence-node";

/// HAProxy's backend of hubs in the template.
const BACKEND: &str = "hubs";

/// How to start a cluster.
#[derive(Debug, Clone)]
pub struct ClusterOptions {
    /// Prefix of the log files in `e2e/output/`.
    pub label: String,
    /// Number of hub processes.
    pub nodes: usize,
    /// More environment for every hub (after the harness's own, so it may override them), e.g.
    /// `HUB_NODE_HEARTBEAT_MS`, `HUB_NODE_LEASE_MS`.
    pub env: Vec<(String, String)>,
    /// `HUB_OFFLINE_GRACE_MS` of every hub.
    pub offline_grace_ms: u64,
    /// How long one hub may take to answer `/healthz` 200 after its start.
    pub start_timeout: Duration,
    /// HAProxy's `maxconn` (each proxied socket costs it two file descriptors).
    pub maxconn: u32,
    /// Node 1 starts with `--demo` (the demo company and its logins); off for a database
    /// prepared by [`Cluster::start_with`].
    pub demo: bool,
}

impl Default for ClusterOptions {
    fn default() -> Self {
        ClusterOptions {
            label: "cluster".into(),
            nodes: 3,
            env: Vec::new(),
            offline_grace_ms: 1500,
            start_timeout: Duration::from_secs(60),
            maxconn: 4000,
            demo: true,
        }
    }
}

/// One server line of HAProxy's `show stat`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackendServer {
    /// `hub-1`, …
    pub name: String,
    /// `UP`, `DOWN`, `UP 1/2` (going down), `DOWN 1/2` (coming up), `MAINT`, …
    pub status: String,
    /// The last health check: `L7OK`, `L7STS` (wrong status), `L4CON` (refused), `L4TOUT`, …
    pub check_status: String,
    /// Connections open to it now.
    pub current_sessions: u64,
    /// Connections it got since HAProxy started.
    pub total_sessions: u64,
}

impl BackendServer {
    /// UP and its last check passed.
    pub fn is_up(&self) -> bool {
        self.status == "UP" && self.check_status.starts_with("L7OK")
    }

    /// Out of rotation.
    pub fn is_down(&self) -> bool {
        self.status == "DOWN" || self.status.starts_with("DOWN ") || self.status == "MAINT"
    }
}

/// What a node's `GET /healthz` answered. Today's hub answers plain `ok`; a cluster member
/// answers JSON (`{"status":"ok","node":"hub-1","incarnation":1,"cluster":{...},...}`).
#[derive(Debug, Clone)]
pub struct Healthz {
    pub http_status: u16,
    /// The body as JSON, or `Null` when it is not JSON.
    pub body: Value,
    /// The body as text.
    pub text: String,
}

impl Healthz {
    pub fn node(&self) -> Option<&str> {
        self.body["node"].as_str()
    }

    pub fn incarnation(&self) -> Option<i64> {
        self.body["incarnation"].as_i64()
    }

    /// `cluster.alive`: how many nodes this node believes alive (itself included).
    pub fn alive(&self) -> Option<u64> {
        self.body["cluster"]["alive"].as_u64()
    }

    /// `cluster.nodes[]`: this node's view of every node.
    pub fn cluster_nodes(&self) -> Vec<Value> {
        self.body["cluster"]["nodes"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    /// Whether this node believes `name` alive: listed with `alive: true` (a node it does not
    /// list counts as not alive); `None` when the answer has no `cluster.nodes` at all.
    pub fn sees_alive(&self, name: &str) -> Option<bool> {
        let nodes = self.body["cluster"]["nodes"].as_array()?;
        Some(
            nodes
                .iter()
                .any(|n| n["node"] == name && n["alive"].as_bool() == Some(true)),
        )
    }
}

impl std::fmt::Display for Healthz {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.http_status, self.text.trim())
    }
}

struct Node {
    name: String,
    port: u16,
    hub: Option<Hub>,
    /// How many times it was started (the log of run n > 1 is `<label>-hub-N-run<n>.log`).
    runs: u32,
    paused: bool,
    /// The log of its latest run.
    log: PathBuf,
}

/// A running cluster; everything stops on drop.
pub struct Cluster {
    options: ClusterOptions,
    nodes: Vec<Node>,
    haproxy: ChildProcess,
    lb_port: u16,
    stats_port: u16,
    pg: Postgres,
    /// The database every hub uses.
    database_url: String,
    /// HAProxy's configuration and admin socket, and the hubs' shared data folder.
    dir: tempfile::TempDir,
    http: reqwest::Client,
    /// Dropped last: the next cluster of this process may start.
    _turn: OwnedMutexGuard<()>,
}

impl Cluster {
    /// PostgreSQL, then node 1 (with `--demo`), then the other nodes, then HAProxy; returns
    /// when HAProxy reports every hub UP.
    pub async fn start(options: ClusterOptions) -> anyhow::Result<Cluster> {
        let (cluster, ()) = Self::start_with(options, |_| async { Ok(()) }).await?;
        Ok(cluster)
    }

    /// As [`Cluster::start`], but first runs `prepare` with the `postgres://` URL of the
    /// hubs' (empty) database, before any hub starts: e.g. seeding it (`load::seed`, which
    /// also migrates it). Returns what `prepare` returned beside the cluster.
    pub async fn start_with<T, F, Fut>(
        options: ClusterOptions,
        prepare: F,
    ) -> anyhow::Result<(Cluster, T)>
    where
        F: FnOnce(String) -> Fut,
        Fut: std::future::Future<Output = anyhow::Result<T>>,
    {
        ensure!(options.nodes >= 1, "a cluster has at least one node");
        static TURN: OnceLock<Arc<Mutex<()>>> = OnceLock::new();
        let turn = TURN
            .get_or_init(|| Arc::new(Mutex::new(())))
            .clone()
            .lock_owned()
            .await;
        let started = Instant::now();
        let haproxy_bin = haproxy_binary()?;
        let dir = tempfile::Builder::new()
            .prefix("presence-cluster.")
            .tempdir()?;
        let pg = tokio::task::spawn_blocking({
            let label = options.label.clone();
            move || Postgres::start(&label)
        })
        .await??;
        psql(&pg.admin_url, "CREATE DATABASE presence").await?;
        let database_url = match pg.admin_url.strip_suffix("/postgres") {
            Some(server) => format!("{server}/presence"),
            None => bail!("unexpected URL from postgres.sh: {}", pg.admin_url),
        };
        let prepared = prepare(database_url.clone())
            .await
            .context("preparing the cluster's database")?;
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .build()?;

        let mut nodes = Vec::new();
        for i in 1..=options.nodes {
            let name = format!("hub-{i}");
            nodes.push(Node {
                log: output_dir().join(format!("{}-{name}.log", options.label)),
                name,
                port: free_port()?,
                hub: None,
                runs: 0,
                paused: false,
            });
        }
        // HAProxy's ports are chosen now, so that every hub knows the public address.
        let lb_port = free_port()?;
        let stats_port = free_port()?;
        let mut cluster = Cluster {
            haproxy: spawn_haproxy(
                &haproxy_bin,
                dir.path(),
                &options,
                lb_port,
                stats_port,
                &nodes,
            )?,
            options,
            nodes,
            lb_port,
            stats_port,
            pg,
            database_url,
            dir,
            http,
            _turn: turn,
        };
        // Node 1 creates the schema (and the demo company); the others join it.
        cluster.start_node(1).await?;
        let others: Vec<_> = (2..=cluster.nodes.len())
            .map(|i| cluster.hub_options(i))
            .collect();
        let started_others =
            futures_util::future::join_all(others.into_iter().map(Hub::start)).await;
        for (k, hub) in started_others.into_iter().enumerate() {
            let i = k + 2;
            let hub = hub.with_context(|| format!("{} did not start", cluster.node_name(i)))?;
            let node = &mut cluster.nodes[i - 1];
            node.runs = 1;
            node.hub = Some(hub);
        }
        cluster
            .wait_backends("every hub UP in HAProxy", Duration::from_secs(20), |s| {
                s.is_up()
            })
            .await?;
        eprintln!(
            "[cluster {}] PostgreSQL + {} hubs + HAProxy up in {:.1} s: {} (stats {})",
            cluster.options.label,
            cluster.nodes.len(),
            started.elapsed().as_secs_f64(),
            cluster.lb_url(),
            cluster.stats_url()
        );
        Ok((cluster, prepared))
    }

    fn node(&self, i: usize) -> &Node {
        assert!(
            (1..=self.nodes.len()).contains(&i),
            "node {i}: nodes are numbered 1..={}",
            self.nodes.len()
        );
        &self.nodes[i - 1]
    }

    fn node_mut(&mut self, i: usize) -> &mut Node {
        self.node(i);
        &mut self.nodes[i - 1]
    }

    fn hub_options(&self, i: usize) -> HubOptions {
        let node = self.node(i);
        let run = node.runs + 1;
        let label = if run == 1 {
            format!("{}-{}", self.options.label, node.name)
        } else {
            format!("{}-{}-run{run}", self.options.label, node.name)
        };
        let mut env: Vec<(String, String)> = vec![
            ("HUB_NODE_ID".into(), node.name.clone()),
            // HAProxy sends X-Forwarded-For; every test client is 127.0.0.1 anyway, so the
            // login rate limit is raised for tests that sign many people in.
            ("HUB_TRUST_PROXY".into(), "1".into()),
            ("HUB_LOGIN_ATTEMPTS_PER_MINUTE".into(), "1000".into()),
            ("HUB_PUBLIC_URL".into(), self.lb_url()),
        ];
        env.extend(self.options.env.iter().cloned());
        HubOptions {
            label,
            demo: self.options.demo && i == 1,
            offline_grace_ms: self.options.offline_grace_ms,
            env,
            database_url: Some(self.database_url.clone()),
            start_timeout: self.options.start_timeout,
            port: Some(node.port),
            data_dir: Some(self.dir.path().join("data")),
            ..HubOptions::default()
        }
    }

    /// Number of nodes (running or not).
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// `hub-i`, the node's `HUB_NODE_ID` and its server name in HAProxy.
    pub fn node_name(&self, i: usize) -> String {
        self.node(i).name.clone()
    }

    /// The node whose name is `name` (`hub-2` → 2).
    pub fn node_index(&self, name: &str) -> Option<usize> {
        self.nodes
            .iter()
            .position(|n| n.name == name)
            .map(|k| k + 1)
    }

    /// `http://127.0.0.1:PORT` of HAProxy's frontend.
    pub fn lb_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.lb_port)
    }

    /// HAProxy's frontend address, for raw socket clients.
    pub fn lb_addr(&self) -> std::net::SocketAddr {
        std::net::SocketAddr::from(([127, 0, 0, 1], self.lb_port))
    }

    /// Node `i`'s own address (straight to the hub), for raw socket clients.
    pub fn node_addr(&self, i: usize) -> std::net::SocketAddr {
        std::net::SocketAddr::from(([127, 0, 0, 1], self.node(i).port))
    }

    /// `ws://127.0.0.1:PORT{path}` through HAProxy.
    pub fn lb_ws_url(&self, path: &str) -> String {
        format!("ws://127.0.0.1:{}{path}", self.lb_port)
    }

    /// HAProxy's status page.
    pub fn stats_url(&self) -> String {
        format!("http://127.0.0.1:{}/", self.stats_port)
    }

    /// `http://127.0.0.1:PORT` of node `i`, straight to the hub.
    pub fn node_url(&self, i: usize) -> String {
        format!("http://127.0.0.1:{}", self.node(i).port)
    }

    /// `ws://127.0.0.1:PORT{path}` of node `i`, straight to the hub.
    pub fn node_ws_url(&self, i: usize, path: &str) -> String {
        format!("ws://127.0.0.1:{}{path}", self.node(i).port)
    }

    /// The `postgres://` URL every hub uses.
    pub fn pg_url(&self) -> &str {
        &self.database_url
    }

    /// The process id of node `i`, if it runs.
    pub fn pid(&self, i: usize) -> Option<u32> {
        self.node(i).hub.as_ref().map(Hub::pid)
    }

    /// Whether node `i` was started and has not been stopped or killed by the harness, and its
    /// process is still there.
    pub fn is_running(&mut self, i: usize) -> bool {
        match self.node_mut(i).hub.as_mut() {
            Some(hub) => hub.exited().is_none(),
            None => false,
        }
    }

    /// SIGKILL node `i`, as a crash would, and wait until it is gone.
    pub fn kill9(&mut self, i: usize) {
        let node = self.node_mut(i);
        let hub = node
            .hub
            .take()
            .unwrap_or_else(|| panic!("{} is not running", node.name));
        node.paused = false;
        hub.kill9();
    }

    /// SIGSTOP node `i`: the process is frozen, its sockets stay open.
    pub fn pause(&mut self, i: usize) {
        let node = self.node_mut(i);
        let hub = node
            .hub
            .as_ref()
            .unwrap_or_else(|| panic!("{} is not running", node.name));
        hub.signal(libc::SIGSTOP);
        node.paused = true;
    }

    /// SIGCONT node `i` after [`Cluster::pause`].
    pub fn resume(&mut self, i: usize) {
        let node = self.node_mut(i);
        let hub = node
            .hub
            .as_ref()
            .unwrap_or_else(|| panic!("{} is not running", node.name));
        hub.signal(libc::SIGCONT);
        node.paused = false;
    }

    /// SIGTERM node `i` and check that it shut down cleanly (exit 0 within 15 s).
    pub fn stop_node(&mut self, i: usize) -> anyhow::Result<()> {
        let node = self.node_mut(i);
        let Some(hub) = node.hub.take() else {
            bail!("{} is not running", node.name)
        };
        if node.paused {
            hub.signal(libc::SIGCONT);
            node.paused = false;
        }
        let name = node.name.clone();
        hub.stop().with_context(|| format!("stopping {name}"))
    }

    /// Starts node `i` again (after [`Cluster::kill9`] or [`Cluster::stop_node`]) on the same
    /// port and database, and waits for its `/healthz` 200.
    pub async fn start_node(&mut self, i: usize) -> anyhow::Result<()> {
        if let Some(hub) = self.node_mut(i).hub.as_mut() {
            if hub.exited().is_none() {
                bail!("{} is already running", self.node_name(i));
            }
        }
        let options = self.hub_options(i);
        let log = output_dir().join(format!("{}.log", options.label));
        let hub = Hub::start(options)
            .await
            .with_context(|| format!("{} did not start", self.node_name(i)))?;
        let node = self.node_mut(i);
        node.runs += 1;
        node.hub = Some(hub);
        node.paused = false;
        node.log = log;
        Ok(())
    }

    /// `GET /healthz` of node `i`, straight to the hub (2 s timeout).
    pub async fn healthz(&self, i: usize) -> anyhow::Result<Healthz> {
        let res = self
            .http
            .get(format!("{}/healthz", self.node_url(i)))
            .timeout(Duration::from_secs(2))
            .send()
            .await
            .with_context(|| format!("GET /healthz of {}", self.node_name(i)))?;
        let http_status = res.status().as_u16();
        let text = res.text().await?;
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Ok(Healthz {
            http_status,
            body,
            text,
        })
    }

    /// `GET /metrics` of node `i` (Prometheus text).
    pub async fn metrics(&self, i: usize) -> anyhow::Result<String> {
        let res = self
            .http
            .get(format!("{}/metrics", self.node_url(i)))
            .send()
            .await?;
        ensure!(res.status() == 200, "GET /metrics: {}", res.status());
        Ok(res.text().await?)
    }

    /// HAProxy's view of every hub (`show stat` on its admin socket).
    pub async fn backend_state(&self) -> anyhow::Result<Vec<BackendServer>> {
        let csv = self.haproxy_command("show stat").await?;
        parse_show_stat(&csv)
    }

    /// Waits until every hub's line of [`Cluster::backend_state`] satisfies `ready`.
    pub async fn wait_backends(
        &self,
        what: &str,
        timeout: Duration,
        ready: impl Fn(&BackendServer) -> bool,
    ) -> anyhow::Result<Vec<BackendServer>> {
        let ready = &ready;
        let result = wait_for(what, timeout, Duration::from_millis(100), || async move {
            let servers = self.backend_state().await?;
            Ok((servers.len() == self.nodes.len() && servers.iter().all(ready)).then_some(servers))
        })
        .await;
        match result {
            Ok(servers) => Ok(servers),
            Err(e) => {
                let now = self.backend_state().await.unwrap_or_default();
                Err(e.context(format!("HAProxy's view: {now:?}")))
            }
        }
    }

    /// Waits until HAProxy reports the hub `name` in a state for which `ready` holds; how long
    /// it took.
    pub async fn wait_backend(
        &self,
        name: &str,
        what: &str,
        timeout: Duration,
        ready: impl Fn(&BackendServer) -> bool,
    ) -> anyhow::Result<Duration> {
        let started = Instant::now();
        let ready = &ready;
        let result = wait_for(what, timeout, Duration::from_millis(50), || async move {
            let servers = self.backend_state().await?;
            Ok(servers
                .iter()
                .any(|s| s.name == name && ready(s))
                .then_some(()))
        })
        .await;
        match result {
            Ok(()) => Ok(started.elapsed()),
            Err(e) => {
                let now = self.backend_state().await.unwrap_or_default();
                Err(e.context(format!("HAProxy's view: {now:?}")))
            }
        }
    }

    /// One command on HAProxy's admin socket (`show stat`, `show servers state`, …); its answer.
    pub async fn haproxy_command(&self, command: &str) -> anyhow::Result<String> {
        haproxy_command(&self.dir.path().join("haproxy.sock"), command).await
    }

    /// Stops PostgreSQL (fast shutdown: every open connection is cut); the data and the port
    /// are kept for [`Cluster::start_postgres`].
    pub async fn stop_postgres(&mut self) -> anyhow::Result<()> {
        self.pg.script("halt").await
    }

    /// Starts PostgreSQL again after [`Cluster::stop_postgres`]: same data, same port.
    pub async fn start_postgres(&mut self) -> anyhow::Result<()> {
        self.pg.script("resume").await
    }

    /// Stops PostgreSQL and starts it again at once (same data, same port).
    pub async fn restart_postgres(&mut self) -> anyhow::Result<()> {
        self.pg.script("restart").await
    }

    /// The process id of the PostgreSQL server's postmaster (its backends are its children),
    /// from its `postmaster.pid`.
    pub fn postgres_pid(&self) -> anyhow::Result<u32> {
        let file = Path::new(&self.pg.data_dir).join("postmaster.pid");
        let text =
            std::fs::read_to_string(&file).with_context(|| format!("read {}", file.display()))?;
        text.lines()
            .next()
            .and_then(|l| l.trim().parse().ok())
            .with_context(|| format!("no process id in {}", file.display()))
    }

    /// Runs SQL on the hubs' database with `psql` as the superuser; its unaligned, tuples-only
    /// output (`|` between columns, one row a line).
    pub async fn psql(&self, sql: &str) -> anyhow::Result<String> {
        psql(&self.database_url, sql).await
    }

    /// The last `lines` lines of node `i`'s latest log.
    pub fn log_tail(&self, i: usize, lines: usize) -> String {
        tail(&self.node(i).log, lines)
    }

    /// The last lines of every log (each node, HAProxy), for a failure message.
    pub fn logs_tail(&self, lines: usize) -> String {
        let mut out = String::new();
        for node in &self.nodes {
            out.push_str(&format!(
                "--- {} ({}):\n{}\n",
                node.name,
                node.log.display(),
                tail(&node.log, lines)
            ));
        }
        out.push_str(&format!(
            "--- haproxy ({}):\n{}\n",
            self.haproxy.log_path().display(),
            self.haproxy.log_tail(lines)
        ));
        out
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        // Frozen hubs cannot act on SIGTERM; then every hub stops at once, not one by one.
        for node in &self.nodes {
            if let Some(hub) = &node.hub {
                if node.paused {
                    hub.signal(libc::SIGCONT);
                }
                hub.signal(libc::SIGTERM);
            }
        }
        for node in &mut self.nodes {
            drop(node.hub.take());
        }
        self.haproxy.stop(Duration::from_secs(5));
        // The PostgreSQL server (with its log copied to e2e/output/) goes with `self.pg`.
    }
}

/// The cluster's own PostgreSQL server, through `e2e/scripts/postgres.sh`; removed on drop.
struct Postgres {
    data_dir: String,
    /// `postgres://postgres@127.0.0.1:PORT/postgres`
    admin_url: String,
    label: String,
}

impl Postgres {
    fn script_path() -> PathBuf {
        workspace_root().join("e2e/scripts/postgres.sh")
    }

    fn start(label: &str) -> anyhow::Result<Postgres> {
        let out = Command::new("bash")
            .arg(Self::script_path())
            .arg("start")
            .output()
            .context("run e2e/scripts/postgres.sh start")?;
        let stdout = String::from_utf8_lossy(&out.stdout);
        ensure!(
            out.status.success(),
            "e2e/scripts/postgres.sh start failed ({}): {}{}",
            out.status,
            stdout,
            String::from_utf8_lossy(&out.stderr)
        );
        let value = |name: &str| {
            stdout
                .lines()
                .find_map(|l| l.strip_prefix(&format!("export {name}=")))
                .map(|v| v.trim_matches('\'').to_string())
                .with_context(|| format!("postgres.sh start printed no {name}: {stdout}"))
        };
        Ok(Postgres {
            data_dir: value("PGDATA_DIR")?,
            admin_url: value("PRESENCE_TEST_PG")?,
            label: label.to_string(),
        })
    }

    /// `postgres.sh halt|resume|restart DIR`.
    async fn script(&self, action: &str) -> anyhow::Result<()> {
        let out = tokio::process::Command::new("bash")
            .arg(Self::script_path())
            .arg(action)
            .arg(&self.data_dir)
            .output()
            .await
            .with_context(|| format!("run e2e/scripts/postgres.sh {action}"))?;
        ensure!(
            out.status.success(),
            "e2e/scripts/postgres.sh {action} failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        Ok(())
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let log = Path::new(&self.data_dir).join("server.log");
        let _ = std::fs::copy(
            &log,
            output_dir().join(format!("{}-postgres.log", self.label)),
        );
        let _ = Command::new("bash")
            .arg(Self::script_path())
            .arg("stop")
            .arg(&self.data_dir)
            .stderr(std::process::Stdio::null())
            .status();
    }
}

/// `psql URL -c SQL`, unaligned and tuples only, stopping at the first error.
async fn psql(url: &str, sql: &str) -> anyhow::Result<String> {
    let run = tokio::process::Command::new("psql")
        .args([
            url,
            "-X",
            "-A",
            "-t",
            "-q",
            "-v",
            "ON_ERROR_STOP=1",
            "-c",
            sql,
        ])
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(Duration::from_secs(15), run)
        .await
        .with_context(|| format!("psql took more than 15 s: {sql}"))?
        .context("run psql (Debian's postgresql-client)")?;
    ensure!(
        out.status.success(),
        "psql {sql:?}: {}",
        String::from_utf8_lossy(&out.stderr).trim()
    );
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// `HAPROXY_BIN`, else `haproxy` on the PATH or in /usr/sbin.
fn haproxy_binary() -> anyhow::Result<PathBuf> {
    if let Ok(path) = std::env::var("HAPROXY_BIN") {
        return Ok(PathBuf::from(path));
    }
    let mut dirs: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect())
        .unwrap_or_default();
    dirs.push("/usr/sbin".into());
    dirs.into_iter()
        .map(|d| d.join("haproxy"))
        .find(|p| p.is_file())
        .context(
            "haproxy was not found (PATH, /usr/sbin): install Debian's haproxy \
             (e2e/scripts/prepare.sh test) or set HAPROXY_BIN",
        )
}

/// `e2e/cluster/haproxy.cfg.template` filled in (the same substitutions as
/// `e2e/scripts/cluster.sh`).
pub fn haproxy_config(
    lb_bind: &str,
    stats_bind: &str,
    run_dir: &Path,
    maxconn: u32,
    servers: &[(String, u16)],
) -> anyhow::Result<String> {
    let path = workspace_root().join("e2e/cluster/haproxy.cfg.template");
    let template =
        std::fs::read_to_string(&path).with_context(|| format!("read {}", path.display()))?;
    let lines: Vec<String> = servers
        .iter()
        .map(|(name, port)| format!("    server {name} 127.0.0.1:{port} check"))
        .collect();
    Ok(template
        .replace("@SERVERS@", &lines.join("\n"))
        .replace("@BIND@", lb_bind)
        .replace("@STATS_BIND@", stats_bind)
        .replace("@RUN_DIR@", &run_dir.display().to_string())
        .replace("@MAXCONN@", &maxconn.to_string()))
}

fn spawn_haproxy(
    binary: &Path,
    dir: &Path,
    options: &ClusterOptions,
    lb_port: u16,
    stats_port: u16,
    nodes: &[Node],
) -> anyhow::Result<ChildProcess> {
    let servers: Vec<(String, u16)> = nodes.iter().map(|n| (n.name.clone(), n.port)).collect();
    let config = haproxy_config(
        &format!("127.0.0.1:{lb_port}"),
        &format!("127.0.0.1:{stats_port}"),
        dir,
        options.maxconn,
        &servers,
    )?;
    let cfg = dir.join("haproxy.cfg");
    std::fs::write(&cfg, config)?;
    let mut cmd = Command::new(binary);
    cmd.arg("-db").arg("-f").arg(&cfg);
    let log = output_dir().join(format!("{}-haproxy.log", options.label));
    let mut process = ChildProcess::spawn("haproxy", cmd, &log, false)?;
    // Its admin socket appears once it has parsed the configuration and bound its ports.
    let socket = dir.join("haproxy.sock");
    let deadline = Instant::now() + Duration::from_secs(10);
    while !socket.exists() {
        if let Some(status) = process.exited() {
            bail!(
                "haproxy exited at start ({status}); log {}:\n{}",
                log.display(),
                process.log_tail(20)
            );
        }
        if Instant::now() > deadline {
            bail!("haproxy made no admin socket within 10 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Ok(process)
}

async fn haproxy_command(socket: &Path, command: &str) -> anyhow::Result<String> {
    let exchange = async {
        let mut stream = tokio::net::UnixStream::connect(socket).await?;
        stream.write_all(format!("{command}\n").as_bytes()).await?;
        let mut out = String::new();
        stream.read_to_string(&mut out).await?;
        anyhow::Ok(out)
    };
    tokio::time::timeout(Duration::from_secs(5), exchange)
        .await
        .with_context(|| format!("HAProxy's admin socket did not answer {command:?}"))?
        .with_context(|| format!("HAProxy's admin socket, {command:?}"))
}

/// The hub lines of `show stat`'s CSV (header `# pxname,svname,...`).
fn parse_show_stat(csv: &str) -> anyhow::Result<Vec<BackendServer>> {
    let mut lines = csv.lines();
    let header = lines
        .next()
        .and_then(|h| h.strip_prefix("# "))
        .with_context(|| format!("unexpected `show stat` answer: {csv:?}"))?;
    let columns: Vec<&str> = header.split(',').collect();
    let col = |name: &str| {
        columns
            .iter()
            .position(|c| *c == name)
            .with_context(|| format!("`show stat` has no {name} column"))
    };
    let (px, sv, status, check, scur, stot) = (
        col("pxname")?,
        col("svname")?,
        col("status")?,
        col("check_status")?,
        col("scur")?,
        col("stot")?,
    );
    let mut servers = Vec::new();
    for line in lines.filter(|l| !l.trim().is_empty()) {
        let f: Vec<&str> = line.split(',').collect();
        let get = |k: usize| f.get(k).copied().unwrap_or_default();
        if get(px) != BACKEND || matches!(get(sv), "FRONTEND" | "BACKEND") {
            continue;
        }
        servers.push(BackendServer {
            name: get(sv).to_string(),
            status: get(status).to_string(),
            check_status: get(check).to_string(),
            current_sessions: get(scur).parse().unwrap_or(0),
            total_sessions: get(stot).parse().unwrap_or(0),
        });
    }
    Ok(servers)
}

fn tail(path: &Path, lines: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn show_stat_lines_of_the_hubs() {
        let csv = "# pxname,svname,qcur,scur,stot,status,check_status\n\
                   presence,FRONTEND,,1,5,OPEN,\n\
                   hubs,hub-1,0,2,7,UP,L7OK\n\
                   hubs,hub-2,0,0,3,DOWN,L4CON\n\
                   hubs,BACKEND,0,2,10,UP,\n\
                   stats,FRONTEND,,0,0,OPEN,\n";
        let servers = parse_show_stat(csv).unwrap();
        assert_eq!(servers.len(), 2);
        assert!(servers[0].is_up());
        assert_eq!(servers[0].current_sessions, 2);
        assert_eq!(servers[0].total_sessions, 7);
        assert!(servers[1].is_down());
        assert_eq!(servers[1].check_status, "L4CON");
    }

    #[test]
    fn the_template_names_every_hub() {
        let cfg = haproxy_config(
            "127.0.0.1:1",
            "127.0.0.1:2",
            Path::new("/run/x"),
            100,
            &[("hub-1".into(), 3001), ("hub-2".into(), 3002)],
        )
        .unwrap();
        assert!(cfg.contains("    server hub-1 127.0.0.1:3001 check\n"));
        assert!(cfg.contains("    server hub-2 127.0.0.1:3002 check\n"));
        assert!(cfg.contains("bind 127.0.0.1:1\n"));
        assert!(cfg.contains("stats socket /run/x/haproxy.sock"));
        assert!(!cfg.contains('@'), "a placeholder is left:\n{cfg}");
    }
}

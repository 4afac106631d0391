//! The cluster benchmark from start to end: PostgreSQL and seeding, the hubs and HAProxy, the
//! ramp-up over every hub, the four scenarios (the kill last), the report.

use anyhow::Context;
use std::path::Path;
use std::time::{Duration, Instant};

use super::ceiling::{self, BusTarget};
use super::failover;
use super::layout::{self, LOAD_ORG, POLICY_ORG};
use super::report::{table, BusCounters, ClusterBenchResults, NodeReading};
use super::ClusterBenchOptions;
use crate::bench::probes::Probes;
use crate::bench::readings::{machine, rss_kib, HubMetrics};
use crate::bench::run::chrono_like_now;
use crate::bench::scenario::{force_end, policy};
use crate::load::connect::loopback_sources;
use crate::load::fleet::{Fleet, FleetPlan};
use crate::load::seed::seed;
use crate::load::socket::Rates;
use crate::{output_dir, Cluster, ClusterOptions};

/// Prefix of the logs in `e2e/output/`.
const LABEL: &str = "bench-cluster";
/// How long the killed hub's users may take to show offline before the scenario gives up.
const FAILOVER_TIMEOUT: Duration = Duration::from_secs(30);

fn say(what: &str) {
    eprintln!("[bench] {what}");
}

/// Runs every scenario; `worker_program` is started as `<program> worker` for the workers.
pub async fn run(
    o: ClusterBenchOptions,
    worker_program: &Path,
) -> anyhow::Result<ClusterBenchResults> {
    let started_at = chrono_like_now();
    let plans = layout::plans(&o)?;
    let n = o.nodes;
    say(&format!(
        "PostgreSQL, then {} users seeded, then {n} hubs and HAProxy",
        o.sockets
    ));
    let startup = Instant::now();
    let (mut cluster, (manifest, seed_seconds)) = Cluster::start_with(
        ClusterOptions {
            label: LABEL.into(),
            nodes: n,
            env: vec![
                ("RUST_LOG".into(), "warn".into()),
                // A few supervisors hold all the dashboard tabs (100 each): this measures fan-out,
                // not the per-user socket limit.
                ("HUB_MAX_SOCKETS_PER_USER".into(), "1000".into()),
            ],
            // The hub's own default (the harness's is shorter, for the tests).
            offline_grace_ms: 10_000,
            start_timeout: Duration::from_secs(120),
            maxconn: 4000,
            demo: false,
        },
        |url| async move {
            let seeding = Instant::now();
            let manifest = seed(&url, &plans).await?;
            Ok((manifest, seeding.elapsed().as_secs_f64()))
        },
    )
    .await?;
    say(&format!(
        "seeded in {seed_seconds:.1} s; cluster up after {:.1} s ({})",
        startup.elapsed().as_secs_f64(),
        cluster.lb_url()
    ));
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()?;
    let database = {
        let version = cluster.psql("SHOW server_version").await?;
        format!("PostgreSQL {version}")
    };
    let mut rss_before = Vec::new();
    for i in 1..=n {
        rss_before.push(rss_kib(cluster.pid(i).context("a hub is not running")?)?);
    }

    // Ramp up: the measured sockets first (through HAProxy; the bus users straight to the
    // last hub), then the workers' bulk straight to the hubs.
    let sources = loopback_sources(o.sources);
    let background = Rates {
        heartbeat_jitter_ms: 0,
        heartbeat_ms: o.heartbeat_ms,
        activity_ms: o.activity_ms,
        stop: false,
    };
    let balanced = layout::balanced_probes(&o, &manifest)?;
    let ramp = Instant::now();
    let probes = Probes::open(
        cluster.lb_addr(),
        &sources,
        balanced.specs,
        o.ramp_per_second,
        background,
    )
    .await?;
    let bus_probes = Probes::open(
        cluster.node_addr(n),
        &sources,
        layout::bus_probes(&manifest)?,
        o.ramp_per_second,
        background,
    )
    .await?;
    probes.wait_greeted(Duration::from_secs(60)).await?;
    bus_probes.wait_greeted(Duration::from_secs(60)).await?;
    let workers = layout::workers(&o, &manifest)?;
    let mut specs = Vec::new();
    for (k, sockets) in workers.sockets.iter().enumerate() {
        let plan = FleetPlan {
            hub: cluster.node_addr(k + 1),
            sources: sources.clone(),
            workers: o.workers_per_node,
            ramp_per_second: (o.ramp_per_second / n as u32).max(1),
            rates: background,
            max_duration: Duration::from_secs(1800),
        };
        specs.extend(plan.specs(sockets.clone()));
    }
    let fleet = Fleet::start(worker_program, specs, &output_dir(), LABEL).await?;
    let ramp_timeout =
        Duration::from_secs(60 + (o.sockets as u64 / o.ramp_per_second.max(1) as u64) * 3);
    fleet.wait_greeted(ramp_timeout).await?;
    let ramp_seconds = ramp.elapsed().as_secs_f64();
    say(&format!(
        "{} sockets open in {ramp_seconds:.1} s; settling",
        fleet.totals().greeted as usize + probes.sockets.len() + bus_probes.sockets.len()
    ));
    tokio::time::sleep(Duration::from_secs(o.settle_seconds)).await;
    let mut nodes = Vec::new();
    for i in 1..=n {
        let m = HubMetrics::scrape(&http, &cluster.node_url(i)).await?;
        let (agents, tabs) = (m.open("agent") as u64, m.open("tab") as u64);
        let after = rss_kib(cluster.pid(i).context("a hub is not running")?)?;
        nodes.push(NodeReading {
            node: cluster.node_name(i),
            agents_open: agents,
            tabs_open: tabs,
            rss_before_kib: rss_before[i - 1],
            rss_after_kib: after,
            kib_per_socket: after.saturating_sub(rss_before[i - 1]) as f64
                / (agents + tabs).max(1) as f64,
        });
    }
    let through_haproxy: u64 = cluster
        .backend_state()
        .await?
        .iter()
        .map(|s| s.current_sessions)
        .sum();
    say(&format!(
        "per hub: {}; {through_haproxy} through HAProxy",
        nodes
            .iter()
            .map(|r| format!("{} {} sockets", r.node, r.sockets()))
            .collect::<Vec<_>>()
            .join(", ")
    ));

    say("cross-node force-ends");
    let mut targets = Vec::new();
    for &i in &balanced.force_ended {
        let node = probes
            .node_of(i)
            .with_context(|| format!("HAProxy named no hub for measured agent {i}"))?;
        let on = cluster
            .node_index(&node)
            .with_context(|| format!("HAProxy named an unknown hub {node:?}"))?;
        // The admin's request goes to the next hub: never the agent's own.
        targets.push((i, cluster.node_url(on % n + 1)));
    }
    let load = manifest.org(LOAD_ORG)?;
    let force_end = force_end::run_on(
        &http,
        &load.admin.token,
        &probes,
        &targets,
        Duration::from_millis(10),
    )
    .await?;

    say("policy changes on hub-1");
    let policy = policy::run(
        &http,
        &cluster.node_url(1),
        &manifest.org(POLICY_ORG)?.owner.token,
        &fleet,
        o.policy_agents,
        o.policy_changes,
    )
    .await?;

    say("bus ceiling");
    let bus_ceiling = ceiling::run(
        &BusTarget {
            http: &http,
            starts: (cluster.node_url(1), cluster.node_name(1)),
            stops: (cluster.node_url(2), cluster.node_name(2)),
            reader: (cluster.node_url(n), cluster.node_name(n)),
            probes: &bus_probes,
            hubs: (1..=n)
                .filter_map(|i| Some((cluster.node_name(i), cluster.pid(i)?)))
                .collect(),
            postgres: cluster.postgres_pid()?,
        },
        &o.bus_rates,
        Duration::from_secs(o.bus_step_seconds),
        Duration::from_millis(o.bus_bound_ms),
    )
    .await?;
    let mut bus_counters = Vec::new();
    for i in 1..=n {
        let m = HubMetrics::scrape(&http, &cluster.node_url(i)).await?;
        bus_counters.push(BusCounters {
            node: cluster.node_name(i),
            published: m.get("presence_hub_bus_events_published_total"),
            received: m.get("presence_hub_bus_events_received_total"),
            caught_up: m.get("presence_hub_bus_events_caught_up_total"),
            duplicate: m.get("presence_hub_bus_events_duplicate_total"),
            reconnects: m.get("presence_hub_bus_reconnects_total"),
        });
    }
    // Let the last step's backlog drain before the kill.
    tokio::time::sleep(Duration::from_secs(3)).await;

    say(&format!("kill -9 of {}", cluster.node_name(n)));
    let bystanders: Vec<i64> = workers.watched[..n - 1].concat();
    let failover = failover::run(
        &mut cluster,
        &probes,
        &balanced.tabs,
        &workers.watched[n - 1],
        &bystanders,
        n,
        FAILOVER_TIMEOUT,
    )
    .await?;

    say("stopping");
    let fleet_totals = fleet.stop().await;
    probes.stop().await;
    bus_probes.stop().await;
    drop(cluster);
    if !fleet_totals.errors.is_empty() {
        say(&format!(
            "worker errors (the killed hub's sockets among them): {:?}",
            &fleet_totals.errors[..fleet_totals.errors.len().min(5)]
        ));
    }

    let rows = table(
        o.sockets as u64,
        &nodes,
        through_haproxy,
        ramp_seconds,
        &force_end,
        &policy,
        &bus_ceiling,
        &failover,
    );
    Ok(ClusterBenchResults {
        started_at,
        machine: machine(),
        database,
        settings: serde_json::to_value(&o)?,
        seed_seconds,
        ramp_seconds,
        nodes,
        through_haproxy,
        force_end,
        policy,
        bus_ceiling,
        bus_counters,
        failover,
        table: rows,
    })
}

//! The benchmark from start to end: seed, start the hub, ramp up, measure each scenario,
//! stop everything, report.

use anyhow::Context;
use std::path::Path;
use std::time::{Duration, Instant};

use super::probes::Probes;
use super::readings::{machine, rss_kib, HubMetrics};
use super::report::{markdown, table, write_json, BenchResults};
use super::scenario::{force_end, ingest, memory::MemoryResult, page, policy, presence, storm};
use super::setup::{self, DASHBOARD_ORG, LOAD_ORG, POLICY_ORG};
use super::BenchOptions;
use crate::load::connect::loopback_sources;
use crate::load::fleet::{Fleet, FleetPlan};
use crate::load::seed::seed;
use crate::load::socket::Rates;
use crate::{output_dir, Hub, HubOptions};

fn say(what: &str) {
    eprintln!("[bench] {what}");
}

/// Runs every scenario; `worker_program` is started as `<program> worker` for the workers.
pub async fn run(o: BenchOptions, worker_program: &Path) -> anyhow::Result<BenchResults> {
    let started_at = chrono_like_now();
    let dir = tempfile::Builder::new()
        .prefix("presence-hub-bench.")
        .tempdir()?;
    let database_url = o
        .database_url
        .clone()
        .unwrap_or_else(|| format!("sqlite://{}", dir.path().join("bench.db").display()));
    let database = if database_url.starts_with("postgres") {
        "PostgreSQL"
    } else {
        "SQLite"
    };

    say(&format!("seeding {} users ({database})", o.sockets));
    let seeding = Instant::now();
    let manifest = seed(&database_url, &setup::plans(&o)?).await?;
    say(&format!(
        "seeded in {:.1} s",
        seeding.elapsed().as_secs_f64()
    ));

    let hub_options = HubOptions {
        label: "bench-hub".into(),
        demo: false,
        offline_grace_ms: 10_000,
        database_url: Some(database_url.clone()),
        start_timeout: Duration::from_secs(120),
        env: vec![
            ("RUST_LOG".into(), "warn".into()),
            // A few supervisors hold all the dashboard tabs (100 each): this measures fan-out,
            // not the per-user socket limit.
            ("HUB_MAX_SOCKETS_PER_USER".into(), "1000".into()),
        ],
        ..HubOptions::default()
    };
    let hub = Hub::start(hub_options.clone()).await?;
    let base = hub.url.clone();
    let addr = hub.addr()?;
    let pid = hub.pid();
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()?;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let rss_before = rss_kib(pid)?;
    say(&format!("hub {base} (pid {pid}) RSS {rss_before} KiB"));

    // Ramp up: the measured sockets first, then the workers' bulk.
    let sources = loopback_sources(o.sources);
    let background = Rates {
        heartbeat_jitter_ms: 0,
        heartbeat_ms: o.heartbeat_ms,
        activity_ms: o.activity_ms,
        stop: false,
    };
    let layout = setup::probes(&o, &manifest)?;
    let ramp = Instant::now();
    let probes = Probes::open(addr, &sources, layout.specs, o.ramp_per_second, background).await?;
    probes.wait_greeted(Duration::from_secs(60)).await?;
    let plan = FleetPlan {
        hub: addr,
        sources: sources.clone(),
        workers: o.workers,
        ramp_per_second: o.ramp_per_second,
        rates: background,
        max_duration: Duration::from_secs(1800),
    };
    let mut fleet = Fleet::start(
        worker_program,
        plan.specs(setup::worker_sockets(&manifest)?),
        &output_dir(),
        "bench",
    )
    .await?;
    let ramp_timeout =
        Duration::from_secs(60 + (o.sockets as u64 / o.ramp_per_second.max(1) as u64) * 3);
    let totals = fleet.wait_greeted(ramp_timeout).await?;
    let ramp_seconds = ramp.elapsed().as_secs_f64();
    let sockets = totals.greeted + probes.sockets.len() as u64;
    say(&format!(
        "{sockets} sockets open in {ramp_seconds:.1} s; settling"
    ));
    tokio::time::sleep(Duration::from_secs(o.settle_seconds)).await;
    let rss_after = rss_kib(pid)?;
    let m = HubMetrics::scrape(&http, &base).await?;
    let memory = MemoryResult::new(
        sockets,
        (m.open("agent") as u64, m.open("tab") as u64),
        rss_before,
        rss_after,
        ramp_seconds,
    );
    say(&format!(
        "memory: {:.2} KiB per socket",
        memory.kib_per_socket
    ));

    let load = manifest.org(LOAD_ORG)?;
    say("force-ends");
    let force_end = force_end::run(
        &http,
        &base,
        &load.admin.token,
        &probes,
        &layout.measured,
        Duration::from_millis(10),
    )
    .await?;

    say("policy changes");
    let policy = policy::run(
        &http,
        &base,
        &manifest.org(POLICY_ORG)?.owner.token,
        &fleet,
        o.policy_agents,
        o.policy_changes,
    )
    .await?;

    say("presence");
    let presence = presence::run(
        &probes,
        &layout.actors,
        &layout.viewers,
        Duration::from_millis(200),
    )
    .await?;

    say("GET /");
    let dashboard = manifest.org(DASHBOARD_ORG)?;
    let someone = dashboard
        .group("others")
        .last()
        .map(|a| a.email.clone())
        .unwrap_or_default();
    let someone_name = name_of(&someone);
    let page = page::run(
        &http,
        &base,
        &dashboard.admin.token,
        dashboard.member_count(),
        &someone_name,
        10,
        o.page_requests,
    )
    .await?;

    say("heartbeat ingestion");
    let ingest = ingest::run(
        &http,
        &base,
        pid,
        &mut fleet,
        background,
        o.ingest_heartbeat_ms,
        Duration::from_secs(3),
        Duration::from_secs(o.ingest_seconds),
    )
    .await?;

    say("stopping the load");
    let fleet_totals = fleet.stop().await;
    probes.stop().await;
    if !fleet_totals.errors.is_empty() {
        say(&format!("worker errors: {:?}", fleet_totals.errors));
    }

    let storm_accounts = setup::storm_accounts(&manifest, o.storm_agents)?;
    say(&format!(
        "reconnect storm: {} agents, then a hub restart",
        storm_accounts.len()
    ));
    let restarted = HubOptions {
        label: "bench-hub-restarted".into(),
        ..hub_options
    };
    let (hub, storm) = storm::run(hub, &restarted, &storm_accounts, &manifest.password).await?;
    say(&format!(
        "storm: {} of {} back, 99 % {:.2} s after the hub was up",
        storm.back, storm.agents, storm.p99_after_up_s
    ));
    hub.stop().context("the hub did not stop cleanly")?;

    let rows = table(
        o.sockets as u64,
        &memory,
        &force_end,
        &policy,
        &presence,
        &page,
        &ingest,
        &storm,
    );
    Ok(BenchResults {
        started_at,
        machine: machine(),
        database: database.into(),
        settings: serde_json::to_value(&o)?,
        memory,
        force_end,
        policy,
        presence,
        page,
        ingest,
        storm,
        table: rows,
    })
}

/// The display name the seeding gave the user with this e-mail (`label group i`).
fn name_of(email: &str) -> String {
    let local = email.split('.').next().unwrap_or_default();
    let mut parts = local.splitn(3, '-');
    let (label, group, i) = (
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default(),
        parts
            .next()
            .unwrap_or_default()
            .parse::<usize>()
            .unwrap_or(0),
    );
    format!("{label} {group} {i:05}")
}

pub(crate) fn chrono_like_now() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    format!("unix {secs}")
}

/// Prints the table and writes the JSON.
pub fn publish(results: &BenchResults, json: &Path) -> anyhow::Result<()> {
    println!(
        "\nPresence Hub benchmark — {} cores ({}), {} GiB, {}; database {}\n",
        results.machine.nproc,
        results.machine.cpu_model,
        results.machine.memory_gib,
        results.machine.kernel,
        results.database
    );
    println!("{}", markdown(&results.table));
    write_json(results, json)?;
    // A copy per run beside the others: the next change is compared with these.
    let kept = json
        .parent()
        .unwrap_or(Path::new("."))
        .join("bench")
        .join(format!(
            "bench-{}.json",
            chrono::Utc::now().format("%Y-%m-%dT%H%M%SZ")
        ));
    write_json(results, &kept)?;
    println!("written to {} and {}", json.display(), kept.display());
    Ok(())
}

//! Scale, small enough for CI: 500 sockets through the load generator (worker processes,
//! several loopback source addresses) against the real hub process, and 20 admin force-ends
//! under that load — every `session_ended` received by its agent and by every dashboard, none
//! lost, no socket dropped.
//!
//! Needs the hub binary: `cargo build -p server --bin presence-hub` (see `e2e::hub`).

use e2e::bench::probes::{wait_until, ProbeSpec, Probes};
use e2e::bench::readings::HubMetrics;
use e2e::bench::scenario::force_end;
use e2e::load::connect::{loopback_sources, SocketKind};
use e2e::load::fleet::{Fleet, FleetPlan};
use e2e::load::seed::{seed, GroupPlan, OrgPlan};
use e2e::load::socket::Rates;
use e2e::load::worker::SocketSpec;
use e2e::{output_dir, Hub, HubOptions};
use shared::Role;
use std::path::Path;
use std::time::Duration;

const AGENTS: usize = 470;
const TABS: usize = 10;
const FORCE_ENDS: usize = 20;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_hundred_sockets_and_twenty_force_ends_none_lost() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let url = format!("sqlite://{}/scale.db", dir.path().display());
    let manifest = seed(
        &url,
        &[OrgPlan {
            label: "scale".into(),
            groups: vec![
                GroupPlan::new("measured", Role::Member, FORCE_ENDS).with_sessions(),
                GroupPlan::new("agents", Role::Member, AGENTS),
                GroupPlan::new("viewers", Role::Supervisor, 2),
            ],
        }],
    )
    .await?;
    let org = manifest.org("scale")?;
    let hub = Hub::start(HubOptions {
        label: "scale-hub".into(),
        demo: false,
        database_url: Some(url),
        ..HubOptions::default()
    })
    .await?;
    let addr = hub.addr()?;
    let sources = loopback_sources(4);
    let rates = Rates {
        heartbeat_jitter_ms: 0,
        heartbeat_ms: 1000,
        activity_ms: 2000,
        stop: false,
    };

    // The bulk: agents and dashboards in two worker processes.
    let viewers = org.group("viewers");
    let mut sockets: Vec<SocketSpec> = org
        .group("agents")
        .iter()
        .map(|a| SocketSpec {
            kind: SocketKind::Agent,
            token: a.token.clone(),
        })
        .collect();
    sockets.extend((0..TABS).map(|i| SocketSpec {
        kind: SocketKind::Tab,
        token: viewers[i % viewers.len()].token.clone(),
    }));
    let plan = FleetPlan {
        hub: addr,
        sources: sources.clone(),
        workers: 2,
        ramp_per_second: 1000,
        rates,
        max_duration: Duration::from_secs(120),
    };
    let fleet = Fleet::start(
        Path::new(env!("CARGO_BIN_EXE_loadgen")),
        plan.specs(sockets),
        &output_dir(),
        "scale",
    )
    .await?;

    // The measured agents, whose sessions an admin ends.
    let specs: Vec<ProbeSpec> = org
        .group("measured")
        .iter()
        .map(|a| ProbeSpec {
            kind: SocketKind::Agent,
            token: a.token.clone(),
            user_id: a.user_id,
            session_id: a.session_id,
            periodic: true,
        })
        .collect();
    let probes = Probes::open(addr, &sources, specs, 1000, rates).await?;
    probes.wait_greeted(Duration::from_secs(30)).await?;
    fleet.wait_greeted(Duration::from_secs(30)).await?;

    let http = reqwest::Client::new();
    let before = HubMetrics::scrape(&http, &hub.url).await?;
    assert_eq!(before.open("agent") as usize, AGENTS + FORCE_ENDS);
    assert_eq!(before.open("tab") as usize, TABS);

    let measured: Vec<usize> = (0..FORCE_ENDS).collect();
    let ended = force_end::run(
        &http,
        &hub.url,
        &org.admin.token,
        &probes,
        &measured,
        Duration::from_millis(5),
    )
    .await?;
    assert_eq!(ended.requested, FORCE_ENDS);
    assert_eq!(
        ended.received, FORCE_ENDS,
        "every force-ended agent got session_ended"
    );

    // Every dashboard sees every end too (its org's `session_ended`), and heartbeats flowed.
    let all_tabs_saw_them = wait_until(Duration::from_secs(5), || {
        fleet
            .totals()
            .received_by_type
            .get("session_ended")
            .copied()
            .unwrap_or(0)
            >= (TABS * FORCE_ENDS) as u64
    })
    .await;
    let totals = fleet.totals();
    assert!(
        all_tabs_saw_them,
        "dashboards received {:?} session_ended, expected {}",
        totals.received_by_type.get("session_ended"),
        TABS * FORCE_ENDS
    );
    assert_eq!(
        totals.received_by_type.get("session_ended").copied(),
        Some((TABS * FORCE_ENDS) as u64),
        "no agent of another user got someone else's session_ended"
    );
    let after = HubMetrics::scrape(&http, &hub.url).await?;
    assert!(totals.sent > 0 && after.messages_in() > before.messages_in());
    assert_eq!(totals.failed, 0, "errors: {:?}", totals.errors);
    assert_eq!(totals.closed, 0, "errors: {:?}", totals.errors);
    assert!(probes.observer.log().closed.is_empty());

    let last = fleet.stop().await;
    assert_eq!(last.closed, (AGENTS + TABS) as u64);
    probes.stop().await;
    hub.stop()
}

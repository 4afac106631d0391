//! `bench`: the Presence Hub benchmark (see `e2e/scripts/bench.sh`, which builds the release hub
//! and raises the open-files limit first). `bench --cluster` is the cluster benchmark (three
//! hubs behind HAProxy on their own PostgreSQL server). `bench --peer DIR` compares the hub
//! with another server side by side (`e2e::bench::side_by_side`). `bench worker` is one
//! load-generator worker process.

use clap::Parser;
use e2e::bench::cluster::ClusterBenchOptions;
use e2e::bench::BenchOptions;

#[derive(Parser)]
#[command(
    name = "bench",
    about = "Presence Hub benchmark: SPEC §14 scenarios at 19,000 sockets"
)]
struct Cli {
    /// Run the cluster benchmark instead: 3 hubs behind HAProxy (see `bench --cluster --help`).
    #[arg(long)]
    cluster: bool,
    #[command(flatten)]
    options: BenchOptions,
}

#[derive(Parser)]
#[command(
    name = "bench --cluster",
    about = "Presence Hub cluster benchmark: SPEC §14 cluster scenarios, 3 hubs behind HAProxy, \
             19,000 sockets spread over them"
)]
struct ClusterCli {
    /// The cluster benchmark (this set of flags).
    #[arg(long)]
    cluster: bool,
    #[command(flatten)]
    options: ClusterBenchOptions,
}

#[derive(Parser)]
#[command(
    name = "bench --peer DIR",
    about = "The hub and a peer server side by side: memory, force-end latency and CPU at 15,000 \
             agent sockets, the same client against a fresh server each"
)]
struct PeerCli {
    #[command(flatten)]
    options: e2e::bench::side_by_side::SideBySideOptions,
}

fn main() -> anyhow::Result<()> {
    if std::env::args().nth(1).as_deref() == Some("worker") {
        return e2e::load::worker::main();
    }
    let program = std::env::current_exe()?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    if std::env::args()
        .skip(1)
        .any(|a| a == "--peer" || a.starts_with("--peer="))
    {
        let cli = PeerCli::parse();
        let results = runtime.block_on(e2e::bench::side_by_side::run(cli.options, &program))?;
        e2e::bench::side_by_side::publish(&results)?;
        return Ok(());
    }
    if std::env::args().skip(1).any(|a| a == "--cluster") {
        let cli = ClusterCli::parse();
        let json = cli.options.json.clone();
        let results = runtime.block_on(e2e::bench::cluster::run::run(cli.options, &program))?;
        return e2e::bench::cluster::report::publish(&results, &json);
    }
    let cli = Cli::parse();
    let json = cli.options.json.clone();
    let results = runtime.block_on(e2e::bench::run::run(cli.options, &program))?;
    e2e::bench::run::publish(&results, &json)
}

//! `bench`: the Presence Hub benchmark (see `e2e/scripts/bench.sh`, which builds the release hub
//! and raises the open-files limit first). `bench worker` is one load-generator worker process.

use clap::Parser;
use e2e::bench::BenchOptions;

#[derive(Parser)]
#[command(
    name = "bench",
    about = "Presence Hub benchmark: SPEC §14 scenarios at 19,000 sockets"
)]
struct Cli {
    #[command(flatten)]
    options: BenchOptions,
}

fn main() -> anyhow::Result<()> {
    if std::env::args().nth(1).as_deref() == Some("worker") {
        return e2e::load::worker::main();
    }
    let cli = Cli::parse();
    let json = cli.options.json.clone();
    let program = std::env::current_exe()?;
    let results = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(e2e::bench::run::run(cli.options, &program))?;
    e2e::bench::run::publish(&results, &json)
}

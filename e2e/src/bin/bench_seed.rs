//! `bench-seed`: fills a database with benchmark users and device tokens (benchmark only; see
//! `e2e::load::seed`) and writes the manifest the load generator reads. Run it before the hub
//! starts, so the hub loads every user at start-up.

use clap::Parser;
use e2e::load::seed::{seed, GroupPlan, OrgPlan};
use shared::Role;
use std::path::PathBuf;

#[derive(Parser)]
#[command(
    name = "bench-seed",
    about = "Seed a benchmark database for the load generator"
)]
struct Args {
    /// `sqlite://path` or `postgres://…` (migrated if new).
    #[arg(long)]
    database_url: String,
    /// Members, each with a device token (agents).
    #[arg(long, default_value_t = 1000)]
    agents: usize,
    /// Supervisors, each with a web token (tabs).
    #[arg(long, default_value_t = 10)]
    viewers: usize,
    /// How many of the members get a running work session.
    #[arg(long, default_value_t = 0)]
    sessions: usize,
    /// Where to write the manifest (users and plain tokens).
    #[arg(long)]
    out: PathBuf,
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let with_sessions = args.sessions.min(args.agents);
    let plan = OrgPlan {
        label: "load".into(),
        groups: vec![
            GroupPlan::new("session_agents", Role::Member, with_sessions).with_sessions(),
            GroupPlan::new("agents", Role::Member, args.agents - with_sessions),
            GroupPlan::new("viewers", Role::Supervisor, args.viewers),
        ],
    };
    let started = std::time::Instant::now();
    let manifest = seed(&args.database_url, &[plan]).await?;
    manifest.save(&args.out)?;
    println!(
        "seeded {} users in {:.1}s; manifest {}",
        manifest
            .orgs
            .iter()
            .map(|o| o.member_count())
            .sum::<usize>(),
        started.elapsed().as_secs_f64(),
        args.out.display()
    );
    Ok(())
}

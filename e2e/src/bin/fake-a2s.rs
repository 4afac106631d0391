//! `fake-a2s`: a pretend game server for trying the hub's A2S tracking by hand.
//!
//! ```sh
//! cargo run -p e2e --bin fake-a2s -- --listen 127.0.0.1:27015 --player "Alice Archer"
//! ```
//!
//! Then type `+Name` to add a player, `-Name` to remove one, `silent` / `answer` to stop and
//! resume answering, `list` to see who is on.

use clap::Parser;
use e2e::fake_a2s::{FakeA2s, FakeA2sOptions};
use std::net::SocketAddr;
use tokio::io::{AsyncBufReadExt, BufReader};

#[derive(Parser)]
#[command(
    name = "fake-a2s",
    about = "A fake game server answering Valve A2S queries"
)]
struct Args {
    /// UDP address to answer on.
    #[arg(long, default_value = "127.0.0.1:27015")]
    listen: SocketAddr,
    /// A player on the server (repeat for more).
    #[arg(long = "player")]
    players: Vec<String>,
    #[arg(long, default_value = "Fake Staff Server")]
    name: String,
    #[arg(long, default_value = "de_dust2")]
    map: String,
    /// Answer without the challenge handshake.
    #[arg(long)]
    no_challenge: bool,
    /// Split answers longer than this many bytes into several packets.
    #[arg(long)]
    split_at: Option<usize>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let server = FakeA2s::bind(
        args.listen,
        FakeA2sOptions {
            challenge: !args.no_challenge,
            split_at: args.split_at,
            server_name: args.name,
            map: args.map,
            ..FakeA2sOptions::default()
        },
    )
    .await?;
    let names: Vec<&str> = args.players.iter().map(String::as_str).collect();
    server.set_players(&names);
    println!("fake A2S server on udp://{}", server.addr());
    println!("players: {:?}", server.players());
    println!("commands: +Name, -Name, list, silent, answer (Ctrl-D or Ctrl-C to quit)");
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    loop {
        let line = tokio::select! {
            line = lines.next_line() => line?,
            _ = tokio::signal::ctrl_c() => None,
        };
        let Some(line) = line else { break };
        let line = line.trim();
        let mut players = server.players();
        match line {
            "" => continue,
            "list" => {}
            "silent" => server.set_silent(true),
            "answer" => server.set_silent(false),
            _ if line.starts_with('+') => players.push(line[1..].trim().to_string()),
            _ if line.starts_with('-') => players.retain(|p| p != line[1..].trim()),
            _ => {
                println!("unknown command {line:?}");
                continue;
            }
        }
        let names: Vec<&str> = players.iter().map(String::as_str).collect();
        server.set_players(&names);
        println!("players: {:?}", server.players());
    }
    Ok(())
}

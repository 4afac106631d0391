//! `presence-agent`: log in once, then run (with a window, or `--headless`).

use agent::client::api::HubApi;
use agent::client::credentials::{Credentials, TokenPlace};
use agent::engine::{Command, Engine, SocketEndpoint};
use agent::paths::{read_json, AgentPaths};
use agent::state::AgentState;
use clap::{Parser, Subcommand};
use shared::two_factor::LoginAnswer;
use std::io::Read;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::mpsc;

#[derive(Parser)]
#[command(name = "presence-agent", version, about = "Presence Hub desktop agent")]
struct Cli {
    /// The agent's folder (login, queue, logs); default: the user's config folder.
    #[arg(long, global = true, env = "PRESENCE_AGENT_HOME")]
    home: Option<std::path::PathBuf>,
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Log in and store a device token in the config folder. Without `--email`: shows a code
    /// to approve in the browser where you are signed in (no password here).
    Login {
        #[arg(long, env = "PRESENCE_SERVER")]
        server: String,
        #[arg(long, env = "PRESENCE_EMAIL")]
        email: Option<String>,
        /// Read the password from standard input instead of a prompt (and, on the next line,
        /// the two-factor code when the account asks for one).
        #[arg(long)]
        password_stdin: bool,
        /// The code of your authenticator app, for an account with two-factor sign-in (else
        /// $PRESENCE_TOTP_CODE, else the line after the password on standard input, else asked).
        #[arg(long)]
        code: Option<String>,
    },
    /// Revoke the device token and forget it.
    Logout,
    /// Print the connection state, config version and the running session.
    Status,
    /// Run the agent (a window; `--headless` for none).
    Run {
        #[arg(long)]
        headless: bool,
    },
    /// Ask the running agent to start a session.
    Start {
        #[arg(long)]
        ticket: Option<i64>,
    },
    /// Ask the running agent to stop its session.
    Stop,
    /// Start the agent (with its window) when this user logs in; no administrator rights.
    Install,
    /// No longer start the agent at login.
    Uninstall,
    /// Run N simulated agents (load tests): real protocol, no window, no capture.
    Swarm {
        #[arg(long)]
        count: usize,
        /// File with one token per line (default: this device's token for every agent).
        #[arg(long)]
        tokens: Option<std::path::PathBuf>,
        #[arg(long, default_value_t = 5)]
        heartbeat_seconds: u64,
        #[arg(long, default_value_t = 60)]
        seconds: u64,
        /// Print every agent's `hello` and disconnection as a JSON line on stdout.
        #[arg(long)]
        events: bool,
        /// Never acknowledge a policy (`config_applied`): agents that run an old config.
        #[arg(long)]
        no_config_ack: bool,
        /// Act out the demo's people (sessions on tickets, idle spells, breaks) on this hub.
        #[arg(long)]
        demo: bool,
        /// The hub's URL (default: the one `presence-agent login` saved).
        #[arg(long)]
        server: Option<String>,
    },
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let paths = match AgentPaths::resolve(cli.home.clone()) {
        Ok(p) => p,
        Err(e) => return fail(&format!("no config folder: {e}")),
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => return fail(&format!("cannot start: {e}")),
    };
    match cli.command {
        Cmd::Login {
            server,
            email,
            password_stdin,
            code,
        } => match email.filter(|e| !e.trim().is_empty()) {
            Some(email) => runtime.block_on(login(&paths, &server, &email, password_stdin, code)),
            None => runtime.block_on(device_login(&paths, &server)),
        },
        Cmd::Logout => runtime.block_on(logout(&paths)),
        Cmd::Status => status(&paths),
        Cmd::Start { ticket } => runtime.block_on(control(
            &paths,
            &ticket
                .map(|t| format!("start {t}"))
                .unwrap_or_else(|| "start".into()),
        )),
        Cmd::Stop => runtime.block_on(control(&paths, "stop")),
        Cmd::Install => install(cli.home.as_deref()),
        Cmd::Uninstall => uninstall(),
        Cmd::Run { headless } => run(runtime, paths, headless),
        Cmd::Swarm {
            count,
            tokens,
            heartbeat_seconds,
            seconds,
            events,
            no_config_ack,
            demo,
            server,
        } => runtime.block_on(swarm(
            &paths,
            count,
            tokens,
            server,
            demo,
            agent::swarm::SwarmOptions {
                heartbeat_every: Duration::from_secs(heartbeat_seconds.max(1)),
                duration: Duration::from_secs(seconds),
                ack_config: !no_config_ack,
                demo: None,
            },
            events,
        )),
    }
}

fn fail(message: &str) -> ExitCode {
    eprintln!("presence-agent: {message}");
    ExitCode::FAILURE
}

/// The password, and from standard input also the line after it (a two-factor code, if any).
fn read_password(from_stdin: bool) -> std::io::Result<(String, Option<String>)> {
    if let Ok(p) = std::env::var("PRESENCE_PASSWORD") {
        if !p.is_empty() {
            return Ok((p, None));
        }
    }
    if from_stdin {
        let mut s = String::new();
        std::io::stdin().read_to_string(&mut s)?;
        let mut lines = s.lines();
        let password = lines.next().unwrap_or_default().to_string();
        let code = lines
            .map(str::trim)
            .find(|l| !l.is_empty())
            .map(str::to_string);
        return Ok((password, code));
    }
    rpassword::prompt_password("Password: ").map(|p| (p, None))
}

/// The two-factor code: `--code`, else $PRESENCE_TOTP_CODE, else the line after the password
/// on standard input, else asked for on the terminal.
fn two_factor_code(flag: Option<String>, from_stdin: Option<String>) -> std::io::Result<String> {
    let given = flag
        .into_iter()
        .chain(std::env::var("PRESENCE_TOTP_CODE").ok())
        .chain(from_stdin)
        .map(|c| c.trim().to_string())
        .find(|c| !c.is_empty());
    if let Some(code) = given {
        return Ok(code);
    }
    eprint!("Two-factor code: ");
    std::io::Write::flush(&mut std::io::stderr())?;
    let mut line = String::new();
    std::io::stdin().read_line(&mut line)?;
    Ok(line.trim().to_string())
}

async fn login(
    paths: &AgentPaths,
    server: &str,
    email: &str,
    password_stdin: bool,
    code: Option<String>,
) -> ExitCode {
    let (password, stdin_code) = match read_password(password_stdin) {
        Ok(p) => p,
        Err(e) => return fail(&format!("cannot read the password: {e}")),
    };
    let api = HubApi::new(server, None);
    let res = match api.login(email, &password).await {
        Ok(LoginAnswer::LoggedIn(res)) => res,
        // Two-factor sign-in: the password was right; the code finishes the login.
        Ok(LoginAnswer::MfaRequired(step)) => {
            let code = match two_factor_code(code, stdin_code) {
                Ok(code) => code,
                Err(e) => return fail(&format!("cannot read the two-factor code: {e}")),
            };
            match api.finish_mfa(&step.mfa_token, &code).await {
                Ok(res) => res,
                Err(e) => return fail(&format!("login failed: {e}")),
            }
        }
        Err(e) => return fail(&format!("login failed: {e}")),
    };
    keep_login(paths, &api, res)
}

/// `login` without an e-mail: the device authorization flow. Prints where to approve the
/// code (two lines on stdout), then waits until it is approved, denied or expired.
async fn device_login(paths: &AgentPaths, server: &str) -> ExitCode {
    use agent::client::device_flow;
    let api = HubApi::new(server, None);
    let auth = match api.start_device_login(&device_flow::client_name()).await {
        Ok(auth) => auth,
        Err(e) => return fail(&format!("login failed: {e}")),
    };
    for line in device_flow::instructions(&auth) {
        println!("{line}");
    }
    // Whoever reads the lines through a pipe (a script, a test) sees them now.
    let _ = std::io::Write::flush(&mut std::io::stdout());
    match device_flow::wait_for_approval(&api, &auth).await {
        Ok(res) => keep_login(paths, &api, res),
        Err(e) => fail(&format!("login failed: {e}")),
    }
}

/// Stores the login answer (the same for a password and a device login) and says who it is.
fn keep_login(paths: &AgentPaths, api: &HubApi, res: shared::api::LoginResponse) -> ExitCode {
    let creds = Credentials {
        server: api.base().to_string(),
        token: res.token,
        user_id: res.user.id,
        email: res.user.email,
        name: res.user.name.clone(),
        token_in: TokenPlace::File,
    };
    let place = match creds.save(paths) {
        Ok(place) => place,
        Err(e) => return fail(&format!("cannot store the device token: {e}")),
    };
    println!(
        "Logged in as {} ({}). Device token kept {}; login in {}.",
        res.user.name,
        res.user.role,
        place.describe(),
        paths.credentials().display()
    );
    ExitCode::SUCCESS
}

async fn logout(paths: &AgentPaths) -> ExitCode {
    let Some(creds) = Credentials::load(paths) else {
        println!("Not logged in.");
        return ExitCode::SUCCESS;
    };
    if let Err(e) = HubApi::new(&creds.server, Some(creds.token.clone()))
        .logout()
        .await
    {
        eprintln!("presence-agent: the hub could not be told ({e}); forgetting the token anyway");
    }
    match Credentials::remove(paths) {
        Ok(()) => {
            println!("Logged out.");
            ExitCode::SUCCESS
        }
        Err(e) => fail(&format!("cannot remove the token: {e}")),
    }
}

fn install(home: Option<&std::path::Path>) -> ExitCode {
    let exe = match std::env::current_exe() {
        Ok(exe) => exe,
        Err(e) => return fail(&format!("cannot tell where this program is: {e}")),
    };
    let home = match home.map(std::path::absolute).transpose() {
        Ok(home) => home,
        Err(e) => return fail(&format!("cannot resolve --home: {e}")),
    };
    match agent::os::autostart::install(&exe, home.as_deref()) {
        Ok(()) => {
            let at = agent::os::autostart::location().unwrap_or_default();
            println!("The agent starts when you log in ({at}).");
            ExitCode::SUCCESS
        }
        Err(e) => fail(&format!("cannot set the agent to start at login: {e}")),
    }
}

fn uninstall() -> ExitCode {
    match agent::os::autostart::uninstall() {
        Ok(()) => {
            println!("The agent no longer starts when you log in.");
            ExitCode::SUCCESS
        }
        Err(e) => fail(&format!("cannot remove the start at login: {e}")),
    }
}

fn status(paths: &AgentPaths) -> ExitCode {
    let Some(creds) = Credentials::load(paths) else {
        println!("Not logged in. Run `presence-agent login --server URL --email E`.");
        return ExitCode::FAILURE;
    };
    match read_json::<AgentState>(&paths.status()) {
        Some(state) if agent::os::process::alive(state.pid) => {
            println!("agent:           running (pid {})", state.pid);
            for line in state.describe(chrono::Utc::now()) {
                println!("{line}");
            }
        }
        last => {
            println!("agent:           not running");
            println!("server:          {}", creds.server);
            println!("user:            {} <{}>", creds.name, creds.email);
            if let Some(state) = last {
                println!("config version:  {} (cached)", state.config_version);
            }
        }
    }
    ExitCode::SUCCESS
}

fn run(runtime: tokio::runtime::Runtime, paths: AgentPaths, headless: bool) -> ExitCode {
    let Some(creds) = Credentials::load(&paths) else {
        return fail("not logged in; run `presence-agent login --server URL --email E` first");
    };
    let api = HubApi::new(&creds.server, Some(creds.token.clone()));
    let (commands, command_rx) = mpsc::channel(16);
    let socket = SocketEndpoint::of(&api);
    let desktop = agent::tracking::desktop();
    let (engine, state) = Engine::new(
        api.clone(),
        api.base(),
        paths.clone(),
        desktop.idle,
        desktop.screen,
    );
    let engine = engine.with_activity(desktop.input, desktop.focus);
    let control_path = paths.control_socket();
    let engine_task = runtime.spawn(engine.run(command_rx, socket));
    {
        let commands = commands.clone();
        runtime.spawn(async move {
            if let Err(e) = agent::control::serve(&control_path, commands).await {
                tracing::warn!(error = %e, "control socket unavailable; `presence-agent start/stop` will not reach this agent");
            }
        });
    }
    // Ctrl-C or SIGTERM: the engine stops, and the window (if any) closes itself.
    let stopping = Arc::new(AtomicBool::new(false));
    {
        let quit = commands.clone();
        let stopping = stopping.clone();
        runtime.spawn(async move {
            stop_signal().await;
            stopping.store(true, Ordering::Relaxed);
            let _ = quit.send(Command::Quit).await;
        });
    }
    if headless {
        runtime.spawn(log_what_the_window_would_show(state.clone()));
        let _ = runtime.block_on(engine_task);
        return ExitCode::SUCCESS;
    }
    let tickets = Arc::new(Mutex::new(Vec::new()));
    {
        let tickets = tickets.clone();
        runtime.spawn(async move {
            if let Ok(list) = api.tickets().await {
                if let Ok(mut t) = tickets.lock() {
                    *t = list;
                }
            }
        });
    }
    let shown = agent::ui::window::run(state, commands, tickets, stopping);
    let _ =
        runtime.block_on(async { tokio::time::timeout(Duration::from_secs(5), engine_task).await });
    match shown {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(&format!(
            "cannot open the window ({e}); try `presence-agent run --headless`"
        )),
    }
}

async fn stop_signal() {
    #[cfg(unix)]
    if let Ok(mut term) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
    {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
        return;
    }
    let _ = tokio::signal::ctrl_c().await;
}

/// Headless: every change of what the window would show goes to the log.
async fn log_what_the_window_would_show(state: agent::engine::SharedState) {
    let mut last = String::new();
    loop {
        let shown = {
            let s = match state.lock() {
                Ok(s) => s.clone(),
                Err(p) => p.into_inner().clone(),
            };
            let session = s
                .session
                .as_ref()
                .map(|x| format!("running since {}", x.started_at.to_rfc3339()))
                .unwrap_or_else(|| "none".into());
            let notice = s
                .notice
                .as_ref()
                .map(|n| n.text.clone())
                .unwrap_or_default();
            format!(
                "connection={} config_version={} session={} pending={} notice={:?}",
                s.connection.as_str(),
                s.config_version,
                session,
                s.pending_writes,
                notice
            )
        };
        if shown != last {
            tracing::info!(target: "window", "{shown}");
            last = shown;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn control(paths: &AgentPaths, line: &str) -> ExitCode {
    match agent::control::send(&paths.control_socket(), line).await {
        Ok(answer) if answer == "ok" || answer.starts_with("ok ") => {
            let notice = answer.trim_start_matches("ok").trim();
            if !notice.is_empty() {
                println!("{notice}");
            }
            ExitCode::SUCCESS
        }
        Ok(answer) => fail(&answer),
        Err(e) => fail(&format!(
            "no running agent to ask ({e}); start one with `presence-agent run`"
        )),
    }
}

async fn swarm(
    paths: &AgentPaths,
    count: usize,
    tokens_file: Option<std::path::PathBuf>,
    server: Option<String>,
    demo: bool,
    mut options: agent::swarm::SwarmOptions,
    print_events: bool,
) -> ExitCode {
    let creds = Credentials::load(paths);
    let Some(server) = server.or_else(|| creds.as_ref().map(|c| c.server.clone())) else {
        return fail("not logged in; the swarm needs the hub's URL (--server) and tokens");
    };
    if demo {
        options.demo = Some(server.clone());
    }
    let tokens: Vec<String> = match tokens_file {
        Some(path) => match std::fs::read_to_string(&path) {
            Ok(text) => text
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(str::to_string)
                .collect(),
            Err(e) => return fail(&format!("cannot read {}: {e}", path.display())),
        },
        None => match &creds {
            Some(c) => vec![c.token.clone()],
            None => return fail("no --tokens file and not logged in"),
        },
    };
    let url = HubApi::new(&server, None).socket_url();
    let (events_tx, mut events_rx) = tokio::sync::mpsc::unbounded_channel();
    let printer = tokio::spawn(async move {
        use std::io::Write;
        while let Some(event) = events_rx.recv().await {
            if let Ok(line) = serde_json::to_string(&event) {
                let mut out = std::io::stdout().lock();
                let _ = writeln!(out, "{line}");
                let _ = out.flush();
            }
        }
    });
    let counters = agent::swarm::run(
        url,
        tokens,
        count,
        options,
        print_events.then_some(events_tx),
    )
    .await;
    let _ = printer.await;
    use std::sync::atomic::Ordering::Relaxed;
    println!(
        "swarm: {count} agents, {} connections, {} hellos, {} heartbeats sent, {} other messages received",
        counters.connected.load(Relaxed),
        counters.hellos.load(Relaxed),
        counters.heartbeats.load(Relaxed),
        counters.messages.load(Relaxed)
    );
    ExitCode::SUCCESS
}

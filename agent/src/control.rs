//! A local control socket so a headless agent can be driven from the command line:
//! `presence-agent start [--ticket N]` and `presence-agent stop` talk to the running agent.

use std::path::Path;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::sync::mpsc;

use crate::engine::Command;

/// Accepts one-line commands ("start", "start 12", "stop") until the agent stops: on a Unix
/// socket at `path` (mode 0600), or on Windows on the named pipe [`pipe_name`] of `path`.
#[cfg(unix)]
pub async fn serve(path: &Path, commands: mpsc::Sender<Command>) -> std::io::Result<()> {
    let _ = std::fs::remove_file(path);
    let listener = tokio::net::UnixListener::bind(path)?;
    std::fs::set_permissions(path, std::os::unix::fs::PermissionsExt::from_mode(0o600))?;
    loop {
        let (stream, _) = listener.accept().await?;
        tokio::spawn(answer(stream, commands.clone()));
    }
}

/// Windows: a named pipe, local clients only (tokio refuses remote ones by default); its
/// default security lets only this user, administrators and the system write to it.
#[cfg(windows)]
pub async fn serve(path: &Path, commands: mpsc::Sender<Command>) -> std::io::Result<()> {
    use tokio::net::windows::named_pipe::ServerOptions;
    let name = pipe_name(path);
    let mut server = ServerOptions::new()
        .first_pipe_instance(true)
        .create(&name)?;
    loop {
        server.connect().await?;
        // The next client needs an instance of its own before this one is handed off.
        let connected = std::mem::replace(&mut server, ServerOptions::new().create(&name)?);
        tokio::spawn(answer(connected, commands.clone()));
    }
}

/// The pipe for the agent whose control path is `path`: one per agent folder.
#[cfg(windows)]
pub fn pipe_name(path: &Path) -> String {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    path.hash(&mut hasher);
    format!(r"\\.\pipe\presence-agent-{:016x}", hasher.finish())
}

/// Reads one command, executes it, writes the answer.
async fn answer<S: AsyncRead + AsyncWrite>(stream: S, commands: mpsc::Sender<Command>) {
    let (read, mut write) = tokio::io::split(stream);
    let mut line = String::new();
    if BufReader::new(read).read_line(&mut line).await.is_err() {
        return;
    }
    let reply = match parse(line.trim()) {
        Some(cmd) => match execute(&commands, cmd).await {
            Some(notice) => format!("ok {notice}\n"),
            None => "error: the agent is stopping\n".to_string(),
        },
        None => format!("error: unknown command {:?}\n", line.trim()),
    };
    let _ = write.write_all(reply.as_bytes()).await;
}

/// Sends `cmd`, then waits until the engine has done it: the notice it left, if any.
async fn execute(commands: &mpsc::Sender<Command>, cmd: Command) -> Option<String> {
    commands.send(cmd).await.ok()?;
    let (reply, answer) = tokio::sync::oneshot::channel();
    commands.send(Command::Report(reply)).await.ok()?;
    answer.await.ok()
}

fn parse(line: &str) -> Option<Command> {
    let mut words = line.split_whitespace();
    match (words.next(), words.next()) {
        (Some("start"), None) => Some(Command::Start { ticket_id: None }),
        (Some("start"), Some(n)) => n.parse().ok().map(|id| Command::Start {
            ticket_id: Some(id),
        }),
        (Some("stop"), None) => Some(Command::Stop),
        _ => None,
    }
}

/// Sends one command to the running agent; returns its answer (`ok [notice]` once done, or
/// `error: …`).
pub async fn send(path: &Path, line: &str) -> std::io::Result<String> {
    #[cfg(unix)]
    let stream = tokio::net::UnixStream::connect(path).await?;
    #[cfg(windows)]
    let stream = open_pipe(path).await?;
    let (read, mut write) = tokio::io::split(stream);
    write.write_all(format!("{line}\n").as_bytes()).await?;
    let mut answer = String::new();
    BufReader::new(read).read_line(&mut answer).await?;
    Ok(answer.trim().to_string())
}

/// The agent's pipe; while all its instances are busy (another command), waits a little.
#[cfg(windows)]
async fn open_pipe(
    path: &Path,
) -> std::io::Result<tokio::net::windows::named_pipe::NamedPipeClient> {
    use tokio::net::windows::named_pipe::ClientOptions;
    // ERROR_PIPE_BUSY
    const PIPE_BUSY: i32 = 231;
    let name = pipe_name(path);
    for _ in 0..50 {
        match ClientOptions::new().open(&name) {
            Err(e) if e.raw_os_error() == Some(PIPE_BUSY) => {
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
            other => return other,
        }
    }
    ClientOptions::new().open(&name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_commands_it_knows() {
        assert!(matches!(
            parse("start"),
            Some(Command::Start { ticket_id: None })
        ));
        assert!(matches!(
            parse("start 7"),
            Some(Command::Start { ticket_id: Some(7) })
        ));
        assert!(matches!(parse("stop"), Some(Command::Stop)));
        assert!(parse("start x").is_none());
        assert!(parse("reboot").is_none());
    }

    /// Through the real channel (a Unix socket; a named pipe on Windows, under Wine in the
    /// tests): a command reaches the engine and the answer comes back; an unknown one is refused.
    #[tokio::test]
    async fn a_command_goes_through_the_channel_and_is_answered() {
        let dir = tempfile::tempdir().expect("a folder");
        let path = dir.path().join("control.sock");
        let (commands, mut engine) = mpsc::channel(4);
        let server = tokio::spawn({
            let path = path.clone();
            async move { serve(&path, commands).await }
        });
        tokio::spawn(async move {
            while let Some(cmd) = engine.recv().await {
                if let Command::Report(reply) = cmd {
                    let _ = reply.send("Stopped.".to_string());
                }
            }
        });
        let mut answer = None;
        for _ in 0..100 {
            match send(&path, "stop").await {
                Ok(a) => {
                    answer = Some(a);
                    break;
                }
                // Not listening yet.
                Err(_) => tokio::time::sleep(std::time::Duration::from_millis(20)).await,
            }
        }
        assert_eq!(answer.as_deref(), Some("ok Stopped."));
        let refused = send(&path, "reboot").await.expect("an answer");
        assert!(refused.starts_with("error: unknown command"), "{refused}");
        server.abort();
    }
}

//! A local control socket so a headless agent can be driven from the command line:
//! `presence-agent start [--ticket N]` and `presence-agent stop` talk to the running agent.

use std::path::Path;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::mpsc;

use crate::engine::Command;

/// Accepts one-line commands ("start", "start 12", "stop") until the agent stops.
pub async fn serve(path: &Path, commands: mpsc::Sender<Command>) -> std::io::Result<()> {
    let _ = std::fs::remove_file(path);
    let listener = UnixListener::bind(path)?;
    #[cfg(unix)]
    std::fs::set_permissions(path, std::os::unix::fs::PermissionsExt::from_mode(0o600))?;
    loop {
        let (stream, _) = listener.accept().await?;
        let commands = commands.clone();
        tokio::spawn(async move {
            let (read, mut write) = stream.into_split();
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
        });
    }
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
    let mut stream = UnixStream::connect(path).await?;
    stream.write_all(format!("{line}\n").as_bytes()).await?;
    let mut answer = String::new();
    BufReader::new(stream).read_line(&mut answer).await?;
    Ok(answer.trim().to_string())
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
}

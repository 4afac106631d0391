//! `presence-hub org sso`: an organization's single sign-on provider from the command line,
//! through the same operation as `PUT/DELETE /api/org/sso` (audited `via: cli`).
//!
//! ```text
//! echo "$SECRET" | presence-hub org sso --org 1 --issuer https://login.example.com \
//!     --client-id hub --client-secret-stdin --allowed-domain example.com --sso-only
//! presence-hub org sso --org 1 --remove
//! ```

use clap::Args;
use std::io::{BufRead, Write};

use crate::ops::{self, Ctx, OpError};
use crate::store::UserAuditActor;
use shared::sso::SsoConfigRequest;

#[derive(Debug, Clone, Args)]
pub struct SsoArgs {
    /// The organization's id (`presence-hub org list`).
    #[arg(long)]
    pub org: i64,
    /// The provider's issuer URL, exactly as its discovery document names it (https://; http://
    /// only on this machine).
    #[arg(long, required_unless_present = "remove")]
    pub issuer: Option<String>,
    /// The client id the provider gave the hub.
    #[arg(long, required_unless_present = "remove")]
    pub client_id: Option<String>,
    /// Read the client secret from the first line of standard input (never an argument: it
    /// would show in the process list). Without it a stored secret is kept.
    #[arg(long)]
    pub client_secret_stdin: bool,
    /// An e-mail domain whose people become members at their first sign-in (repeatable).
    #[arg(long = "allowed-domain", value_name = "DOMAIN")]
    pub allowed_domains: Vec<String>,
    /// Refuse password logins of the organization, except its owners' (break-glass).
    #[arg(long)]
    pub sso_only: bool,
    /// Remove the provider: everyone signs in with a password again.
    #[arg(
        long,
        conflicts_with_all = ["issuer", "client_id", "client_secret_stdin", "allowed_domains", "sso_only"]
    )]
    pub remove: bool,
}

/// Runs `org sso`: the callback URL to register at the provider on stdout, explanations on
/// stderr.
pub async fn run(ctx: &Ctx<'_>, args: SsoArgs) -> Result<(), OpError> {
    let who = UserAuditActor {
        actor_id: None,
        ip: None,
        via: "cli",
    };
    if args.remove {
        ops::sso::remove(ctx, args.org, &who).await?;
        eprintln!(
            "Single sign-on of organization {} is removed: everyone signs in with a password again.",
            args.org
        );
        return Ok(());
    }
    let client_secret = if args.client_secret_stdin {
        Some(secret_from_stdin()?)
    } else {
        None
    };
    let body = SsoConfigRequest {
        issuer: args.issuer.unwrap_or_default(),
        client_id: args.client_id.unwrap_or_default(),
        client_secret,
        allowed_domains: args.allowed_domains,
        sso_only: args.sso_only,
    };
    let settings = ops::sso::configure(ctx, args.org, &body, &who).await?;
    let _ = writeln!(std::io::stdout().lock(), "{}", settings.callback_url);
    let domains = if settings.allowed_domains.is_empty() {
        "none (only people who already have an account sign in)".to_string()
    } else {
        settings.allowed_domains.join(", ")
    };
    eprintln!(
        "Single sign-on of organization {} uses {} (client {}, secret {}). New members from: {domains}. Password logins: {}.",
        args.org,
        settings.issuer,
        settings.client_id,
        if settings.client_secret_set { "stored" } else { "none" },
        if settings.sso_only {
            "owners only"
        } else {
            "still allowed"
        },
    );
    eprintln!("Register the URL above as the redirect URI at the provider.");
    Ok(())
}

/// The first line of standard input, without its line ending.
fn secret_from_stdin() -> Result<String, OpError> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| OpError::BadRequest(format!("could not read the client secret: {e}")))?;
    let secret = line.trim_end_matches(['\r', '\n']).to_string();
    if secret.is_empty() {
        return Err(OpError::invalid_field(
            "client_secret",
            "is empty: give it on standard input",
        ));
    }
    Ok(secret)
}

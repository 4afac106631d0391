//! The administration commands of `presence-hub` (SPEC §3): organizations and users, against
//! the same database as a running hub (`--database-url`), while it runs. They go through the
//! same operations as the API (`crate::ops`), without a hub of their own: a running hub sees
//! the new people when they log in or connect.

mod password;
pub mod sso;

use clap::{Args, Parser, Subcommand};
use std::io::Write;
use std::net::SocketAddr;
use std::process::ExitCode;

use crate::config::{public_url, Config, DEFAULT_SQLITE_PATH};
use crate::domain::people::normalize_email;
use crate::metrics::Metrics;
use crate::ops::{self, Ctx, OpError};
use crate::store::{ms_to_time, Store, StoreError, UserAuditActor};
use password::{password_from, PasswordSource};
use shared::api::CreateUserRequest;
use shared::Role;

/// Exit codes: 0 done; 1 refused (a bad value, an existing e-mail, an unknown organization);
/// 2 wrong usage (clap's own); 3 the database could not be reached or failed.
const REFUSED: u8 = 1;
const DATABASE: u8 = 3;

#[derive(Debug, Parser)]
#[command(
    name = "presence-hub",
    version,
    about = "Presence Hub: real-time presence and time tracking",
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Without a command: the flags of `serve`.
    #[command(flatten)]
    pub serve: Config,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the hub (the default when no command is given).
    Serve(Box<Config>),
    /// Organizations: create, list, single sign-on.
    Org {
        #[command(flatten)]
        db: DbArgs,
        #[command(subcommand)]
        action: OrgAction,
    },
    /// Users: create, issue a password reset link, reset two-factor sign-in.
    User {
        #[command(flatten)]
        db: DbArgs,
        #[command(subcommand)]
        action: UserAction,
    },
}

/// Where the database is, and the address the links point to.
#[derive(Debug, Clone, Args)]
pub struct DbArgs {
    /// `sqlite://path` (default: a file under ./data/) or `postgres://...` — the running hub's.
    #[arg(long, env = "DATABASE_URL", global = true)]
    pub database_url: Option<String>,
    /// The address people open, for invite and reset links (default: http:// and --listen).
    #[arg(long, env = "HUB_PUBLIC_URL", global = true)]
    pub public_url: Option<String>,
    /// The hub's listen address, the links' default base.
    #[arg(
        long,
        env = "HUB_LISTEN",
        default_value = "127.0.0.1:3000",
        global = true
    )]
    pub listen: SocketAddr,
}

#[derive(Debug, Subcommand)]
pub enum OrgAction {
    /// Create an organization, its default policy and its owner. The owner's password comes
    /// from PRESENCE_OWNER_PASSWORD, or is asked for on a terminal; without either an invite
    /// link is printed. Prints the new organization's id.
    Create {
        #[arg(long)]
        name: String,
        /// IANA timezone: days, weeks and months of reports follow it.
        #[arg(long, default_value = "UTC")]
        timezone: String,
        #[arg(long)]
        owner_email: String,
        /// Default: the part of the e-mail before the @.
        #[arg(long)]
        owner_name: Option<String>,
    },
    /// List every organization with its number of users.
    List,
    /// Single sign-on (OpenID Connect) of an organization: set its provider up (the client
    /// secret is read from standard input with --client-secret-stdin), or --remove it. Prints
    /// the callback URL to register at the provider.
    Sso(sso::SsoArgs),
}

#[derive(Debug, Subcommand)]
pub enum UserAction {
    /// Add a user to an organization. The password comes from PRESENCE_USER_PASSWORD, or is
    /// asked for on a terminal; without either an invite link is printed. Prints the user's id.
    Create {
        /// The organization's id (`presence-hub org list`).
        #[arg(long)]
        org: i64,
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// owner, admin, supervisor or member.
        #[arg(long, value_parser = parse_role)]
        role: Role,
    },
    /// Print a one-time link (valid 7 days) where the user sets a new password.
    ResetPassword {
        #[arg(long)]
        email: String,
    },
    /// Turn off a user's two-factor sign-in (a lost phone and lost recovery codes): their
    /// next login asks for the password only. Audited.
    #[command(name = "reset-2fa")]
    ResetTwoFactor {
        #[arg(long)]
        email: String,
    },
}

fn parse_role(s: &str) -> Result<Role, String> {
    s.parse::<Role>()
        .map_err(|_| "expected owner, admin, supervisor or member".to_string())
}

/// An administration command, for [`run`].
pub enum Admin {
    Org(OrgAction),
    User(UserAction),
}

/// Runs an administration command; the answer goes to stdout, explanations to stderr.
pub async fn run(db: DbArgs, admin: Admin) -> ExitCode {
    let store = match connect(&db).await {
        Ok(s) => s,
        Err(code) => return code,
    };
    let url = public_url(db.public_url.as_deref(), db.listen);
    let ctx = Ctx {
        store: &store,
        events: None,
        public_url: &url,
    };
    let outcome = match admin {
        Admin::Org(OrgAction::Create {
            name,
            timezone,
            owner_email,
            owner_name,
        }) => org_create(&ctx, &name, &timezone, &owner_email, owner_name.as_deref()).await,
        Admin::Org(OrgAction::List) => org_list(&store).await,
        Admin::Org(OrgAction::Sso(args)) => sso::run(&ctx, args).await,
        Admin::User(UserAction::Create {
            org,
            email,
            name,
            role,
        }) => user_create(&ctx, org, &email, &name, role).await,
        Admin::User(UserAction::ResetPassword { email }) => reset_password(&ctx, &email).await,
        Admin::User(UserAction::ResetTwoFactor { email }) => reset_two_factor(&ctx, &email).await,
    };
    store.close().await;
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("presence-hub: {}", e.describe());
            ExitCode::from(exit_code(&e))
        }
    }
}

/// The command line's one mapping of an operation's error: a refusal (the message says why)
/// or a database that failed.
fn exit_code(e: &OpError) -> u8 {
    match e {
        OpError::Store(StoreError::UniqueViolation(_) | StoreError::Conflict(_)) => REFUSED,
        OpError::Store(_) | OpError::Internal(_) => DATABASE,
        _ => REFUSED,
    }
}

async fn connect(db: &DbArgs) -> Result<Store, ExitCode> {
    let url = match &db.database_url {
        Some(url) if !url.is_empty() => url.clone(),
        _ => format!("sqlite://{DEFAULT_SQLITE_PATH}"),
    };
    Store::connect(&url, Metrics::new()).await.map_err(|e| {
        eprintln!("presence-hub: cannot open the database: {e}");
        ExitCode::from(DATABASE)
    })
}

/// The part of an e-mail address before the @, as a name.
fn name_from_email(email: &str) -> String {
    normalize_email(email)
        .split('@')
        .next()
        .unwrap_or_default()
        .to_string()
}

async fn org_create(
    ctx: &Ctx<'_>,
    name: &str,
    timezone: &str,
    owner_email: &str,
    owner_name: Option<&str>,
) -> Result<(), OpError> {
    let owner_name = owner_name
        .map(str::to_string)
        .unwrap_or_else(|| name_from_email(owner_email));
    let password = password_from("PRESENCE_OWNER_PASSWORD", owner_email)?;
    let new = ops::orgs::NewOrg {
        name,
        timezone,
        owner_name: &owner_name,
        owner_email,
        owner_password: password.as_deref(),
    };
    let (org, owner, invite) = ops::orgs::create(ctx, &new, None, "cli", None).await?;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{}", org.id);
    eprintln!(
        "Created organization {:?} (id {}, timezone {}) with its owner {} (user {}).",
        org.name, org.id, org.timezone, owner.email, owner.id
    );
    report_password(&mut out, &owner.email, invite.as_deref(), password.source);
    Ok(())
}

fn report_password(
    out: &mut impl Write,
    email: &str,
    invite: Option<&str>,
    source: PasswordSource,
) {
    match invite {
        Some(link) => {
            let _ = writeln!(out, "{link}");
            eprintln!(
                "No password was given: {email} sets one at the link above (valid 7 days, single use)."
            );
        }
        None => eprintln!("The password was taken from {}.", source.describe()),
    }
}

async fn org_list(store: &Store) -> Result<(), OpError> {
    let orgs = store.list_orgs().await?;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(
        out,
        "{:<6} {:<32} {:<24} {:>6}  created",
        "id", "name", "timezone", "users"
    );
    for org in orgs {
        let (_, users) = store.list_users(org.id, 1, 1).await?;
        let _ = writeln!(
            out,
            "{:<6} {:<32} {:<24} {:>6}  {}",
            org.id,
            org.name,
            org.timezone,
            users,
            ms_to_time(org.created_at).format("%Y-%m-%d %H:%M UTC")
        );
    }
    Ok(())
}

async fn user_create(
    ctx: &Ctx<'_>,
    org_id: i64,
    email: &str,
    name: &str,
    role: Role,
) -> Result<(), OpError> {
    let org = ctx.store.get_org(org_id).await?.ok_or_else(|| {
        OpError::Conflict(format!(
            "There is no organization with id {org_id} (see `presence-hub org list`)."
        ))
    })?;
    let password = password_from("PRESENCE_USER_PASSWORD", email)?;
    let body = CreateUserRequest {
        name: name.to_string(),
        email: email.to_string(),
        password: password.value.clone(),
        role,
        game_name: None,
        steam_id: None,
        discord: None,
        timezone: None,
    };
    let who = UserAuditActor {
        actor_id: None,
        ip: None,
        via: "cli",
    };
    let (user, invite) = ops::people::create_user(ctx, org.id, &body, &who).await?;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{}", user.id);
    eprintln!(
        "Created {} {} (user {}) in {:?}.",
        user.role, user.email, user.id, org.name
    );
    report_password(&mut out, &user.email, invite.as_deref(), password.source);
    Ok(())
}

async fn reset_two_factor(ctx: &Ctx<'_>, email: &str) -> Result<(), OpError> {
    let user = ctx
        .store
        .find_user_by_email(&normalize_email(email))
        .await?
        .ok_or_else(|| OpError::Conflict(format!("There is no user with the e-mail {email}.")))?;
    ops::two_factor::reset(ctx, None, &user, "cli").await?;
    eprintln!(
        "Two-factor sign-in of {} is reset: their next login asks for the password only.",
        user.email
    );
    Ok(())
}

async fn reset_password(ctx: &Ctx<'_>, email: &str) -> Result<(), OpError> {
    let user = ctx
        .store
        .find_user_by_email(&normalize_email(email))
        .await?
        .ok_or_else(|| OpError::Conflict(format!("There is no user with the e-mail {email}.")))?;
    let (link, _) = ops::people::reset_link(ctx, None, &user, "cli").await?;
    println!("{link}");
    eprintln!(
        "{} sets a new password at the link above (valid 7 days, single use); earlier reset links stop working.",
        user.email
    );
    Ok(())
}

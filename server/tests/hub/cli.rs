//! The administration commands (`presence-hub org|user ...`) as real processes against the
//! database of a hub that is running (SQLite here, PostgreSQL when PRESENCE_TEST_PG is set):
//! what they create works on the running hub at once.

use crate::common;

use common::TestHub;
use serde_json::json;
use std::process::{Command, Output};

/// Runs `presence-hub ARGS` against the hub's database, with `env`.
fn cli(hub: &TestHub, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_presence-hub"));
    cmd.args(args)
        .env("DATABASE_URL", hub.config.database_url())
        .env("HUB_PUBLIC_URL", &hub.url)
        .env_remove("PRESENCE_OWNER_PASSWORD")
        .env_remove("PRESENCE_USER_PASSWORD")
        .env("RUST_LOG", "warn")
        .stdin(std::process::Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("presence-hub runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).to_string()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).to_string()
}

#[tokio::test]
async fn organizations_and_users_made_on_the_command_line_work_on_the_running_hub() {
    let hub = TestHub::start().await;
    let out = cli(
        &hub,
        &[
            "org",
            "create",
            "--name",
            "Acme",
            "--timezone",
            "Europe/Berlin",
            "--owner-email",
            "Olga@Acme.test",
            "--owner-name",
            "Olga Owner",
        ],
        &[("PRESENCE_OWNER_PASSWORD", "olga-pass-123")],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let org_id: i64 = stdout(&out)
        .trim()
        .parse()
        .expect("the org id alone on stdout");
    assert!(stderr(&out).contains("Acme"), "{}", stderr(&out));

    // The running hub knows her at once.
    let owner = hub
        .login_with("olga@acme.test", "olga-pass-123")
        .await
        .expect("the owner logs in on the running hub");
    let (status, org) = hub.call("GET", "/api/org", Some(&owner), None).await;
    assert_eq!(status, 200);
    assert_eq!(org["id"], org_id);
    assert_eq!(org["timezone"], "Europe/Berlin");
    let (_, config) = hub.call("GET", "/api/config", Some(&owner), None).await;
    assert_eq!(config["config_version"], 1, "the default policy exists");

    // A user without a password gets an invite link that works on the running hub.
    let out = cli(
        &hub,
        &[
            "user",
            "create",
            "--org",
            &org_id.to_string(),
            "--email",
            "max@acme.test",
            "--name",
            "Max Member",
            "--role",
            "member",
        ],
        &[],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let lines: Vec<String> = stdout(&out).lines().map(str::to_string).collect();
    let user_id: i64 = lines[0].parse().expect("user id");
    let link = &lines[1];
    assert!(link.starts_with(&format!("{}/invite/", hub.url)), "{link}");
    let token = link.rsplit('/').next().unwrap();
    let (status, body) = hub
        .call(
            "POST",
            &format!("/api/auth/invite/{token}"),
            None,
            Some(json!({"password": "max-pass-1234"})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["user"]["id"], user_id);
    assert_eq!(body["user"]["org_id"], org_id);

    // A reset link from the command line replaces the password.
    let out = cli(
        &hub,
        &["user", "reset-password", "--email", "MAX@acme.test"],
        &[],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let token = stdout(&out).trim().rsplit('/').next().unwrap().to_string();
    let (status, _) = hub
        .call(
            "POST",
            &format!("/api/auth/invite/{token}"),
            None,
            Some(json!({"password": "max-new-pass-1"})),
        )
        .await;
    assert_eq!(status, 200);
    assert!(hub
        .login_with("max@acme.test", "max-pass-1234")
        .await
        .is_none());
    assert!(hub
        .login_with("max@acme.test", "max-new-pass-1")
        .await
        .is_some());

    // Every one of these is in the organization's audit log, made "via" the command line.
    let (_, audit) = hub.call("GET", "/api/audit", Some(&owner), None).await;
    let actions: Vec<&str> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for action in [
        "ORG_CREATED",
        "USER_CREATED",
        "PASSWORD_RESET_LINK_ISSUED",
        "PASSWORD_RESET",
    ] {
        assert!(actions.contains(&action), "{action} in {actions:?}");
    }

    let out = cli(&hub, &["org", "list"], &[]);
    assert!(out.status.success());
    let listing = stdout(&out);
    let row = listing
        .lines()
        .find(|l| l.contains("Acme"))
        .unwrap_or_else(|| panic!("{listing}"));
    assert!(
        row.contains("Europe/Berlin") && row.split_whitespace().any(|w| w == "2"),
        "{row}"
    );
}

#[tokio::test]
async fn the_command_line_refuses_clearly_with_exit_codes() {
    let hub = TestHub::start().await;
    let create = |email: &str, tz: &str, password: &str| {
        cli(
            &hub,
            &[
                "org",
                "create",
                "--name",
                "Beta",
                "--timezone",
                tz,
                "--owner-email",
                email,
            ],
            &[("PRESENCE_OWNER_PASSWORD", password)],
        )
    };
    let ok = create("boss@beta.test", "UTC", "boss-pass-123");
    assert!(ok.status.success(), "{}", stderr(&ok));
    let org_id = stdout(&ok).trim().to_string();

    let taken = create("Boss@Beta.test", "UTC", "boss-pass-123");
    assert_eq!(taken.status.code(), Some(1));
    assert!(
        stderr(&taken).contains("already exists"),
        "{}",
        stderr(&taken)
    );

    let bad_tz = create("other@beta.test", "Mars/Base", "boss-pass-123");
    assert_eq!(bad_tz.status.code(), Some(1));
    assert!(stderr(&bad_tz).contains("timezone"), "{}", stderr(&bad_tz));

    let weak = create("other@beta.test", "UTC", "short");
    assert_eq!(weak.status.code(), Some(1));
    assert!(stderr(&weak).contains("10 characters"), "{}", stderr(&weak));

    let no_org = cli(
        &hub,
        &[
            "user",
            "create",
            "--org",
            "999999",
            "--email",
            "x@beta.test",
            "--name",
            "X",
            "--role",
            "member",
        ],
        &[],
    );
    assert_eq!(no_org.status.code(), Some(1));
    assert!(
        stderr(&no_org).contains("no organization"),
        "{}",
        stderr(&no_org)
    );

    let bad_role = cli(
        &hub,
        &[
            "user",
            "create",
            "--org",
            &org_id,
            "--email",
            "x@beta.test",
            "--name",
            "X",
            "--role",
            "boss",
        ],
        &[],
    );
    assert_eq!(bad_role.status.code(), Some(2), "a usage error");

    let nobody = cli(
        &hub,
        &["user", "reset-password", "--email", "nobody@beta.test"],
        &[],
    );
    assert_eq!(nobody.status.code(), Some(1));
    assert!(stderr(&nobody).contains("no user"), "{}", stderr(&nobody));

    let unreachable = Command::new(env!("CARGO_BIN_EXE_presence-hub"))
        .args([
            "org",
            "list",
            "--database-url",
            "postgres://nobody@127.0.0.1:1/none",
        ])
        .output()
        .unwrap();
    assert_eq!(unreachable.status.code(), Some(3));
    assert!(stderr(&unreachable).contains("cannot open the database"));

    // Nothing refused was stored: one organization, one user.
    let (orgs, users) = (
        hub.store.list_orgs().await.unwrap(),
        hub.store.all_users().await.unwrap(),
    );
    assert_eq!((orgs.len(), users.len()), (1, 1), "{orgs:?}");
}

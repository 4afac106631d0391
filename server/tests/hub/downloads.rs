//! The desktop agents users download (SPEC §16): `/downloads` lists the plain files of
//! `--downloads-dir` with what they are, their size and SHA-256 for any signed-in user, and
//! `/downloads/{file}` serves one as an attachment with its checksum. A name that is not a
//! plain file name of the folder answers 404 like a missing file; signed out, both lead to
//! `/login`; without a folder the page says that nothing is offered.

use crate::common;

use common::TestHub;
use sha2::{Digest, Sha256};
use shared::Role;
use std::path::Path;

const WINDOWS_AGENT: &[u8] = b"MZ\x90\0 a stand-in for presence-agent.exe";
const INSTALLER: &[u8] = b"MZ\x90\0 a stand-in for the NSIS installer, a little longer";

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// `GET path` with the session cookie of `token` (none: signed out), redirects not followed.
async fn get(hub: &TestHub, token: Option<&str>, path: &str) -> reqwest::Response {
    let mut req = hub.http().get(format!("{}{path}", hub.url));
    if let Some(token) = token {
        req = req.header("cookie", format!("ph_session={token}"));
    }
    req.send().await.expect("request")
}

/// The folder the hub offers, beside a file it must never serve (`../secret`), with a hidden
/// file and a subfolder that it must not list either.
fn downloads_folder(outer: &Path) -> std::path::PathBuf {
    let dir = outer.join("downloads");
    std::fs::create_dir_all(dir.join("old")).expect("folders");
    std::fs::write(outer.join("secret"), b"top secret").expect("write");
    std::fs::write(dir.join("presence-agent.exe"), WINDOWS_AGENT).expect("write");
    std::fs::write(dir.join("presence-agent-setup.exe"), INSTALLER).expect("write");
    std::fs::write(dir.join(".hidden"), b"not offered").expect("write");
    std::fs::write(dir.join("old").join("presence-agent.exe"), b"old").expect("write");
    dir
}

#[tokio::test]
async fn a_member_sees_the_offered_files_with_size_and_sha256_and_downloads_one() {
    let outer = tempfile::tempdir().expect("temp dir");
    let dir = downloads_folder(outer.path());
    let offered = dir.clone();
    let hub = TestHub::start_with(move |config| config.downloads_dir = Some(offered)).await;
    hub.org("Acme", &[("ann@a.test", Role::Member)]).await;
    let ann = hub.login("ann@a.test").await;

    // The page: both files, sorted, each with its link, description, size and hash.
    let (status, html) = hub.page(&ann, "/downloads").await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("id=\"downloads-table\""), "{html}");
    assert!(!html.contains("id=\"downloads-empty\""), "{html}");
    for (name, bytes, what) in [
        (
            "presence-agent-setup.exe",
            INSTALLER,
            "Windows installer (per user, no administrator rights)",
        ),
        (
            "presence-agent.exe",
            WINDOWS_AGENT,
            "Windows agent, the program alone",
        ),
    ] {
        assert!(html.contains(&format!("data-file=\"{name}\"")), "{name}");
        assert!(
            html.contains(&format!("href=\"/downloads/{name}\"")),
            "{name} linked"
        );
        assert!(
            html.contains(&format!(">{name}</a>")),
            "{name} as link text"
        );
        assert!(html.contains(what), "{name} described as {what}");
        assert!(
            html.contains(&format!("data-bytes=\"{}\"", bytes.len())),
            "{name}: {} bytes",
            bytes.len()
        );
        assert!(
            html.contains(&format!("{} bytes", bytes.len())),
            "{name}: its size shown"
        );
        assert!(
            html.contains(&sha256_hex(bytes)),
            "{name}: its SHA-256 {}",
            sha256_hex(bytes)
        );
    }
    assert!(html.contains("class=\"sha256\""), "{html}");
    let setup_row = html.find("data-file=\"presence-agent-setup.exe\"");
    let agent_row = html.find("data-file=\"presence-agent.exe\"");
    assert!(setup_row < agent_row, "sorted by name");
    assert!(!html.contains("data-file=\".hidden\""), "no hidden file");
    assert!(!html.contains("data-file=\"old\""), "no subfolder");
    // Every signed-in user's navigation leads here.
    let (_, home) = hub.page(&ann, "/").await;
    assert!(home.contains("href=\"/downloads\""), "{home}");

    // The file: the bytes, as an attachment, with its length and checksum.
    let res = get(&hub, Some(ann.as_str()), "/downloads/presence-agent.exe").await;
    assert_eq!(res.status(), 200);
    let header = |name: &str| {
        res.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    assert_eq!(
        header("content-type").as_deref(),
        Some("application/octet-stream")
    );
    assert_eq!(
        header("content-disposition").as_deref(),
        Some("attachment; filename=\"presence-agent.exe\"")
    );
    assert_eq!(header("x-checksum-sha256"), Some(sha256_hex(WINDOWS_AGENT)));
    assert_eq!(
        header("content-length"),
        Some(WINDOWS_AGENT.len().to_string())
    );
    let body = res.bytes().await.expect("body");
    assert_eq!(&body[..], WINDOWS_AGENT);

    // A new build of the file: the page and the header show its new hash, not the kept one.
    let rebuilt = b"MZ\x90\0 the next build, of another size";
    std::fs::write(dir.join("presence-agent.exe"), rebuilt).expect("write");
    let (_, html) = hub.page(&ann, "/downloads").await;
    assert!(html.contains(&sha256_hex(rebuilt)), "{html}");
    assert!(!html.contains(&sha256_hex(WINDOWS_AGENT)), "{html}");
    let res = get(&hub, Some(ann.as_str()), "/downloads/presence-agent.exe").await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.headers()["x-checksum-sha256"].to_str().unwrap(),
        sha256_hex(rebuilt)
    );
    assert_eq!(&res.bytes().await.expect("body")[..], rebuilt);

    // Anything but a plain file name of the folder is not found, like a missing file.
    for path in [
        "/downloads/..%2Fsecret",
        "/downloads/..%5Csecret",
        "/downloads/%2E%2E%2Fsecret",
        "/downloads/.hidden",
        "/downloads/old",
        "/downloads/old%2Fpresence-agent.exe",
        "/downloads/presence-agent.exe%00",
        "/downloads/missing.exe",
    ] {
        let res = get(&hub, Some(ann.as_str()), path).await;
        assert_eq!(res.status(), 404, "{path}");
        let text = res.text().await.expect("body");
        assert!(!text.contains("top secret"), "{path}: {text}");
        assert!(!text.contains("not offered"), "{path}: {text}");
    }

    // Signed out: the page and the file lead to the login, as every page does.
    for path in ["/downloads", "/downloads/presence-agent.exe"] {
        let res = get(&hub, None, path).await;
        assert_ne!(res.status(), 200, "{path}");
        assert!(res.status().is_redirection(), "{path}: {}", res.status());
        assert_eq!(res.headers()["location"], "/login", "{path}");
        let res = get(&hub, Some("not-a-live-token"), path).await;
        assert!(res.status().is_redirection(), "{path}: {}", res.status());
    }
}

#[tokio::test]
async fn without_a_downloads_folder_the_page_says_nothing_is_offered() {
    let hub = TestHub::start().await;
    hub.org("Acme", &[("bob@a.test", Role::Member)]).await;
    let bob = hub.login("bob@a.test").await;
    let (status, html) = hub.page(&bob, "/downloads").await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("id=\"downloads-empty\""), "{html}");
    assert!(html.contains("--downloads-dir"), "{html}");
    assert!(!html.contains("id=\"downloads-table\""), "{html}");
    let res = get(&hub, Some(bob.as_str()), "/downloads/presence-agent.exe").await;
    assert_eq!(res.status(), 404);
}

#[tokio::test]
async fn an_empty_downloads_folder_shows_the_empty_state() {
    let outer = tempfile::tempdir().expect("temp dir");
    let dir = outer.path().join("downloads");
    std::fs::create_dir_all(&dir).expect("folder");
    let hub = TestHub::start_with(move |config| config.downloads_dir = Some(dir)).await;
    hub.org("Acme", &[("own@a.test", Role::Owner)]).await;
    let owner = hub.login("own@a.test").await;
    let (status, html) = hub.page(&owner, "/downloads").await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("id=\"downloads-empty\""), "{html}");
    assert!(html.contains("folder is empty"), "{html}");
    assert!(!html.contains("id=\"downloads-table\""), "{html}");
}

//! The desktop agents users download (SPEC §16): the files of `--downloads-dir`, listed on
//! `/downloads` with their size and SHA-256 and served at `/downloads/{file}`.
//!
//! Only regular files directly in the folder count (no subfolders, no hidden files); a name
//! that comes from a URL is checked to be a plain file name before it touches the file system.
//! Hashes are kept in memory by path, size and modification time, so a page view hashes a file
//! only when it is new or changed, and always on a blocking thread, never on the runtime's.

use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::fmt::Write as _;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};
use std::time::SystemTime;

/// Longest file name offered (what common file systems allow).
const MAX_NAME_BYTES: usize = 255;

/// What the page says about the files the project's builds produce.
const DESCRIPTIONS: [(&str, &str); 3] = [
    (
        "presence-agent-setup.exe",
        "Windows installer (per user, no administrator rights)",
    ),
    ("presence-agent.exe", "Windows agent, the program alone"),
    ("presence-agent", "Linux agent (x86_64)"),
];

/// What a file looks like to the page, when its name is one of the known builds.
pub fn description(name: &str) -> Option<&'static str> {
    DESCRIPTIONS
        .iter()
        .find(|(known, _)| *known == name)
        .map(|(_, what)| *what)
}

/// True for a name that can only mean a file directly in the folder: not empty, no path
/// separator, no `..`, not hidden (leading `.`), no NUL or other control character.
pub fn plain_file_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_NAME_BYTES
        && !name.starts_with('.')
        && !name.contains(['/', '\\'])
        && !name.contains("..")
        && !name.chars().any(char::is_control)
}

/// `Content-Disposition` for `name`: `attachment; filename="…"`, and when the name is not
/// plain printable ASCII (or holds a `"`), an ASCII stand-in there and the exact name as
/// `filename*` (RFC 6266, RFC 5987).
pub fn content_disposition(name: &str) -> String {
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii() && !c.is_ascii_control() && c != '"' && c != '\\' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if ascii == name {
        return format!("attachment; filename=\"{name}\"");
    }
    let mut encoded = String::with_capacity(name.len() * 3);
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
            encoded.push(char::from(b));
        } else {
            let _ = write!(encoded, "%{b:02X}");
        }
    }
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

/// One file offered for download.
#[derive(Debug, Clone)]
pub struct Download {
    /// Its name in the folder (a [`plain_file_name`]).
    pub name: String,
    pub path: PathBuf,
    pub size: u64,
    modified: Option<SystemTime>,
}

impl Download {
    fn new(name: String, path: PathBuf, meta: &std::fs::Metadata) -> Self {
        Download {
            name,
            path,
            size: meta.len(),
            modified: meta.modified().ok(),
        }
    }

    pub fn description(&self) -> Option<&'static str> {
        description(&self.name)
    }

    fn stamp(&self) -> Stamp {
        Stamp {
            size: self.size,
            modified: self.modified,
        }
    }
}

/// What tells a file's hash is still the one computed: its size and modification time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stamp {
    size: u64,
    modified: Option<SystemTime>,
}

/// The downloads folder of this hub (`--downloads-dir`) and the hashes of its files.
pub struct Downloads {
    dir: Option<PathBuf>,
    hashes: Mutex<HashMap<PathBuf, (Stamp, String)>>,
}

impl Downloads {
    /// The folder from `--downloads-dir`, if any; a warning when it is not a folder (yet).
    pub fn new(dir: Option<PathBuf>) -> Self {
        match &dir {
            Some(dir) if !dir.is_dir() => tracing::warn!(
                dir = %dir.display(),
                "--downloads-dir is not a folder: /downloads offers nothing until it is"
            ),
            Some(dir) => {
                tracing::info!(dir = %dir.display(), "offering the downloads of this folder")
            }
            None => {}
        }
        Downloads {
            dir,
            hashes: Mutex::new(HashMap::new()),
        }
    }

    /// Whether the hub was given a downloads folder at all.
    pub fn offered(&self) -> bool {
        self.dir.is_some()
    }

    /// Every file offered, sorted by name: empty without a folder, or when it does not exist.
    pub async fn list(&self) -> io::Result<Vec<Download>> {
        let Some(dir) = self.dir.clone() else {
            return Ok(Vec::new());
        };
        let files = blocking(move || list_folder(&dir)).await?;
        // Files gone from the folder need no hash any more.
        self.with_hashes(|hashes| hashes.retain(|path, _| files.iter().any(|f| &f.path == path)));
        Ok(files)
    }

    /// The file `name` asks for, opened: `None` unless it is a plain file name of a regular
    /// file in the folder (a symbolic link to one counts as the file). What the answer
    /// streams is the file opened here, and its size is this open file's.
    pub async fn open(&self, name: &str) -> io::Result<Option<(Download, tokio::fs::File)>> {
        let Some(dir) = &self.dir else {
            return Ok(None);
        };
        if !plain_file_name(name) {
            return Ok(None);
        }
        let path = dir.join(name);
        // Looked at before opening: opening a FIFO or a device could block or have effects.
        match tokio::fs::metadata(&path).await {
            Ok(meta) if meta.is_file() => {}
            Ok(_) => return Ok(None),
            Err(e) if gone(&e) => return Ok(None),
            Err(e) => return Err(e),
        }
        let file = match tokio::fs::File::open(&path).await {
            Ok(file) => file,
            Err(e) if gone(&e) => return Ok(None),
            Err(e) => return Err(e),
        };
        let meta = file.metadata().await?;
        if !meta.is_file() {
            return Ok(None);
        }
        Ok(Some((Download::new(name.to_string(), path, &meta), file)))
    }

    /// The file's SHA-256 in lowercase hex: from memory while its size and modification time
    /// are unchanged, else read on a blocking thread.
    pub async fn sha256(&self, file: &Download) -> io::Result<String> {
        let stamp = file.stamp();
        let known = self.with_hashes(|hashes| {
            hashes
                .get(&file.path)
                .filter(|(seen, _)| *seen == stamp)
                .map(|(_, hash)| hash.clone())
        });
        if let Some(hash) = known {
            return Ok(hash);
        }
        let path = file.path.clone();
        let hash = blocking(move || sha256_of(&path)).await?;
        self.with_hashes(|hashes| hashes.insert(file.path.clone(), (stamp, hash.clone())));
        Ok(hash)
    }

    fn with_hashes<T>(&self, f: impl FnOnce(&mut HashMap<PathBuf, (Stamp, String)>) -> T) -> T {
        // A panic while holding the lock cannot leave the map half-written: use it as it is.
        let mut hashes = self.hashes.lock().unwrap_or_else(PoisonError::into_inner);
        f(&mut hashes)
    }
}

/// A file that is not there (removed meanwhile, a dangling link) or that the hub may not read.
fn gone(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::NotFound | io::ErrorKind::PermissionDenied
    )
}

/// Runs file-system work on a blocking thread.
async fn blocking<T: Send + 'static>(
    job: impl FnOnce() -> io::Result<T> + Send + 'static,
) -> io::Result<T> {
    tokio::task::spawn_blocking(job).await?
}

/// The regular files directly in `dir` with plain names, sorted by name.
fn list_folder(dir: &Path) -> io::Result<Vec<Download>> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            tracing::warn!(dir = %dir.display(), "the downloads folder does not exist: nothing offered");
            return Ok(Vec::new());
        }
        Err(e) => return Err(e),
    };
    let mut files = Vec::new();
    for entry in entries {
        let entry = entry?;
        let Ok(name) = entry.file_name().into_string() else {
            continue;
        };
        if !plain_file_name(&name) {
            continue;
        }
        let path = entry.path();
        // Follows a symbolic link: a link to a regular file is offered as that file.
        match std::fs::metadata(&path) {
            Ok(meta) if meta.is_file() => files.push(Download::new(name, path, &meta)),
            Ok(_) => {}
            Err(e) if gone(&e) => {}
            Err(e) => return Err(e),
        }
    }
    files.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(files)
}

fn sha256_of(path: &Path) -> io::Result<String> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    io::copy(&mut file, &mut hasher)?;
    Ok(hex::encode(hasher.finalize()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_file_names_pass() {
        let too_long = "x".repeat(MAX_NAME_BYTES + 1);
        for ok in [
            "presence-agent",
            "presence-agent-setup.exe",
            "a b.txt",
            "agent_1.2.3.tar.gz",
            "é.exe",
        ] {
            assert!(plain_file_name(ok), "{ok}");
        }
        for bad in [
            "",
            ".",
            "..",
            ".hidden",
            "../secret",
            "a/b",
            "a\\b",
            "a..b",
            "nul\0.exe",
            "line\nbreak",
            "tab\there",
            "del\u{7f}",
            too_long.as_str(),
        ] {
            assert!(!plain_file_name(bad), "{bad:?}");
        }
    }

    #[test]
    fn known_builds_are_described() {
        assert_eq!(
            description("presence-agent-setup.exe"),
            Some("Windows installer (per user, no administrator rights)")
        );
        assert_eq!(
            description("presence-agent.exe"),
            Some("Windows agent, the program alone")
        );
        assert_eq!(description("presence-agent"), Some("Linux agent (x86_64)"));
        assert_eq!(description("notes.txt"), None);
    }

    #[test]
    fn the_disposition_names_the_file_and_escapes_what_a_quoted_string_cannot_hold() {
        assert_eq!(
            content_disposition("presence-agent.exe"),
            "attachment; filename=\"presence-agent.exe\""
        );
        assert_eq!(
            content_disposition("a\"b.exe"),
            "attachment; filename=\"a_b.exe\"; filename*=UTF-8''a%22b.exe"
        );
        assert_eq!(
            content_disposition("agent é.exe"),
            "attachment; filename=\"agent _.exe\"; filename*=UTF-8''agent%20%C3%A9.exe"
        );
    }

    fn hex_sha256(bytes: &[u8]) -> String {
        hex::encode(Sha256::digest(bytes))
    }

    #[tokio::test]
    async fn the_folder_lists_its_plain_regular_files_sorted_and_hashes_them() {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(dir.path().join("presence-agent.exe"), b"windows").expect("write");
        std::fs::write(dir.path().join("presence-agent"), b"linux").expect("write");
        std::fs::write(dir.path().join(".hidden"), b"no").expect("write");
        std::fs::create_dir(dir.path().join("sub")).expect("mkdir");
        std::fs::write(dir.path().join("sub").join("inner"), b"no").expect("write");
        let downloads = Downloads::new(Some(dir.path().to_path_buf()));
        assert!(downloads.offered());

        let files = downloads.list().await.expect("list");
        let names: Vec<&str> = files.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["presence-agent", "presence-agent.exe"]);
        assert_eq!(files[1].size, 7);
        assert_eq!(
            downloads.sha256(&files[1]).await.expect("hash"),
            hex_sha256(b"windows")
        );

        for refused in [".hidden", "sub", "../x", "missing.exe", "sub/inner"] {
            assert!(
                downloads.open(refused).await.expect("open").is_none(),
                "{refused}"
            );
        }
        let (file, _handle) = downloads
            .open("presence-agent")
            .await
            .expect("open")
            .expect("offered");
        assert_eq!((file.name.as_str(), file.size), ("presence-agent", 5));
    }

    #[tokio::test]
    async fn a_hash_is_kept_while_size_and_time_are_unchanged_and_computed_again_after() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("presence-agent");
        std::fs::write(&path, b"first").expect("write");
        let downloads = Downloads::new(Some(dir.path().to_path_buf()));
        let first = downloads.list().await.expect("list").remove(0);
        assert_eq!(
            downloads.sha256(&first).await.expect("hash"),
            hex_sha256(b"first")
        );

        // Same size, same modification time: the kept hash, the file is not read again.
        let modified = std::fs::metadata(&path)
            .and_then(|m| m.modified())
            .expect("mtime");
        std::fs::write(&path, b"other").expect("write");
        std::fs::File::options()
            .write(true)
            .open(&path)
            .and_then(|f| f.set_modified(modified))
            .expect("set mtime");
        let same = downloads.list().await.expect("list").remove(0);
        assert_eq!(
            downloads.sha256(&same).await.expect("hash"),
            hex_sha256(b"first")
        );

        // A new size: hashed again.
        std::fs::write(&path, b"longer one").expect("write");
        let changed = downloads.list().await.expect("list").remove(0);
        assert_eq!(
            downloads.sha256(&changed).await.expect("hash"),
            hex_sha256(b"longer one")
        );
    }

    #[tokio::test]
    async fn without_a_folder_nothing_is_offered() {
        let downloads = Downloads::new(None);
        assert!(!downloads.offered());
        assert!(downloads.list().await.expect("list").is_empty());
        assert!(downloads
            .open("presence-agent")
            .await
            .expect("open")
            .is_none());
    }
}

//! Screenshots taken while the hub is unreachable, kept on disk until it is back. Each one is
//! a JPEG and a JSON sidecar with what the upload needs (when it was taken, the session, the
//! client id that makes a repeated upload harmless). The image is written first and the
//! sidecar atomically after it, so a sidecar always names a whole image.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

use crate::paths::{read_json, write_json};

/// What is known of a kept screenshot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SpooledShot {
    pub client_id: String,
    pub session_id: Option<i64>,
    pub captured_at: DateTime<Utc>,
}

/// A kept screenshot: its metadata and where its image is.
#[derive(Debug, Clone, PartialEq)]
pub struct SpoolEntry {
    pub shot: SpooledShot,
    image: PathBuf,
    sidecar: Option<PathBuf>,
}

impl SpoolEntry {
    pub fn jpeg(&self) -> std::io::Result<Vec<u8>> {
        std::fs::read(&self.image)
    }
}

pub struct Spool {
    dir: PathBuf,
}

impl Spool {
    pub fn new(dir: PathBuf) -> Spool {
        Spool { dir }
    }

    /// Keeps one screenshot (mode 0600: it shows the user's screen).
    pub fn keep(&self, shot: &SpooledShot, jpeg: &[u8]) -> std::io::Result<()> {
        std::fs::create_dir_all(&self.dir)?;
        // Oldest first when listed by name; the client id keeps names unique.
        let stem = format!(
            "{:013}-{}",
            shot.captured_at.timestamp_millis().max(0),
            file_safe(&shot.client_id)
        );
        write_private(&self.dir.join(format!("{stem}.jpg")), jpeg)?;
        write_json(&self.dir.join(format!("{stem}.json")), shot, 0o600)
    }

    /// The kept screenshots, oldest first. A sidecar whose image is gone is dropped; an image
    /// without a sidecar is either being written or from an agent before sidecars (whose file
    /// name held the metadata: `{ms}_{session or 0}_{client id}.jpg`).
    pub fn pending(&self) -> Vec<SpoolEntry> {
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            return Vec::new();
        };
        let mut paths: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
        paths.sort();
        let mut kept = Vec::new();
        for path in &paths {
            match path.extension().and_then(|e| e.to_str()) {
                Some("json") => {
                    let image = path.with_extension("jpg");
                    match read_json::<SpooledShot>(path) {
                        Some(shot) if image.exists() => kept.push(SpoolEntry {
                            shot,
                            image,
                            sidecar: Some(path.clone()),
                        }),
                        _ => {
                            tracing::warn!(path = %path.display(), "dropping a kept screenshot without its image");
                            let _ = std::fs::remove_file(path);
                        }
                    }
                }
                Some("jpg") if !path.with_extension("json").exists() => {
                    if let Some(shot) = legacy(path) {
                        kept.push(SpoolEntry {
                            shot,
                            image: path.clone(),
                            sidecar: None,
                        });
                    }
                }
                _ => {}
            }
        }
        kept.sort_by_key(|e| e.shot.captured_at);
        kept
    }

    /// Forgets a screenshot once the hub has it (or refused it for good).
    pub fn remove(&self, entry: &SpoolEntry) {
        // The sidecar first: an image left alone is never uploaded twice under a new name.
        if let Some(sidecar) = &entry.sidecar {
            let _ = std::fs::remove_file(sidecar);
        }
        let _ = std::fs::remove_file(&entry.image);
    }
}

/// Client ids are the agent's own (`shot-<hex>`); anything else is kept out of file names.
fn file_safe(id: &str) -> String {
    id.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

/// The metadata of a screenshot kept by an agent from before sidecars.
fn legacy(path: &Path) -> Option<SpooledShot> {
    let stem = path.file_stem()?.to_str()?;
    let mut parts = stem.splitn(3, '_');
    let (ms, session, client_id) = (parts.next()?, parts.next()?, parts.next()?);
    let session: i64 = session.parse().ok()?;
    Some(SpooledShot {
        client_id: client_id.to_string(),
        session_id: (session != 0).then_some(session),
        captured_at: DateTime::from_timestamp_millis(ms.parse().ok()?)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shot(ms: i64, id: &str) -> SpooledShot {
        SpooledShot {
            client_id: id.into(),
            session_id: Some(7),
            captured_at: DateTime::from_timestamp_millis(ms).unwrap(),
        }
    }

    #[test]
    fn kept_shots_come_back_oldest_first_with_their_metadata_and_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let spool = Spool::new(dir.path().join("spool"));
        spool.keep(&shot(2_000, "shot-b"), b"second").unwrap();
        spool.keep(&shot(1_000, "shot-a"), b"first").unwrap();
        let pending = spool.pending();
        assert_eq!(pending.len(), 2);
        assert_eq!(pending[0].shot, shot(1_000, "shot-a"));
        assert_eq!(pending[0].jpeg().unwrap(), b"first");
        assert_eq!(pending[1].shot, shot(2_000, "shot-b"));
        spool.remove(&pending[0]);
        assert_eq!(spool.pending(), vec![pending[1].clone()]);
        spool.remove(&pending[1]);
        assert!(spool.pending().is_empty());
        assert_eq!(
            std::fs::read_dir(dir.path().join("spool")).unwrap().count(),
            0
        );
    }

    #[test]
    fn a_sidecar_without_its_image_is_dropped_and_an_image_alone_is_not_uploaded() {
        let dir = tempfile::tempdir().unwrap();
        let spool = Spool::new(dir.path().to_path_buf());
        spool.keep(&shot(1_000, "shot-a"), b"x").unwrap();
        std::fs::remove_file(dir.path().join("0000000001000-shot-a.jpg")).unwrap();
        // An image whose sidecar was never written (the agent stopped in between).
        std::fs::write(dir.path().join("0000000003000-shot-c.jpg"), b"y").unwrap();
        assert!(spool.pending().is_empty());
        assert!(!dir.path().join("0000000001000-shot-a.json").exists());
    }

    #[test]
    fn shots_kept_by_an_older_agent_are_read_from_their_names() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("1000_42_shot-old.jpg"), b"old").unwrap();
        std::fs::write(dir.path().join("2000_0_shot-none.jpg"), b"old").unwrap();
        let pending = Spool::new(dir.path().to_path_buf()).pending();
        assert_eq!(pending.len(), 2);
        assert_eq!(pending[0].shot.session_id, Some(42));
        assert_eq!(pending[0].shot.client_id, "shot-old");
        assert_eq!(pending[1].shot.session_id, None);
    }

    #[test]
    fn odd_client_ids_stay_inside_the_folder() {
        let dir = tempfile::tempdir().unwrap();
        let spool = Spool::new(dir.path().join("spool"));
        spool.keep(&shot(1_000, "../../etc/x"), b"z").unwrap();
        let pending = spool.pending();
        assert_eq!(pending.len(), 1);
        assert_eq!(pending[0].shot.client_id, "../../etc/x");
        assert!(dir
            .path()
            .join("spool/0000000001000-______etc_x.jpg")
            .exists());
    }
}

//! Screenshots while a session runs: captured at the policy's interval, encoded to fit its
//! size limit off the engine's thread, uploaded, or kept in the spool until the hub is back.

use chrono::Utc;
use shared::fleet::CaptureReport;
use std::time::Duration;
use tokio::time::Instant;

use super::{client_id, Engine};
use crate::client::api::ApiError;
use crate::client::hub::HubClient;
use crate::client::spool::SpooledShot;
use crate::tracking::screenshots::encode_to_fit;

impl<H: HubClient> Engine<H> {
    pub(super) async fn maybe_screenshot(&mut self) {
        let Some(at) = self.next_screenshot else {
            return;
        };
        if Instant::now() < at {
            return;
        }
        let config = self.config();
        self.plan_screenshot(Some(Duration::from_secs(u64::from(
            config.screenshot_interval_seconds,
        ))));
        let session_id = self.snapshot().session.and_then(|s| s.id);
        let captured_at = Utc::now();
        let image = match self.screen.capture() {
            Ok(image) => image,
            Err(e) => {
                tracing::warn!(error = %e, "screenshot skipped; will try at the next interval");
                self.capture_report = Some(CaptureReport {
                    at: captured_at,
                    error: Some(e.to_string()),
                });
                return;
            }
        };
        self.capture_report = Some(CaptureReport {
            at: captured_at,
            error: None,
        });
        let max_bytes = config.max_screenshot_size_mb as usize * 1024 * 1024;
        let quality = config.screenshot_quality.clamp(1, 100) as u8;
        let blur = config.screenshot_blur;
        let shot = match tokio::task::spawn_blocking(move || {
            encode_to_fit(image, quality, max_bytes, blur)
        })
        .await
        {
            Ok(Ok(shot)) => shot,
            Ok(Err(e)) => return tracing::warn!(error = %e, "screenshot skipped"),
            Err(e) => return tracing::warn!(error = %e, "screenshot encoder stopped"),
        };
        let cid = client_id("shot");
        match self
            .hub
            .upload_screenshot(shot.jpeg.clone(), session_id, captured_at, &cid)
            .await
        {
            Ok(_) => {
                tracing::info!(
                    width = shot.width,
                    height = shot.height,
                    bytes = shot.jpeg.len(),
                    "screenshot uploaded"
                );
                self.update(|s| {
                    s.screenshots_uploaded += 1;
                    s.last_screenshot_at = Some(captured_at);
                });
            }
            Err(e) if e.is_unreachable() => {
                let kept = SpooledShot {
                    client_id: cid,
                    session_id,
                    captured_at,
                };
                if let Err(e) = self.spool.keep(&kept, &shot.jpeg) {
                    tracing::error!(error = %e, "cannot keep a screenshot for later");
                }
            }
            Err(e) => tracing::warn!(error = %e, "the hub refused a screenshot"),
        }
    }

    /// Sets when the next screenshot is due (`None`: none), for the timer and the window.
    pub(super) fn plan_screenshot(&mut self, after: Option<Duration>) {
        self.next_screenshot = after.map(|d| Instant::now() + d);
        let at = after.and_then(|d| chrono::Duration::from_std(d).ok().map(|d| Utc::now() + d));
        self.update(|s| s.next_screenshot_at = at);
    }

    /// Uploads the screenshots kept while the hub was unreachable, oldest first; stops at the
    /// first one the hub cannot be reached for.
    pub(super) async fn upload_kept_screenshots(&mut self) {
        for entry in self.spool.pending() {
            let jpeg = match entry.jpeg() {
                Ok(jpeg) => jpeg,
                Err(e) => {
                    tracing::warn!(error = %e, "a kept screenshot cannot be read; dropping it");
                    self.spool.remove(&entry);
                    continue;
                }
            };
            let shot = &entry.shot;
            match self
                .hub
                .upload_screenshot(jpeg, shot.session_id, shot.captured_at, &shot.client_id)
                .await
            {
                Err(ApiError::Unreachable(_)) => return,
                Err(ApiError::Refused { message, .. }) => {
                    tracing::warn!(message, "a kept screenshot was refused; dropping it")
                }
                Ok(_) => self.update(|s| {
                    s.screenshots_uploaded += 1;
                    s.last_screenshot_at = s.last_screenshot_at.max(Some(shot.captured_at));
                }),
            }
            self.spool.remove(&entry);
        }
    }
}

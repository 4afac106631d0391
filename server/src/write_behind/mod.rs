//! The write-behind beside the hub: the hub notes presence, heartbeats' activity and devices
//! through [`hub_core::hub::WriteBehind`]; here they are coalesced in memory and written in
//! batches (presence and devices every `--presence-flush-ms`, activity every
//! `--activity-flush-ms`), so a busy user costs a bounded number of writes however often their
//! agent reports.

pub mod activity;
pub mod devices;
pub mod presence;

use std::sync::Arc;

use crate::hub::WriteBehind;
use crate::metrics::Metrics;
use crate::store::{DeviceWrite, PresenceWrite};
use activity::ActivityWriter;
use devices::DeviceWriter;
use hub_core::records::BeatActivity;
use presence::PresenceWriter;

/// The three coalescing writers, as the hub's [`WriteBehind`].
pub struct Writers {
    pub presence: PresenceWriter,
    pub activity: ActivityWriter,
    /// Shared with its flush loop, which also pushes what it wrote.
    pub devices: Arc<DeviceWriter>,
}

impl Writers {
    pub fn new(metrics: &Metrics) -> Self {
        Writers {
            presence: PresenceWriter::new(metrics.clone()),
            activity: ActivityWriter::new(metrics.clone()),
            devices: Arc::new(DeviceWriter::new(metrics.clone())),
        }
    }
}

impl WriteBehind for Writers {
    fn presence(&self, write: PresenceWrite) {
        self.presence.note(write);
    }

    fn activity(&self, beat: BeatActivity) {
        self.activity.note(beat);
    }

    fn device(&self, write: DeviceWrite, visible: bool) {
        self.devices.note(write, visible);
    }
}

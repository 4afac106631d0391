//! How the hub hands on what must be stored: it notes each change here and goes on; the server's
//! write-behind (`server/src/write_behind/`) coalesces and writes them. The hub itself holds no
//! database handle.

use std::sync::Mutex;

use crate::records::{BeatActivity, DeviceWrite, PresenceWrite};

/// The write-behind beside the hub.
pub trait WriteBehind: Send + Sync {
    /// A user's latest presence (replaces what was pending for them).
    fn presence(&self, write: PresenceWrite);
    /// A heartbeat's share of a running session's activity (added up).
    fn activity(&self, beat: BeatActivity);
    /// What a device did; `visible`: an admin's fleet page would show the change (a renewal
    /// alone is not).
    fn device(&self, write: DeviceWrite, visible: bool);
}

/// Keeps what the hub noted, in order: for tests and fuzz targets, which have no database.
#[derive(Default)]
pub struct Noted {
    pub presence: Mutex<Vec<PresenceWrite>>,
    pub activity: Mutex<Vec<BeatActivity>>,
    pub devices: Mutex<Vec<(DeviceWrite, bool)>>,
}

fn push<T>(list: &Mutex<Vec<T>>, item: T) {
    match list.lock() {
        Ok(mut l) => l.push(item),
        Err(poisoned) => poisoned.into_inner().push(item),
    }
}

fn take<T>(list: &Mutex<Vec<T>>) -> Vec<T> {
    match list.lock() {
        Ok(mut l) => std::mem::take(&mut *l),
        Err(poisoned) => std::mem::take(&mut *poisoned.into_inner()),
    }
}

impl Noted {
    pub fn take_presence(&self) -> Vec<PresenceWrite> {
        take(&self.presence)
    }

    pub fn take_activity(&self) -> Vec<BeatActivity> {
        take(&self.activity)
    }

    pub fn take_devices(&self) -> Vec<(DeviceWrite, bool)> {
        take(&self.devices)
    }
}

impl WriteBehind for Noted {
    fn presence(&self, write: PresenceWrite) {
        push(&self.presence, write);
    }

    fn activity(&self, beat: BeatActivity) {
        push(&self.activity, beat);
    }

    fn device(&self, write: DeviceWrite, visible: bool) {
        push(&self.devices, (write, visible));
    }
}

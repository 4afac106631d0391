//! Hub memory per socket: RSS before any socket and after all of them are open and settled.

use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct MemoryResult {
    pub sockets: u64,
    pub hub_agents_open: u64,
    pub hub_tabs_open: u64,
    pub rss_before_kib: u64,
    pub rss_after_kib: u64,
    pub kib_per_socket: f64,
    pub ramp_seconds: f64,
}

impl MemoryResult {
    pub fn new(
        sockets: u64,
        open: (u64, u64),
        rss_before_kib: u64,
        rss_after_kib: u64,
        ramp_seconds: f64,
    ) -> Self {
        MemoryResult {
            sockets,
            hub_agents_open: open.0,
            hub_tabs_open: open.1,
            rss_before_kib,
            rss_after_kib,
            kib_per_socket: rss_after_kib.saturating_sub(rss_before_kib) as f64
                / sockets.max(1) as f64,
            ramp_seconds,
        }
    }
}

//! Raw bytes from a client after the handshake, through the real connection future (framing,
//! limits, the closing handshake) and the agent handler. Whatever arrives, the hub writes only
//! well-formed server frames, ends with at most one Close frame carrying an allowed code and a
//! reason, and never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| server_fuzz::targets::socket_frames(bytes));

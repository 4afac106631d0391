//! A UDP datagram from a game server (A2S): the header, then a whole message or a split part.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| server_fuzz::targets::a2s_datagram(bytes));

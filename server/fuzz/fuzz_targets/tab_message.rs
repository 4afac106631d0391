//! A dashboard tab's text message through the hub's real handler (`/ws/tab`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| server_fuzz::targets::tab_message(text));

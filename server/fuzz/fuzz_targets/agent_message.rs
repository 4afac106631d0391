//! A desktop agent's text message through the hub's real handler (`/ws/agent`): any text is
//! either acted on or answered with the JSON error; the hub's state stays usable.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| server_fuzz::targets::agent_message(text));

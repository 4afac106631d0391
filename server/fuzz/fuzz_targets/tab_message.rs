//! A dashboard tab's text message through the hub's real handler (`/ws/tab`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use server::ws::connection::MessageHandler;
use server::ws::TabMessages;
use server_fuzz::{check_answer, hub_with_org, SUPERVISOR};

fuzz_target!(|text: &str| {
    let (hub, org) = hub_with_org();
    let mut handler = TabMessages::new(hub.clone(), org.clone(), SUPERVISOR);
    let answer = handler.on_text(text);
    check_answer(text, answer);
    assert_eq!(org.snapshot_for(SUPERVISOR, true).len(), 2);
});

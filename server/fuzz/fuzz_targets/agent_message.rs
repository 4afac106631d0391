//! A desktop agent's text message through the hub's real handler (`/ws/agent`): any text is
//! either acted on or answered with the JSON error; the hub's state stays usable.
#![no_main]

use libfuzzer_sys::fuzz_target;
use server::ws::connection::MessageHandler;
use server::ws::AgentMessages;
use server_fuzz::{check_answer, hub_with_org, MEMBER};

fuzz_target!(|text: &str| {
    let (hub, org) = hub_with_org();
    let mut handler = AgentMessages::new(hub.clone(), org.clone(), MEMBER, 1);
    let answer = handler.on_text(text);
    check_answer(text, answer);
    // Whatever the heartbeat said, the dashboards' view of the user is still whole.
    let users = org.snapshot_for(MEMBER, true);
    assert_eq!(users.len(), 2);
});

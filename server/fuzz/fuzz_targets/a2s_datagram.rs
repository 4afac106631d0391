//! A UDP datagram from a game server (A2S): the header, then a whole message or a split part.
#![no_main]

use libfuzzer_sys::fuzz_target;
use server::a2s::{parse_datagram, parse_message, Datagram, Message};

fuzz_target!(|bytes: &[u8]| {
    match parse_datagram(bytes) {
        Ok(Datagram::Single(payload)) => {
            if let Ok(message) = parse_message(payload) {
                if let Message::Players(players) = &message {
                    assert!(players.len() <= payload.len(), "a player costs bytes");
                }
                let _ = message.kind();
            }
        }
        Ok(Datagram::Part(part)) => assert!(part.number < part.total),
        Err(error) => assert!(!error.to_string().is_empty()),
    }
});

//! A split A2S answer arriving as any sequence of parts (in any order, repeated, of other
//! answers): reassembly never panics and a finished message is parsed like a single one.
#![no_main]

use libfuzzer_sys::fuzz_target;
use server::a2s::{parse_message, parse_split, Reassembly};

fuzz_target!(|bytes: &[u8]| {
    // Parts separated by a 0xFD 0xFD marker; the first part sets the answer's id and count.
    let mut reassembly: Option<Reassembly> = None;
    for chunk in bytes.split(|b| *b == 0xFD).filter(|c| !c.is_empty()) {
        let Ok(part) = parse_split(chunk) else {
            continue;
        };
        let r = reassembly.get_or_insert_with(|| Reassembly::new(part.id, part.total));
        match r.add(part) {
            Ok(Some(whole)) => {
                let _ = parse_message(&whole);
                return;
            }
            Ok(None) | Err(_) => {}
        }
    }
});

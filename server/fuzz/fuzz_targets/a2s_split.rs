//! A split A2S answer arriving as any sequence of parts (in any order, repeated, of other
//! answers): reassembly never panics and a finished message is parsed like a single one.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| server_fuzz::targets::a2s_split(bytes));

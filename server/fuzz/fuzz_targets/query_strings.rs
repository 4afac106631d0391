//! Query strings of the REST API and of the pages: parsed into their types, checked, and any
//! refusal is the API's 400; the pages' parsers take any pairs and build links that parse back.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|query: &str| server_fuzz::targets::query_strings(query));

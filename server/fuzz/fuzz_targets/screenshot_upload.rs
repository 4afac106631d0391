//! The body of `POST /api/screenshots`: only a readable JPEG header gives a size; anything else
//! is the API's 422, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|body: &[u8]| server_fuzz::targets::screenshot_upload(body));

//! The body of `POST /api/screenshots`: only a readable JPEG header gives a size; anything else
//! is the API's 422, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use server::api::screenshots::jpeg_size;

fuzz_target!(|body: &[u8]| {
    match jpeg_size(body) {
        Ok((width, height)) => assert!(width > 0 && height > 0, "{width}x{height}"),
        Err(error) => assert_eq!(error.status().as_u16(), 422, "{error}"),
    }
});

//! An iCalendar file for the holiday import: read into named days in date order, or refused with
//! a message; never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| server_fuzz::targets::holiday_ics(text));

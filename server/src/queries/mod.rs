//! Reads shaped for the API and the pages (a person's time, a session's activity): plain
//! queries through the store that change nothing and announce no event. Writes live in `ops`.

pub mod fleet;
pub mod own_data;
pub mod session_activity;
pub mod staff_time;
pub mod timesheets;
pub mod worktime;
pub mod worktime_export;

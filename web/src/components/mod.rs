//! Pieces of the pages.

pub mod live_badge;
pub mod session_cell;
pub mod since;
pub mod status_dot;
pub mod status_row;
pub mod status_table;
pub mod top_bar;

//! Pieces of the pages.

pub mod activity_bars;
pub mod audit_details;
pub mod device_table;
pub mod end_session;
pub mod field_error;
pub mod form;
pub mod live_badge;
pub mod manual_entry;
pub mod own_session;
pub mod pager;
pub mod policy_field;
pub mod session_cell;
pub mod session_filters;
pub mod session_row;
pub mod session_table;
pub mod since;
pub mod status_dot;
pub mod status_row;
#[cfg(feature = "ssr")]
pub mod status_rows_html;
pub mod status_table;
pub mod ticket_form;
pub mod ticket_select;
pub mod top_apps;
pub mod top_bar;

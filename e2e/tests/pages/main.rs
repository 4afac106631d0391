//! The web app as people use it: headless Chromium against a real hub process (and, where a
//! page shows them, real agent sockets, webhooks and game servers). One test binary with a
//! module per page or flow: each binary links the whole hub, so a binary per file cost the cold
//! build ~5 CPU-seconds apiece.

mod absence_pages;
mod accessibility;
mod first_run;
mod force_end;
mod live_pages;
mod me_page;
mod people_pages;
mod policy_form;
mod session_activity;
mod sign_in;
mod staff_page;
mod status_page;
mod timesheet_pages;
mod work_pages;

//! The measured scenarios, one per file, each returning its part of the results.

pub mod force_end;
pub mod ingest;
pub mod memory;
pub mod page;
pub mod policy;
pub mod presence;
pub mod storm;

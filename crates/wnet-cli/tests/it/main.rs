//! `wnet`'s integration tests: full [`wnet_cli::run`] outputs (stdout, stderr, exit code)
//! compared byte for byte with golden files under `tests/golden/`, against a fake backend
//! (this is the CLI's formatting and prompting logic; the daemon is tested elsewhere).
//!
//! `UPDATE_GOLDEN=1 cargo test -p wnet --test it` rewrites the golden files.

mod fake;
mod golden;

mod completion;
mod delete;
mod json;
mod list;
mod show_connect;
mod usage;
mod view_status;

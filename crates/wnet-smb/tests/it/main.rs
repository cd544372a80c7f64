//! The SMB provider and its drives against a real Samba.

mod dfs;
mod drive;
mod drive_after_close;
mod drive_bigdir;
mod drive_blips;
mod drive_consistency;
mod drive_failure;
mod drive_io;
mod drive_leases;
mod drive_lock;
mod drive_nonroot;
mod drive_partition;
mod drive_posix;
mod drive_small;
mod drive_unmount;
mod printer;
mod provider;
mod remote_fs;

//! The SMB provider and its drives against a real Samba.

mod drive;
mod provider;
mod drive_unmount;

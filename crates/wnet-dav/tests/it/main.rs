//! The WebDAV client against real servers: Apache httpd with mod_dav_fs and
//! `rclone serve webdav` (wnet-testkit).

mod client;
mod rclone;

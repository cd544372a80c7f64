//! The WebDAV provider against real servers: Apache httpd with mod_dav_fs (over HTTP, and
//! over HTTPS with Digest) and `rclone serve webdav` (wnet-testkit).

mod dav_cache;
mod dav_fs;
mod drive_dav;

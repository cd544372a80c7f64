//! The WebDAV client against a real Apache httpd with mod_dav_fs (wnet-testkit).

mod client;

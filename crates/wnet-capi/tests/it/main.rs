//! libwnet.so from C: real C (and C++) programs compiled with `cc` against
//! `include/winnetwk.h` and the built library, run against a daemon.

mod every_export;
mod samba;
mod seed;
mod support;

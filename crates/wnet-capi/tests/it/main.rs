//! libwnet.so from C: real C (and C++) programs compiled with `cc` against
//! `include/winnetwk.h` and the built library, run against the daemon (in this process, or the
//! real `wnetd` started on demand) and, for connections, a real Samba.

mod dfs;
mod enumeration;
mod every_export;
mod exports;
mod fork_safety;
mod header;
mod kerberos;
mod names;
mod precedence;
mod printer;
mod resources;
mod restart;
mod samba;
mod seed;
mod support;
mod threads;
mod valgrind;
mod webdav;

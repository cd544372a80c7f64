//! `wnet use [X: | *] \\server\share [password | *] [switches]`: connect.
//!
//! Persistence as net.exe does it: `/PERSISTENT:YES|NO` decides for this connection and
//! becomes the default for the next ones ("the default is the setting used last"); without
//! it the remembered default decides. Only device connections are remembered
//! (`CONNECT_UPDATE_PROFILE` is set only with a device or `*`).

use wnet_core::{ConnectFlags, Error, RemoteName};

use super::{Console, EXIT_OK};
use crate::Backend;
use crate::args::{Device, PasswordArg};
use crate::backend::ConnectRequest;
use crate::output::{COMPLETED, messages};
use crate::prompt;

/// The parsed connect line.
pub struct Connect {
    /// `X:`, `*` or none.
    pub device: Device,
    /// The share.
    pub remote: RemoteName,
    /// The password argument.
    pub password: PasswordArg,
    /// `/USER:`.
    pub user: Option<String>,
    /// `/PERSISTENT:`.
    pub persistent: Option<bool>,
    /// `/SAVECRED`.
    pub savecred: bool,
    /// The security switches' flags.
    pub flags: ConnectFlags,
}

/// Connects and prints the result.
pub fn run(backend: &mut dyn Backend, console: &mut Console<'_>, c: Connect) -> Result<i32, Error> {
    let remember = match (c.persistent, c.device) {
        (_, Device::None) => false,
        (Some(yes), _) => yes,
        (None, _) => backend.persistent_default()?,
    };
    let password = match c.password {
        PasswordArg::None => None,
        PasswordArg::Given(secret) => Some(secret),
        PasswordArg::Prompt => Some(prompt::read_password(
            console.stdin,
            console.stdout,
            console.is_tty,
            &messages::password_prompt(&c.remote),
        )?),
    };
    let mut flags = c.flags;
    if c.savecred {
        flags = flags | ConnectFlags::CMD_SAVECRED;
    }
    if remember {
        flags = flags | ConnectFlags::UPDATE_PROFILE;
    }
    let local = match c.device {
        Device::Letter(local) => Some(local),
        Device::Next => {
            flags = flags | ConnectFlags::REDIRECT;
            None
        }
        Device::None => None,
    };
    let request = ConnectRequest {
        local,
        remote: c.remote,
        user: c.user,
        password,
        flags,
    };
    let outcome = backend.connect(&request)?;
    if let Some(yes) = c.persistent {
        backend.set_persistent(yes)?;
    }
    match (c.device, outcome.local) {
        (Device::Next, Some(chosen)) => {
            console.out(&messages::connected_to(chosen, &outcome.remote));
        }
        _ => console.out(COMPLETED),
    }
    if let Some(notice) = &outcome.notice {
        console.err(&format!("{notice}\n"));
    }
    Ok(EXIT_OK)
}

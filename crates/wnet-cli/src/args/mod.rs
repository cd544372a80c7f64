//! The command line: net.exe's `/SWITCH[:value]` syntax, parsed by hand (ripgrep style: one
//! file per switch or group, each with its tests).
//!
//! # Layout
//! - [`switch`]: the matching rules (case, abbreviations, values).
//! - [`user`], [`persistent`], [`delete`], [`tcpport`], [`savecred`], [`security`],
//!   [`answer`], [`unsupported`]: one switch (or group) each.
//! - [`positional`]: `dev | *`, `\\computer\share` or `smb://`, `password | *`.
//! - [`long`]: `--json`, `--help`.
//!
//! Forms of `wnet use` (WNET-SPEC.md §5):
//! ```text
//! wnet use                                   list
//! wnet use X:                                detail of one device
//! wnet use [X: | *] \\server\share [password | *] [/USER:..] [/PERSISTENT:..] [...]
//! wnet use {X: | \\server\share | *} /DELETE [/Y | /N]
//! wnet use /PERSISTENT:{YES | NO}            the default for new connections
//! ```

pub mod answer;
pub mod delete;
pub mod long;
pub mod persistent;
pub mod positional;
pub mod savecred;
pub mod security;
pub mod switch;
pub mod tcpport;
pub mod unsupported;
pub mod user;

use wnet_core::{ConnectFlags, Error, ErrorKind, LocalName, RemoteName};

pub use positional::{Device, PasswordArg};

use crate::backend::ServerName;
use long::LongOption;
use switch::{SwitchArg, SwitchDef};

/// The command line does not fit the syntax: the caller prints the usage text and exits 2.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UsageError;

/// Which command's usage or help text to print.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Topic {
    /// `wnet` itself.
    Wnet,
    /// `wnet use`.
    Use,
    /// `wnet view`.
    View,
    /// `wnet status`.
    Status,
}

/// Why a command line was refused.
#[derive(Debug)]
pub enum ArgsError {
    /// Not the syntax of the command: print its usage text.
    Usage(Topic),
    /// The syntax fits but a name is invalid (1200, 67, 87) or a switch is not supported (50):
    /// print the error as net.exe does.
    Invalid(Error),
}

/// A whole `wnet` command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// `wnet use ...`.
    Use(UseInvocation),
    /// `wnet view \\server`.
    View(ServerName),
    /// `wnet status [--json]`.
    Status {
        /// `--json`.
        json: bool,
    },
    /// `--help`, `/?`, `help`: the help of a command.
    Help(Topic),
    /// `--version`.
    Version,
}

/// A `wnet use` line: the command and its output form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UseInvocation {
    /// What to do.
    pub command: UseCommand,
    /// `--json` (list and show only).
    pub json: bool,
}

/// What `wnet use` does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UseCommand {
    /// `wnet use`: list the connections.
    List,
    /// `wnet use X:`: one device's detail.
    Show(LocalName),
    /// `wnet use [X: | *] \\server\share ...`: connect.
    Connect {
        /// `X:`, `*` or none.
        device: Device,
        /// The remote name, with `/TCPPORT`'s port set on an SMB name.
        remote: RemoteName,
        /// `password`, `*` or none.
        password: PasswordArg,
        /// `/USER:`.
        user: Option<String>,
        /// `/PERSISTENT:`; `None` = the remembered default.
        persistent: Option<bool>,
        /// `/TCPPORT:` (already applied to `remote`).
        tcp_port: Option<u16>,
        /// `/SAVECRED`.
        savecred: bool,
        /// `REQUIRE_INTEGRITY`, `REQUIRE_PRIVACY`, `WRITE_THROUGH_SEMANTICS` from the switches.
        flags: ConnectFlags,
    },
    /// `wnet use {X: | \\server\share | *} /DELETE`.
    Delete {
        /// What to cancel.
        target: DeleteTarget,
        /// `/Y` = `Some(true)`, `/N` = `Some(false)`, none = ask.
        answer: Option<bool>,
    },
    /// `wnet use /PERSISTENT:{YES|NO}`.
    SetPersistent(bool),
}

/// What `/DELETE` cancels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeleteTarget {
    /// A device.
    Device(LocalName),
    /// The deviceless connections to a remote name.
    Remote(RemoteName),
    /// `*`: every connection.
    All,
}

/// Every switch of `wnet use`, the table abbreviations are resolved against.
pub const USE_SWITCHES: &[&SwitchDef] = &[
    &user::USER,
    &persistent::PERSISTENT,
    &delete::DELETE,
    &savecred::SAVECRED,
    &security::REQUIRE_INTEGRITY,
    &security::REQUIRE_PRIVACY,
    &security::WRITE_THROUGH,
    &tcpport::TCPPORT,
    &answer::YES,
    &answer::NO,
    &unsupported::SMARTCARD,
    &unsupported::HOME,
];

/// Parses a `wnet` command line (without the program name).
pub fn parse(args: &[String]) -> Result<Command, ArgsError> {
    let Some((first, rest)) = args.split_first() else {
        return Err(ArgsError::Usage(Topic::Wnet));
    };
    match first.to_ascii_lowercase().as_str() {
        "use" => parse_use(rest),
        "view" => parse_view(rest),
        "status" => parse_status(rest),
        "--help" | "/?" | "help" => Ok(Command::Help(Topic::Wnet)),
        "--version" => Ok(Command::Version),
        _ => Err(ArgsError::Usage(Topic::Wnet)),
    }
}

/// The switches found on a `wnet use` line, each at most once.
#[derive(Default)]
struct Switches<'a> {
    seen: Vec<SwitchArg<'a>>,
}

impl<'a> Switches<'a> {
    fn add(&mut self, arg: SwitchArg<'a>) -> Result<(), ArgsError> {
        if self.seen.iter().any(|s| s.def == arg.def) {
            return Err(ArgsError::Usage(Topic::Use));
        }
        self.seen.push(arg);
        Ok(())
    }

    fn get(&self, def: &SwitchDef) -> Option<&SwitchArg<'a>> {
        self.seen.iter().find(|s| s.def == def)
    }

    fn has(&self, def: &SwitchDef) -> bool {
        self.get(def).is_some()
    }

    /// The value of a switch that takes one, parsed.
    fn value<T>(
        &self,
        def: &SwitchDef,
        parse: impl Fn(&str) -> Result<T, UsageError>,
    ) -> Result<Option<T>, ArgsError> {
        match self.get(def) {
            None => Ok(None),
            Some(arg) => parse(arg.value.unwrap_or(""))
                .map(Some)
                .map_err(|_| ArgsError::Usage(Topic::Use)),
        }
    }

    /// `true` if a switch that only makes sense on a connect is present.
    fn has_connect_only(&self) -> bool {
        self.seen.iter().any(|s| {
            s.def == &user::USER
                || s.def == &savecred::SAVECRED
                || s.def == &tcpport::TCPPORT
                || security::flag(s.def).is_some()
        })
    }
}

fn parse_use(args: &[String]) -> Result<Command, ArgsError> {
    let usage = || ArgsError::Usage(Topic::Use);
    let mut json = false;
    let mut switches = Switches::default();
    let mut positionals: Vec<&str> = Vec::new();
    for token in args {
        if long::is_long(token) {
            match long::parse(token).map_err(|_| usage())? {
                LongOption::Json => json = true,
                LongOption::Help => return Ok(Command::Help(Topic::Use)),
            }
        } else if token == "/?" || token.eq_ignore_ascii_case("/HELP") {
            return Ok(Command::Help(Topic::Use));
        } else if switch::is_switch(token) {
            let arg = switch::match_switch(token, USE_SWITCHES).map_err(|_| usage())?;
            switches.add(arg)?;
        } else {
            positionals.push(token);
        }
    }
    if let Some(arg) = switches
        .seen
        .iter()
        .find(|s| unsupported::is_unsupported(s.def))
    {
        return Err(ArgsError::Invalid(Error::new(
            ErrorKind::NotSupported,
            format!("/{} is not supported", arg.def.name),
        )));
    }
    let answer = match (switches.has(&answer::YES), switches.has(&answer::NO)) {
        (true, true) => return Err(usage()),
        (true, false) => Some(true),
        (false, true) => Some(false),
        (false, false) => None,
    };
    let persistent = switches.value(&persistent::PERSISTENT, persistent::parse)?;
    let tcp_port = switches.value(&tcpport::TCPPORT, tcpport::parse)?;
    let user = switches.value(&user::USER, user::parse)?;

    // Positionals: [dev | *] [\\computer\share [password | *]].
    let (device_token, rest) = match positionals.split_first() {
        Some((first, rest)) if positional::is_device(first) => (Some(*first), rest),
        _ => (None, &positionals[..]),
    };
    if rest.len() > 2 {
        return Err(usage());
    }
    let device = match device_token {
        Some(t) => positional::device(t).map_err(ArgsError::Invalid)?,
        None => Device::None,
    };
    let remote = match rest.first() {
        Some(t) => Some(positional::remote(t, tcp_port).map_err(ArgsError::Invalid)?),
        None => None,
    };
    let password = rest.get(1).map(|t| positional::password(t));
    // `/USER:` wins over the user of an `smb://user@host/share` URL.
    let (remote, user) = match remote {
        Some(r) => (Some(r.name), user.or(r.user)),
        None => (None, user),
    };

    let command = if switches.has(&delete::DELETE) {
        if persistent.is_some() || switches.has_connect_only() || password.is_some() || json {
            return Err(usage());
        }
        let target = match (device, remote) {
            // A device wins: WNetCancelConnection2 takes one name.
            (Device::Letter(local), _) => DeleteTarget::Device(local),
            (Device::Next, None) => DeleteTarget::All,
            (Device::None, Some(remote)) => DeleteTarget::Remote(remote),
            _ => return Err(usage()),
        };
        UseCommand::Delete { target, answer }
    } else {
        match (device, remote) {
            (Device::None, None) => {
                if switches.has_connect_only() {
                    return Err(usage());
                }
                match persistent {
                    Some(yes) if !json => UseCommand::SetPersistent(yes),
                    Some(_) => return Err(usage()),
                    None => UseCommand::List,
                }
            }
            (Device::Letter(local), None) => {
                if switches.has_connect_only() || persistent.is_some() {
                    return Err(usage());
                }
                UseCommand::Show(local)
            }
            (Device::Next, None) => return Err(usage()),
            (device, Some(remote)) => {
                if json {
                    return Err(usage());
                }
                let flags = switches
                    .seen
                    .iter()
                    .filter_map(|s| security::flag(s.def))
                    .fold(ConnectFlags::empty(), |all, f| all | f);
                UseCommand::Connect {
                    device,
                    remote,
                    password: password.unwrap_or(PasswordArg::None),
                    user,
                    persistent,
                    tcp_port,
                    savecred: switches.has(&savecred::SAVECRED),
                    flags,
                }
            }
        }
    };
    Ok(Command::Use(UseInvocation { command, json }))
}

fn parse_view(args: &[String]) -> Result<Command, ArgsError> {
    let mut server = None;
    for token in args {
        match token.as_str() {
            "--help" | "/?" => return Ok(Command::Help(Topic::View)),
            t if positional::is_remote(t) && server.is_none() => {
                server = Some(ServerName::parse(t).map_err(ArgsError::Invalid)?);
            }
            _ => return Err(ArgsError::Usage(Topic::View)),
        }
    }
    server
        .map(Command::View)
        .ok_or(ArgsError::Usage(Topic::View))
}

fn parse_status(args: &[String]) -> Result<Command, ArgsError> {
    let mut json = false;
    for token in args {
        match token.as_str() {
            "--help" | "/?" => return Ok(Command::Help(Topic::Status)),
            "--json" => json = true,
            _ => return Err(ArgsError::Usage(Topic::Status)),
        }
    }
    Ok(Command::Status { json })
}

#[cfg(test)]
mod tests {
    use super::*;
    use wnet_core::Secret;

    fn parse_line(line: &str) -> Result<Command, ArgsError> {
        let args: Vec<String> = line.split_whitespace().map(str::to_owned).collect();
        parse(&args)
    }

    fn use_cmd(line: &str) -> UseInvocation {
        match parse_line(line) {
            Ok(Command::Use(u)) => u,
            other => panic!("{line}: {other:?}"),
        }
    }

    fn is_usage(line: &str) -> bool {
        matches!(parse_line(line), Err(ArgsError::Usage(_)))
    }

    fn invalid_code(line: &str) -> u32 {
        match parse_line(line) {
            Err(ArgsError::Invalid(e)) => e.win_error().0,
            other => panic!("{line}: {other:?}"),
        }
    }

    fn z() -> LocalName {
        LocalName::Drive(b'Z')
    }

    #[test]
    fn list_show_and_default() {
        assert_eq!(use_cmd("use").command, UseCommand::List);
        assert_eq!(use_cmd("USE").command, UseCommand::List);
        assert!(use_cmd("use --json").json);
        assert_eq!(use_cmd("use z:").command, UseCommand::Show(z()));
        assert!(use_cmd("use --json Z:").json);
        assert!(use_cmd("use Z: --json").json);
        assert_eq!(
            use_cmd("use /P:NO").command,
            UseCommand::SetPersistent(false)
        );
        assert_eq!(
            use_cmd("use /persistent:yes /y").command,
            UseCommand::SetPersistent(true)
        );
    }

    #[test]
    fn smb_url_user_fills_user_unless_given() {
        let user_of = |line: &str| match use_cmd(line).command {
            UseCommand::Connect { user, remote, .. } => (user, remote.to_string()),
            other => panic!("{other:?}"),
        };
        assert_eq!(
            user_of("use Z: smb://DOM;me@srv:4455/share/d *"),
            (Some(r"DOM\me".into()), r"\\srv@4455\share\d".into())
        );
        assert_eq!(
            user_of("use Z: smb://me@srv/share /USER:other").0,
            Some("other".into())
        );
        assert_eq!(user_of("use smb://srv/share").0, None);
        assert!(matches!(
            use_cmd("use smb://me@srv/share /DELETE").command,
            UseCommand::Delete {
                target: DeleteTarget::Remote(_),
                ..
            }
        ));
    }

    #[test]
    fn connect_forms() {
        let u = use_cmd(r"use z: \\srv\share pw /USER:dom\me /P:NO /SAVECRED /REQUIREPRIVACY /W");
        assert_eq!(
            u.command,
            UseCommand::Connect {
                device: Device::Letter(z()),
                remote: RemoteName::parse(r"\\srv\share").unwrap(),
                password: PasswordArg::Given(Secret::new("pw")),
                user: Some(r"dom\me".into()),
                persistent: Some(false),
                tcp_port: None,
                savecred: true,
                flags: ConnectFlags::REQUIRE_PRIVACY | ConnectFlags::WRITE_THROUGH_SEMANTICS,
            }
        );
        match use_cmd("use * //srv/share * /TCPPORT:4455").command {
            UseCommand::Connect {
                device,
                remote,
                password,
                tcp_port,
                ..
            } => {
                assert_eq!(device, Device::Next);
                assert_eq!(remote.to_string(), r"\\srv@4455\share");
                assert_eq!(password, PasswordArg::Prompt);
                assert_eq!(tcp_port, Some(4455));
            }
            other => panic!("{other:?}"),
        }
        match use_cmd(r"use \\srv@4455\share").command {
            UseCommand::Connect { device, remote, .. } => {
                assert_eq!(device, Device::None);
                assert_eq!(remote.unc().unwrap().port(), Some(4455));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn delete_forms() {
        let del = |line| match use_cmd(line).command {
            UseCommand::Delete { target, answer } => (target, answer),
            other => panic!("{line}: {other:?}"),
        };
        assert_eq!(del("use Z: /DELETE"), (DeleteTarget::Device(z()), None));
        assert_eq!(del("use /d z:"), (DeleteTarget::Device(z()), None));
        assert_eq!(
            del("use z: /DEL /Y"),
            (DeleteTarget::Device(z()), Some(true))
        );
        assert_eq!(
            del("use z: /delete /n"),
            (DeleteTarget::Device(z()), Some(false))
        );
        assert_eq!(del("use * /D /YES"), (DeleteTarget::All, Some(true)));
        assert_eq!(
            del(r"use \\srv\share /delete"),
            (
                DeleteTarget::Remote(RemoteName::parse(r"\\srv\share").unwrap()),
                None
            )
        );
        assert_eq!(
            del(r"use Z: \\srv\share /D"),
            (DeleteTarget::Device(z()), None)
        );
    }

    #[test]
    fn usage_errors() {
        for line in [
            "",
            "frobnicate",
            "use /FOO",
            "use /R",
            "use /S",
            "use /DELETE",
            "use *",
            "use Z: /D /P:YES",
            "use Z: /D /USER:x",
            "use Z: /D /Y /N",
            "use Z: /D --json",
            r"use \\s\x pw /D",
            r"use Z: \\s\x pw extra",
            r"use Z: \\s\x --json",
            "use /P:YES --json",
            "use /P:MAYBE",
            "use /USER:x",
            "use Z: /USER:x",
            "use Z: /P:YES",
            "use /TCPPORT:0 Z:",
            r"use Z: \\s\x /D /D",
            r"use Z: \\s\x /USER:a /U:b",
            "use --frob",
            "view",
            "view server",
            r"view \\a \\b",
            "status --frob",
        ] {
            assert!(is_usage(line), "{line:?}");
        }
    }

    #[test]
    fn invalid_names_are_errors_not_usage() {
        assert_eq!(invalid_code(r"use 1: \\s\x"), 1200);
        assert_eq!(invalid_code(r"use Z: \\server"), 67);
        assert_eq!(invalid_code("use Z: share"), 67);
        assert_eq!(invalid_code(r"use Z: \\s@445\x /TCPPORT:4455"), 87);
        assert_eq!(invalid_code(r"use Z: \\s\x /SMARTCARD"), 50);
        assert_eq!(invalid_code("use Z: /HOME"), 50);
        assert_eq!(invalid_code(r"view \\a\b"), 53);
    }

    #[test]
    fn top_level() {
        assert_eq!(parse_line("--help").unwrap(), Command::Help(Topic::Wnet));
        assert_eq!(parse_line("use --help").unwrap(), Command::Help(Topic::Use));
        assert_eq!(parse_line("use Z: /?").unwrap(), Command::Help(Topic::Use));
        assert_eq!(parse_line("use /help").unwrap(), Command::Help(Topic::Use));
        assert_eq!(parse_line("--version").unwrap(), Command::Version);
        assert_eq!(
            parse_line("status --json").unwrap(),
            Command::Status { json: true }
        );
        assert_eq!(
            parse_line(r"view \\files").unwrap(),
            Command::View(ServerName::parse(r"\\files").unwrap())
        );
    }
}

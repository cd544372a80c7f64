//! The syntax text of usage errors (stderr, exit 2) and the `--help` texts (stdout, exit 0).
//!
//! The `wnet use` syntax is net.exe's `NET USE` syntax of Windows 10/11 (`/WRITETHROUGH` era),
//! adapted: `wnet use` for `NET USE`, without `/SMARTCARD` and the `/HOME` form (not
//! supported), with `/TCPPORT` (Windows 11 24H2) added.

use crate::args::Topic;

const SYNTAX_INTRO: &str = "The syntax of this command is:\n\n";

const WNET_SYNTAX: &str = "wnet\n    [ USE | VIEW | STATUS ]\n\n";

const USE_SYNTAX: &str = r"wnet use
[devicename | *] [\\computername\sharename[\volume] [password | *]]
        [/USER:[domainname\]username]
        [/USER:[dotted domain name\]username]
        [/USER:[username@dotted domain name]
        [/SAVECRED]
        [/REQUIREINTEGRITY]
        [/REQUIREPRIVACY]
        [/WRITETHROUGH]
        [/TCPPORT:port]
        [[/DELETE] | [/PERSISTENT:{YES | NO}]]

wnet use [/PERSISTENT:{YES | NO}]

";

const VIEW_SYNTAX: &str = "wnet view \\\\computername\n\n";

const STATUS_SYNTAX: &str = "wnet status [--json]\n\n";

fn syntax(topic: Topic) -> &'static str {
    match topic {
        Topic::Wnet => WNET_SYNTAX,
        Topic::Use => USE_SYNTAX,
        Topic::View => VIEW_SYNTAX,
        Topic::Status => STATUS_SYNTAX,
    }
}

/// What a usage error prints (on stderr).
pub fn usage(topic: Topic) -> String {
    format!("{SYNTAX_INTRO}{}", syntax(topic))
}

const WNET_HELP: &str = r"wnet: Windows network connections (the WNet API and `net use`) for Linux.

Commands:
    wnet use      Connects a drive to a shared resource, disconnects it, or lists the
                  connections (`wnet use --help`).
    wnet view     Lists the shares of a server.
    wnet status   Shows the connection service and its connections.

Switches are net.exe's: they start with /, are case-insensitive and may be abbreviated
(/D for /DELETE, /P:NO for /PERSISTENT:NO). --json gives the listing and the detail in a
machine-readable form.

";

const USE_HELP: &str = r"wnet use connects a computer to a shared resource or disconnects a computer
from a shared resource. When used without options, it lists the computer's
connections.

devicename       Assigns a name to connect to the resource or specifies the
                 device to be disconnected. Devices are disk drives (A: through
                 Z:) and printers (LPT1: through LPT9:). Type an asterisk
                 instead of a specific device name to assign the next available
                 drive letter, from Z: down. A printer is the file
                 ~/Network/LPT1: each open() of it is one print job.
\\computername   Is the name of the computer controlling the shared resource,
                 optionally with a port: \\computername@port.
\sharename       Is the network name of the shared resource.
\volume          Specifies a directory below the share.
password         Is the password needed to access the shared resource.
*                Produces a prompt for the password. The password is not
                 displayed when you type it at the prompt. Safer than a
                 password on the command line, which other local users can
                 read until wnet hides it, or /SAVECRED once.
/USER            Specifies a different user name with which the connection is
                 made.
/SAVECRED        Keeps the credentials for the restore at the next login.
/REQUIREINTEGRITY
                 Requires that the connection is signed.
/REQUIREPRIVACY  Requires that the connection is encrypted.
/WRITETHROUGH    Asks the server to write data through to its disk.
/TCPPORT         Connects to the server's SMB service on this port.
/DELETE          Cancels a network connection and removes the connection from
                 the list of persistent connections.
/PERSISTENT      Controls the use of persistent network connections. The
                 default is the setting used last.
YES              Saves connections as they are made, and restores them at next
                 login.
NO               Does not save the connection being made or subsequent
                 connections.
/Y, /N           Answer the questions wnet use would ask (open files on
                 /DELETE). Without them, and with no answer on the standard
                 input, the answer is the default, No.
--json           With the listing or a device's detail: print them as JSON.

In a Linux shell, \\ and * mean something to the shell: quote them, or write
the name with slashes or as an smb:// URL. These are the same connection:

    wnet use Z: '\\fileserver\team' '*' /USER:alice
    wnet use Z: //fileserver/team '*' /USER:alice
    wnet use Z: smb://alice@fileserver/team '*'

smb://[domain;][user@]server[:port]/share[/volume]
                 The URL form (GNOME Files, KDE Dolphin, gio, smbclient). Its
                 user is used when /USER is not given; quote a URL with a
                 domain ('smb://CORP;alice@fileserver/team'): ; ends a
                 command in the shell. Listings show the UNC form.
https://server/path, \\server@SSL\DavWWWRoot\path, \\server@port\path
                 A WebDAV folder (Web Client Network): for now without a
                 device. /TCPPORT is for SMB names only.

";

const VIEW_HELP: &str = r"wnet view lists the shares of a computer.

\\computername   Is the computer whose shares you want to view, optionally with
                 a port: \\computername@port. In a Linux shell, quote it
                 ('\\computername') or write //computername or
                 smb://computername[:port].

";

const STATUS_HELP: &str = r"wnet status shows the connection service (wnetd) and, for each
connection, its server, user and state.

--json           Prints the status as JSON.

";

/// What `--help` prints (on stdout).
pub fn help(topic: Topic) -> String {
    let body = match topic {
        Topic::Wnet => WNET_HELP,
        Topic::Use => USE_HELP,
        Topic::View => VIEW_HELP,
        Topic::Status => STATUS_HELP,
    };
    format!("{}{}", usage(topic), body)
}

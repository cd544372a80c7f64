//! One share of a test Samba.

use std::io;
use std::path::{Component, Path, PathBuf};

/// One share of a test Samba: its name, whether it is read-only, extra `smb.conf` lines and the
/// files it starts with.
///
/// Every share gets the kit's defaults (see `config.rs`); an [`option`](Share::option) with the
/// same key replaces a default instead of adding a second line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Share {
    pub(crate) name: String,
    pub(crate) read_only: bool,
    pub(crate) printer: bool,
    pub(crate) options: Vec<(String, String)>,
    pub(crate) files: Vec<(PathBuf, Vec<u8>)>,
}

impl Share {
    /// A read-write share called `name`, with the kit's defaults and no files.
    ///
    /// The name is checked when the server starts: it must be non-empty, at most 80 characters,
    /// and free of `/ \ [ ] %` and control characters; `global`, `homes`, `printers` and `IPC$`
    /// are reserved.
    pub fn new(name: &str) -> Self {
        Share {
            name: name.to_owned(),
            read_only: false,
            printer: false,
            options: Vec::new(),
            files: Vec::new(),
        }
    }

    /// A print share called `name` (SMB2 share type PRINT, `Printer` in `smbclient -L`), with
    /// no CUPS behind it: every job a client submits (its CREATE ... CLOSE) lands as a file in
    /// [`Samba::printed_dir`](crate::Samba::printed_dir), whole, named after the server's spool
    /// file. The share directory is the 1777 spool directory.
    pub fn printer(name: &str) -> Self {
        Share {
            printer: true,
            ..Share::new(name)
        }
    }

    /// Makes the share read-only (`read only = yes`): every create, write, rename or delete
    /// through SMB gets `STATUS_ACCESS_DENIED`.
    pub fn read_only(mut self, yes: bool) -> Self {
        self.read_only = yes;
        self
    }

    /// Adds the share line `key = value`, or replaces the kit's default for `key` (keys compare
    /// as Samba compares them: case, spaces and underscores do not matter).
    ///
    /// Setting `force user` to a non-root user also gives that user the share directory.
    pub fn option(mut self, key: &str, value: &str) -> Self {
        self.options.push((key.to_owned(), value.to_owned()));
        self
    }

    /// Seeds the share with a file at the relative path `path` (parents are created) holding
    /// `contents`, written before the server starts.
    pub fn file(mut self, path: &str, contents: impl Into<Vec<u8>>) -> Self {
        self.files.push((PathBuf::from(path), contents.into()));
        self
    }

    /// The share's name as clients write it.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Refuses names `smb.conf` cannot hold and seeded paths that leave the share.
    pub(crate) fn validate(&self) -> io::Result<()> {
        let reserved = ["global", "homes", "printers", "ipc$"];
        let bad_char = |c: char| c.is_control() || "/\\[]%".contains(c);
        if self.printer && !self.files.is_empty() {
            return Err(invalid(format!(
                "print share {:?} cannot be seeded with files",
                self.name
            )));
        }
        if self.name.is_empty()
            || self.name.chars().count() > 80
            || self.name.chars().any(bad_char)
            || self.name.trim() != self.name
            || reserved.contains(&self.name.to_ascii_lowercase().as_str())
        {
            return Err(invalid(format!("unusable share name {:?}", self.name)));
        }
        for (key, value) in &self.options {
            check_line(key, value)?;
        }
        for (path, _) in &self.files {
            if !is_plain_relative(path) {
                return Err(invalid(format!(
                    "seeded file {path:?} of share {:?} is not a plain relative path",
                    self.name
                )));
            }
        }
        Ok(())
    }
}

/// Refuses a `key = value` line that would not stay one line of `smb.conf`.
pub(crate) fn check_line(key: &str, value: &str) -> io::Result<()> {
    let broken = |t: &str| t.chars().any(|c| c.is_control());
    if key.trim().is_empty() || broken(key) || broken(value) || key.contains('=') {
        return Err(invalid(format!(
            "unusable smb.conf line {key:?} = {value:?}"
        )));
    }
    Ok(())
}

/// True for `a/b/c`: relative, no `..`, no root, not empty.
fn is_plain_relative(path: &Path) -> bool {
    path.components().next().is_some()
        && path.components().all(|c| matches!(c, Component::Normal(_)))
}

fn invalid(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_smb_conf_cannot_hold_are_refused() {
        for bad in ["", "a/b", "a]", "global", "IPC$", " x", "a\nb", "50%"] {
            assert!(Share::new(bad).validate().is_err(), "{bad:?} accepted");
        }
        for good in ["rw", "ro", "My Share", "données"] {
            assert!(Share::new(good).validate().is_ok(), "{good:?} refused");
        }
    }

    #[test]
    fn seeded_files_stay_inside_the_share() {
        assert!(Share::new("s").file("a/b.txt", "x").validate().is_ok());
        for bad in ["../x", "/etc/passwd", "a/../../x", ""] {
            assert!(
                Share::new("s").file(bad, "x").validate().is_err(),
                "{bad:?}"
            );
        }
    }
}

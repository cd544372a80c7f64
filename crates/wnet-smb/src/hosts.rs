//! [`HostsFile`]: the user's own names for servers and domain controllers, consulted before the
//! system resolver (Windows' `LMHOSTS`, ADR 0015).
//!
//! One entry a line, the address first, then the name, then keywords:
//!
//! ```text
//! # a comment
//! 127.0.0.20  wnetdc1.wnet.test  #PRE #DOM:wnet.test   a DC of the domain wnet.test
//! 127.0.0.20  wnetdc1                                  a plain name
//! ```
//!
//! `#DOM:<domain>` marks the name as a domain controller of `<domain>` (a DNS or NetBIOS
//! domain name): that is how a domain-based DFS path (`\\wnet.test\dfs`) finds a DC to ask.
//! `#PRE` is accepted and means nothing more (every entry is loaded). Anything else after a
//! `#` is a comment; a line whose address does not parse is ignored. Names and domains compare
//! case-insensitively. The file is read at each use (it is small), so an edit counts at once.

use std::net::IpAddr;
use std::path::{Path, PathBuf};

/// The `#DOM:` keyword of an entry.
const DOM: &str = "#DOM:";

/// One line of the file.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Entry {
    address: IpAddr,
    /// Lower case.
    name: String,
    /// Lower case, when the entry is a DC of it.
    domain: Option<String>,
}

/// The hosts file at a path (missing: no entries). See the module doc.
#[derive(Debug, Clone, Default)]
pub struct HostsFile {
    path: Option<PathBuf>,
}

impl HostsFile {
    /// The file at `path`; `None`: no file, every lookup misses.
    pub fn new(path: Option<PathBuf>) -> HostsFile {
        HostsFile { path }
    }

    /// The file's path, if any.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    fn entries(&self) -> Vec<Entry> {
        let Some(path) = &self.path else {
            return Vec::new();
        };
        match std::fs::read_to_string(path) {
            Ok(text) => parse(&text),
            Err(e) => {
                if e.kind() != std::io::ErrorKind::NotFound {
                    tracing::warn!(path = %path.display(), error = %e, "hosts file not readable");
                }
                Vec::new()
            }
        }
    }

    /// The address of `name`, if the file names it.
    pub fn address(&self, name: &str) -> Option<IpAddr> {
        let name = name.to_lowercase();
        self.entries()
            .into_iter()
            .find(|e| e.name == name)
            .map(|e| e.address)
    }

    /// The names the file marks as domain controllers of `domain` (`#DOM:`), in file order.
    pub fn domain_controllers(&self, domain: &str) -> Vec<String> {
        let domain = domain.to_lowercase();
        self.entries()
            .into_iter()
            .filter(|e| e.domain.as_deref() == Some(domain.as_str()))
            .map(|e| e.name)
            .collect()
    }
}

fn parse(text: &str) -> Vec<Entry> {
    let mut entries = Vec::new();
    for line in text.lines() {
        let mut words = line.split_whitespace();
        let (Some(address), Some(name)) = (words.next(), words.next()) else {
            continue;
        };
        if address.starts_with('#') || name.starts_with('#') {
            continue;
        }
        let Ok(address) = address.parse::<IpAddr>() else {
            continue;
        };
        let mut domain = None;
        for word in words {
            if word.len() > DOM.len() && word[..DOM.len()].eq_ignore_ascii_case(DOM) {
                domain = Some(word[DOM.len()..].to_lowercase());
            } else if !word.eq_ignore_ascii_case("#PRE") {
                // The rest of the line is a comment.
                break;
            }
        }
        entries.push(Entry {
            address,
            name: name.to_lowercase(),
            domain,
        });
    }
    entries
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_keywords_and_comments() {
        let text = "# comment\n\
                    127.0.0.20  WNETDC1.wnet.test  #PRE #DOM:WNET.test  the DC\n\
                    127.0.0.21  other  # a comment #DOM:not-this\n\
                    not-an-address  name\n\
                    \n\
                    ::1 six\n";
        let e = parse(text);
        assert_eq!(e.len(), 3, "{e:?}");
        assert_eq!(e[0].name, "wnetdc1.wnet.test");
        assert_eq!(e[0].domain.as_deref(), Some("wnet.test"));
        assert_eq!(e[1].domain, None);
        assert_eq!(e[2].address, "::1".parse::<IpAddr>().unwrap());
    }

    #[test]
    fn lookups_read_the_file_at_each_use() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("lmhosts");
        let hosts = HostsFile::new(Some(path.clone()));
        assert_eq!(hosts.address("dc"), None, "a missing file has no entries");
        std::fs::write(&path, "127.0.0.9 dc #DOM:corp.test\n").unwrap();
        assert_eq!(hosts.address("DC"), Some("127.0.0.9".parse().unwrap()));
        assert_eq!(hosts.domain_controllers("CORP.test"), vec!["dc".to_owned()]);
        assert!(hosts.domain_controllers("dc").is_empty());
    }
}

//! A `207 Multi-Status` body (RFC 4918 section 13) into [`Entry`]s, bounded.
//!
//! The parser is namespace-aware (only `DAV:` elements count, whatever the prefix), expands no
//! DTD entities (quick-xml knows only the predefined ones), and stops at [`MAX_DEPTH`] nesting
//! or the caller's entry limit: a hostile server can make it fail, not grow without bound.

use std::time::{Duration, SystemTime};

use quick_xml::events::Event;
use quick_xml::name::{Namespace, ResolveResult};
use quick_xml::reader::NsReader;

use crate::error::{Error, Result};
use crate::location::percent_decode;

/// Element nesting beyond which a body is refused.
pub const MAX_DEPTH: usize = 64;

/// One `<response>`: a resource and the properties the server returned with status 200.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Entry {
    /// The decoded path components of the `href`.
    pub path: Vec<String>,
    /// `resourcetype` holds `collection`.
    pub is_collection: bool,
    /// `getcontentlength`.
    pub size: Option<u64>,
    /// `getlastmodified`.
    pub modified: Option<SystemTime>,
    /// `getetag`, as sent (quotes included).
    pub etag: Option<String>,
    /// `quota-available-bytes` (RFC 4331).
    pub quota_available: Option<u64>,
    /// `quota-used-bytes` (RFC 4331).
    pub quota_used: Option<u64>,
}

impl Entry {
    /// The last path component (`""` for the server root).
    pub fn name(&self) -> &str {
        self.path.last().map_or("", String::as_str)
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Prop {
    Href,
    Status,
    Length,
    Modified,
    Etag,
    QuotaAvailable,
    QuotaUsed,
}

/// Parses a multistatus body into at most `max_entries` entries.
///
/// Errors: [`Error::Protocol`] for XML that is malformed, too deep, not a multistatus, an
/// `href` that does not decode, or more than `max_entries` responses.
pub fn parse(body: &[u8], max_entries: usize) -> Result<Vec<Entry>> {
    let mut reader = NsReader::from_reader(body);
    reader.config_mut().trim_text(true);
    let mut out = Vec::new();
    let mut stack: Vec<Option<Vec<u8>>> = Vec::new();
    let mut saw_root = false;
    let mut current = Entry::default();
    let mut in_propstat = Entry::default();
    let mut propstat_ok = false;
    let mut reading: Option<Prop> = None;
    let mut text = String::new();
    loop {
        let (ns, event) = reader
            .read_resolved_event()
            .map_err(|e| Error::Protocol(format!("multistatus XML: {e}")))?;
        let dav = matches!(ns, ResolveResult::Bound(Namespace(b"DAV:")));
        match event {
            Event::Start(e) => {
                if stack.len() == MAX_DEPTH {
                    return Err(Error::Protocol("multistatus nested too deeply".into()));
                }
                let name = dav.then(|| e.local_name().as_ref().to_vec());
                let parent = stack.last().cloned().flatten();
                match (parent.as_deref(), name.as_deref()) {
                    (None, Some(b"multistatus")) if stack.is_empty() => saw_root = true,
                    (Some(b"multistatus"), Some(b"response")) => {
                        if out.len() == max_entries {
                            return Err(Error::Protocol(format!(
                                "more than {max_entries} entries in one listing"
                            )));
                        }
                        current = Entry::default();
                    }
                    (Some(b"propstat"), Some(b"prop")) => {}
                    (Some(b"response"), Some(b"propstat")) => {
                        in_propstat = Entry::default();
                        propstat_ok = false;
                    }
                    (_, Some(b"resourcetype")) => {}
                    (Some(b"resourcetype"), Some(b"collection")) => {
                        in_propstat.is_collection = true;
                    }
                    (_, Some(n)) => {
                        reading = prop_of(n);
                        text.clear();
                    }
                    _ => {}
                }
                stack.push(name);
            }
            Event::Empty(e) => {
                let parent = stack.last().cloned().flatten();
                if dav
                    && parent.as_deref() == Some(b"resourcetype")
                    && e.local_name().as_ref() == b"collection"
                {
                    in_propstat.is_collection = true;
                }
            }
            Event::Text(t) if reading.is_some() => {
                let s = t
                    .unescape()
                    .map_err(|e| Error::Protocol(format!("multistatus text: {e}")))?;
                push_text(&mut text, &s)?;
            }
            Event::CData(t) if reading.is_some() => {
                push_text(&mut text, &String::from_utf8_lossy(&t))?;
            }
            Event::End(_) => {
                let name = stack.pop().flatten();
                match name.as_deref() {
                    Some(b"response") => {
                        out.push(std::mem::take(&mut current));
                    }
                    Some(b"propstat") if propstat_ok => {
                        merge(&mut current, std::mem::take(&mut in_propstat));
                    }
                    _ => {}
                }
                if let Some(prop) = reading.take() {
                    let v = text.trim();
                    match prop {
                        Prop::Href => current.path = href_path(v)?,
                        Prop::Status => propstat_ok = status_is_ok(v),
                        Prop::Length => in_propstat.size = v.parse().ok(),
                        Prop::Modified => in_propstat.modified = parse_http_date(v),
                        Prop::Etag => in_propstat.etag = Some(v.to_owned()),
                        Prop::QuotaAvailable => in_propstat.quota_available = v.parse().ok(),
                        Prop::QuotaUsed => in_propstat.quota_used = v.parse().ok(),
                    }
                }
            }
            Event::Eof if stack.is_empty() => break,
            Event::Eof => {
                return Err(Error::Protocol(
                    "the multistatus ends inside an element".into(),
                ));
            }
            _ => {}
        }
    }
    if !saw_root {
        return Err(Error::Protocol("the body is not a DAV:multistatus".into()));
    }
    Ok(out)
}

/// Appends to a property's text, refusing values over 16 KiB.
fn push_text(text: &mut String, s: &str) -> Result<()> {
    if text.len() + s.len() > 16 * 1024 {
        return Err(Error::Protocol("a property value over 16 KiB".into()));
    }
    text.push_str(s);
    Ok(())
}

fn prop_of(name: &[u8]) -> Option<Prop> {
    Some(match name {
        b"href" => Prop::Href,
        b"status" => Prop::Status,
        b"getcontentlength" => Prop::Length,
        b"getlastmodified" => Prop::Modified,
        b"getetag" => Prop::Etag,
        b"quota-available-bytes" => Prop::QuotaAvailable,
        b"quota-used-bytes" => Prop::QuotaUsed,
        _ => return None,
    })
}

fn merge(into: &mut Entry, from: Entry) {
    into.is_collection |= from.is_collection;
    into.size = from.size.or(into.size);
    into.modified = from.modified.or(into.modified);
    into.etag = from.etag.or(into.etag.take());
    into.quota_available = from.quota_available.or(into.quota_available);
    into.quota_used = from.quota_used.or(into.quota_used);
}

/// `HTTP/1.1 200 OK` → true.
fn status_is_ok(s: &str) -> bool {
    s.split_whitespace().nth(1) == Some("200")
}

/// An `href` (an absolute path or a full URL) into decoded components.
fn href_path(href: &str) -> Result<Vec<String>> {
    let path = match href.find("://") {
        Some(i) => {
            let rest = &href[i + 3..];
            rest.find('/').map_or("", |j| &rest[j..])
        }
        None => href,
    };
    path.split('/')
        .filter(|c| !c.is_empty())
        .map(|c| percent_decode(c).map_err(|e| Error::Protocol(format!("href {href:?}: {e}"))))
        .collect()
}

/// RFC 1123 dates (`Sun, 06 Nov 1994 08:49:37 GMT`), the form `getlastmodified` uses.
pub fn parse_http_date(s: &str) -> Option<SystemTime> {
    let mut f = s.split_whitespace();
    let _weekday = f.next()?;
    let day: u32 = f.next()?.parse().ok()?;
    let month = f.next()?;
    let year: i64 = f.next()?.parse().ok()?;
    let mut hms = f.next()?.split(':').map(|x| x.parse::<u32>().ok());
    let (h, m, sec) = (hms.next()??, hms.next()??, hms.next()??);
    if f.next()? != "GMT" || h > 23 || m > 59 || sec > 60 || !(1..=31).contains(&day) {
        return None;
    }
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let month = MONTHS.iter().position(|x| x.eq_ignore_ascii_case(month))? as i64 + 1;
    // Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let secs = days * 86_400 + i64::from(h * 3600 + m * 60 + sec);
    let secs = u64::try_from(secs).ok()?;
    Some(SystemTime::UNIX_EPOCH + Duration::from_secs(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    const APACHE: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<D:multistatus xmlns:D="DAV:" xmlns:ns0="DAV:">
<D:response xmlns:lp1="DAV:" xmlns:lp2="http://apache.org/dav/props/">
<D:href>/dav/</D:href>
<D:propstat><D:prop>
<lp1:resourcetype><D:collection/></lp1:resourcetype>
<lp1:getlastmodified>Mon, 07 Dec 2026 05:40:01 GMT</lp1:getlastmodified>
<lp1:getetag>"1000-5f1"</lp1:getetag>
</D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat>
<D:propstat><D:prop><D:quota-available-bytes/></D:prop>
<D:status>HTTP/1.1 404 Not Found</D:status></D:propstat>
</D:response>
<D:response xmlns:lp1="DAV:">
<D:href>http://127.0.0.1:8080/dav/a%20b.txt</D:href>
<D:propstat><D:prop>
<lp1:resourcetype/>
<lp1:getcontentlength>12</lp1:getcontentlength>
<lp1:getlastmodified>Thu, 01 Jan 1970 00:00:10 GMT</lp1:getlastmodified>
</D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat>
</D:response>
</D:multistatus>"#;

    #[test]
    fn apache_listing_parses() {
        let e = parse(APACHE.as_bytes(), 10).unwrap();
        assert_eq!(e.len(), 2);
        assert_eq!(e[0].path, ["dav"]);
        assert!(e[0].is_collection);
        assert_eq!(e[0].etag.as_deref(), Some("\"1000-5f1\""));
        assert_eq!(e[0].quota_available, None);
        assert_eq!(e[1].name(), "a b.txt");
        assert!(!e[1].is_collection);
        assert_eq!(e[1].size, Some(12));
        assert_eq!(
            e[1].modified,
            Some(SystemTime::UNIX_EPOCH + Duration::from_secs(10))
        );
    }

    #[test]
    fn foreign_namespaces_and_failed_propstats_do_not_count() {
        let xml = r#"<m:multistatus xmlns:m="DAV:" xmlns:x="urn:x"><m:response>
<m:href>/f</m:href><m:propstat><m:prop><x:getcontentlength>9</x:getcontentlength>
<m:getcontentlength>5</m:getcontentlength></m:prop><m:status>HTTP/1.1 200 OK</m:status></m:propstat>
<m:propstat><m:prop><m:resourcetype><m:collection/></m:resourcetype></m:prop>
<m:status>HTTP/1.1 403 Forbidden</m:status></m:propstat></m:response></m:multistatus>"#;
        let e = parse(xml.as_bytes(), 10).unwrap();
        assert_eq!((e[0].size, e[0].is_collection), (Some(5), false));
    }

    #[test]
    fn hostile_bodies_are_refused() {
        let deep = format!(
            "<D:multistatus xmlns:D=\"DAV:\">{}",
            "<a>".repeat(MAX_DEPTH + 1)
        );
        assert!(parse(deep.as_bytes(), 10).is_err());
        let many: String = (0..3)
            .map(|_| "<D:response><D:href>/x</D:href></D:response>")
            .collect();
        let many = format!("<D:multistatus xmlns:D=\"DAV:\">{many}</D:multistatus>");
        assert!(parse(many.as_bytes(), 2).is_err());
        assert_eq!(parse(many.as_bytes(), 3).unwrap().len(), 3);
        let bomb = r#"<!DOCTYPE m [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]>
<D:multistatus xmlns:D="DAV:"><D:response><D:href>/&b;</D:href></D:response></D:multistatus>"#;
        assert!(parse(bomb.as_bytes(), 10).is_err());
        assert!(parse(b"<html>no</html>", 10).is_err());
        assert!(parse(b"<D:multistatus xmlns:D=\"DAV:\"><D:response>", 10).is_err());
        let big = format!(
            "<D:multistatus xmlns:D=\"DAV:\"><D:response><D:href>/{}</D:href></D:response></D:multistatus>",
            "a".repeat(20_000)
        );
        assert!(parse(big.as_bytes(), 10).is_err());
    }

    #[test]
    fn http_dates() {
        let t = parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT").unwrap();
        assert_eq!(
            t.duration_since(SystemTime::UNIX_EPOCH).unwrap().as_secs(),
            784_111_777
        );
        assert!(parse_http_date("Sun, 06 Foo 1994 08:49:37 GMT").is_none());
        assert!(parse_http_date("Sun, 06 Nov 1994 25:49:37 GMT").is_none());
        assert!(parse_http_date("garbage").is_none());
    }
}

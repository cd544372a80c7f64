//! HTTP authentication: Basic (RFC 7617) and Digest with MD5 and `qop=auth` (RFC 7616), the two
//! Windows' WebClient speaks.
//!
//! The client answers the server's challenge, then keeps the scheme (and for Digest the nonce
//! and its counter) so later requests authenticate up front instead of paying a 401 each.

use md5::{Digest as _, Md5};

/// A user name and password.
#[derive(Clone)]
pub struct Credentials {
    /// The user name as the server knows it.
    pub user: String,
    /// The password.
    pub password: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("user", &self.user)
            .finish_non_exhaustive()
    }
}

/// A parsed `WWW-Authenticate` challenge the client can answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Challenge {
    /// `Basic realm="…"`.
    Basic,
    /// `Digest realm=… nonce=… [qop=auth] [opaque=…] [algorithm=MD5] [stale=true]`.
    Digest(DigestChallenge),
}

/// The fields of a Digest challenge the answer uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigestChallenge {
    realm: String,
    nonce: String,
    opaque: Option<String>,
    qop_auth: bool,
    /// The server says the nonce expired, not the credentials.
    pub stale: bool,
}

/// The state of authentication on a client: what to send with the next request.
#[derive(Debug, Default)]
pub struct AuthState {
    scheme: Option<Challenge>,
    nonce_count: u32,
}

impl AuthState {
    /// Whether a challenge was adopted (requests authenticate up front).
    pub fn has_challenge(&self) -> bool {
        self.scheme.is_some()
    }

    /// Adopts a challenge the server sent.
    pub fn adopt(&mut self, challenge: Challenge) {
        self.scheme = Some(challenge);
        self.nonce_count = 0;
    }

    /// The `Authorization` header for `method` on `uri`, if a challenge has been adopted.
    pub fn authorization(&mut self, cred: &Credentials, method: &str, uri: &str) -> Option<String> {
        match self.scheme.as_ref()? {
            Challenge::Basic => Some(format!(
                "Basic {}",
                base64(format!("{}:{}", cred.user, cred.password).as_bytes())
            )),
            Challenge::Digest(d) => {
                self.nonce_count = self.nonce_count.wrapping_add(1);
                Some(digest_answer(d, cred, method, uri, self.nonce_count))
            }
        }
    }
}

/// Picks the challenge to answer from a response's `WWW-Authenticate` headers: Digest when
/// offered (the password never crosses the wire), else Basic. `None`: nothing we speak.
pub fn pick_challenge<'a>(headers: impl Iterator<Item = &'a str>) -> Option<Challenge> {
    let mut basic = false;
    for h in headers {
        let (scheme, params) = h.trim().split_once(' ').unwrap_or((h.trim(), ""));
        if scheme.eq_ignore_ascii_case("Digest") {
            if let Some(d) = parse_digest(params) {
                return Some(Challenge::Digest(d));
            }
        } else if scheme.eq_ignore_ascii_case("Basic") {
            basic = true;
        }
    }
    basic.then_some(Challenge::Basic)
}

fn parse_digest(params: &str) -> Option<DigestChallenge> {
    let mut realm = None;
    let mut nonce = None;
    let mut opaque = None;
    let mut qop_auth = false;
    let mut stale = false;
    for (k, v) in auth_params(params) {
        match k.to_ascii_lowercase().as_str() {
            "realm" => realm = Some(v),
            "nonce" => nonce = Some(v),
            "opaque" => opaque = Some(v),
            "qop" => qop_auth = v.split(',').any(|q| q.trim().eq_ignore_ascii_case("auth")),
            "stale" => stale = v.eq_ignore_ascii_case("true"),
            // Only MD5 (and its absence, which means MD5) is answered.
            "algorithm" if !v.eq_ignore_ascii_case("MD5") => return None,
            _ => {}
        }
    }
    Some(DigestChallenge {
        realm: realm?,
        nonce: nonce?,
        opaque,
        qop_auth,
        stale,
    })
}

/// `k=v, k="quoted, with \" escapes"` pairs; malformed tails end the list.
fn auth_params(s: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = s.trim_start();
    while !rest.is_empty() && out.len() < 32 {
        let Some(eq) = rest.find('=') else { break };
        let key = rest[..eq].trim().trim_start_matches(',').trim().to_owned();
        rest = rest[eq + 1..].trim_start();
        let value;
        if let Some(q) = rest.strip_prefix('"') {
            let mut v = String::new();
            let mut chars = q.char_indices();
            let mut end = None;
            while let Some((i, c)) = chars.next() {
                match c {
                    '\\' => {
                        if let Some((_, n)) = chars.next() {
                            v.push(n);
                        }
                    }
                    '"' => {
                        end = Some(i + 1);
                        break;
                    }
                    c => v.push(c),
                }
            }
            let Some(end) = end else { break };
            value = v;
            rest = &q[end..];
        } else {
            let end = rest.find(',').unwrap_or(rest.len());
            value = rest[..end].trim().to_owned();
            rest = &rest[end..];
        }
        out.push((key, value));
        rest = rest.trim_start().trim_start_matches(',').trim_start();
    }
    out
}

fn md5_hex(s: &str) -> String {
    Md5::digest(s.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn digest_answer(
    d: &DigestChallenge,
    cred: &Credentials,
    method: &str,
    uri: &str,
    nc: u32,
) -> String {
    let ha1 = md5_hex(&format!("{}:{}:{}", cred.user, d.realm, cred.password));
    let ha2 = md5_hex(&format!("{method}:{uri}"));
    let quote = |s: &str| s.replace('\\', "\\\\").replace('"', "\\\"");
    let mut h = format!(
        "Digest username=\"{}\", realm=\"{}\", nonce=\"{}\", uri=\"{}\", algorithm=MD5",
        quote(&cred.user),
        quote(&d.realm),
        quote(&d.nonce),
        quote(uri)
    );
    if d.qop_auth {
        let cnonce = cnonce();
        let nc = format!("{nc:08x}");
        let response = md5_hex(&format!("{ha1}:{}:{nc}:{cnonce}:auth:{ha2}", d.nonce));
        h.push_str(&format!(
            ", qop=auth, nc={nc}, cnonce=\"{cnonce}\", response=\"{response}\""
        ));
    } else {
        let response = md5_hex(&format!("{ha1}:{}:{ha2}", d.nonce));
        h.push_str(&format!(", response=\"{response}\""));
    }
    if let Some(o) = &d.opaque {
        h.push_str(&format!(", opaque=\"{}\"", quote(o)));
    }
    h
}

/// 16 random hex digits from the kernel.
fn cnonce() -> String {
    let mut b = [0u8; 8];
    if std::fs::File::open("/dev/urandom")
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut b))
        .is_err()
    {
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        b = (t.as_nanos() as u64 ^ u64::from(std::process::id())).to_le_bytes();
    }
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Standard base64 with padding.
fn base64(data: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let n = (u32::from(chunk[0]) << 16)
            | (u32::from(*chunk.get(1).unwrap_or(&0)) << 8)
            | u32::from(*chunk.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(A[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc4648_vectors() {
        let v = [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foobar", "Zm9vYmFy"),
        ];
        for (i, o) in v {
            assert_eq!(base64(i.as_bytes()), o);
        }
    }

    #[test]
    fn digest_is_preferred_and_parsed() {
        let h = [
            "Basic realm=\"x\"",
            "Digest realm=\"wnet \\\"dav\\\"\", nonce=\"abc\", algorithm=MD5, qop=\"auth,auth-int\", stale=TRUE",
        ];
        let Some(Challenge::Digest(d)) = pick_challenge(h.into_iter()) else {
            panic!("digest expected")
        };
        assert_eq!(
            (d.realm.as_str(), d.nonce.as_str()),
            ("wnet \"dav\"", "abc")
        );
        assert!(d.qop_auth && d.stale);
        assert_eq!(
            pick_challenge(["Basic realm=x"].into_iter()),
            Some(Challenge::Basic)
        );
        assert_eq!(
            pick_challenge(["Negotiate", "Digest algorithm=SHA-256, realm=r, nonce=n"].into_iter()),
            None
        );
        assert_eq!(
            pick_challenge(["Digest realm=\"unterminated"].into_iter()),
            None
        );
    }

    #[test]
    fn digest_answer_matches_rfc2617_example() {
        // RFC 2617 section 3.5, without qop (the response is deterministic).
        let d = DigestChallenge {
            realm: "testrealm@host.com".into(),
            nonce: "dcd98b7102dd2f0e8b11d0f600bfb0c093".into(),
            opaque: None,
            qop_auth: false,
            stale: false,
        };
        let cred = Credentials {
            user: "Mufasa".into(),
            password: "Circle Of Life".into(),
        };
        let h = digest_answer(&d, &cred, "GET", "/dir/index.html", 1);
        let ha1 = md5_hex("Mufasa:testrealm@host.com:Circle Of Life");
        let ha2 = md5_hex("GET:/dir/index.html");
        let want = md5_hex(&format!("{ha1}:dcd98b7102dd2f0e8b11d0f600bfb0c093:{ha2}"));
        assert!(h.contains(&format!("response=\"{want}\"")), "{h}");
    }
}

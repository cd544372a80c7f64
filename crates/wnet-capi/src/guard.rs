//! The wrapper of every export: no panic crosses the C boundary, and every failure is recorded
//! for `WNetGetLastError` on the calling thread.

use std::panic::{AssertUnwindSafe, catch_unwind};

use crate::last_error;

/// `ERROR_GEN_FAILURE`: what a caller sees if the library itself failed (a panic).
pub const GEN_FAILURE: u32 = 31;

/// The provider name recorded with errors that are the library's own (bad arguments).
pub const LIBRARY_NAME: &str = "wnet";

/// A failed call: its Win32 code, the text and the provider name for `WNetGetLastError`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fail {
    /// The Win32 code returned to the caller.
    pub code: u32,
    /// What failed, in words.
    pub text: String,
    /// Who reported it: the network provider, or `wnet` for the library and the daemon.
    pub provider: String,
}

/// The result of an export's body.
pub type Res<T = ()> = Result<T, Fail>;

impl Fail {
    /// A failure of the library's own.
    pub fn new(code: u32, text: impl Into<String>) -> Self {
        Fail {
            code,
            text: text.into(),
            provider: LIBRARY_NAME.into(),
        }
    }

    /// A failure reported by the daemon (or the client that reaches it). The text is the
    /// daemon's message; a `provider: X` context names the provider.
    pub fn from_error(e: &wnet_core::Error) -> Self {
        let provider = e
            .context()
            .iter()
            .find(|(k, _)| *k == "provider")
            .map(|(_, v)| v.clone())
            .or_else(|| provider_in(e.message()))
            .unwrap_or_else(|| LIBRARY_NAME.into());
        // The daemon's message already carries its code and context; what the client adds
        // (e.g. who holds files open on a drive) follows, one entry per line.
        let mut text = e.message().to_owned();
        for (key, value) in e.context() {
            text.push_str(&format!("\n{key}: {value}"));
        }
        Fail {
            code: e.win_error().0,
            text,
            provider,
        }
    }
}

impl From<wnet_core::Error> for Fail {
    fn from(e: wnet_core::Error) -> Self {
        Fail::from_error(&e)
    }
}

/// The provider named in a daemon message (`..., provider: Microsoft Windows Network`).
fn provider_in(message: &str) -> Option<String> {
    let at = message.find("provider: ")? + "provider: ".len();
    let rest = &message[at..];
    let end = rest.find([',', ':', '(', ';']).unwrap_or(rest.len());
    Some(rest[..end].trim().to_owned()).filter(|p| !p.is_empty())
}

/// The answers that are part of a buffer or enumeration protocol, not failures: they leave the
/// thread's extended error alone.
const PROTOCOL_ANSWERS: [u32; 2] = [234, 259];

/// Runs an export's body: `Ok(code)` is returned as is, a failure is recorded for
/// `WNetGetLastError` (except 234 `ERROR_MORE_DATA` and 259 `ERROR_NO_MORE_ITEMS`) and its code
/// returned, a panic becomes 31 `ERROR_GEN_FAILURE`.
pub fn run(body: impl FnOnce() -> Res<u32>) -> u32 {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(code)) => code,
        Ok(Err(fail)) if PROTOCOL_ANSWERS.contains(&fail.code) => fail.code,
        Ok(Err(fail)) => {
            last_error::record(fail.code, &fail.text, &fail.provider);
            fail.code
        }
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown".into());
            // Recording must not panic again: the thread-local is plain data.
            let _ = catch_unwind(|| {
                last_error::record(
                    GEN_FAILURE,
                    &format!("internal error in libwnet: {what}"),
                    LIBRARY_NAME,
                )
            });
            GEN_FAILURE
        }
    }
}

/// [`run`] for a body that returns nothing on success (`NO_ERROR`).
pub fn run0(body: impl FnOnce() -> Res<()>) -> u32 {
    run(|| body().map(|()| 0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_is_31_and_recorded() {
        let prev = std::panic::take_hook();
        std::panic::set_hook(Box::new(|_| {}));
        let code = run(|| panic!("boom"));
        std::panic::set_hook(prev);
        assert_eq!(code, 31);
        let (code, text, _) = last_error::get();
        assert_eq!(code, 31);
        assert!(text.contains("boom"), "{text}");
    }

    #[test]
    fn context_entries_follow_the_message() {
        let e = wnet_core::Error::new(wnet_core::ErrorKind::OpenFiles, "Z: has open files")
            .with_context("holder", "/n/Z/a.txt  (pid 7, vi)");
        let f = Fail::from_error(&e);
        assert_eq!(f.code, 2401);
        assert_eq!(f.text, "Z: has open files\nholder: /n/Z/a.txt  (pid 7, vi)");
        assert_eq!(f.provider, LIBRARY_NAME);
    }

    #[test]
    fn the_provider_is_found_in_daemon_messages() {
        assert_eq!(
            provider_in("x (error 86), operation: add, provider: Microsoft Windows Network")
                .as_deref(),
            Some("Microsoft Windows Network")
        );
        assert_eq!(
            provider_in("x, provider: Microsoft Windows Network (error 2401)").as_deref(),
            Some("Microsoft Windows Network")
        );
        assert_eq!(provider_in("plain"), None);
    }
}

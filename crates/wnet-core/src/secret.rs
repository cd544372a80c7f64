//! `Secret`: a password that never shows in `Debug`, `Display` or logs.

use std::fmt;

/// A secret string (a password). Its `Debug` prints `Secret(***)`; read it with
/// [`Secret::expose`] only where it is used. It is zeroed when dropped.
#[derive(Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret.
    pub fn new(s: impl Into<String>) -> Self {
        Secret(s.into())
    }

    /// The secret itself, for the one place that needs it (authentication).
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// `true` for the empty password (`""`, "no password").
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl Drop for Secret {
    fn drop(&mut self) {
        wipe_string(&mut self.0);
    }
}

/// Overwrites `bytes` with zeros in place, in a way the compiler does not remove: for buffers
/// that held a secret (a serialised request with a password, a command line).
pub fn wipe(bytes: &mut [u8]) {
    for b in bytes.iter_mut() {
        // SAFETY: a valid, exclusive reference; volatile so the write is kept.
        unsafe { std::ptr::write_volatile(b, 0) };
    }
    std::sync::atomic::compiler_fence(std::sync::atomic::Ordering::SeqCst);
}

/// [`wipe`] for a string (it stays valid UTF-8: NUL bytes).
pub fn wipe_string(s: &mut str) {
    // SAFETY: NUL bytes keep the String valid UTF-8.
    wipe(unsafe { s.as_bytes_mut() });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_redacts() {
        let s = Secret::new("hunter2");
        assert_eq!(format!("{s:?}"), "Secret(***)");
        assert_eq!(s.expose(), "hunter2");
        #[derive(Debug)]
        #[allow(dead_code)]
        struct Config {
            password: Secret,
        }
        let c = Config { password: s };
        assert!(!format!("{c:?}").contains("hunter2"));
    }
}

//! A wrapper that keeps secrets out of logs and out of freed memory.

use std::fmt;

/// A value whose bytes can be overwritten in place.
pub trait Wipe {
    /// Overwrites every byte with zero (the value stays valid: an empty-looking string of
    /// NULs, a zeroed array).
    fn wipe(&mut self);
}

/// Overwrites `bytes` with zeros in a way the compiler does not remove.
pub fn wipe_bytes(bytes: &mut [u8]) {
    for b in bytes.iter_mut() {
        // SAFETY: a valid, exclusive reference.
        unsafe { std::ptr::write_volatile(b, 0) };
    }
    std::sync::atomic::compiler_fence(std::sync::atomic::Ordering::SeqCst);
}

impl Wipe for String {
    fn wipe(&mut self) {
        // SAFETY: NUL bytes keep the string valid UTF-8.
        wipe_bytes(unsafe { self.as_bytes_mut() });
    }
}

impl Wipe for Vec<u8> {
    fn wipe(&mut self) {
        wipe_bytes(self);
    }
}

impl<const N: usize> Wipe for [u8; N] {
    fn wipe(&mut self) {
        wipe_bytes(self);
    }
}

/// A secret value (password, key) whose `Debug` output is redacted and whose bytes are zeroed
/// when it is dropped.
///
/// The value is reachable only through [`Secret::expose`], which makes every
/// use greppable. It deliberately implements neither `Display` nor `PartialEq`
/// (a non-constant-time comparison of keys would leak timing).
#[derive(Clone, Default)]
pub struct Secret<T: Wipe>(T);

impl<T: Wipe> Drop for Secret<T> {
    fn drop(&mut self) {
        self.0.wipe();
    }
}

impl<T: Wipe> Secret<T> {
    /// Wraps `value`.
    pub fn new(value: T) -> Self {
        Secret(value)
    }

    /// The secret value itself; keep the borrow short and never log it.
    pub fn expose(&self) -> &T {
        &self.0
    }

    /// Unwraps the secret value (the caller now keeps it safe).
    pub fn into_inner(mut self) -> T
    where
        T: Default,
    {
        std::mem::take(&mut self.0)
    }
}

impl<T: Wipe> From<T> for Secret<T> {
    fn from(value: T) -> Self {
        Secret(value)
    }
}

impl<T: Wipe> fmt::Debug for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_is_redacted() {
        let s = Secret::new(String::from("hunter2"));
        let shown = format!("{s:?}");
        assert!(!shown.contains("hunter2"));
        assert_eq!(shown, "Secret(<redacted>)");
        assert_eq!(s.expose(), "hunter2");
    }

    #[test]
    fn wiping_zeroes_in_place() {
        let mut s = String::from("hunter2");
        let at = s.as_ptr();
        s.wipe();
        assert_eq!(s.as_ptr(), at);
        assert_eq!(s.as_bytes(), [0; 7]);
        let mut k = [7u8; 16];
        k.wipe();
        assert_eq!(k, [0; 16]);
    }
}

//! `WNetGetLastError` / `WNetSetLastError`: the extended error of the calling thread.
//!
//! Every failing export records its code, a text saying what failed (the daemon's message,
//! e.g. who holds open files on a drive) and the reporting provider's name, so a caller can ask
//! after any failure, not only after 1208 `ERROR_EXTENDED_ERROR`. The functions return the
//! specific code themselves (never 1208), so callers that do not ask lose nothing.

use std::cell::RefCell;

use crate::ffi::Dword;
use crate::guard::run;
use crate::strings::{BAD_POINTER, Unit, plausible, read_opt, write_truncated};

thread_local! {
    static LAST: RefCell<(u32, String, String)> = const { RefCell::new((0, String::new(), String::new())) };
}

/// Records the calling thread's extended error. Called from a thread-local destructor (after
/// this thread's storage is gone), it records nothing rather than abort the process.
pub fn record(code: u32, text: &str, provider: &str) {
    let _ = LAST.try_with(|l| {
        if let Ok(mut last) = l.try_borrow_mut() {
            *last = (code, text.to_owned(), provider.to_owned());
        }
    });
}

/// The calling thread's extended error: code, text, provider (none, once the thread's storage
/// is gone).
pub fn get() -> (u32, String, String) {
    LAST.try_with(|l| l.borrow().clone())
        .unwrap_or((0, String::new(), String::new()))
}

unsafe fn get_last_error<C: Unit>(
    error: *mut Dword,
    error_buf: *mut C,
    error_size: Dword,
    name_buf: *mut C,
    name_size: Dword,
) -> Dword {
    // The function's own failures (bad buffers) must not replace the error being asked for,
    // so it reports them without recording.
    run(|| {
        if !plausible(error)
            || (error_size > 0 && !plausible(error_buf))
            || (name_size > 0 && !plausible(name_buf))
        {
            return Ok(BAD_POINTER);
        }
        let (code, text, provider) = get();
        // SAFETY: the pointers were checked; the sizes are the caller's.
        unsafe {
            *error = code;
            write_truncated(&text, error_buf, error_size);
            write_truncated(&provider, name_buf, name_size);
        }
        Ok(0)
    })
}

/// `WNetGetLastErrorA`: the calling thread's last extended error, UTF-8.
///
/// # Safety
/// `lpError` points to a writable `DWORD`; each buffer is NULL with size 0 or holds its size
/// in bytes. Strings are truncated and always NUL-terminated. Returns 487 for a bad pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WNetGetLastErrorA(
    lp_error: *mut Dword,
    lp_error_buf: *mut u8,
    n_error_buf_size: Dword,
    lp_name_buf: *mut u8,
    n_name_buf_size: Dword,
) -> Dword {
    // SAFETY: forwarded contract.
    unsafe {
        get_last_error(
            lp_error,
            lp_error_buf,
            n_error_buf_size,
            lp_name_buf,
            n_name_buf_size,
        )
    }
}

/// `WNetGetLastErrorW`: as [`WNetGetLastErrorA`], UTF-16 (sizes in `WCHAR`s).
///
/// # Safety
/// As [`WNetGetLastErrorA`].
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WNetGetLastErrorW(
    lp_error: *mut Dword,
    lp_error_buf: *mut u16,
    n_error_buf_size: Dword,
    lp_name_buf: *mut u16,
    n_name_buf_size: Dword,
) -> Dword {
    // SAFETY: forwarded contract.
    unsafe {
        get_last_error(
            lp_error,
            lp_error_buf,
            n_error_buf_size,
            lp_name_buf,
            n_name_buf_size,
        )
    }
}

unsafe fn set_last_error<C: Unit>(err: Dword, text: *const C, provider: *const C) {
    run(|| {
        // SAFETY: the caller's strings; an unreadable one is recorded as empty.
        let text = unsafe { read_opt(text, "lpError") }.ok().flatten();
        let provider = unsafe { read_opt(provider, "lpProviders") }.ok().flatten();
        record(
            err,
            &text.unwrap_or_default(),
            &provider.unwrap_or_default(),
        );
        Ok(0)
    });
}

/// `WNetSetLastErrorA` (npapi.h): sets the calling thread's extended error, as a network
/// provider does before returning 1208.
///
/// # Safety
/// `lpError` and `lpProviders` are NULL or NUL-terminated UTF-8 strings.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WNetSetLastErrorA(
    err: Dword,
    lp_error: *const u8,
    lp_providers: *const u8,
) {
    // SAFETY: forwarded contract.
    unsafe { set_last_error(err, lp_error, lp_providers) }
}

/// `WNetSetLastErrorW`: as [`WNetSetLastErrorA`], UTF-16.
///
/// # Safety
/// `lpError` and `lpProviders` are NULL or NUL-terminated UTF-16 strings.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn WNetSetLastErrorW(
    err: Dword,
    lp_error: *const u16,
    lp_providers: *const u16,
) {
    // SAFETY: forwarded contract.
    unsafe { set_last_error(err, lp_error, lp_providers) }
}

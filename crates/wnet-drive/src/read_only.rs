//! The READONLY attribute in the way of a delete or a replace. `chmod a-w` sets it (the only
//! mode bits SMB keeps), and the server then refuses to delete the file or directory
//! (`STATUS_CANNOT_DELETE`) or to replace it by a rename (`ACCESS_DENIED`), where POSIX lets
//! the owner of the directory do both. As Linux's cifs does, the drive clears the attribute
//! and tries once more, and puts the attribute back if that fails too.

use super::core::Core;
use super::remote::attributes::READONLY;
use super::remote::{FsError, FsErrorKind, FsResult, SetInfo};
use std::future::Future;

/// Whether `e` may be the READONLY attribute's refusal.
fn refused_as_read_only(e: &FsError) -> bool {
    matches!(e.kind, FsErrorKind::Refused | FsErrorKind::AccessDenied)
}

/// A change of the attributes only, to `bits`.
fn attributes(bits: u32) -> SetInfo {
    SetInfo {
        attributes: Some(bits),
        ..SetInfo::default()
    }
}

impl Core {
    /// Runs `op` (a delete of `path`, or a rename onto it); when the server refuses it and
    /// `path` has the READONLY attribute, clears the attribute and runs `op` once more,
    /// restoring the attribute if the second attempt fails as well. Returns the outcome of
    /// the last attempt (the first one's when no retry was made).
    pub(crate) async fn despite_read_only<T, F, Fut>(&self, path: &str, op: F) -> FsResult<T>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = FsResult<T>>,
    {
        let first = op().await;
        match &first {
            Err(e) if refused_as_read_only(e) => {}
            _ => return first,
        }
        let Ok(info) = self.fs().stat(path).await else {
            return first;
        };
        if info.attributes & READONLY == 0 {
            return first;
        }
        let writable = attributes(info.attributes & !READONLY);
        if let Err(e) = self.fs().set_info(path, writable).await {
            tracing::debug!(path, error = %e, "clearing READONLY before a delete failed");
            return first;
        }
        let again = op().await;
        if again.is_err() {
            let back = attributes(info.attributes);
            if let Err(e) = self.fs().set_info(path, back).await {
                tracing::warn!(path, error = %e, "could not set READONLY back");
            }
        }
        again
    }
}
